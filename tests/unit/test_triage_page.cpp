// The /triage page rendered from verdicts of hand-built TargetReports: ranking, levels, order of
// targets, escaping, why a down target cannot be polled and the words for unjudged causes.
#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "exposition/triage_page.h"
#include "target_reports.h"

using namespace rte;
using namespace rte::testing;

namespace {

std::string Render(const std::vector<std::shared_ptr<const TargetReport>>& reports) {
  return RenderTriagePage(DaemonVerdict(reports));
}

std::vector<std::string> Matches(const std::string& text, const std::string& pattern) {
  std::vector<std::string> out;
  const std::regex re(pattern);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it) {
    out.push_back((*it)[1].str());
  }
  return out;
}

// data-target values in page order.
std::vector<std::string> TargetOrder(const std::string& html) {
  return Matches(html, R"re(<section class="target" data-target="([^"]*)")re");
}

// The card of one target (its name as it appears escaped in the attribute).
std::string Card(const std::string& html, const std::string& escaped_name) {
  const std::string open = "<section class=\"target\" data-target=\"" + escaped_name + "\"";
  const size_t begin = html.find(open);
  if (begin == std::string::npos) return "";
  return html.substr(begin, html.find("</section>", begin) - begin);
}

// "cause:level" per li.cause of a card, in page order.
std::vector<std::string> CauseLevels(const std::string& card) {
  std::vector<std::string> out;
  const std::regex re(R"re(<li class="cause" data-cause="(\w+)" data-level="(\w+)")re");
  for (auto it = std::sregex_iterator(card.begin(), card.end(), re); it != std::sregex_iterator();
       ++it) {
    out.push_back((*it)[1].str() + ":" + (*it)[2].str());
  }
  return out;
}

// The <li class="cause"> element of one cause, up to the start of the next one.
std::string CauseItem(const std::string& card, const std::string& cause) {
  const size_t begin = card.find("data-cause=\"" + cause + "\"");
  if (begin == std::string::npos) return "";
  const size_t end = card.find("<li class=\"cause\"", begin);
  return card.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

}  // namespace

TEST_CASE("triage page ranks the causes of a target by risk, coloured by level", "[triage]") {
  using V = std::vector<std::string>;
  auto [description, risks, expected] = GENERATE(table<std::string, Risks, V>({
      {"one critical, one warn, one unknown",
       {{Cause::kPool, 0.93},
        {Cause::kNetwork, 0.1},
        {Cause::kMemory, 0.55},
        {Cause::kBacklog, 0.0}},
       {"pool:critical", "memory:warn", "network:ok", "backlog:ok", "slowlog:unknown"}},
      {"level boundaries are inclusive: 0.8 critical, 0.5 warn",
       {{Cause::kPool, 0.4999},
        {Cause::kNetwork, 0.5},
        {Cause::kMemory, 0.8},
        {Cause::kSlowlog, 0.7999},
        {Cause::kBacklog, 1.0}},
       {"backlog:critical", "memory:critical", "slowlog:warn", "network:warn", "pool:ok"}},
      {"equal risks keep the fixed cause order",
       {{Cause::kPool, 0.0},
        {Cause::kNetwork, 0.0},
        {Cause::kMemory, 0.0},
        {Cause::kSlowlog, 0.0},
        {Cause::kBacklog, 0.0}},
       {"pool:ok", "network:ok", "memory:ok", "slowlog:ok", "backlog:ok"}},
      {"nothing judged yet",
       {},
       {"pool:unknown", "network:unknown", "memory:unknown", "slowlog:unknown", "backlog:unknown"}},
      {"a judged 0 ranks above every unknown",
       {{Cause::kBacklog, 0.0}},
       {"backlog:ok", "pool:unknown", "network:unknown", "memory:unknown", "slowlog:unknown"}},
  }));
  INFO(description);
  const std::string html = Render({MakeReport("cache", risks)});
  CHECK(CauseLevels(Card(html, "cache")) == expected);
}

TEST_CASE("triage page prints each judged risk with two decimals", "[triage]") {
  const std::string card =
      Card(Render({MakeReport("cache", {{Cause::kPool, 0.934}, {Cause::kNetwork, 0.0}})}), "cache");
  CHECK_THAT(CauseItem(card, "pool"),
             Catch::Contains(R"(data-level="critical" data-risk="0.93")") &&
                 Catch::Contains(R"(<span class="risk">0.93</span>)"));
  CHECK_THAT(CauseItem(card, "network"), Catch::Contains(R"(data-risk="0.00")"));
  // An unjudged cause has no risk value at all: 0 would claim "no sign of this cause".
  CHECK_THAT(CauseItem(card, "memory"), !Catch::Contains("data-risk"));
}

TEST_CASE("triage page colours each level", "[triage]") {
  const std::string html = Render({MakeReport("cache", {{Cause::kPool, 0.9}})});
  // Colour per level lives in CSS keyed on data-level, so the hooks and the colours cannot
  // disagree; the level is also written out for readers who cannot tell red from green.
  CHECK_THAT(html, Catch::Contains("--crit:#b71c1c") && Catch::Contains("--warn:#8a5a00") &&
                       Catch::Contains("--ok:#1b5e20") && Catch::Contains("--unk:#555"));
  for (const char* level : {"critical", "warn", "ok", "unknown"}) {
    INFO(level);
    CHECK_THAT(html, Catch::Contains(std::string(".cause[data-level=") + level + "]{background:"));
  }
  CHECK_THAT(CauseItem(Card(html, "cache"), "pool"),
             Catch::Contains(R"(<span class="level">critical</span>)"));
}

TEST_CASE("triage page shows the fix only for warn and critical causes", "[triage]") {
  const std::string card =
      Card(Render({MakeReport(
               "cache", {{Cause::kPool, 0.9}, {Cause::kMemory, 0.6}, {Cause::kNetwork, 0.1}})}),
           "cache");
  CHECK_THAT(CauseItem(card, "pool"),
             Catch::Contains("evidence of pool") && Catch::Contains("<b>Fix</b>fix for pool"));
  CHECK_THAT(CauseItem(card, "memory"), Catch::Contains("<b>Fix</b>fix for memory"));
  // ok: evidence one tap away, no fix ("No action" would only add noise).
  CHECK_THAT(CauseItem(card, "network"), Catch::Contains("<details><summary>evidence</summary>") &&
                                             Catch::Contains("evidence of network") &&
                                             !Catch::Contains("fix for network"));
}

TEST_CASE("triage page explains in words why a cause is not judged", "[triage]") {
  // One text per reason, from the table the metrics' HELP uses too.
  const MissingReason reason = GENERATE(from_range(kMissingReasons.begin(), kMissingReasons.end()));
  auto r = MakeReport("cache", {{Cause::kPool, 0.1}});
  r->risk.Get(Cause::kBacklog).missing_reason = reason;
  const std::string card = Card(Render({r}), "cache");
  const std::string reason_hook = std::string("data-reason=\"") + MissingReasonName(reason) + "\"";
  INFO(card);
  if (reason == MissingReason::kTargetDown) {
    // Said once for all the causes it applies to, not once per cause.
    CHECK(CauseItem(card, "backlog").empty());
    CHECK_THAT(card, Catch::Contains("<p class=\"not-judged\" " + reason_hook +
                                     " data-causes=\"backlog\"><b>backlog</b>: " +
                                     MissingReasonText(reason) + "</p>"));
  } else {
    const std::string item = CauseItem(card, "backlog");
    CHECK_THAT(item, Catch::Contains(R"(data-level="unknown")") &&
                         Catch::Contains("<p class=\"missing\" " + reason_hook) &&
                         Catch::Contains(MissingReasonText(reason)));
    CHECK_THAT(card, !Catch::Contains("not-judged"));
  }
}

TEST_CASE("triage page escapes every string that comes from config or Redis", "[triage]") {
  auto r = MakeReport("<b>&\"'x", {{Cause::kSlowlog, 0.9}});
  auto& slowlog = r->risk.causes[static_cast<size_t>(Cause::kSlowlog)];
  slowlog.evidence = {"KEYS <script>alert(1)</script> took 2 s"};
  slowlog.fix = "use SCAN & not KEYS <pattern>";
  const std::string html = Render({r});
  const std::string escaped = "&lt;b&gt;&amp;&quot;&#39;x";
  CHECK(TargetOrder(html) == std::vector<std::string>{escaped});
  CHECK_THAT(html, Catch::Contains("<h2>" + escaped + " "));
  CHECK_THAT(html, Catch::Contains("KEYS &lt;script&gt;alert(1)&lt;/script&gt; took 2 s"));
  CHECK_THAT(html, Catch::Contains("use SCAN &amp; not KEYS &lt;pattern&gt;"));
  CHECK_THAT(html, !Catch::Contains("<b>&") && !Catch::Contains("<script"));
}

TEST_CASE("triage page never shows credentials, and an address only in a poll error", "[triage]") {
  auto up = MakeReport("cache", {{Cause::kPool, 0.2}});
  up->config.endpoint.host = "10.1.2.3";
  up->config.endpoint.port = 6380;
  auto down = MakeReport("sessions", {}, /*up=*/false);
  down->config.endpoint.host = "10.9.8.7";
  down->last_error = PollError{PollStage::kConnect,
                               "connection refused: nothing listens on 10.9.8.7:6390 (Redis "
                               "stopped, wrong port, or bound to another address)"};
  for (auto& r : {up, down}) {
    r->config.username = "svc-user";
    r->config.password.file = "/run/secrets/redis-pass";
    r->config.password.env_var = "REDIS_PASSWORD";
  }
  const std::string html = Render({up, down});
  for (const char* secret : {"10.1.2.3", "6380", "svc-user", "/run/secrets", "REDIS_PASSWORD"}) {
    INFO(secret);
    CHECK_THAT(html, !Catch::Contains(secret));
  }
  // Where nothing listens is the diagnosis itself, so the poll error keeps its address.
  CHECK_THAT(Card(html, "sessions"), Catch::Contains("nothing listens on 10.9.8.7:6390"));
}

TEST_CASE("triage page puts the worst target first", "[triage]") {
  const std::string html = Render({
      MakeReport("a-ok", {{Cause::kPool, 0.1}, {Cause::kNetwork, 0.2}}),
      MakeReport("b-unjudged", {}),
      MakeReport("c-critical", {{Cause::kMemory, 0.95}}),
      MakeReport("d-warn", {{Cause::kSlowlog, 0.6}, {Cause::kPool, 0.1}}),
      MakeReport("e-critical-worse", {{Cause::kBacklog, 1.0}}),
      MakeReport("f-ok-tie", {{Cause::kPool, 0.2}}),
  });
  CHECK(TargetOrder(html) == std::vector<std::string>{"e-critical-worse", "c-critical", "d-warn",
                                                      "a-ok", "f-ok-tie", "b-unjudged"});
  CHECK_THAT(html, Catch::Contains(R"(data-critical="2" data-warn="1" data-ok="2")"));
  CHECK_THAT(html, Catch::Contains("6 targets: 2 critical, 1 warn, 2 ok, 1 not judged yet"));
}

TEST_CASE("triage page flags an unreachable target above every critical one", "[triage]") {
  const std::string html = Render({
      MakeReport("busy", {{Cause::kPool, 0.99}}),
      MakeReport("gone", {{Cause::kNetwork, 1.0}}, /*up=*/false, /*age=*/300.0),
      MakeReport("never", {}, /*up=*/false, /*age=*/std::nullopt),
  });
  CHECK(TargetOrder(html) == std::vector<std::string>{"gone", "never", "busy"});
  const std::string gone = Card(html, "gone");
  CHECK_THAT(gone, Catch::Contains(R"(data-state="down" data-up="false")") &&
                       Catch::Contains("UNREACHABLE") && Catch::Contains("last success 5 min ago"));
  // What can still be said is said: the probe timing out is a network judgement.
  CHECK(CauseLevels(gone) == std::vector<std::string>{"network:critical"});
  CHECK_THAT(gone, Catch::Contains(R"(data-causes="pool memory slowlog backlog")") &&
                       Catch::Contains("did not answer the last poll"));
  CHECK_THAT(Card(html, "never"), Catch::Contains("never reached since the exporter started"));
  CHECK_THAT(html, Catch::Contains("3 targets: 2 unreachable, 1 critical, 0 warn, 0 ok"));
}

TEST_CASE("triage page says on the card why a down target cannot be polled", "[triage]") {
  auto [stage, message] = GENERATE(table<PollStage, std::string>({
      {PollStage::kConnect,
       "connect timed out after 2s: the TCP handshake to 127.0.0.1:6379 got no answer"},
      {PollStage::kAuth,
       "authentication failed: the server refused the username/password (WRONGPASS)"},
      {PollStage::kAuth,
       "password source missing: environment variable REDIS_PW (password_env) is not set"},
      {PollStage::kDns, "DNS lookup failed for redis.internal:6379: name not found"},
      {PollStage::kTimeout, "poll timed out: Redis accepted the connection but did not answer"},
  }));
  INFO(message);
  auto r = MakeReport("cache", {}, /*up=*/false);
  r->last_error = PollError{stage, message};
  const std::string card = Card(Render({r}), "cache");
  CHECK_THAT(card, Catch::Contains(std::string("<p class=\"down-banner\" data-stage=\"") +
                                   PollStageName(stage) + "\">UNREACHABLE: " + message + "</p>"));
}

TEST_CASE("triage page escapes the poll error", "[triage]") {
  auto r = MakeReport("cache", {}, /*up=*/false);
  r->last_error = PollError{PollStage::kProtocol,
                            "protocol error: the reply is not valid RESP (<script>x</script> & "
                            "\"q\"); is this port really Redis?"};
  const std::string card = Card(Render({r}), "cache");
  CHECK_THAT(card, Catch::Contains("UNREACHABLE: protocol error: the reply is not valid RESP "
                                   "(&lt;script&gt;x&lt;/script&gt; &amp; &quot;q&quot;)"));
  CHECK_THAT(card, !Catch::Contains("<script"));
}

TEST_CASE("triage page folds the causes a down target leaves unjudged into one line", "[triage]") {
  // A phone shows the next target's card instead of five identical "not judged" items.
  auto r = MakeReport("gone", {{Cause::kNetwork, 0.9}}, /*up=*/false);
  r->risk.Get(Cause::kBacklog).missing_reason = MissingReason::kNotLocal;
  const std::string html = Render({r, MakeReport("fine", {{Cause::kPool, 0.1}})});
  const std::string card = Card(html, "gone");
  INFO(card);
  CHECK(CauseLevels(card) == std::vector<std::string>{"network:critical", "backlog:unknown"});
  CHECK_THAT(CauseItem(card, "backlog"), Catch::Contains(R"(data-reason="not_local")"));
  CHECK(Matches(card, R"re(class="(not-judged)")re").size() == 1);
  CHECK_THAT(card, Catch::Contains(R"(<p class="not-judged" data-reason="target_down" )"
                                   R"(data-causes="pool memory slowlog"><b>pool, memory, )"
                                   R"(slowlog</b>: )"));
  // All five unjudged: no empty list is left behind.
  const std::string all_down = Card(Render({MakeReport("x", {}, /*up=*/false)}), "x");
  CHECK_THAT(all_down, !Catch::Contains("<ol") &&
                           Catch::Contains(R"(data-causes="pool network memory slowlog backlog")"));
  CHECK_THAT(Card(html, "fine"), !Catch::Contains("not-judged"));
}

TEST_CASE("triage page lists the recent slowlog of an up target", "[triage]") {
  auto slow = MakeReport("slow", {{Cause::kSlowlog, 0.6}});
  slow->recent_slowlog = {{7, 1'699'999'990, 400'000, "debug"},
                          {6, 1'699'999'700, 80'000, "<eval>"}};
  auto gone = MakeReport("gone", {}, /*up=*/false);
  gone->recent_slowlog = slow->recent_slowlog;  // kept from before it went down
  const std::string html = Render({slow, gone, MakeReport("quiet", {{Cause::kPool, 0.1}})});
  CHECK_THAT(Card(html, "slow"),
             Catch::Contains("<div class=\"recent-slowlog\">") &&
                 Catch::Contains(R"(<li data-command="debug">debug 0.400 s )"
                                 R"(<span class="muted">10 s ago</span></li>)") &&
                 Catch::Contains(R"(<li data-command="&lt;eval&gt;">&lt;eval&gt; 0.080 s )"
                                 R"(<span class="muted">5 min ago</span></li>)"));
  CHECK_THAT(Card(html, "gone"), !Catch::Contains("recent-slowlog"));
  CHECK_THAT(Card(html, "quiet"), !Catch::Contains("recent-slowlog"));
}

TEST_CASE("triage page: a target not polled yet is waiting, not down", "[triage]") {
  auto r = MakeReport("fresh", {}, /*up=*/false, /*age=*/std::nullopt);
  r->last_error.reset();
  for (CauseRisk& c : r->risk.causes) c.missing_reason = MissingReason::kNoSamples;
  const std::string card = Card(Render({r}), "fresh");
  CHECK_THAT(card, Catch::Contains(R"(data-state="unknown" data-up="false")") &&
                       Catch::Contains("waiting for the first poll") &&
                       !Catch::Contains("UNREACHABLE"));
}

TEST_CASE("triage page says how old the data is", "[triage]") {
  auto [age, text, stale] = GENERATE(table<double, std::string, bool>({
      {0.4, "data 0.4 s old", false},
      {12, "data 12 s old", false},
      {-3, "data 0.0 s old", false},        // wall clock stepped back
      {30, "data 30 s old (STALE)", true},  // poll_interval 5s: more than three polls missed
      {7200, "data 2 h old (STALE)", true},
  }));
  INFO("age " << age);
  const std::string card =
      Card(Render({MakeReport("cache", {{Cause::kPool, 0.1}}, true, age)}), "cache");
  CHECK_THAT(card, Catch::Contains(text) && Catch::Contains("polled every 5s"));
  CHECK((card.find("class=\"muted stale\"") != std::string::npos) == stale);
}

TEST_CASE("triage page is a self-contained page for a phone", "[triage]") {
  const std::string html = Render({MakeReport("cache", {{Cause::kPool, 0.1}})});
  CHECK_THAT(html, Catch::StartsWith("<!doctype html>"));
  CHECK_THAT(html, Catch::Contains(R"(<meta name="viewport" content="width=device-width)"));
  CHECK_THAT(html, Catch::Contains(R"(<meta http-equiv="refresh" content="5">)"));
  CHECK_THAT(html, Catch::Contains(R"(<a href="/">)") && Catch::Contains(R"(<a href="/metrics">)"));
  CHECK_THAT(html, Catch::Contains("Generated 2023-11-14 22:13:20 UTC"));
  // No script, no external asset: it must load on a locked-down network at 2 AM.
  CHECK_THAT(html, !Catch::Contains("<script") && !Catch::Contains("http://") &&
                       !Catch::Contains("https://") && !Catch::Contains("<link"));
  CHECK_THAT(html, Catch::EndsWith("</body></html>\n"));
}

TEST_CASE("triage page with no targets says so", "[triage]") {
  const std::string html = Render({});
  CHECK(TargetOrder(html).empty());
  CHECK_THAT(html, Catch::Contains("0 targets: 0 critical, 0 warn, 0 ok") &&
                       Catch::Contains("No target has been polled yet"));
}

TEST_CASE("targets are grouped by cluster under a heading with its health",
          "[triage_page][discovery]") {
  auto worst_static = MakeReport("static-bad", {{Cause::kPool, 0.9}});
  auto calm_static = MakeReport("static-ok", {{Cause::kPool, 0.1}});
  auto node_down = MakeReport("orders-127.0.0.1:7001", {}, /*up=*/false);
  node_down->config.cluster = "orders";
  node_down->role = "master";
  auto node_ok = MakeReport("orders-127.0.0.1:7000", {{Cause::kPool, 0.0}});
  node_ok->config.cluster = "orders";
  node_ok->role = "replica";
  DiscoveryStatus orders;
  orders.name = "orders";
  orders.type = "cluster";
  orders.targets = 2;
  orders.last_success_wall = kNow - 1;
  orders.cluster = ClusterHealth{};
  orders.cluster->state_ok = true;
  orders.cluster->slots_uncovered = 0;
  orders.cluster->nodes_ok = 1;
  orders.cluster->nodes_pfail = 1;
  orders.cluster->failover_in_progress = true;
  orders.cluster->failing_masters = {"127.0.0.1:7001"};
  VerdictInput input;
  input.reports = {node_ok, worst_static, node_down, calm_static};
  input.discoveries = {orders};
  input.generated_at = kNow;
  const std::string html = RenderTriagePage(BuildVerdict(input));
  // Static targets first (worst first), then the cluster's heading, then its targets.
  CHECK(TargetOrder(html) == std::vector<std::string>{"static-bad", "static-ok",
                                                      "orders-127.0.0.1:7001",
                                                      "orders-127.0.0.1:7000"});
  const size_t heading = html.find(
      "<section class=\"cluster\" data-cluster=\"orders\" "
      "data-failover=\"true\">");
  REQUIRE(heading != std::string::npos);
  CHECK(heading > html.find("data-target=\"static-ok\""));
  CHECK(heading < html.find("data-target=\"orders-127.0.0.1:7001\""));
  CHECK_THAT(html, Catch::Contains("failover in progress: master 127.0.0.1:7001"));
  CHECK_THAT(Card(html, "orders-127.0.0.1:7000"), Catch::Contains("data-role=\"replica\""));
}
