// Declared pools measured on a recorded CLIENT LIST: grouped by client host (one host is one
// application instance), busy connections counted, the exporter's own never in a pool.
#include <catch2/catch.hpp>

#include "derive/signals.h"
#include "fixtures.h"

using namespace rte;
using rte::testing::ReadFixture;

TEST_CASE("pools are measured per instance from CLIENT LIST", "[pool]") {
  // 127.0.0.2: api-0..2 idle; 127.0.0.3: api-0, api-1 busy (idle=0), api-2 idle, worker-0
  // blocked (flags b); ::1: api-0 idle; 127.0.0.4: unnamed; 127.0.0.1: the exporter's two.
  const auto clients = ParseClientList(ReadFixture("redis/client_list_pools.txt"));
  struct Case {
    const char* what;
    std::vector<PoolConfig> pools;
    std::map<std::string, PoolUsage> expected;
  };
  const std::vector<Case> cases = {
      {"two pools",
       {{"api", "api-*", 3}, {"worker", "worker-*", 2}},
       {{"api", {.connections = 7, .instances = 3, .largest_instance = 3, .busy = 2}},
        {"worker", {.connections = 1, .instances = 1, .largest_instance = 1, .busy = 1}}}},
      {"a catch-all glob: the exporter's connections and unnamed ones belong to no pool",
       {{"all", "*", 50}},
       {{"all", {.connections = 8, .instances = 3, .largest_instance = 4, .busy = 3}}}},
      {"a client belongs to the first pool that claims it",
       {{"api", "api-*", 3}, {"all", "*", 50}},
       {{"api", {.connections = 7, .instances = 3, .largest_instance = 3, .busy = 2}},
        {"all", {.connections = 1, .instances = 1, .largest_instance = 1, .busy = 1}}}},
      {"the exporter's own name as a glob still matches nothing",
       {{"self", "redis-timeout-exporter*", 5}},
       {{"self", {}}}},
      {"a pool nobody uses is present with zeros", {{"batch", "batch-*", 4}}, {{"batch", {}}}},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      const auto got = MeasurePools(clients, c.pools);
      REQUIRE(got.size() == c.expected.size());
      for (const auto& [name, usage] : c.expected) {
        INFO("pool " << name);
        REQUIRE(got.contains(name));
        CHECK(got.at(name).connections == usage.connections);
        CHECK(got.at(name).instances == usage.instances);
        CHECK(got.at(name).largest_instance == usage.largest_instance);
        CHECK(got.at(name).busy == usage.busy);
      }
    }
  }
}

TEST_CASE("one host's pool from the older fixture: every connection busy", "[pool]") {
  const auto clients = ParseClientList(ReadFixture("redis/client_list.txt"));
  const auto got = MeasurePools(clients, {{"api", "api-*", 5}});
  CHECK(got.at("api") ==
        PoolUsage{.connections = 3, .instances = 1, .largest_instance = 3, .busy = 3});
}

TEST_CASE("busy means a command within the last second, or blocked", "[pool]") {
  struct Case {
    double idle;
    const char* flags;
    bool busy;
  };
  const Case cases[] = {
      {0, "N", true}, {1, "N", false}, {30, "b", true}, {0, "x", true}, {5, "P", false}};
  for (const auto& c : cases) {
    ClientEntry e;
    e.idle_seconds = c.idle;
    e.flags = c.flags;
    INFO("idle " << c.idle << " flags " << c.flags);
    CHECK(ClientBusy(e) == c.busy);
  }
}

TEST_CASE("median client age leaves out the exporter's connections", "[pool]") {
  CHECK(MedianClientAge(ParseClientList(ReadFixture("redis/client_list_pools.txt"))) == 2);
  std::vector<ClientEntry> clients(4);
  clients[0].age_seconds = 100;
  clients[1].age_seconds = 1;
  clients[2].age_seconds = 3;
  clients[3].name = "redis-timeout-exporter";
  clients[3].age_seconds = 5000;
  CHECK(MedianClientAge(clients) == 3);
  clients[2].name = "redis-timeout-exporter-probe";
  CHECK(MedianClientAge(clients) == Approx(50.5));
  CHECK_FALSE(MedianClientAge({clients[3]}).has_value());
}
