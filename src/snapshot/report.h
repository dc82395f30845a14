// What the exporter publishes per target after each poll, and the store scrapes read it from.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "derive/risk.h"
#include "derive/signals.h"
#include "snapshot/snapshot.h"
#include "sources/kernel/kernel_counters_reader.h"
#include "snapshot/probe_figures.h"

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
  std::vector<SlowlogEntry> recent_slowlog;   // newest entries of the last SLOWLOG GET (≤ 5)
  ProbeFigures probe;
  // Accept queue of the target's listening socket; only for targets on this host.
  struct ListenQueue {
    double length = 0;
    double max = 0;
  };
  std::optional<ListenQueue> listen_queue;
  RiskAssessment risk;
};

// Host-wide kernel readings (cause 5), read once per kernel_interval for all targets.
struct KernelReport {
  KernelCounters counters;
  bool listen_queue_read = false;  // some target is local, so the sockets were dumped
  bool listen_queue_ok = false;    // the netlink sock_diag dump worked
  double counters_duration_seconds = 0;
  double listen_queue_duration_seconds = 0;
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
  void PublishKernel(std::shared_ptr<const KernelReport> report) {
    std::lock_guard lock(mu_);
    kernel_ = std::move(report);
  }
  std::shared_ptr<const KernelReport> Kernel() const {
    std::lock_guard lock(mu_);
    return kernel_;
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
  std::shared_ptr<const KernelReport> kernel_;
};

}  // namespace rte
