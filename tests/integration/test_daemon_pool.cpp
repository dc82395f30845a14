// Black-box tests of the pool signals: maxclients pressure and named application pools.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>
#include <regex>

#include "exporter_process.h"
#include "pool_clients.h"
#include "redis_server.h"
#include "wait_until.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr char kSmallConfig[] = R"(
poll_interval: 250ms
targets:
  - name: small
    address: ${redis}
)";

constexpr char kPoolsConfig[] = R"(
poll_interval: 250ms
client_list_interval: 500ms
targets:
  - name: app-cache
    address: ${redis}
    pools:
      - {name: api, client_name: "api-*", size: 5}
      - {name: worker, client_name: "worker-*", size: 2}
)";

constexpr char kCadenceConfig[] = R"(
poll_interval: 250ms
targets:
  - name: busy-host
    address: ${redis}
    pools: [{name: api, client_name: "api-*", size: 10}]
)";

// Calls of CLIENT LIST so far (INFO commandstats; the server counts the exporter's).
double ClientListCalls(RedisServer& redis) {
  const std::string stats = redis.Command({"INFO", "commandstats"}).str;
  std::smatch m;
  if (!std::regex_search(stats, m, std::regex(R"(cmdstat_client\|list:calls=(\d+))"))) return 0;
  return std::stod(m[1]);
}

constexpr char kNoPoolsConfig[] = R"(
poll_interval: 250ms
client_list_interval: 250ms
targets:
  - name: plain
    address: ${redis}
)";

}  // namespace

TEST_CASE("daemon: maxclients 10 with 15 extra connections", "[daemon][pool]") {
  RedisServer redis({"--maxclients", "10"});
  ExporterProcess exporter = StartExporter(Substitute(kSmallConfig, {{"redis", redis.address()}}));
  const Labels target{{"target", "small"}};
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", target, Equals(1)));
  REQUIRE(exporter.WaitForMetric("redis_timeout_maxclients", target, Equals(10)));

  // The exporter holds at least one of the 10 slots: at most 9 of ours get in, 6 or more are
  // rejected.
  RedisClients clients = redis.OpenClients(15);
  REQUIRE(exporter.WaitForMetric("redis_timeout_rejected_connections_total", target, AtLeast(5)));
  REQUIRE(exporter.WaitForMetric("redis_timeout_connected_clients", target, Equals(10)));

  // The exporter kept its poll connection: still up, still polling.
  REQUIRE(exporter.WaitForPolls("small", 3, 5s));
  MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text());
  CHECK(m.Value("redis_timeout_target_up", target) == 1.0);
  CHECK(m.Value("redis_timeout_rejected_connections_total", target) >= 5.0);
  CHECK(m.Value("redis_timeout_maxclients", target) == 10.0);
  CHECK(m.Value("redis_timeout_poll_errors_total", {{"target", "small"}, {"stage", "connect"}}) ==
        0.0);

  // ... and its numbers follow redis: with our 9 clients gone, only the exporter's own few
  // connections (poll, latency probes) remain.
  clients.CloseAll();
  CHECK(exporter.WaitForMetric("redis_timeout_connected_clients", target, AtMost(4)));
}

TEST_CASE("daemon: a target full from the start fails its polls at stage connect",
          "[daemon][pool]") {
  // Redis answers the first command of a connection over maxclients with an error and closes
  // it: that error is why the poll failed, not the commands left without a reply.
  RedisServer redis({"--maxclients", "4"});
  // Once only this test's own connection is left (the start-up check's has gone), three named
  // clients take the last three slots.
  auto connected = [&redis] {
    const std::string info = redis.Command({"INFO", "clients"}).str;
    const auto at = info.find("connected_clients:");
    return at == std::string::npos ? -1 : std::stoi(info.substr(at + 18));
  };
  REQUIRE(WaitUntil([&] { return connected() == 1; }, 5s));
  RedisClients held = redis.OpenClients(3, "hold-");
  REQUIRE(connected() == 4);
  ExporterProcess exporter = StartExporter(Substitute(kSmallConfig, {{"redis", redis.address()}}));
  const Labels target{{"target", "small"}};
  REQUIRE(exporter.WaitForMetric("redis_timeout_poll_errors_total",
                                 {{"target", "small"}, {"stage", "connect"}}, AtLeast(2)));
  MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text());
  CHECK(m.Value("redis_timeout_target_up", target) == 0.0);
  for (const char* stage : {"info", "client_list", "slowlog", "config", "protocol", "auth"}) {
    INFO("stage " << stage);
    CHECK(m.Value("redis_timeout_poll_errors_total", {{"target", "small"}, {"stage", stage}}) ==
          0.0);
  }
  CHECK_THAT(exporter.ReadStderr(),
             Catch::Contains("stage=connect error=\"connection refused by Redis: max number of "
                             "clients reached (maxclients)\""));

  // Room again for the poll and both probes (3 connections): the next connect attempt gets in.
  held.CloseAll();
  CHECK(exporter.WaitForMetric("redis_timeout_target_up", target, Equals(1), 15s));
}

