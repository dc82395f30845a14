// Hand-built TargetReports for the unit tests of the triage verdict and its renderers.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "derive/target_report.h"
#include "exposition/verdict.h"

namespace rte::testing {

inline constexpr double kNow = 1'700'000'000.0;  // 2023-11-14 22:13:20 UTC

using Risks = std::map<Cause, std::optional<double>>;

// A target whose causes carry `risks`, with one evidence line and a fix on every judged cause
// so tests can see where they are shown. A cause absent from the map is not judged: no_samples
// while up, target_down while down. A down target's newest poll failed with a refused connect
// (override last_error for other cases); `age` is how long ago its last poll succeeded.
inline std::shared_ptr<TargetReport> MakeReport(const std::string& name, const Risks& risks,
                                                bool up = true, std::optional<double> age = 1.0) {
  auto r = std::make_shared<TargetReport>();
  r->config.name = name;
  r->config.endpoint.host = "127.0.0.1";
  r->config.endpoint.port = 6379;
  r->config.poll_interval = std::chrono::seconds(5);
  r->up = up;
  if (!up) {
    r->last_error = PollError{PollStage::kConnect,
                              "connection refused: nothing listens on 127.0.0.1:6379 (Redis "
                              "stopped, wrong port, or bound to another address)"};
  }
  if (age) r->last_success_wall = kNow - *age;
  r->risk.reachable = up;
  for (size_t i = 0; i < kCauses.size(); ++i) {
    CauseRisk& c = r->risk.causes[i];
    c.cause = kCauses[i];
    auto it = risks.find(kCauses[i]);
    if (it != risks.end() && it->second) {
      c.risk = it->second;
      c.evidence = {std::string("evidence of ") + CauseName(kCauses[i])};
      c.fix = std::string("fix for ") + CauseName(kCauses[i]);
    } else {
      c.missing_reason = up ? MissingReason::kNoSamples : MissingReason::kTargetDown;
    }
  }
  return r;
}

// The daemon's verdict (no never_reached list) at kNow.
inline TriageVerdict DaemonVerdict(
    const std::vector<std::shared_ptr<const TargetReport>>& reports) {
  VerdictInput input;
  input.reports = reports;
  input.generated_at = kNow;
  return BuildVerdict(input);
}

// The triage command's verdict at kNow after a 2 s run; `never_reached` as the command finds it.
inline TriageVerdict TriageRunVerdict(
    const std::vector<std::shared_ptr<const TargetReport>>& reports,
    std::vector<std::string> never_reached) {
  VerdictInput input;
  input.reports = reports;
  input.generated_at = kNow;
  input.sampled_seconds = 2;
  input.never_reached = std::move(never_reached);
  return BuildVerdict(input);
}

}  // namespace rte::testing
