// The triage command's text and JSON rendered from hand-built verdicts: the unreachable line and
// error object, the causes not judged while down as one line, recent slowlog, exit code.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "exposition/triage_report.h"
#include "target_reports.h"

using namespace rte;
using namespace rte::testing;

namespace {

// The lines of the text output from `name`'s header up to the next blank line.
std::vector<std::string> Block(const std::string& text, const std::string& name) {
  std::vector<std::string> out;
  const size_t begin = text.find("\n" + name + " (");
  if (begin == std::string::npos) return out;
  size_t at = begin + 1;
  while (at < text.size()) {
    const size_t end = text.find('\n', at);
    const std::string line = text.substr(at, end - at);
    if (line.empty()) break;
    out.push_back(line);
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return out;
}

std::shared_ptr<TargetReport> AuthFailed() {
  auto r = MakeReport("sessions", {}, /*up=*/false, /*age=*/std::nullopt);
  r->last_error =
      PollError{PollStage::kAuth,
                "authentication failed: the server refused the username/password (WRONGPASS)"};
  return r;
}

}  // namespace

TEST_CASE("triage text: an unreachable target says why under its header", "[triage]") {
  const std::string text = RenderTriageText(
      TriageRunVerdict({AuthFailed(), MakeReport("cache", {{Cause::kPool, 0.1}})}, {"sessions"}));
  INFO(text);
  const std::vector<std::string> block = Block(text, "sessions");
  REQUIRE(block.size() == 3);
  CHECK(block[0] == "sessions (127.0.0.1:6379) - UNREACHABLE");
  CHECK(block[1] ==
        "  unreachable (auth): authentication failed: the server refused the username/password "
        "(WRONGPASS)");
  // Five "not judged" lines would say one thing five times: one line names them all.
  CHECK(block[2] == std::string("  pool, network, memory, slowlog, backlog: ") +
                        MissingReasonText(MissingReason::kTargetDown));
  CHECK_THAT(text, Catch::StartsWith("redis-timeout-exporter triage: 2 target(s), 2 s of "
                                     "samples, 2023-11-14 22:13:20 UTC\n"));
  CHECK_THAT(text, Catch::EndsWith(
                       "\nexit code 3 (0 ok, 1 warn, 2 critical, 3 unreachable or not serving)\n"));
  // The reachable target has no error line.
  CHECK_THAT(Block(text, "cache")[1], Catch::StartsWith("  1. pool"));
}

TEST_CASE("triage text: judged causes and other reasons stay one per line", "[triage]") {
  auto r = MakeReport("full", {{Cause::kPool, 1.0}, {Cause::kBacklog, 0.0}}, /*up=*/false);
  r->last_error = PollError{PollStage::kConnect,
                            "connection refused by Redis: max number of clients reached "
                            "(maxclients)"};
  r->risk.Get(Cause::kSlowlog).missing_reason = MissingReason::kSlowlogRefused;
  const std::string text = RenderTriageText(TriageRunVerdict({r}, {}));
  INFO(text);
  const std::vector<std::string> block = Block(text, "full");
  REQUIRE(block.size() == 9);
  CHECK(block[0] == "full (127.0.0.1:6379) - CRITICAL: pool");
  CHECK(block[1] ==
        "  newest poll failed (connect): connection refused by Redis: max number of clients "
        "reached (maxclients)");
  CHECK(block[2] == "  1. pool     1.00 CRITICAL");
  CHECK(block[3] == "       - evidence of pool");
  CHECK(block[4] == "       fix: fix for pool");
  CHECK(block[5] == "  2. backlog  0.00 ok");
  CHECK(block[6] == "       - evidence of backlog");
  CHECK(block[7] ==
        std::string("  3. slowlog   --  ") + MissingReasonText(MissingReason::kSlowlogRefused));
  CHECK(block[8] ==
        std::string("  network, memory: ") + MissingReasonText(MissingReason::kTargetDown));
  CHECK_THAT(text, Catch::Contains("exit code 2"));
}

TEST_CASE("triage text: headline per state, recent slowlog and staleness", "[triage]") {
  auto slow = MakeReport("slow", {{Cause::kSlowlog, 0.6}});
  slow->recent_slowlog = {{7, 1'699'999'990, 400'000, "debug"}, {6, 1'699'999'980, 80'000, "eval"}};
  auto stale = MakeReport("stale", {{Cause::kPool, 0.1}}, /*up=*/true, /*age=*/300.0);
  const std::string text =
      RenderTriageText(TriageRunVerdict({slow, stale, MakeReport("new", {})}, {}));
  INFO(text);
  CHECK(Block(text, "slow")[0] == "slow (127.0.0.1:6379) - WARN: slowlog");
  CHECK(Block(text, "slow").back() ==
        "  recent slowlog: debug 0.400 s (10 s ago); eval 0.080 s (20 s ago)");
  CHECK(Block(text, "stale")[0] == "stale (127.0.0.1:6379) - OK: no cause near a timeout");
  CHECK(Block(text, "stale")[1] == "  data 5 min old (STALE)");
  CHECK(Block(text, "new")[0] == "new (127.0.0.1:6379) - UNKNOWN: no cause could be judged yet");
  CHECK_THAT(text, Catch::Contains("exit code 1"));
}

TEST_CASE("triage JSON: the error per target, null while the newest poll worked", "[triage]") {
  auto slow = MakeReport("cache", {{Cause::kPool, 0.2}, {Cause::kSlowlog, 0.9}});
  slow->recent_slowlog = {{7, 1'699'999'990, 400'000, "debug"}};
  const auto doc =
      nlohmann::json::parse(RenderTriageJson(TriageRunVerdict({slow, AuthFailed()}, {"sessions"})));
  INFO(doc.dump(2));
  CHECK(doc["exit_code"] == 3);
  CHECK(doc["generated_at"] == "2023-11-14 22:13:20 UTC");
  CHECK(doc["duration_seconds"] == 2);
  CHECK(doc["counts"] == nlohmann::json{{"down", 1},
                                        {"not_serving", 0},
                                        {"critical", 1},
                                        {"warn", 0},
                                        {"ok", 0},
                                        {"unknown", 0}});
  REQUIRE(doc["targets"].size() == 2);

  const auto& down = doc["targets"][0];
  CHECK(down["name"] == "sessions");
  CHECK(down["address"] == "127.0.0.1:6379");
  CHECK(down["state"] == "down");
  CHECK(down["reachable"] == false);
  CHECK(down["up"] == false);
  CHECK(down["max_risk"].is_null());
  CHECK(down["error"] ==
        nlohmann::json{{"stage", "auth"},
                       {"message",
                        "authentication failed: the server refused the username/password "
                        "(WRONGPASS)"}});
  CHECK(down["last_success"].is_null());
  CHECK(down["data_age_seconds"].is_null());
  // A machine gets all five causes every time; the collapse is for people.
  REQUIRE(down["causes"].size() == 5);
  CHECK(down["causes"][0]["missing_reason"] == "target_down");
  CHECK(down["causes"][0]["risk"].is_null());
  CHECK(down["not_judged_while_down"] ==
        nlohmann::json{"pool", "network", "memory", "slowlog", "backlog"});

  const auto& up = doc["targets"][1];
  CHECK(up["state"] == "critical");
  CHECK(up["reachable"] == true);
  CHECK(up["error"].is_null());
  CHECK(up["max_risk"] == 0.9);
  CHECK(up["last_success"] == "2023-11-14 22:13:19 UTC");
  CHECK(up["data_age_seconds"] == 1.0);
  CHECK(up["stale"] == false);
  CHECK(up["causes"][0]["cause"] == "slowlog");
  CHECK(up["causes"][0]["level"] == "critical");
  CHECK(up["causes"][0]["fix"] == "fix for slowlog");
  CHECK(up["causes"][0]["evidence"] == nlohmann::json{"evidence of slowlog"});
  CHECK(up["not_judged_while_down"].empty());
  CHECK(up["recent_slowlog"] == nlohmann::json::parse(R"([{"id": 7, "command": "debug",
      "duration_seconds": 0.4, "unix_time": 1699999990}])"));
}

TEST_CASE("triage JSON: bytes that are not UTF-8 do not break the output", "[triage]") {
  auto r = MakeReport("odd", {}, /*up=*/false);
  r->last_error = PollError{PollStage::kProtocol,
                            "protocol error: the reply is not valid RESP "
                            "(\xff\xfe); is this port really Redis?"};
  std::string json;
  REQUIRE_NOTHROW(json = RenderTriageJson(TriageRunVerdict({r}, {"odd"})));
  const auto doc = nlohmann::json::parse(json);
  CHECK(doc["targets"][0]["error"]["stage"] == "protocol");
  CHECK_THAT(doc["targets"][0]["error"]["message"].get<std::string>(),
             Catch::Contains("is this port really Redis?"));
}
