// What the exporter publishes per target after each poll, and the store scrapes read it from.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "derive/signals.h"
#include "snapshot/snapshot.h"

namespace rte {

// Stages a poll can fail in; `poll_errors_total{stage}` has one series per entry.
inline constexpr const char* kPollStages[] = {"connect", "auth",   "timeout",    "info",
                                              "slowlog", "config", "client_list"};

struct TargetReport {
  TargetConfig config;
  bool up = false;
  std::optional<double> last_success_wall;
  std::optional<double> poll_duration_seconds;
  std::map<std::string, double> poll_errors;  // stage → count
  std::map<OptionalCommand, bool> supported;  // known after the first successful contact
  std::optional<RedisSignals> signals;        // present while the target is up
  std::optional<SlowlogTotals> slowlog;       // present once the slowlog could be read
};

// Latest report per target. Pollers replace whole reports; scrapes copy pointers under the lock,
// so /metrics never waits on Redis and never sees half a poll.
class ReportStore {
 public:
  void Publish(std::shared_ptr<const TargetReport> report) {
    std::lock_guard lock(mu_);
    reports_[report->config.name] = std::move(report);
  }
  void Remove(const std::string& target) {
    std::lock_guard lock(mu_);
    reports_.erase(target);
  }
  std::vector<std::shared_ptr<const TargetReport>> All() const {
    std::lock_guard lock(mu_);
    std::vector<std::shared_ptr<const TargetReport>> out;
    out.reserve(reports_.size());
    for (const auto& [name, report] : reports_) out.push_back(report);
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const TargetReport>> reports_;
};

}  // namespace rte
