// Discovery: the `discovery:` config, target files, and the pure judgement of recorded
// CLUSTER NODES and SENTINEL replies (tests/fixtures/discovery/record_discovery.py).
#include <catch2/catch.hpp>

#include "config/config.h"
#include "derive/discovery_health.h"
#include "exposition/verdict.h"
#include "fixtures.h"
#include "parse/discovery_replies.h"
#include "parse/redis_text.h"

using namespace rte;
using rte::testing::ReadFixture;

namespace {

const char* kDiscoveryConfig = R"(poll_interval: 2s
targets:
  - name: static-1
    address: 127.0.0.1:6379
discovery:
  - type: cluster
    name: orders
    seeds: [10.0.0.5:6379, 10.0.0.6:6379]
    refresh_interval: 10s
    client_timeout: 250ms
    password_env: ORDERS_PASSWORD
  - type: sentinel
    name: sessions
    sentinels: [10.0.1.5:26379, 10.0.1.6:26379, 10.0.1.7:26379]
    master_name: mymaster
    sentinel_password_file: /run/secrets/sentinel
  - type: file
    name: fleet
    files: [targets.d/*.yaml, /etc/x/*.yaml]
    poll_interval: 1s
    username: app
    password_file: /run/secrets/fleet
)";

DiscoveryConfig FleetDiscovery() {
  auto config = ParseConfig(kDiscoveryConfig, "/etc/rte/config.yaml");
  REQUIRE(config.ok());
  return config.value().discovery.at(2);
}

std::vector<ClusterNode> Nodes(const std::string& fixture) {
  auto nodes = ParseClusterNodes(ReadFixture("discovery/" + fixture));
  REQUIRE(nodes.ok());
  return nodes.value();
}

std::string State(const std::string& fixture) {
  return ParseInfo(ReadFixture("discovery/" + fixture)).Text("cluster_state").value_or("");
}

Reply Resp(const std::string& fixture) {
  auto replies = DecodeAll(ReadFixture("discovery/" + fixture));
  REQUIRE(replies.ok());
  REQUIRE(replies.value().size() == 1);
  return replies.value()[0];
}

}  // namespace

TEST_CASE("discovery entries parse with their per-target settings", "[config][discovery]") {
  auto config = ParseConfig(kDiscoveryConfig, "/etc/rte/config.yaml");
  REQUIRE(config.ok());
  const auto& d = config.value().discovery;
  REQUIRE(d.size() == 3);
  CHECK(d[0].type == DiscoveryConfig::Type::kCluster);
  CHECK(d[0].name == "orders");
  REQUIRE(d[0].seeds.size() == 2);
  CHECK(d[0].seeds[1].host == "10.0.0.6");
  CHECK(d[0].refresh_interval == 10s);
  CHECK(d[0].base.client_timeout == 250ms);
  CHECK(d[0].base.poll_interval == 2s);  // the global default
  CHECK(d[0].base.password.env_var == "ORDERS_PASSWORD");
  CHECK(d[0].base.cluster == "orders");
  CHECK(d[1].type == DiscoveryConfig::Type::kSentinel);
  CHECK(d[1].master_name == "mymaster");
  CHECK(d[1].seeds.size() == 3);
  CHECK(d[1].sentinel_auth.file == "/run/secrets/sentinel");
  CHECK(d[1].refresh_interval == 30s);
  CHECK(d[2].type == DiscoveryConfig::Type::kFile);
  CHECK(d[2].files == std::vector<std::string>{"/etc/rte/targets.d/*.yaml", "/etc/x/*.yaml"});
  CHECK(d[2].base.poll_interval == 1s);

  const TargetConfig t = DiscoveredTarget(d[0], d[0].seeds[0]);
  CHECK(t.name == "orders-10.0.0.5:6379");
  CHECK(t.cluster == "orders");
  CHECK(t.client_timeout == 250ms);
}

TEST_CASE("a config with only a discovery list is valid", "[config][discovery]") {
  auto config = ParseConfig(R"(discovery:
  - {type: cluster, name: c, seeds: [127.0.0.1:7000]}
)",
                            "c.yaml");
  REQUIRE(config.ok());
  CHECK(config.value().targets.empty());
  CHECK(config.value().discovery.size() == 1);
}

TEST_CASE("discovery errors name file, line, column and key", "[config][discovery]") {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"discovery:\n  - {name: a, seeds: [h:1]}\n", "c.yaml:2:5: discovery[0].type: is required"},
      {"discovery:\n  - {type: dns, name: a}\n",
       "c.yaml:2:12: discovery[0].type: expected cluster, sentinel or file"},
      {"discovery:\n  - {type: cluster, seeds: [h:1]}\n",
       "c.yaml:2:5: discovery[0].name: is required"},
      {"discovery:\n  - {type: cluster, name: a}\n", "c.yaml:2:5: discovery[0].seeds: is required"},
      {"discovery:\n  - {type: sentinel, name: a, sentinels: [h:1]}\n",
       "c.yaml:2:5: discovery[0].master_name: is required"},
      {"discovery:\n  - {type: cluster, name: a, seeds: [h:1], master_name: m}\n",
       "c.yaml:2:44: discovery[0].master_name: unknown key"},
      {"discovery:\n  - {type: cluster, name: a, seeds: [h:1], address: h:2}\n",
       "c.yaml:2:44: discovery[0].address: unknown key"},
      {"discovery:\n  - {type: cluster, name: a, seeds: [nohost]}\n",
       "c.yaml:2:38: discovery[0].seeds[0]: expected host:port"},
      {"discovery:\n  - {type: cluster, name: a, seeds: []}\n",
       "c.yaml:2:37: discovery[0].seeds: expected a list of addresses"},
      {"discovery:\n  - {type: file, name: a, files: [x], refresh_interval: 10ms}\n",
       "c.yaml:2:57: discovery[0].refresh_interval: must be at least 100ms"},
      {"discovery:\n  - {type: cluster, name: a, seeds: [h:1]}\n  - {type: file, name: a, "
       "files: [x]}\n",
       "c.yaml:3:24: discovery[1].name: duplicate discovery name 'a'"},
      {"discovery:\n  - {type: cluster, name: 'a b', seeds: [h:1]}\n",
       "c.yaml:2:27: discovery[0].name: use 1-64 characters"},
      {"discovery:\n  - {type: cluster, name: a, seeds: [h:1], tls: {insecure_skip_verify: "
       "true}}\n",
       "c.yaml:2:49: discovery[0].tls: TLS settings need rediss:// seeds"},
      {"discovery:\n  - {type: sentinel, name: a, sentinels: [h:1], master_name: m, "
       "sentinel_password_file: f, sentinel_password_env: E}\n",
       "c.yaml:2:5: discovery[0].sentinel_password_file: give sentinel_password_file or "
       "sentinel_password_env, not both"},
      {"targets: []\ndiscovery: []\n", "c.yaml:1:10: targets: no targets configured"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto config = ParseConfig(c.text, "c.yaml");
    REQUIRE_FALSE(config.ok());
    CHECK_THAT(config.error(), Catch::StartsWith(c.error));
  }
}

TEST_CASE("a target file inherits the discovery's settings and may override them",
          "[config][discovery]") {
  const DiscoveryConfig fleet = FleetDiscovery();
  auto targets = ParseTargetFile(R"(- address: 10.1.0.1:6379
- name: cache-b
  address: 10.1.0.2:6380
  poll_interval: 300ms
  password_env: CACHE_B
)",
                                 "a.yaml", fleet);
  REQUIRE(targets.ok());
  const auto& t = targets.value();
  REQUIRE(t.size() == 2);
  CHECK(t[0].name == "fleet-10.1.0.1:6379");
  CHECK(t[0].cluster == "fleet");
  CHECK(t[0].poll_interval == 1s);
  CHECK(t[0].poll_timeout == 1s);
  CHECK(t[0].username == "app");
  CHECK(t[0].password.file == "/run/secrets/fleet");
  CHECK(t[1].name == "cache-b");
  CHECK(t[1].poll_interval == 300ms);
  CHECK(t[1].poll_timeout == 300ms);  // min(3s, its own poll_interval), not the inherited one
  CHECK(t[1].password.env_var == "CACHE_B");
  CHECK(t[1].password.file.empty());

  auto empty = ParseTargetFile("", "empty.yaml", fleet);
  REQUIRE(empty.ok());
  CHECK(empty.value().empty());
}

TEST_CASE("a broken target file is an error with file, line, column and key",
          "[config][discovery]") {
  const DiscoveryConfig fleet = FleetDiscovery();
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"- name: x\n", "a.yaml:1:3: [0].address: is required"},
      {"- address: 10.0.0.1:1\n  colour: red\n", "a.yaml:2:3: [0].colour: unknown key"},
      {"targets:\n  - address: h:1\n", "a.yaml:1:1: (top level): expected a list of targets"},
      {"- address: h:1\n- address: h:1\n",
       "a.yaml:2:3: [1].name: duplicate target name 'fleet-h:1'"},
      {"- address: [unclosed\n", "a.yaml:2:1: (yaml):"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto targets = ParseTargetFile(c.text, "a.yaml", fleet);
    REQUIRE_FALSE(targets.ok());
    CHECK_THAT(targets.error(), Catch::StartsWith(c.error));
  }
}

TEST_CASE("CLUSTER NODES of a healthy 6-node cluster", "[discovery][cluster]") {
  const auto nodes = Nodes("cluster_nodes_healthy.txt");
  REQUIRE(nodes.size() == 6);
  int masters = 0;
  int replicas = 0;
  int slots = 0;
  for (const ClusterNode& n : nodes) {
    CHECK(n.host == "127.0.0.1");
    CHECK(n.port > 0);
    CHECK(n.connected);
    masters += n.master;
    replicas += n.replica;
    slots += n.slots;
    CHECK(n.replica == !n.master_id.empty());
  }
  CHECK(masters == 3);
  CHECK(replicas == 3);
  CHECK(slots == kClusterSlots);

  const ClusterHealth h = AssessCluster(nodes, State("cluster_info_healthy.txt"));
  CHECK(h.state_ok);
  CHECK(h.slots_uncovered == 0);
  CHECK(h.nodes_ok == 6);
  CHECK(h.nodes_pfail == 0);
  CHECK(h.nodes_fail == 0);
  CHECK_FALSE(h.failover_in_progress);
}

TEST_CASE("a killed master: suspected, then failed over", "[discovery][cluster]") {
  struct Case {
    const char* nodes;
    const char* info;
    bool state_ok;
    int uncovered, pfail, fail;
    bool failover_in_progress;
  };
  const Case cases[] = {
      // Suspected (fail?): it still holds its slots; clients wait for cluster-node-timeout.
      {"cluster_nodes_suspected.txt", "cluster_info_suspected.txt", true, 0, 1, 0, true},
      // Its replica took over: slots covered again, the dead node stays listed as fail.
      {"cluster_nodes_failed_over.txt", "cluster_info_failed_over.txt", true, 0, 0, 1, false},
  };
  for (const Case& c : cases) {
    INFO(c.nodes);
    const auto nodes = Nodes(c.nodes);
    const ClusterHealth h = AssessCluster(nodes, State(c.info));
    CHECK(h.state_ok == c.state_ok);
    CHECK(h.slots_uncovered == c.uncovered);
    CHECK(h.nodes_pfail == c.pfail);
    CHECK(h.nodes_fail == c.fail);
    CHECK(h.failover_in_progress == c.failover_in_progress);
    CHECK(h.failing_masters.size() == (c.failover_in_progress ? 1u : 0u));
  }
  // A cluster that reports fail is a failover in progress, whatever the flags say.
  CHECK(AssessCluster(Nodes("cluster_nodes_healthy.txt"), "fail").failover_in_progress);

  // Every node with an address is a target, the failed one included.
  DiscoveryConfig config;
  config.type = DiscoveryConfig::Type::kCluster;
  DiscoveryRefresh after;
  after.ok = true;
  after.cluster_nodes = Nodes("cluster_nodes_failed_over.txt");
  CHECK(DiscoveredEndpoints(config, after).size() == 6);
  // A replica became master between the two refreshes: one failover.
  DiscoveryRefresh before;
  before.ok = true;
  before.cluster_nodes = Nodes("cluster_nodes_healthy.txt");
  CHECK(CountFailovers(before, before) == 0);
  CHECK(CountFailovers(before, after) == 1);  // the three files come from one recorded run
}

TEST_CASE("CLUSTER NODES that is not CLUSTER NODES is refused", "[discovery][cluster]") {
  const char* bad[] = {
      "abc 127.0.0.1:7000@17000 master\n",
      "abc nohost master - 0 0 1 connected\n",
      "abc 127.0.0.1:7000@17000 master - 0 0 1 connected 5-3\n",
      "abc 127.0.0.1:7000@17000 master - 0 0 1 connected 0-16384\n",
      "abc 127.0.0.1:99999@17000 master - 0 0 1 connected\n",
  };
  for (const char* text : bad) {
    INFO(text);
    CHECK_FALSE(ParseClusterNodes(text).ok());
  }
  // A slot being migrated is listed as [slot->-id]: not counted, not an error.
  auto migrating = ParseClusterNodes(
      "abc 127.0.0.1:7000@17000 myself,master - 0 0 1 connected "
      "0-99 [100->-def]\n");
  REQUIRE(migrating.ok());
  CHECK(migrating.value()[0].slots == 100);
  // IPv6 and announced host names.
  auto v6 = ParseClusterNodes("abc ::1:7000@17000,redis-0 master - 0 0 1 connected\n");
  REQUIRE(v6.ok());
  CHECK(v6.value()[0].host == "::1");
  CHECK(v6.value()[0].port == 7000);
}

TEST_CASE("sentinel replies: the master, its replicas, and agreement", "[discovery][sentinel]") {
  auto master = ParseSentinelMasterAddress(Resp("sentinel_master_addr.resp"));
  REQUIRE(master.ok());
  CHECK(master.value().host == "127.0.0.1");
  CHECK(master.value().port > 0);
  auto unknown = ParseSentinelMasterAddress(Resp("sentinel_master_addr_unknown.resp"));
  REQUIRE_FALSE(unknown.ok());
  CHECK_THAT(unknown.error(), Catch::Contains("does not monitor"));
  auto replicas = ParseSentinelReplicas(Resp("sentinel_replicas.resp"));
  REQUIRE(replicas.ok());
  REQUIRE(replicas.value().size() == 1);
  CHECK(replicas.value()[0].address.host == "127.0.0.1");
  CHECK_FALSE(replicas.value()[0].down());

  const HostPort a{"10.0.0.1", 6379};
  const HostPort b{"10.0.0.2", 6379};
  const auto answer = [](std::optional<HostPort> m) {
    SentinelAnswer s;
    s.master = m;
    return s;
  };
  struct Case {
    std::vector<SentinelAnswer> answers;
    int agree, disagree, unreachable;
    std::optional<HostPort> master;
  };
  const Case cases[] = {
      {{answer(a), answer(a), answer(a)}, 3, 0, 0, a},
      {{answer(a), answer(b), answer(b)}, 2, 1, 0, b},
      {{answer(a), answer(std::nullopt), answer(a)}, 2, 0, 1, a},
      {{answer(std::nullopt), answer(std::nullopt)}, 0, 0, 2, std::nullopt},
  };
  for (const Case& c : cases) {
    const SentinelHealth h = AssessSentinels(c.answers);
    CHECK(h.agree == c.agree);
    CHECK(h.disagree == c.disagree);
    CHECK(h.unreachable == c.unreachable);
    CHECK(h.master == c.master);
  }

  // The master and the replicas the first agreeing sentinel names are the targets; a changed
  // master between two refreshes is a failover.
  DiscoveryConfig config;
  config.type = DiscoveryConfig::Type::kSentinel;
  DiscoveryRefresh before;
  before.ok = true;
  before.sentinels = {answer(a), answer(a)};
  before.sentinels[0].replicas = {SentinelReplica{b, "slave"}};
  const auto endpoints = DiscoveredEndpoints(config, before);
  REQUIRE(endpoints.size() == 2);
  CHECK(endpoints[0].host == "10.0.0.1");
  CHECK(endpoints[1].host == "10.0.0.2");
  DiscoveryRefresh after;
  after.ok = true;
  after.sentinels = {answer(b), answer(b)};
  CHECK(CountFailovers(before, after) == 1);
  CHECK(CountFailovers(before, before) == 0);
}

TEST_CASE("the triage heading of a cluster says a failover is in progress", "[discovery]") {
  DiscoveryStatus d;
  d.name = "orders";
  d.type = "cluster";
  d.targets = 6;
  d.last_success_wall = 100;
  d.cluster =
      AssessCluster(Nodes("cluster_nodes_suspected.txt"), State("cluster_info_suspected.txt"));
  const ClusterVerdict c = JudgeCluster(d, 102);
  CHECK(c.failover_in_progress);
  std::string all;
  for (const std::string& e : c.evidence) all += e + "\n";
  CHECK_THAT(all, Catch::Contains("failover in progress: master 127.0.0.1:"));
  CHECK_THAT(all, Catch::Contains("nodes: 5 ok, 1 pfail, 0 fail"));
  CHECK_THAT(all, Catch::Contains("6 target(s) found, last refresh 2.0 s ago"));
}
