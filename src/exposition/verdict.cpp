// BuildVerdict and the time formats every triage output shares.
#include "exposition/verdict.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

namespace rte {
namespace {

// Three missed polls: the poller is stuck or slow, so the judgements shown are not current. The
// second of slack keeps a short poll_interval from flapping on scheduling jitter.
constexpr double kStalePolls = 3;
constexpr double kStaleSlackSeconds = 1;

std::optional<double> MaxRisk(const RiskAssessment& risk) {
  std::optional<double> max;
  for (const CauseRisk& c : risk.causes) {
    if (c.risk && (!max || *c.risk > *max)) max = c.risk;
  }
  return max;
}

TargetState StateOf(bool down, bool serving, const std::optional<double>& max_risk) {
  if (!serving) return TargetState::kNotServing;
  if (down) return TargetState::kDown;
  switch (LevelOf(max_risk)) {
    case RiskLevel::kCritical:
      return TargetState::kCritical;
    case RiskLevel::kWarn:
      return TargetState::kWarn;
    case RiskLevel::kOk:
      return TargetState::kOk;
    case RiskLevel::kUnknown:
      return TargetState::kUnknown;
  }
  return TargetState::kUnknown;
}

// Sort key, larger is worse: down first, then not serving, then the highest risk; unjudged
// targets last.
double Badness(const TargetVerdict& t) {
  if (t.state == TargetState::kDown) return 3;
  if (t.state == TargetState::kNotServing) return 2;
  return t.max_risk.value_or(-1);
}

TargetVerdict Judge(const TargetReport& r, const VerdictInput& input) {
  TargetVerdict t;
  t.name = r.config.name;
  t.address = r.config.endpoint.ToString();
  t.up = r.up;
  t.max_risk = MaxRisk(r.risk);
  const bool down = input.never_reached
                        ? std::find(input.never_reached->begin(), input.never_reached->end(),
                                    r.config.name) != input.never_reached->end()
                        : !r.up && r.last_error.has_value();
  // A poll refused with BUSY or LOADING failed, but the target answered: not serving says more.
  t.state = StateOf(down, r.serving.serving(), t.max_risk);
  t.not_serving = r.serving.reason;
  t.not_serving_detail = r.serving.detail;
  for (const CauseRisk* c : RankCauses(r.risk)) {
    t.causes.push_back(
        {c->cause, LevelOf(c->risk), c->risk, c->missing_reason, c->evidence, c->fix});
    if (t.causes.back().NotJudgedWhileDown()) t.not_judged_while_down.push_back(c->cause);
  }
  t.error = r.last_error;
  t.last_success_wall = r.last_success_wall;
  t.poll_interval = r.config.poll_interval;
  t.cluster = r.config.cluster;
  t.role = r.role;
  if (r.last_success_wall) {
    t.data_age_seconds = std::max(0.0, input.generated_at - *r.last_success_wall);
    t.stale = r.up && *t.data_age_seconds >
                          kStalePolls * ToSeconds(r.config.poll_interval) + kStaleSlackSeconds;
  }
  t.recent_slowlog = r.recent_slowlog;
  return t;
}

}  // namespace

const char* TargetStateName(TargetState state) {
  switch (state) {
    case TargetState::kDown:
      return "down";
    case TargetState::kNotServing:
      return "not_serving";
    case TargetState::kCritical:
      return "critical";
    case TargetState::kWarn:
      return "warn";
    case TargetState::kOk:
      return "ok";
    case TargetState::kUnknown:
      return "unknown";
  }
  return "unknown";
}

int ExitCodeOf(TargetState state) {
  switch (state) {
    case TargetState::kDown:
    case TargetState::kNotServing:
      return 3;
    case TargetState::kCritical:
      return 2;
    case TargetState::kWarn:
      return 1;
    case TargetState::kOk:
    case TargetState::kUnknown:
      return 0;
  }
  return 0;
}

TriageVerdict BuildVerdict(const VerdictInput& input) {
  TriageVerdict v;
  v.generated_at = input.generated_at;
  v.sampled_seconds = input.sampled_seconds;
  for (const auto& r : input.reports) {
    if (r) v.targets.push_back(Judge(*r, input));
  }
  for (const DiscoveryStatus& d : input.discoveries) {
    v.clusters.push_back(JudgeCluster(d, input.generated_at));
  }
  std::stable_sort(v.targets.begin(), v.targets.end(),
                   [](const TargetVerdict& a, const TargetVerdict& b) {
                     if (a.cluster != b.cluster) return a.cluster < b.cluster;
                     const double ba = Badness(a), bb = Badness(b);
                     if (ba != bb) return ba > bb;
                     return a.name < b.name;
                   });
  for (const TargetVerdict& t : v.targets) {
    ++v.counts[static_cast<size_t>(t.state)];
    v.exit_code = std::max(v.exit_code, ExitCodeOf(t.state));
  }
  return v;
}

ClusterVerdict JudgeCluster(const DiscoveryStatus& d, double now) {
  ClusterVerdict c;
  c.name = d.name;
  c.type = d.type;
  if (d.cluster) {
    const ClusterHealth& h = *d.cluster;
    c.failover_in_progress = h.failover_in_progress;
    c.evidence.push_back(h.state_ok ? "cluster_state ok"
                                    : "cluster_state fail: the cluster refuses commands "
                                      "(CLUSTERDOWN) until every slot is served");
    if (h.slots_uncovered > 0) {
      c.evidence.push_back(fmt::format("{} of {} hash slots not served by a healthy master",
                                       h.slots_uncovered, kClusterSlots));
    }
    c.evidence.push_back(
        fmt::format("nodes: {} ok, {} pfail, {} fail", h.nodes_ok, h.nodes_pfail, h.nodes_fail));
    for (const std::string& m : h.failing_masters) {
      c.evidence.push_back(fmt::format(
          "failover in progress: master {} is flagged failing and still holds slots; its "
          "clients wait cluster-node-timeout until a replica takes over",
          m));
    }
  }
  if (d.sentinel) {
    const SentinelHealth& h = *d.sentinel;
    c.evidence.push_back(
        fmt::format("sentinels: {} agree on master {}, {} disagree, {} unreachable", h.agree,
                    h.master ? h.master->host + ":" + std::to_string(h.master->port) : "(none)",
                    h.disagree, h.unreachable));
  }
  if (d.failovers_total > 0) {
    c.evidence.push_back(
        fmt::format("{:.0f} failover(s) seen since the exporter started", d.failovers_total));
  }
  if (d.last_success_wall > 0) {
    c.evidence.push_back(fmt::format("{} target(s) found, last refresh {} ago", d.targets,
                                     FormatAge(now - d.last_success_wall)));
  } else {
    c.evidence.push_back("no refresh has succeeded yet");
  }
  if (!d.last_error.empty()) c.evidence.push_back("last error: " + d.last_error);
  return c;
}

const ClusterVerdict* FindCluster(const TriageVerdict& verdict, const std::string& name) {
  for (const ClusterVerdict& c : verdict.clusters) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string FormatUtc(double unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string FormatAge(double seconds) {
  seconds = std::max(0.0, seconds);
  if (seconds < 10) return fmt::format("{:.1f} s", seconds);
  if (seconds < 120) return fmt::format("{:.0f} s", seconds);
  if (seconds < 2 * 3600) return fmt::format("{:.0f} min", seconds / 60);
  if (seconds < 2 * 86400) return fmt::format("{:.0f} h", seconds / 3600);
  return fmt::format("{:.0f} d", seconds / 86400);
}

}  // namespace rte
