// What the exporter publishes per target after each poll: the signals, the cumulative figures
// and the judgement, derived from the poll results so far. Plain data; exposition reads it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "config/config.h"
#include "derive/histogram.h"
#include "derive/risk.h"
#include "derive/serving.h"
#include "derive/signals.h"
#include "snapshot/kernel.h"
#include "snapshot/poll.h"
#include "snapshot/probe_figures.h"

namespace rte {

// Buckets of redis_timeout_ping_rtt_seconds: 100 µs (loopback) to 10 s (a hung server).
inline const std::vector<double> kPingBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                 0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                 1,      2.5,     5,      10};

// The latency probes' figures as exported: the cumulative histogram of every PING and the
// quantiles of the latency window.
struct LatencyFigures {
  Histogram ping_rtt{kPingBuckets};
  std::optional<double> window_p50, window_p99, window_max;
  std::optional<double> window_tail;        // the risk model's tail (LatencyWindow::TailSeconds)
  size_t window_samples = 0;                // PING round trips in the latency window
  std::optional<double> large_payload_p50;  // median large-payload ECHO in the window
};

struct TargetReport {
  TargetConfig config;
  bool up = false;
  // "master" or "replica" (INFO replication) as last seen; empty until a poll succeeded.
  std::string role;
  std::optional<PollError> last_error;  // why the newest poll failed; absent while up
  std::optional<double> last_success_wall;
  std::optional<double> poll_duration_seconds;
  std::map<PollStage, double> poll_errors;    // stage → count, every stage present
  std::map<OptionalCommand, bool> supported;  // known after the first successful contact
  std::optional<RedisSignals> signals;        // present while the target is up
  std::optional<SlowlogTotals> slowlog;       // present once the slowlog could be read
  // Slowlog entries first seen within the judged window, newest first (at most 5).
  std::vector<SlowlogEntry> recent_slowlog;
  std::int64_t slowlog_lost_this_poll = 0;  // entries that came and went since the last poll
  ProbeFigures probe;  // cumulative counters and the last connect figures (rtts emptied)
  LatencyFigures latency;
  // Accept queue of the target's listening socket; only for targets on this host.
  std::optional<ListenQueue> listen_queue;
  std::optional<double> swap_bytes;  // the Redis process's VmSwap; only for targets on this host
  // Whether the target serves its clients; judged from the newest poll and probes, also while
  // the poll fails with a not-serving reply (BUSY, LOADING, MASTERDOWN).
  ServingState serving;
  // The Redis process's cgroup memory limit; only for targets on this host that have one.
  std::optional<double> cgroup_memory_limit_bytes;
  // The memory limit that binds first (EffectiveMemoryLimit); absent while the target is down.
  std::optional<MemoryLimit> memory_limit;
  RiskAssessment risk;
};

}  // namespace rte
