// /triage loaded by Debian's headless Chromium from the real daemon while a fault is injected on
// one of two redis-servers: the rendered DOM must rank the injected cause first for that target.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>
#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include "chromium.h"
#include "exporter_process.h"
#include "redis_server.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr char kConfig[] = R"(
poll_interval: 250ms
probe_interval: 100ms
thresholds: {risk_window: 20s}
targets:
  - name: faulty
    address: ${faulty}
  - name: healthy
    address: ${healthy}
)";

struct CauseHook {
  std::string cause;
  std::string level;
  std::string risk;  // empty when not judged
};

// The li.cause hooks of one target's card, in the order the browser rendered them.
std::vector<CauseHook> RenderedCauses(const std::string& dom, const std::string& target) {
  const std::string open = "<section class=\"target\" data-target=\"" + target + "\"";
  const size_t begin = dom.find(open);
  if (begin == std::string::npos) return {};
  const std::string card = dom.substr(begin, dom.find("</section>", begin) - begin);
  std::vector<CauseHook> out;
  const std::regex re(
      R"re(<li class="cause" data-cause="(\w+)" data-level="(\w+)"(?: data-risk="([0-9.]+)")?)re");
  for (auto it = std::sregex_iterator(card.begin(), card.end(), re); it != std::sregex_iterator();
       ++it) {
    out.push_back({(*it)[1].str(), (*it)[2].str(), (*it)[3].str()});
  }
  return out;
}

// Waits until `cause` of the faulty target is critical on /metrics, renders /triage in Chromium
// and checks the DOM: faulty first with `cause` ranked first and critical, healthy not critical.
void ExpectRankedFirst(ExporterProcess& exporter, const std::string& cause) {
  REQUIRE(exporter.WaitForMetric("redis_timeout_risk", {{"target", "faulty"}, {"cause", cause}},
                                 AtLeast(0.8), 15s));
  const std::string dom = DumpDom(exporter.port(), "/triage");
  INFO(dom);
  REQUIRE_THAT(dom, Catch::Contains("<title>Redis timeout triage</title>"));

  // Worst target first.
  const size_t faulty_at = dom.find("data-target=\"faulty\"");
  const size_t healthy_at = dom.find("data-target=\"healthy\"");
  REQUIRE(faulty_at != std::string::npos);
  REQUIRE(healthy_at != std::string::npos);
  CHECK(faulty_at < healthy_at);

  const std::vector<CauseHook> faulty = RenderedCauses(dom, "faulty");
  REQUIRE(faulty.size() == 5);
  CHECK(faulty[0].cause == cause);
  CHECK(faulty[0].level == "critical");
  CHECK(std::stod(faulty[0].risk.empty() ? "-1" : faulty[0].risk) >= 0.8);

  const std::vector<CauseHook> healthy = RenderedCauses(dom, "healthy");
  REQUIRE(healthy.size() == 5);
  CHECK(healthy[0].level != "critical");
}

}  // namespace

TEST_CASE("/triage in headless Chromium ranks pool first for a target at maxclients",
          "[triage][chromium]") {
  RequireChromium();
  RedisServer faulty({"--maxclients", "20"});
  RedisServer healthy;
  ExporterProcess exporter = StartExporter(
      Substitute(kConfig, {{"faulty", faulty.address()}, {"healthy", healthy.address()}}));
  // Judged before the fault, so the test sees the page change rather than a first poll.
  REQUIRE(exporter.WaitForMetric("redis_timeout_risk", {{"target", "faulty"}, {"cause", "pool"}},
                                 Present(), 10s));
  RedisClients idle = faulty.OpenClients(25);
  ExpectRankedFirst(exporter, "pool");
}

TEST_CASE("/triage in headless Chromium ranks memory first for a target out of memory",
          "[triage][chromium]") {
  RequireChromium();
  RedisServer faulty({"--maxmemory", "3mb", "--maxmemory-policy", "noeviction"});
  RedisServer healthy;
  ExporterProcess exporter = StartExporter(
      Substitute(kConfig, {{"faulty", faulty.address()}, {"healthy", healthy.address()}}));
  REQUIRE(exporter.WaitForMetric("redis_timeout_risk", {{"target", "faulty"}, {"cause", "memory"}},
                                 Present(), 10s));
  const std::string value(10000, 'x');
  bool oom = false;
  for (int i = 0; i < 2000 && !oom; ++i) {
    oom = faulty.Command({"SET", "key:" + std::to_string(i), value}).is_error();
  }
  REQUIRE(oom);
  ExpectRankedFirst(exporter, "memory");
}
