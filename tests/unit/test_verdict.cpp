// The triage verdict built from hand-made reports: target states and order, counts, exit codes,
// the poll error carried, the causes collapsed while down, data age, and the time formats.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "exposition/verdict.h"
#include "target_reports.h"

using namespace rte;
using namespace rte::testing;

namespace {

std::vector<std::string> Names(const TriageVerdict& v) {
  std::vector<std::string> out;
  for (const TargetVerdict& t : v.targets) out.push_back(t.name);
  return out;
}

std::vector<std::string> CauseNames(const std::vector<Cause>& causes) {
  std::vector<std::string> out;
  for (Cause c : causes) out.push_back(CauseName(c));
  return out;
}

}  // namespace

TEST_CASE("verdict: a target's state is its highest risk level, down above all", "[verdict]") {
  auto [description, report, state] =
      GENERATE(table<std::string, std::shared_ptr<TargetReport>, TargetState>({
          {"critical", MakeReport("t", {{Cause::kPool, 0.8}, {Cause::kMemory, 0.1}}),
           TargetState::kCritical},
          {"warn", MakeReport("t", {{Cause::kSlowlog, 0.5}}), TargetState::kWarn},
          {"ok", MakeReport("t", {{Cause::kNetwork, 0.4999}}), TargetState::kOk},
          {"nothing judged", MakeReport("t", {}), TargetState::kUnknown},
          {"newest poll failed, even with a critical cause",
           MakeReport("t", {{Cause::kNetwork, 1.0}}, /*up=*/false), TargetState::kDown},
      }));
  INFO(description);
  const TriageVerdict v = DaemonVerdict({report});
  REQUIRE(v.targets.size() == 1);
  CHECK(v.targets[0].state == state);
}

TEST_CASE("verdict: before the first poll has finished a target is not down", "[verdict]") {
  // The daemon publishes a report before its first poll: not up, but no poll has failed.
  auto fresh = MakeReport("fresh", {}, /*up=*/false, /*age=*/std::nullopt);
  fresh->last_error.reset();
  for (CauseRisk& c : fresh->risk.causes) c.missing_reason = MissingReason::kNoSamples;
  const TriageVerdict v = DaemonVerdict({fresh});
  CHECK(v.targets[0].state == TargetState::kUnknown);
  CHECK_FALSE(v.targets[0].error.has_value());
  CHECK(v.targets[0].not_judged_while_down.empty());
  CHECK(v.exit_code == 0);
}

TEST_CASE("verdict: the triage run calls down only the targets it never reached", "[verdict]") {
  // Answered "max number of clients reached": the newest poll failed, but the diagnosis is
  // pool, not down.
  auto full = MakeReport("full", {{Cause::kPool, 1.0}}, /*up=*/false);
  full->last_error = PollError{PollStage::kConnect,
                               "connection refused by Redis: max number of clients reached "
                               "(maxclients)"};
  auto gone = MakeReport("gone", {}, /*up=*/false, /*age=*/std::nullopt);
  const TriageVerdict v = TriageRunVerdict({full, gone}, {"gone"});
  CHECK(Names(v) == std::vector<std::string>{"gone", "full"});
  CHECK(v.targets[0].state == TargetState::kDown);
  CHECK(v.targets[1].state == TargetState::kCritical);
  // The failed poll is still said: it is why three causes are not judged.
  REQUIRE(v.targets[1].error.has_value());
  CHECK_THAT(v.targets[1].error->message, Catch::Contains("max number of clients"));
  CHECK(v.sampled_seconds == 2);
  CHECK(v.exit_code == 3);
}

TEST_CASE("verdict: targets worst first, ties by name, unjudged last", "[verdict]") {
  const TriageVerdict v = DaemonVerdict({
      MakeReport("a-ok", {{Cause::kPool, 0.1}, {Cause::kNetwork, 0.2}}),
      MakeReport("b-unjudged", {}),
      MakeReport("c-critical", {{Cause::kMemory, 0.95}}),
      MakeReport("z-down", {{Cause::kPool, 0.1}}, /*up=*/false),
      MakeReport("d-warn", {{Cause::kSlowlog, 0.6}, {Cause::kPool, 0.1}}),
      MakeReport("e-critical-worse", {{Cause::kBacklog, 1.0}}),
      MakeReport("f-ok-tie", {{Cause::kPool, 0.2}}),
      MakeReport("y-down", {}, /*up=*/false),
  });
  CHECK(Names(v) == std::vector<std::string>{"y-down", "z-down", "e-critical-worse", "c-critical",
                                             "d-warn", "a-ok", "f-ok-tie", "b-unjudged"});
  CHECK(v.Count(TargetState::kDown) == 2);
  CHECK(v.Count(TargetState::kCritical) == 2);
  CHECK(v.Count(TargetState::kWarn) == 1);
  CHECK(v.Count(TargetState::kOk) == 2);
  CHECK(v.Count(TargetState::kUnknown) == 1);
  CHECK(v.generated_at == kNow);
}

