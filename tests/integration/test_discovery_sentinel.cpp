// Sentinel discovery (issue 12) against a real master, replica and three sentinels: both servers
// found with their roles, the sentinels' agreement, a sentinel killed, a failover followed; and
// the sentinel support code.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <map>

#include "discovery_metrics.h"
#include "exporter_process.h"
#include "redis_cli.h"
#include "redis_sentinel.h"
#include "wait_until.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr char kDiscovery[] = "sessions";

// refresh_interval and poll_interval as kDiscoveryRefresh and kDiscoveryPoll.
constexpr char kConfig[] = R"(
discovery:
  - type: sentinel
    name: sessions
    sentinels: [${s0}, ${s1}, ${s2}]
    master_name: mymaster
    refresh_interval: 500ms
    poll_interval: 1s
    client_timeout: 1s
)";

// A condition on /metrics: redis_timeout_sentinel_sentinels in each state.
std::function<bool(const MetricsText&)> SentinelsCounted(double agree, double disagree,
                                                         double unreachable) {
  return [=](const MetricsText& m) {
    auto count = [&](const char* state) {
      // A state with no sentinel may be left out rather than shown as 0.
      return m
          .Value("redis_timeout_sentinel_sentinels", {{"cluster", kDiscovery}, {"state", state}})
          .value_or(0);
    };
    return count("agree") == agree && count("disagree") == disagree &&
           count("unreachable") == unreachable;
  };
}

}  // namespace

TEST_CASE("sentinel support: three sentinels agree on the master and follow a failover",
          "[discovery][support][sentinel]") {
  SentinelGroup group;
  CHECK(group.Role(0) == "master");
  CHECK(group.Role(1) == "slave");
  for (size_t i = 0; i < group.sentinel_count(); ++i) {
    const nlohmann::json named = group.sentinel(i).Query(
        {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", SentinelGroup::kMasterName});
    CHECK(named == nlohmann::json::array({"127.0.0.1", std::to_string(group.server(0).port())}));
  }
  const ExporterRun quorum = RunRedisCli({"-p", std::to_string(group.sentinel(0).port()),
                                          "SENTINEL", "CKQUORUM", SentinelGroup::kMasterName});
  CHECK(quorum.stdout_text.rfind("OK 3 usable Sentinels", 0) == 0);

  group.Failover(0);
  REQUIRE_NOTHROW(group.WaitUntilMaster(1, 30s));
  CHECK(group.Role(1) == "master");
  CHECK(group.Role(0) == "slave");
}

TEST_CASE("sentinel discovery: roles, sentinels agreeing, one killed, a failover followed",
          "[discovery][sentinel]") {
  SentinelGroup group;
  const std::vector<std::string> sentinels = group.sentinel_addresses();
  ExporterProcess exporter = StartExporter(
      Substitute(kConfig, {{"s0", sentinels[0]}, {"s1", sentinels[1]}, {"s2", sentinels[2]}}));
  const Labels discovery{{"discovery", kDiscovery}};
  const std::string first = DiscoveredTargetName(kDiscovery, group.server(0).address());
  const std::string second = DiscoveredTargetName(kDiscovery, group.server(1).address());

  const std::map<std::string, std::string> before{{first, "master"}, {second, "replica"}};
  REQUIRE(exporter.WaitForScrape(
      [&](const MetricsText& m) { return TargetRoles(m, kDiscovery) == before; }, 30s,
      "master and replica in target_info with their roles"));
  CHECK(exporter.Metric("redis_timeout_discovery_targets", discovery) == 2.0);
  CHECK(exporter.WaitForMetric("redis_timeout_target_up", {{"target", first}}, Equals(1)));
  CHECK(exporter.WaitForMetric("redis_timeout_target_up", {{"target", second}}, Equals(1)));
  REQUIRE(exporter.WaitForScrape(SentinelsCounted(3, 0, 0), 10s, "three sentinels agree"));

  // One sentinel gone is evidence, not a failure of the discovery.
  group.sentinel(2).Kill();
  REQUIRE(exporter.WaitForScrape(SentinelsCounted(2, 0, 1), kFollowBound,
                                 "one sentinel unreachable, two agree"));
  const double last_success =
      exporter.Metric("redis_timeout_discovery_last_success_timestamp_seconds", discovery)
          .value_or(0);
  CHECK(exporter.WaitForMetric("redis_timeout_discovery_last_success_timestamp_seconds", discovery,
                               Above(last_success), kFollowBound));

  // A failover through a surviving sentinel. The new master is promoted at once; the old one
  // stays role:master until the sentinels reconfigure it (about 10 s with Redis 7.0), so each
  // is judged from the moment Redis itself says so.
  const double failovers =
      exporter.Metric("redis_timeout_discovery_failovers_total", discovery).value_or(0);
  group.Failover(0);
  // Sentinel kills the clients of a server it reconfigures (CLIENT KILL TYPE normal): a
  // closed connection here means "ask again".
  REQUIRE(WaitUntil(
      [&] {
        try {
          return group.Role(1) == "master";
        } catch (const std::exception&) {
          return false;
        }
      },
      30s));
  CHECK(exporter.WaitForScrape(
      [&](const MetricsText& m) { return TargetRole(m, second) == "master"; }, kFollowBound,
      "the promoted replica is master"));
  CHECK(exporter.WaitForMetric("redis_timeout_discovery_failovers_total", discovery,
                               AtLeast(failovers + 1), kFollowBound));
  REQUIRE_NOTHROW(group.WaitUntilMaster(1, 30s));
  const std::map<std::string, std::string> after{{first, "replica"}, {second, "master"}};
  REQUIRE(exporter.WaitForScrape(
      [&](const MetricsText& m) { return TargetRoles(m, kDiscovery) == after; }, kFollowBound,
      "roles swapped"));
  CHECK(exporter.Metric("redis_timeout_discovery_targets", discovery) == 2.0);
  CHECK(exporter.WaitForScrape(SentinelsCounted(2, 0, 1), kFollowBound,
                               "the two live sentinels agree on the new master"));
}
