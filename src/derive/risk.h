// The timeout-risk model: per target and cause, a value from 0 (no sign of this cause) to 1
// (timeouts from it are happening or imminent), with the evidence and the fix that applies.
// Pure: a window of per-poll samples and the thresholds in, judgements out. docs/risk.md has
// the formulas and their reasoning.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/maybe_double.h"
#include "config/config.h"

namespace rte {

enum class Cause { kPool, kNetwork, kMemory, kSlowlog, kBacklog };
inline constexpr std::array<Cause, 5> kCauses = {Cause::kPool, Cause::kNetwork, Cause::kMemory,
                                                 Cause::kSlowlog, Cause::kBacklog};
const char* CauseName(Cause cause);
inline constexpr size_t CauseIndex(Cause cause) { return static_cast<size_t>(cause); }

// Why a cause cannot be judged for a target. The name is the `reason` label of
// risk_missing_info; the text is what the triage output and page say.
enum class MissingReason {
  kNone,                    // judged
  kNoSamples,               // no poll or probe has finished yet
  kTargetDown,              // the newest poll failed
  kMaxclientsUnknown,       // maxclients unreadable and no pool with a size
  kSlowlogRefused,          // SLOWLOG GET refused (renamed, ACL, managed Redis)
  kNotLocal,                // the target listens on another host
  kListenQueueUnavailable,  // its listening socket was not found in the kernel's dump
};
inline constexpr std::array<MissingReason, 6> kMissingReasons = {
    MissingReason::kNoSamples,         MissingReason::kTargetDown,
    MissingReason::kMaxclientsUnknown, MissingReason::kSlowlogRefused,
    MissingReason::kNotLocal,          MissingReason::kListenQueueUnavailable};
const char* MissingReasonName(MissingReason reason);
const char* MissingReasonText(MissingReason reason);

// The numbers of the model, by the names docs/risk.md uses.
// An evicting policy makes room instead of failing writes: memory risk is capped at this.
inline constexpr double kEvictingMemoryRiskCap = 0.4;
// The p50-over-budget component needs this many PINGs in the window: a median of a handful
// (the first seconds, a loaded exporter host) is one slow sample, not a slow path.
inline constexpr size_t kLatencyBudgetMinSamples = 10;
// A PING p50 over budget is a slow path, never on its own a page: capped at this.
inline constexpr double kLatencyBudgetRiskCap = 0.6;
// The p50 component warns at this multiple of latency_budget and is critical at the second.
inline constexpr double kLatencyBudgetWarnMultiple = 2;
inline constexpr double kLatencyBudgetCritMultiple = 20;
// The server counts as blocked when slow commands filled at least this share of the window...
inline constexpr double kBlockedBusyShare = 0.5;
// ...or one slow command took at least this share of client_timeout.
inline constexpr double kBlockedLongestShare = 0.8;
// A fresh connect whose TCP handshake took this long needed a SYN retransmit (the first
// retransmit comes after 1 s).
inline constexpr double kSynRetransmitSeconds = 0.9;
// TCP retransmits of the probe socket in the window: the count that warns, and that is critical.
inline constexpr double kRetransmitsWarn = 2;
inline constexpr double kRetransmitsCrit = 10;
// A large-payload round trip this many times the small one (and over latency_budget) is a
// path that stalls big packets: an MTU black hole or a lossy link.
inline constexpr double kLargePayloadSlowMultiple = 10;
// A PING tail over latency_budget and this many times the probe socket's kernel TCP RTT is
// delay the TCP path did not add: a busy server, or a proxy in between (evidence only).
inline constexpr double kPingOverTcpRttMultiple = 10;
// A Redis process with this much of its memory in swap stalls on page faults: blocking warns.
inline constexpr double kSwapWarnBytes = 64.0 * 1024 * 1024;
// The least time Redis' event loop takes to come back to accept() during a connection storm:
// one turn accepts up to 1,000 connections (MAX_ACCEPTS_PER_CALL), each a client to set up
// (about 10 µs), before it serves what is ready.
inline constexpr double kMinAcceptLatencySeconds = 0.01;
// Host-wide ListenOverflows are blamed on a target whose own queue reached this fill.
inline constexpr double kOwnQueueFullRatio = 0.9;
// "Nearly every sample": a pool's busy and over-size figures count at the level they held in
// at least this share of the window's samples, so a burst or a deploy does not page.
inline constexpr double kPoolSustainedShare = 0.9;
// A pool or churn figure is sustained only once it held in at least this many polls: one poll
// (the first after the exporter starts, or a window of two samples) is a moment, not a state.
inline constexpr size_t kSustainedMinPolls = 3;
// Connection churn counts at the rate reached in at least this share of the window's poll
// intervals (the median): sustained, not one deploy's reconnects.
inline constexpr double kChurnSustainedShare = 0.5;
// Churn warns at connection_churn_warn_rate and climbs towards this multiple of it...
inline constexpr double kChurnCritMultiple = 10;
// ...but never pages on its own: a connection per request is slow and wasteful, and it turns
// into timeouts through the accept queue (backlog), which is judged there.
inline constexpr double kChurnRiskCap = 0.6;

// Risk levels shared by the alert rules, the triage exit code and the /triage page.
inline constexpr double kWarnRisk = 0.5;
inline constexpr double kCritRisk = 0.8;

// What one poll contributes to the risk model: plain numbers, cumulative counters as read.
struct RiskSample {
  Nanos at = 0;
  bool up = false;              // the poll succeeded
  bool poll_timed_out = false;  // connected but Redis did not answer in time
  // pool
  MaybeDouble connected_clients, maxclients, rejected_connections_total;
  MaybeDouble connections_received_total;
  struct Pool {
    double size = 0;              // declared, per instance
    double connections = 0;       // all instances
    double instances = 0;         // client hosts
    double largest_instance = 0;  // connections of the instance holding the most
    double busy = 0;              // busy connections of the busiest instance
  };
  std::map<std::string, Pool> pools;     // from the newest CLIENT LIST
  MaybeDouble median_client_age;         // CLIENT LIST, without the exporter's connections
  double connect_max_clients_total = 0;  // fresh-connect probe refusals
  MaybeDouble connect_tcp_duration;      // TCP handshake of the fresh-connect probe
  // network
  MaybeDouble ping_p50;
  // The window's p99, but never above the kTailMinSamples-th slowest round trip: with fewer
  // than 100 × kTailMinSamples samples a p99 is the maximum, and one slow PING (a scheduling
  // hiccup on the exporter's host) would hold the risk for a whole window.
  MaybeDouble ping_tail;
  size_t ping_samples = 0;  // round trips behind the quantiles
  double ping_timeouts_total = 0;
  MaybeDouble tcp_rtt;
  MaybeDouble tcp_retransmits_total;
  MaybeDouble large_payload_p50;  // ECHO of kLargePayloadBytes, window median
  double large_payload_timeouts_total = 0;
  // memory
  MaybeDouble used_memory, maxmemory, system_memory, oom_errors_total;
  MaybeDouble used_memory_rss;            // what the kernel charges the process
  MaybeDouble mem_not_counted_for_evict;  // replica/AOF buffers Redis leaves out
  MaybeDouble cgroup_memory_limit;        // the Redis process's cgroup (local)
  MaybeDouble evicted_keys_total, keys, keys_with_expiry;
  std::optional<std::string> policy;
  // blocking (the "slowlog" cause): every server-side witness of a stalled event loop
  MaybeDouble slowlog_threshold;      // CONFIG slowlog-log-slower-than (s); < 0: off
  bool slowlog_refused = false;       // SLOWLOG GET is refused (renamed, ACL)
  MaybeDouble command_seconds_total;  // INFO commandstats, all commands
  // The command with the longest average call since the previous poll (commandstats deltas):
  // a lower bound of its longest call.
  double command_longest_mean = 0;
  std::string command_longest_name;
  // The longest latency-monitor spike first seen in this poll, and its event class.
  double latency_spike_new = 0;
  std::string latency_spike_event;
  MaybeDouble latency_monitor_threshold;   // seconds; 0: off
  MaybeDouble forks_total, fork_duration;  // total_forks, latest_fork_usec (s)
  bool persistence_running = false;        // BGSAVE or AOF rewrite in progress
  MaybeDouble swap_bytes;                  // the Redis process's VmSwap (local)
  std::optional<std::string> thp_mode;     // the host's transparent huge pages
  // slowlog: cumulative over the exporter's life; per-command seconds of new entries
  MaybeDouble slowlog_seconds_total;
  MaybeDouble slowlog_longest_new;  // longest entry first seen in this poll
  std::map<std::string, double> slowlog_seconds_by_command;
  // backlog
  bool local = false;
  MaybeDouble queue_length, queue_max, tcp_backlog;
  MaybeDouble queue_peak;              // longest queue sampled since the previous kernel reading
  std::vector<int> other_full_ports;   // other listeners on the host seen nearly full
  MaybeDouble listen_overflows_total;  // host-wide
};

// The memory limit that binds first, and where it comes from (the memory_limit_info source).
enum class MemoryLimitSource { kMaxmemory, kCgroup, kSystem };
const char* MemoryLimitSourceName(MemoryLimitSource source);  // "maxmemory", "cgroup", "system"

struct MemoryLimit {
  double bytes = 0;
  MemoryLimitSource source = MemoryLimitSource::kSystem;
  bool operator==(const MemoryLimit&) const = default;
};

// The smallest of maxmemory (when set, i.e. > 0, and reachable), the cgroup's memory limit
// and the host's memory. A maxmemory above the cgroup limit or the host's memory is never
// reached: the kernel's OOM killer comes first, so it is no limit. Absent when none is known.
std::optional<MemoryLimit> EffectiveMemoryLimit(const std::optional<double>& maxmemory,
                                                const std::optional<double>& cgroup_limit,
                                                const std::optional<double>& system_memory);

struct CauseRisk {
  Cause cause = Cause::kPool;
  std::optional<double> risk;                           // absent: cannot be judged for this target
  MissingReason missing_reason = MissingReason::kNone;  // why it is absent
  std::vector<std::string> evidence;
  std::string fix;
};

struct RiskAssessment {
  std::array<CauseRisk, 5> causes;
  bool reachable = false;  // the newest poll succeeded
  const CauseRisk& Get(Cause c) const { return causes[CauseIndex(c)]; }
  CauseRisk& Get(Cause c) { return causes[CauseIndex(c)]; }
};

enum class RiskLevel { kOk, kWarn, kCritical, kUnknown };
RiskLevel LevelOf(const std::optional<double>& risk);
const char* LevelName(RiskLevel level);  // "ok", "warn", "critical", "unknown"

// The causes ordered for a reader: highest risk first, unjudged causes last.
std::vector<const CauseRisk*> RankCauses(const RiskAssessment& assessment);

// Piecewise-linear ramp: 0 up to warn/2, 0.5 at warn, 0.8 at crit, 1 at crit + (crit - warn).
double Ramp(double x, double warn, double crit);

// `window` holds the samples of the last risk_window, oldest first, newest last.
RiskAssessment AssessRisk(std::span<const RiskSample> window, const TargetConfig& target);

}  // namespace rte
