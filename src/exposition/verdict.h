// The one verdict every triage output shows: per target its state, its causes ranked, why it
// cannot be polled and how old its data is, targets worst first. Built once from the reports;
// the `triage` text and JSON and the /triage page only format it.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "derive/discovery_health.h"
#include "derive/target_report.h"

namespace rte {

// A target as a whole. Down beats every judgement: a target that does not answer is timing out
// now, whatever its causes say. Not serving comes next: the target answers the exporter but
// fails or holds the application's commands (loading, BUSY, MASTERDOWN, writes paused).
enum class TargetState { kDown, kNotServing, kCritical, kWarn, kOk, kUnknown };
inline constexpr std::array<TargetState, 6> kTargetStates = {
    TargetState::kDown, TargetState::kNotServing, TargetState::kCritical,
    TargetState::kWarn, TargetState::kOk,         TargetState::kUnknown};
// "down", "not_serving", "critical", "warn", "ok", "unknown"
const char* TargetStateName(TargetState state);

// The triage exit code of one state: 0 ok (and unknown: nothing to act on yet), 1 warn,
// 2 critical, 3 down or not serving. The run's code is the highest over its targets.
int ExitCodeOf(TargetState state);

struct CauseVerdict {
  Cause cause = Cause::kPool;
  RiskLevel level = RiskLevel::kUnknown;
  std::optional<double> risk;                           // absent: not judged
  MissingReason missing_reason = MissingReason::kNone;  // why it is absent
  std::vector<std::string> evidence;
  std::string fix;
  // People get these as one line per target (TargetVerdict::not_judged_while_down).
  bool NotJudgedWhileDown() const { return missing_reason == MissingReason::kTargetDown; }
};

struct TargetVerdict {
  std::string name;
  std::string address;  // the configured endpoint: host:port or unix://path, no credentials
  std::string cluster;  // the discovery that found it; empty for a static target
  std::string role;     // master or replica as last seen; empty before a successful poll
  TargetState state = TargetState::kUnknown;
  bool up = false;  // the newest poll succeeded
  std::optional<double> max_risk;
  // All five causes, highest risk first, the unjudged last (RankCauses).
  std::vector<CauseVerdict> causes;
  // The causes not judged only because the target is down, in `causes` order. People get them
  // as one line: five items that all say "the target did not answer" would push the other
  // targets below the fold of a phone.
  std::vector<Cause> not_judged_while_down;
  // Why the newest poll failed, as upstream worded it (never a secret); absent while up and
  // before the first poll has finished.
  std::optional<PollError> error;
  // Why the target does not serve, and the words for it; kNone while it serves.
  NotServing not_serving = NotServing::kNone;
  std::string not_serving_detail;
  std::optional<double> last_success_wall;  // Unix seconds
  std::optional<double> data_age_seconds;   // since the last successful poll, never negative
  bool stale = false;  // up, but more than three polls missed: the judgements are not current
  Duration poll_interval{};
  // Slowlog entries first seen within the judged window, newest first.
  std::vector<SlowlogEntry> recent_slowlog;
};

// A cluster or sentinel group (a discovery) as a heading over its targets.
struct ClusterVerdict {
  std::string name;
  std::string type;  // cluster, sentinel, file
  // A failover is under way or the cluster refuses commands: its clients time out now.
  bool failover_in_progress = false;
  std::vector<std::string> evidence;  // cluster_state, slots, nodes, sentinels, last refresh
};

struct TriageVerdict {
  double generated_at = 0;               // Unix seconds
  double sampled_seconds = 0;            // how long the triage run sampled; 0 for the daemon's page
  std::vector<TargetVerdict> targets;    // grouped by cluster (static first), worst first in each
  std::vector<ClusterVerdict> clusters;  // by name
  std::array<int, kTargetStates.size()> counts{};  // targets per state, indexed by TargetState
  int exit_code = 0;
  int Count(TargetState state) const { return counts[static_cast<size_t>(state)]; }
};

struct VerdictInput {
  std::vector<std::shared_ptr<const TargetReport>> reports;
  std::vector<DiscoveryStatus> discoveries;
  double generated_at = 0;  // Unix seconds; data ages are measured against it
  double sampled_seconds = 0;
  // Set by the triage run: the targets no poll reached during it, the only ones down there. A
  // target that answered at some point (or refused with "max number of clients reached") is
  // judged by its causes, which say more than "down". Unset for the daemon's page, where a
  // target is down while its newest poll fails.
  std::optional<std::vector<std::string>> never_reached;
};

// Grouped by cluster (static targets first), then worst first: down targets, then by highest
// risk (unjudged last); ties by name.
TriageVerdict BuildVerdict(const VerdictInput& input);

// The heading of a discovery's targets: its health in words.
ClusterVerdict JudgeCluster(const DiscoveryStatus& discovery, double now);
// The ClusterVerdict of `name` in `verdict`, or null.
const ClusterVerdict* FindCluster(const TriageVerdict& verdict, const std::string& name);

// "2023-11-14 22:13:20 UTC".
std::string FormatUtc(double unix_seconds);
// "0.4 s", "42 s", "7 min", "3 h", "2 d": precise when fresh, coarse when old; a negative age
// (the wall clock stepped back) reads as 0.
std::string FormatAge(double seconds);

}  // namespace rte
