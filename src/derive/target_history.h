// Everything derive remembers about one target between polls: the slowlog cursor and totals,
// the latency window, the risk window and the cumulative counters. Pure: each poll result (and
// the newest kernel reading) goes in, the target's report comes out; time comes from the input.
#pragma once

#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "derive/latency_window.h"
#include "derive/risk.h"
#include "derive/signals.h"
#include "derive/target_report.h"
#include "snapshot/kernel.h"
#include "snapshot/poll.h"

namespace rte {

class TargetHistory {
 public:
  // `local`: the target listens on this host, so its accept queue is judged.
  TargetHistory(TargetConfig config, bool local);

  // Folds one poll into the history and returns the report as of that poll. `kernel` is the
  // newest host reading, or nullptr when none has finished yet.
  const TargetReport& Advance(const PollResult& poll, const KernelSnapshot* kernel);
  const TargetReport& report() const { return *report_; }
  // The report as of the last Advance, to publish: Advance never changes a report shared this
  // way (it changes a copy), so a target holds one report between polls, not two.
  std::shared_ptr<const TargetReport> Shared() const { return report_; }
  bool local() const { return local_; }
  // The Redis process ID last handed to the kernel sampler (bookkeeping for the caller).
  double pid() const { return pid_; }
  void set_pid(double pid) { pid_ = pid; }

 private:
  RiskSample MakeRiskSample(const PollResult& poll, const KernelSnapshot* kernel) const;
  void AdvanceSlowlog(const RedisSnapshot& snap, Nanos now);
  void AdvanceLatency(const ProbeFigures& probe, Nanos now);
  // Stall witnesses outside SLOWLOG: commandstats deltas and new latency-monitor spikes.
  void AdvanceStalls(const RedisSnapshot& snap);

  // The target's config is the report's: one copy per target fewer.
  const TargetConfig& config() const { return report_->config; }
  bool local_;
  double pid_ = 0;
  double start_time_ = 0;  // the Redis start time shown last (Unix seconds)
  std::shared_ptr<TargetReport> report_ = std::make_shared<TargetReport>();
  SlowlogCursor cursor_;
  double slowlog_longest_new_ = 0;  // longest entry first seen in this poll
  struct SeenEntry {
    Nanos seen_at;
    SlowlogEntry entry;
  };
  // Entries first seen within the risk window, oldest first; usually none, and a list holds
  // nothing then (a deque keeps ~600 bytes per target).
  std::list<SeenEntry> recent_;
  LatencyWindow latency_window_;
  LatencyWindow large_payload_window_;
  // Previous poll's commandstats (calls, usec) and each latency event's latest spike time.
  std::map<std::string, CommandStat> previous_commands_;
  std::map<std::string, std::int64_t> latency_seen_;
  double command_longest_mean_ = 0;  // of this poll
  std::string command_longest_name_;
  double latency_spike_new_ = 0;  // of this poll
  std::string latency_spike_event_;
  std::vector<RiskSample> risk_window_;  // oldest first, contiguous for AssessRisk
};

}  // namespace rte
