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
#include "config/config.h"

namespace rte {

enum class Cause { kPool, kNetwork, kMemory, kSlowlog, kBacklog };
inline constexpr std::array<Cause, 5> kCauses = {Cause::kPool, Cause::kNetwork, Cause::kMemory,
                                                 Cause::kSlowlog, Cause::kBacklog};
const char* CauseName(Cause cause);

// Risk levels shared by the alert rules, the triage exit code and the /triage page.
inline constexpr double kWarnRisk = 0.5;
inline constexpr double kCritRisk = 0.8;

// What one poll contributes to the risk model: plain numbers, cumulative counters as read.
struct RiskSample {
  Nanos at = 0;
  bool up = false;               // the poll succeeded
  bool poll_timed_out = false;   // connected but Redis did not answer in time
  // pool
  std::optional<double> connected_clients, maxclients, rejected_connections_total;
  std::optional<double> connections_received_total;
  std::map<std::string, std::pair<double, double>> pools;  // name → (connections, size)
  double connect_max_clients_total = 0;                    // fresh-connect probe refusals
  double connect_timeouts_total = 0;
  std::optional<double> connect_duration;
  std::optional<double> connect_tcp_duration;  // the TCP handshake part of it
  // network
  std::optional<double> ping_p50, ping_p99, ping_max;
  double ping_failures_total = 0;
  double ping_timeouts_total = 0;
  std::optional<double> tcp_rtt;
  // memory
  std::optional<double> used_memory, maxmemory, system_memory, oom_errors_total;
  std::optional<double> evicted_keys_total, keys_with_expiry;
  std::optional<std::string> policy;
  // slowlog: cumulative over the exporter's life; per-command seconds of new entries
  std::optional<double> slowlog_seconds_total;
  std::optional<double> slowlog_longest_new;  // longest entry first seen in this poll
  std::map<std::string, double> slowlog_seconds_by_command;
  std::optional<double> commands_usec_total;  // INFO commandstats, all commands
  // backlog
  bool local = false;
  std::optional<double> queue_length, queue_max, tcp_backlog, somaxconn;
  std::optional<double> listen_overflows_total;  // host-wide
};

struct CauseRisk {
  Cause cause = Cause::kPool;
  std::optional<double> risk;      // absent: cannot be measured for this target
  std::string missing_reason;      // why it is absent (bounded set, see docs/risk.md)
  std::vector<std::string> evidence;
  std::string fix;
};

struct RiskAssessment {
  std::array<CauseRisk, 5> causes;
  bool reachable = false;  // the newest poll succeeded
  const CauseRisk& Get(Cause c) const { return causes[static_cast<size_t>(c)]; }
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
