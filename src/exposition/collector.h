// Turns the latest published reports into Prometheus metric families: the report families once
// per store version (MetricsPage keeps a small page), the status families on every scrape.
// It runs under the HTTP server's request: it only copies from memory, never does I/O.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "exposition/http_connections.h"
#include "exposition/report_store.h"

namespace rte {

// Exporter-wide state that is not per target.
struct ExporterStatus {
  std::atomic<bool> config_last_reload_successful{true};
  std::atomic<double> config_last_reload_success_timestamp{0};
  std::atomic<int> shard_targets{0};  // targets of the config this replica polls
  WebServerStats web;                 // counted by the HTTP server
};

class ReportCollector : public prometheus::Collectable {
 public:
  // A family, or with `continued` the next samples of the family handed over just before.
  using FamilySink = std::function<void(prometheus::MetricFamily&& family, bool continued)>;

  ReportCollector(const ReportStore& store, const ExporterStatus& status)
      : store_(store), status_(status) {}
  // Every family with samples, in exposition order, handed to `sink` as it is built, in pieces
  // of a few hundred series: a scrape holds one piece's structs at a time, never the page's.
  // The status families come first, then the report families.
  void ForEachFamily(const FamilySink& sink) const;
  // The exporter's own families (build, config reload, shard, web server, fd exhaustion): they
  // change without the store changing, so a page cached per store version renders them fresh.
  void ForEachStatusFamily(const FamilySink& sink) const;
  // The families of the store's reports and kernel reading (process_* included): they change
  // only when ReportStore::version() does.
  void ForEachReportFamily(const FamilySink& sink) const;
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const ReportStore& store_;
  const ExporterStatus& status_;
};

enum class FamilySet { kAll, kStatus, kReports };
// The /metrics body in the text exposition format, written family by family into `out`: all
// of it, or only the status or the report families.
void WriteMetrics(const ReportCollector& collector, std::ostream& out,
                  FamilySet set = FamilySet::kAll);
// The same, as one string (tests).
std::string RenderMetrics(const ReportCollector& collector);

}  // namespace rte