TEST_CASE("daemon: pool connections are counted by client name", "[daemon][pool]") {
  RedisServer redis;
  ExporterProcess exporter = StartExporter(Substitute(kPoolsConfig, {{"redis", redis.address()}}));
  const Labels api{{"target", "app-cache"}, {"pool", "api"}};
  const Labels worker{{"target", "app-cache"}, {"pool", "worker"}};
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", {{"target", "app-cache"}}, Equals(1)));

  RedisClients api_clients = redis.OpenClients(3, "api-");
  RedisClients worker_clients = redis.OpenClients(1, "worker-");
  RedisClients other_clients = redis.OpenClients(2, "batch-");
  REQUIRE(exporter.WaitForMetric("redis_timeout_pool_connections", api, Equals(3)));
  MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text());
  CHECK(m.Value("redis_timeout_pool_size", api) == 5.0);
  CHECK(m.Value("redis_timeout_pool_connections", worker) == 1.0);
  CHECK(m.Value("redis_timeout_pool_size", worker) == 2.0);
  CHECK(m.Samples("redis_timeout_pool_connections", {{"target", "app-cache"}}).size() == 2);
  CHECK(m.Value("redis_timeout_command_supported",
                {{"target", "app-cache"}, {"command", "client"}}) == 1.0);

  api_clients.CloseAll();
  CHECK(exporter.WaitForMetric("redis_timeout_pool_connections", api, Equals(0)));
}

TEST_CASE("daemon: without pools CLIENT LIST is never sent", "[daemon][pool]") {
  RedisServer redis;
  ExporterProcess exporter =
      StartExporter(Substitute(kNoPoolsConfig, {{"redis", redis.address()}}));
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", {{"target", "plain"}}, Equals(1)));
  REQUIRE(exporter.WaitForPolls("plain", 4, 5s));
  RedisValue stats = redis.Command({"INFO", "commandstats"});
  INFO(stats.str);
  CHECK(stats.str.find("cmdstat_client|list:") == std::string::npos);
  CHECK(stats.str.find("cmdstat_info:") != std::string::npos);
}

TEST_CASE("daemon: CLIENT LIST every poll with few clients, less often with thousands",
          "[daemon][pool][cadence]") {
  RedisServer redis({"--maxclients", "10000"});
  ExporterProcess exporter =
      StartExporter(Substitute(kCadenceConfig, {{"redis", redis.address()}}));
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", {{"target", "busy-host"}}, Equals(1)));
  REQUIRE(exporter.WaitForPolls("busy-host", 1, 5s));
  double before = ClientListCalls(redis);
  REQUIRE(exporter.WaitForPolls("busy-host", 8, 10s));
  double calls = ClientListCalls(redis) - before;
  INFO(calls << " CLIENT LISTs in 8 polls with a handful of clients");
  CHECK(calls >= 7);

  // 2,500 clients: every 250 ms × 2.5, i.e. every second or third poll.
  PoolClients clients(redis.port(), "127.0.0.1", 2500, "batch-");
  REQUIRE(exporter.WaitForMetric("redis_timeout_connected_clients", {{"target", "busy-host"}},
                                 AtLeast(2500), 15s));
  REQUIRE(exporter.WaitForPolls("busy-host", 2, 5s));  // the first list with them all is taken
  before = ClientListCalls(redis);
  REQUIRE(exporter.WaitForPolls("busy-host", 12, 15s));
  calls = ClientListCalls(redis) - before;
  INFO(calls << " CLIENT LISTs in 12 polls with 2,500 clients");
  CHECK(calls >= 3);
  CHECK(calls <= 7);
}