TEST_CASE("verdict: the exit code is the worst target's", "[verdict]") {
  using Reports = std::vector<std::shared_ptr<const TargetReport>>;
  auto [description, reports, code] = GENERATE(table<std::string, Reports, int>({
      {"no target", {}, 0},
      {"all ok", {MakeReport("a", {{Cause::kPool, 0.1}}), MakeReport("b", {})}, 0},
      {"one warn",
       {MakeReport("a", {{Cause::kPool, 0.1}}), MakeReport("b", {{Cause::kMemory, 0.6}})},
       1},
      {"one critical",
       {MakeReport("a", {{Cause::kPool, 0.9}}), MakeReport("b", {{Cause::kMemory, 0.6}})},
       2},
      {"one down", {MakeReport("a", {{Cause::kPool, 0.9}}), MakeReport("b", {}, /*up=*/false)}, 3},
  }));
  INFO(description);
  CHECK(DaemonVerdict(reports).exit_code == code);
  CHECK(ExitCodeOf(TargetState::kUnknown) == 0);
}

TEST_CASE("verdict: state names", "[verdict]") {
  std::vector<std::string> names;
  for (TargetState s : kTargetStates) names.push_back(TargetStateName(s));
  CHECK(names ==
        std::vector<std::string>{"down", "not_serving", "critical", "warn", "ok", "unknown"});
}

TEST_CASE("verdict: a down target carries why its newest poll failed", "[verdict]") {
  auto down = MakeReport("auth", {}, /*up=*/false);
  down->last_error =
      PollError{PollStage::kAuth,
                "authentication failed: the server refused the username/password (WRONGPASS)"};
  const TriageVerdict v = DaemonVerdict({down, MakeReport("fine", {{Cause::kPool, 0.1}})});
  REQUIRE(v.targets[0].error.has_value());
  CHECK(v.targets[0].error->stage == PollStage::kAuth);
  CHECK(v.targets[0].error->message == down->last_error->message);
  CHECK(v.targets[0].name == "auth");
  CHECK(v.targets[0].address == "127.0.0.1:6379");
  CHECK_FALSE(v.targets[0].up);
  CHECK_FALSE(v.targets[1].error.has_value());
  CHECK(v.targets[1].up);
}

TEST_CASE("verdict: causes not judged because the target is down are listed apart", "[verdict]") {
  auto down = MakeReport("down", {{Cause::kNetwork, 1.0}}, /*up=*/false);
  down->risk.Get(Cause::kBacklog).missing_reason = MissingReason::kNotLocal;
  const TriageVerdict v = DaemonVerdict({down});
  const TargetVerdict& t = v.targets[0];
  // Ranked as always: network judged, then the unjudged in cause order.
  std::vector<std::string> ranked;
  for (const CauseVerdict& c : t.causes) ranked.push_back(CauseName(c.cause));
  CHECK(ranked == std::vector<std::string>{"network", "pool", "memory", "slowlog", "backlog"});
  CHECK(CauseNames(t.not_judged_while_down) ==
        std::vector<std::string>{"pool", "memory", "slowlog"});
  CHECK_FALSE(t.causes[0].NotJudgedWhileDown());
  CHECK(t.causes[0].level == RiskLevel::kCritical);
  CHECK(t.causes[0].evidence == std::vector<std::string>{"evidence of network"});
  CHECK(t.causes[0].fix == "fix for network");
  CHECK_FALSE(t.causes[4].NotJudgedWhileDown());  // not_local: its own reason stays visible
  CHECK(t.max_risk == 1.0);

  const TriageVerdict up = DaemonVerdict({MakeReport("up", {{Cause::kPool, 0.3}})});
  CHECK(up.targets[0].not_judged_while_down.empty());
  CHECK(up.targets[0].max_risk == 0.3);
}

TEST_CASE("verdict: data age and staleness", "[verdict]") {
  auto [age, up, expected_age, stale] = GENERATE(table<double, bool, double, bool>({
      {1, true, 1, false},
      {-3, true, 0, false},   // wall clock stepped back
      {16, true, 16, false},  // poll_interval 5s: three polls and a second of slack
      {16.5, true, 16.5, true},
      {300, false, 300, false},  // down: the banner says it, not "stale"
  }));
  INFO("age " << age << " up " << up);
  const TriageVerdict v = DaemonVerdict({MakeReport("t", {{Cause::kPool, 0.1}}, up, age)});
  REQUIRE(v.targets[0].data_age_seconds.has_value());
  CHECK(*v.targets[0].data_age_seconds == expected_age);
  CHECK(v.targets[0].stale == stale);
  CHECK(v.targets[0].last_success_wall == kNow - age);
  CHECK(v.targets[0].poll_interval == std::chrono::seconds(5));
}

TEST_CASE("verdict: recent slowlog is carried as derive limited it", "[verdict]") {
  auto r = MakeReport("t", {{Cause::kSlowlog, 0.2}});
  r->recent_slowlog = {{7, 1'699'999'990, 400'000, "debug"}, {6, 1'699'999'980, 80'000, "eval"}};
  const TriageVerdict v = DaemonVerdict({r});
  REQUIRE(v.targets[0].recent_slowlog.size() == 2);
  CHECK(v.targets[0].recent_slowlog[0].command == "debug");
  CHECK(v.targets[0].recent_slowlog[1].id == 6);
}

TEST_CASE("verdict: one UTC time and one age format for every output", "[verdict]") {
  CHECK(FormatUtc(kNow) == "2023-11-14 22:13:20 UTC");
  CHECK(FormatUtc(kNow + 0.9) == "2023-11-14 22:13:20 UTC");
  auto [seconds, text] = GENERATE(table<double, std::string>({
      {-3, "0.0 s"},
      {0.44, "0.4 s"},
      {12, "12 s"},
      {119, "119 s"},
      {300, "5 min"},
      {7200, "2 h"},
      {3 * 86400, "3 d"},
  }));
  INFO(seconds);
  CHECK(FormatAge(seconds) == text);
}
