// A parser for the Prometheus text exposition format (version 0.0.4), for asserting on /metrics.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rte::testing {

using Labels = std::map<std::string, std::string>;

struct Sample {
  std::string name;  // e.g. redis_timeout_slowlog_duration_seconds_bucket
  Labels labels;
  double value = 0;
};

struct MetricFamily {
  std::string name;  // as in the HELP/TYPE lines
  std::string help;  // unescaped; empty if there was no HELP line
  std::string type;  // counter, gauge, histogram, summary, untyped; empty if no TYPE line
  std::vector<Sample> samples;
};

// Samples belong to the family named by the preceding HELP/TYPE lines when their name is the
// family name or the family name plus _bucket, _sum, _count (histograms/summaries) or _total;
// any other sample starts a family of its own without HELP/TYPE.
class MetricsText {
 public:
  // Never throws: lines it cannot parse are listed in errors().
  static MetricsText Parse(const std::string& text);

  // The value of the one sample called `name` whose labels include all of `labels` (other
  // labels may be present). nullopt if none matches; throws std::logic_error if several do,
  // so an under-specified assertion fails loudly instead of picking one.
  std::optional<double> Value(const std::string& name, const Labels& labels = {}) const;
  // Sum over all matching samples (nullopt if none matches).
  std::optional<double> Sum(const std::string& name, const Labels& labels = {}) const;
  // All samples called `name` whose labels include all of `labels`.
  std::vector<Sample> Samples(const std::string& name, const Labels& labels = {}) const;
  bool Has(const std::string& name, const Labels& labels = {}) const {
    return !Samples(name, labels).empty();
  }

  const std::vector<MetricFamily>& Families() const { return families_; }
  const MetricFamily* Family(const std::string& name) const;
  // Every sample's name, in order of appearance (with repeats).
  std::vector<std::string> SampleNames() const;
  const std::vector<std::string>& errors() const { return errors_; }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::vector<MetricFamily> families_;
  std::vector<std::string> errors_;
};

}  // namespace rte::testing
