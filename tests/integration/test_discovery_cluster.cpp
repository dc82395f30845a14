// Cluster discovery (issue 12) against a real 6-node Redis Cluster: every node found with its
// role, a SIGKILLed master replaced by its replica, a node added; and the cluster support code.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>

#include "discovery_metrics.h"
#include "exporter_process.h"
#include "redis_cluster.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr char kDiscovery[] = "orders";

// refresh_interval and poll_interval as kDiscoveryRefresh and kDiscoveryPoll.
constexpr char kConfig[] = R"(
discovery:
  - type: cluster
    name: orders
    seeds: [${seed1}, ${seed2}]
    refresh_interval: 500ms
    poll_interval: 1s
    client_timeout: 1s
)";

// The role label the exporter should show for a node whose INFO says `info_role`.
std::string Expected(const std::string& info_role) {
  return info_role == "slave" ? "replica" : info_role;
}

}  // namespace

TEST_CASE("cluster support: six nodes created, a killed master fails over, a node joins",
          "[discovery][support][cluster]") {
  RedisCluster cluster;
  REQUIRE(cluster.size() == 6);
  const std::vector<size_t> masters = cluster.Masters();
  REQUIRE(masters.size() == 3);
  for (size_t master : masters) {
    CHECK(cluster.Role(master) == "master");
    CHECK(cluster.Role(cluster.ReplicaOf(master)) == "slave");
  }
  for (size_t i = 0; i < cluster.size(); ++i) {
    const RedisValue info = cluster.node(i).Command({"CLUSTER", "INFO"});
    CHECK(info.str.find("cluster_state:ok") != std::string::npos);
  }

  const size_t victim = masters[0];
  const size_t heir = cluster.ReplicaOf(victim);
  cluster.Kill(victim);
  REQUIRE_NOTHROW(cluster.WaitUntilSettled(30s));
  CHECK(cluster.Role(heir) == "master");
  for (const ClusterNode& n : cluster.Nodes()) {
    if (n.address == cluster.node(victim).address()) CHECK(n.Has("fail"));
  }

  const size_t added = cluster.AddNode();
  CHECK(added == 6);
  const std::vector<ClusterNode> view = cluster.Nodes();
  CHECK(std::count_if(view.begin(), view.end(), [&](const ClusterNode& n) {
          return n.address == cluster.node(added).address() && n.Has("master") && !n.serves_slots;
        }) == 1);
}

TEST_CASE("cluster discovery: nodes and roles, a killed master, an added node",
          "[discovery][cluster]") {
  RedisCluster cluster;
  const std::vector<std::string> addresses = cluster.addresses();
  ExporterProcess exporter =
      StartExporter(Substitute(kConfig, {{"seed1", addresses[0]}, {"seed2", addresses[1]}}));
  const Labels discovery{{"discovery", kDiscovery}};
  const Labels cluster_label{{"cluster", kDiscovery}};

  // All six, named <discovery>-<host>:<port>, with the role each reports itself.
  std::map<std::string, std::string> expected;
  for (size_t i = 0; i < cluster.size(); ++i) {
    expected[DiscoveredTargetName(kDiscovery, addresses[i])] = Expected(cluster.Role(i));
  }
  REQUIRE(exporter.WaitForScrape(
      [&](const MetricsText& m) { return TargetRoles(m, kDiscovery) == expected; }, 30s,
      "the six nodes in target_info with their roles"));
  {
    const MetricsText m = exporter.ScrapeMetrics();
    INFO(m.text());
    const auto roles = TargetRoles(m, kDiscovery);
    CHECK(std::count_if(roles.begin(), roles.end(),
                        [](const auto& r) { return r.second == "master"; }) == 3);
    CHECK(std::count_if(roles.begin(), roles.end(),
                        [](const auto& r) { return r.second == "replica"; }) == 3);
    for (const std::string& address : addresses) {
      CHECK(m.Value("redis_timeout_target_info",
                    {{"target", DiscoveredTargetName(kDiscovery, address)},
                     {"address", address}}) == 1.0);
    }
    CHECK(m.Value("redis_timeout_discovery_targets", discovery) == 6.0);
  }
  CHECK(exporter.WaitForMetric("redis_timeout_cluster_state_ok", cluster_label, Equals(1)));
  CHECK(exporter.WaitForMetric("redis_timeout_cluster_slots_uncovered", cluster_label, Equals(0)));
  CHECK(exporter.WaitForMetric("redis_timeout_cluster_failover_in_progress", cluster_label,
                               Equals(0)));
  CHECK(exporter.WaitForMetric("redis_timeout_discovery_last_success_timestamp_seconds", discovery,
                               Above(0)));

  // A SIGKILLed master: its replica turns master; the dead node stays listed, reported down.
  const size_t victim = cluster.Masters().at(0);
  const size_t heir = cluster.ReplicaOf(victim);
  const std::string victim_name = DiscoveredTargetName(kDiscovery, addresses[victim]);
  const std::string heir_name = DiscoveredTargetName(kDiscovery, addresses[heir]);
  const double failovers =
      exporter.Metric("redis_timeout_discovery_failovers_total", discovery).value_or(0);
  cluster.Kill(victim);
  // The cluster's own failover (node timeout, election) is not the exporter's to speed up.
  REQUIRE_NOTHROW(cluster.WaitUntilSettled(30s));
  REQUIRE(exporter.WaitForScrape(
      [&](const MetricsText& m) {
        return TargetRole(m, heir_name) == "master" &&
               m.Value("redis_timeout_target_up", {{"target", victim_name}}) == 0.0 &&
               TargetRole(m, victim_name).has_value();
      },
      kFollowBound, "the replica of the killed master is master, the killed node listed, down"));
  CHECK(exporter.WaitForMetric("redis_timeout_discovery_failovers_total", discovery,
                               AtLeast(failovers + 1), kFollowBound));
  CHECK(exporter.WaitForScrape(
      [&](const MetricsText& m) {
        auto nodes = [&](const char* state) {
          return m.Value("redis_timeout_cluster_nodes", {{"cluster", kDiscovery}, {"state", state}})
              .value_or(0);  // a state with no node may be left out rather than shown as 0
        };
        return nodes("fail") == 1.0 && nodes("pfail") == 0.0 && nodes("ok") == 5.0;
      },
      kFollowBound, "cluster_nodes: 5 ok, 1 fail"));
  CHECK(exporter.WaitForMetric("redis_timeout_cluster_state_ok", cluster_label, Equals(1),
                               kFollowBound));
  CHECK(exporter.WaitForMetric("redis_timeout_cluster_failover_in_progress", cluster_label,
                               Equals(0), kFollowBound));
  {
    const MetricsText m = exporter.ScrapeMetrics();
    INFO(m.text());
    CHECK(m.Value("redis_timeout_discovery_targets", discovery) == 6.0);
    CHECK(TargetRole(m, victim_name) == "master");  // the last role it reported
  }

  // A node added after the failover is discovered too.
  const size_t added = cluster.AddNode();
  const std::string added_name = DiscoveredTargetName(kDiscovery, cluster.node(added).address());
  REQUIRE(exporter.WaitForScrape(
      [&](const MetricsText& m) {
        return TargetRole(m, added_name) == "master" &&
               m.Value("redis_timeout_target_up", {{"target", added_name}}) == 1.0;
      },
      kFollowBound, "the added node in target_info, up, as a master"));
  CHECK(exporter.Metric("redis_timeout_discovery_targets", discovery) == 7.0);
}
