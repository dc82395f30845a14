// One scenario per cause against real redis-servers: the fault is injected on one target while
// a healthy target is polled by the same exporter. The matching risk must reach 0.8, the other
// four causes of that target must stay below 0.5, and the healthy target below 0.2 throughout.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "connect_burst.h"
#include "delay_proxy.h"
#include "exporter_process.h"
#include "pool_clients.h"
#include "redis_server.h"
#include "repeating_command.h"
#include "stuck_listener.h"
#include "temp_dir.h"
#include "wait_until.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

const char* const kCauseNames[] = {"pool", "network", "memory", "slowlog", "backlog"};

std::string Config(const std::string& faulty_address, const std::string& healthy_address,
                   const std::string& extra_faulty = "", const std::string& poll = "250ms") {
  return "poll_interval: " + poll +
         "\n"
         "probe_interval: 100ms\n"
         "thresholds: {risk_window: 20s}\n"
         "targets:\n"
         "  - name: faulty\n"
         "    address: " +
         faulty_address + "\n" + extra_faulty +
         "  - name: healthy\n"
         "    address: " +
         healthy_address + "\n";
}

double Risk(const MetricsText& m, const std::string& target, const std::string& cause) {
  auto v = m.Value("redis_timeout_risk", {{"target", target}, {"cause", cause}});
  return v.value_or(-1);  // -1: absent
}

// The checks every scrape of every scenario makes: the faulty target's causes other than
// `cause` below 0.5, the healthy target's below 0.2.
void RequireOthersLow(const MetricsText& m, const std::string& cause) {
  for (const char* other : kCauseNames) {
    if (other == cause) continue;
    INFO("faulty target, cause " << other);
    REQUIRE(Risk(m, "faulty", other) < 0.5);
  }
  for (const char* any : kCauseNames) {
    INFO("healthy target, cause " << any);
    const double r = Risk(m, "healthy", any);
    REQUIRE(r < 0.2);
  }
}

// Scrapes until `cause` of the faulty target reaches `level` and then for `settle` longer,
// checking RequireOthersLow on every scrape. Returns the highest risk of `cause` seen.
double ExpectRisk(ExporterProcess& exporter, const std::string& cause, double level,
                  std::chrono::milliseconds timeout, std::chrono::milliseconds settle) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<std::chrono::steady_clock::time_point> reached;
  MetricsText last;
  double highest = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    last = exporter.ScrapeMetrics();
    INFO(last.text());
    RequireOthersLow(last, cause);
    highest = std::max(highest, Risk(last, "faulty", cause));
    if (!reached && Risk(last, "faulty", cause) >= level)
      reached = std::chrono::steady_clock::now();
    if (reached && std::chrono::steady_clock::now() - *reached >= settle) break;
    std::this_thread::sleep_for(100ms);
  }
  INFO(last.text());
  REQUIRE(reached.has_value());
  CHECK(Risk(last, "faulty", cause) >= level);
  return highest;
}

// The matching risk must reach critical.
void ExpectDiagnosis(ExporterProcess& exporter, const std::string& cause,
                     std::chrono::milliseconds timeout = 20s,
                     std::chrono::milliseconds settle = 1500ms) {
  ExpectRisk(exporter, cause, 0.8, timeout, settle);
}

void WaitJudged(ExporterProcess& exporter) {
  REQUIRE(exporter.WaitForMetric("redis_timeout_risk", {{"target", "faulty"}, {"cause", "network"}},
                                 Present(), 10s));
  REQUIRE(exporter.WaitForMetric("redis_timeout_risk",
                                 {{"target", "healthy"}, {"cause", "network"}}, Present(), 10s));
}

}  // namespace

TEST_CASE("scenario pool: maxclients 20 and 25 idle connections", "[scenario]") {
  RedisServer faulty({"--maxclients", "20"});
  RedisServer healthy;
  ExporterProcess exporter = StartExporter(Config(faulty.address(), healthy.address()));
  WaitJudged(exporter);
  RedisClients idle = faulty.OpenClients(25);
  ExpectDiagnosis(exporter, "pool");
}

// Pools as they work: `size` is per application instance, and a full pool of idle connections
// is healthy. Each instance is a loopback source address of its own (127.0.0.2, .3, ...); the
// exporter's own connections come from 127.0.0.1. Redis 7.0 in protected mode accepts only
// 127.0.0.1, hence --protected-mode no (it still listens on 127.0.0.1 only).
namespace {

// The faulty target declares the pool; a 10 s window keeps the scenarios short.
constexpr char kApiPool[] =
    "    pools: [{name: api, client_name: 'api-*', size: 10}]\n"
    "    thresholds: {risk_window: 10s}\n";
const Labels kApi{{"target", "faulty"}, {"pool", "api"}};
constexpr int kPollsPerWindow = 40;  // 10 s of 250 ms polls

// Scrapes for `duration`: the faulty target's pool risk stays below 0.2, everything else as
// RequireOthersLow. Returns the highest pool risk seen.
double ExpectPoolCalm(ExporterProcess& exporter, std::chrono::milliseconds duration) {
  const auto until = std::chrono::steady_clock::now() + duration;
  double highest = -1;
  while (std::chrono::steady_clock::now() < until) {
    const MetricsText m = exporter.ScrapeMetrics();
    INFO(m.text());
    RequireOthersLow(m, "pool");
    const double pool = Risk(m, "faulty", "pool");
    REQUIRE(pool >= 0);
    REQUIRE(pool < 0.2);
    highest = std::max(highest, pool);
    std::this_thread::sleep_for(100ms);
  }
  return highest;
}

}  // namespace

TEST_CASE("scenario pool: a pre-warmed pool at its size, all idle, is ok", "[scenario][pool]") {
  RedisServer faulty({"--protected-mode", "no"});
  RedisServer healthy;
  ExporterProcess exporter = StartExporter(Config(faulty.address(), healthy.address(), kApiPool));
  WaitJudged(exporter);
  PoolClients api(faulty.port(), "127.0.0.2", 10, "api-");
  REQUIRE(
      exporter.WaitForMetric("redis_timeout_pool_largest_instance_connections", kApi, Equals(10)));
  // One instance: the exporter's own connections (127.0.0.1) are not one.
  CHECK(exporter.Metric("redis_timeout_pool_instances", kApi) == 1);
  // A whole window with the full pool in it.
  const double highest = ExpectPoolCalm(exporter, 12s);
  CHECK(highest < 0.2);
  CHECK_THAT(exporter.Get("/triage").body, Catch::Contains("pool api: full but idle"));
}

TEST_CASE("scenario pool: three instances, each with a full idle pool, are ok",
          "[scenario][pool]") {
  RedisServer faulty({"--protected-mode", "no"});
  RedisServer healthy;
  ExporterProcess exporter = StartExporter(Config(faulty.address(), healthy.address(), kApiPool));
  WaitJudged(exporter);
  PoolClients a(faulty.port(), "127.0.0.2", 10, "api-");
  PoolClients b(faulty.port(), "127.0.0.3", 10, "api-");
  PoolClients c(faulty.port(), "127.0.0.4", 10, "api-");
  REQUIRE(exporter.WaitForMetric("redis_timeout_pool_instances", kApi, Equals(3)));
  CHECK(exporter.Metric("redis_timeout_pool_connections", kApi) == 30);
  CHECK(exporter.Metric("redis_timeout_pool_largest_instance_connections", kApi) == 10);
  const double highest = ExpectPoolCalm(exporter, 12s);
  CHECK(highest < 0.2);
}

TEST_CASE("scenario pool: one instance's every pool connection busy all the time",
          "[scenario][pool]") {
  RedisServer faulty({"--protected-mode", "no"});
  RedisServer healthy;
  ExporterProcess exporter = StartExporter(Config(faulty.address(), healthy.address(), kApiPool));
  WaitJudged(exporter);
  // A calm window first, so the busy instance has to hold in nearly every sample of a full one.
  PoolClients idle(faulty.port(), "127.0.0.2", 10, "api-");
  REQUIRE(exporter.WaitForPolls("faulty", kPollsPerWindow, 15s));
  PoolClients busy(faulty.port(), "127.0.0.3", 10, "api-", PoolClients::Use::kBusy);
  REQUIRE(exporter.WaitForMetric("redis_timeout_pool_busy_connections", kApi, Equals(10)));
  // The busy level must hold in 90% of a full 10 s window; 30 s leaves room for a loaded host.
  const double highest = ExpectRisk(exporter, "pool", 0.5, 30s, 1500ms);
  CHECK(highest >= 0.5);
  CHECK(busy.commands() > 0);
  const std::string triage = exporter.Get("/triage").body;
  CHECK_THAT(triage, Catch::Contains("pool api: 2 instances") &&
                         Catch::Contains("10 of its 10 connections busy") &&
                         Catch::Contains("Redis cannot see requests waiting"));
}

TEST_CASE("scenario pool: one instance holding 1.5 times its declared size", "[scenario][pool]") {
  RedisServer faulty({"--protected-mode", "no"});
  RedisServer healthy;
  ExporterProcess exporter = StartExporter(Config(faulty.address(), healthy.address(), kApiPool));
  WaitJudged(exporter);
  REQUIRE(exporter.WaitForPolls("faulty", kPollsPerWindow, 15s));
  PoolClients leak(faulty.port(), "127.0.0.2", 15, "api-");
  REQUIRE(
      exporter.WaitForMetric("redis_timeout_pool_largest_instance_connections", kApi, Equals(15)));
  const double highest = ExpectRisk(exporter, "pool", 0.5, 15s, 1500ms);
  CHECK(highest >= 0.5);
  CHECK_THAT(exporter.Get("/triage").body, Catch::Contains("one instance holds 15 connections"));
}

TEST_CASE("scenario pool: a connection per request, then pooled again", "[scenario][pool]") {
  RedisServer faulty({"--protected-mode", "no"});
  RedisServer healthy;
  // The default 20 s window: churn must hold over half of it.
  ExporterProcess exporter =
      StartExporter(Config(faulty.address(), healthy.address(),
                           "    pools: [{name: api, client_name: 'api-*', size: 10}]\n"));
  WaitJudged(exporter);
  const auto started = std::chrono::steady_clock::now();
  ConnectionChurn churn(faulty.port(), 300);
  const double highest = ExpectRisk(exporter, "pool", 0.5, 15s, 0ms);
  CHECK(highest >= 0.5);
  const std::string triage = exporter.Get("/triage").body;
  CHECK_THAT(triage, Catch::Contains("new connections/s that did not stay open") &&
                         Catch::Contains("Use a connection pool"));
  // Keep it up for 15 s in all, then stop: back below 0.2 within the window.
  WaitUntil([&] { return std::chrono::steady_clock::now() - started >= 15s; }, 16s, 100ms);
  churn.Stop();
  const double rate =
      static_cast<double>(churn.connections()) /
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  INFO("churn: " << churn.connections() << " connections (" << rate << "/s), " << churn.failures()
                 << " failures");
  CHECK(rate >= 150);
  const auto stopped = std::chrono::steady_clock::now();
  bool calm = false;
  while (!calm && std::chrono::steady_clock::now() - stopped < 20s) {
    const MetricsText m = exporter.ScrapeMetrics();
    INFO(m.text());
    RequireOthersLow(m, "pool");
    calm = Risk(m, "faulty", "pool") >= 0 && Risk(m, "faulty", "pool") < 0.2;
    if (!calm) std::this_thread::sleep_for(100ms);
  }
  INFO("pool risk back below 0.2 after "
       << std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped).count()
       << " s");
  CHECK(calm);
}

TEST_CASE("scenario network: 40 ms each way against a 100 ms client timeout", "[scenario]") {
  RedisServer faulty;
  RedisServer healthy;
  DelayProxy proxy("127.0.0.1", static_cast<std::uint16_t>(faulty.port()), 0ms);
  REQUIRE(proxy.Start().ok());
  ExporterProcess exporter =
      StartExporter(Config("127.0.0.1:" + std::to_string(proxy.port()), healthy.address(),
                           "    client_timeout: 100ms\n"));
  WaitJudged(exporter);
  proxy.SetDelay(40ms);
  ExpectDiagnosis(exporter, "network");
}

TEST_CASE("scenario memory: noeviction at maxmemory, writes until OOM", "[scenario]") {
  RedisServer faulty({"--maxmemory", "3mb", "--maxmemory-policy", "noeviction"});
  RedisServer healthy;
  ExporterProcess exporter = StartExporter(Config(faulty.address(), healthy.address()));
  WaitJudged(exporter);
  const std::string value(10000, 'x');
  bool oom = false;
  for (int i = 0; i < 2000 && !oom; ++i) {
    oom = faulty.Command({"SET", "key:" + std::to_string(i), value}).is_error();
  }
  REQUIRE(oom);
  ExpectDiagnosis(exporter, "memory");
}

TEST_CASE("scenario slowlog: repeated DEBUG SLEEP 0.3 against a 500 ms client timeout",
          "[scenario]") {
  RedisServer faulty({"--enable-debug-command", "local"});
  RedisServer healthy;
  ExporterProcess exporter = StartExporter(
      Config(faulty.address(), healthy.address(), "    client_timeout: 500ms\n", "1s"));
  WaitJudged(exporter);
  RepeatingCommand sleeper(faulty, {"DEBUG", "SLEEP", "0.3"}, 1s);
  ExpectDiagnosis(exporter, "slowlog", 25s, 3s);
}

TEST_CASE("scenario backlog: tcp-backlog 4 and a burst of 2,000 connects", "[scenario]") {
  RedisServer faulty({"--tcp-backlog", "4", "--maxclients", "10000"});
  RedisServer healthy;
  ExporterProcess exporter = StartExporter(Config(faulty.address(), healthy.address()));
  WaitJudged(exporter);
  ConnectBurst burst(faulty.port(), 2000);
  REQUIRE(burst.size() == 2000);
  ExpectDiagnosis(exporter, "backlog");
}

// Stalls SLOWLOG never records: the event loop is blocked by a Lua busy loop (~0.3 s of every
// second) while SLOWLOG is switched off or renamed away. The server's own command time
// (INFO commandstats) must name the blocking cause; the network must stay below warn.
namespace {

// Busy-waits on the server for 300 ms: a script that never yields, as a runaway Lua would.
const std::vector<std::string> kBusyLoop = {
    "EVAL",
    "local s = redis.call('TIME'); local start = s[1] * 1000000 + s[2]; "
    "repeat local n = redis.call('TIME') until (n[1] * 1000000 + n[2]) - start >= 300000; "
    "return 1",
    "0"};

}  // namespace

TEST_CASE("scenario blocking: a Lua busy loop with SLOWLOG off", "[scenario][blocking]") {
  RedisServer faulty({"--slowlog-log-slower-than", "-1"});
  RedisServer healthy;
  ExporterProcess exporter = StartExporter(
      Config(faulty.address(), healthy.address(), "    client_timeout: 400ms\n", "1s"));
  WaitJudged(exporter);
  RepeatingCommand busy(faulty, kBusyLoop, 700ms);
  ExpectDiagnosis(exporter, "slowlog", 25s, 3s);
  const std::string triage = exporter.Get("/triage").body;
  CHECK_THAT(triage, Catch::Contains("commandstats") && Catch::Contains("SLOWLOG is off"));
}

TEST_CASE("scenario blocking: a Lua busy loop with SLOWLOG renamed away", "[scenario][blocking]") {
  TempDir conf("rte-redis-conf");
  RedisServer faulty({"--include", conf.WriteFile("rename.conf", "rename-command SLOWLOG \"\"\n")});
  REQUIRE(faulty.Command({"SLOWLOG", "GET"}).is_error());
  RedisServer healthy;
  ExporterProcess exporter = StartExporter(
      Config(faulty.address(), healthy.address(), "    client_timeout: 400ms\n", "1s"));
  WaitJudged(exporter);
  REQUIRE(exporter.WaitForMetric("redis_timeout_command_supported",
                                 {{"target", "faulty"}, {"command", "slowlog"}}, Equals(0), 10s));
  RepeatingCommand busy(faulty, kBusyLoop, 700ms);
  ExpectDiagnosis(exporter, "slowlog", 25s, 3s);
  CHECK_THAT(exporter.Get("/triage").body, Catch::Contains("SLOWLOG is refused"));
}

TEST_CASE("scenario network, not blocking: a delaying proxy and an idle server",
          "[scenario][blocking]") {
  // The delay the proxy adds is invisible to TCP_INFO (the proxy's own sockets answer at once):
  // the verdict must come from the absence of server-side busy time.
  RedisServer faulty;
  RedisServer healthy;
  DelayProxy proxy("127.0.0.1", static_cast<std::uint16_t>(faulty.port()), 0ms);
  REQUIRE(proxy.Start().ok());
  ExporterProcess exporter =
      StartExporter(Config("127.0.0.1:" + std::to_string(proxy.port()), healthy.address(),
                           "    client_timeout: 400ms\n", "1s"));
  WaitJudged(exporter);
  proxy.SetDelay(120ms);
  ExpectDiagnosis(exporter, "network", 25s, 3s);
}

TEST_CASE("latency monitor and fork figures come from the server", "[blocking]") {
  RedisServer redis({"--enable-debug-command", "local"});
  ExporterProcess exporter = StartExporter(Substitute(R"(
poll_interval: 250ms
config_interval: 250ms
targets:
  - name: t
    address: ${redis}
)",
                                                      {{"redis", redis.address()}}));
  const Labels t{{"target", "t"}};
  REQUIRE(exporter.WaitForMetric("redis_timeout_latency_monitor_threshold_seconds", t, Equals(0)));
  REQUIRE(redis.Command({"CONFIG", "SET", "latency-monitor-threshold", "10"}).str == "OK");
  REQUIRE(redis.Command({"DEBUG", "SLEEP", "0.05"}).str == "OK");
  REQUIRE(
      exporter.WaitForMetric("redis_timeout_latency_monitor_threshold_seconds", t, Equals(0.01)));
  const Labels command{{"target", "t"}, {"event", "command"}};
  REQUIRE(
      exporter.WaitForMetric("redis_timeout_latency_event_last_seconds", command, AtLeast(0.05)));
  CHECK(exporter.Metric("redis_timeout_latency_event_max_seconds", command) >= 0.05);
  CHECK(exporter.Metric("redis_timeout_latency_event_timestamp_seconds", command) > 1.7e9);

  REQUIRE(exporter.WaitForMetric("redis_timeout_forks_total", t, Equals(0)));
  REQUIRE(redis.Command({"SET", "k", "v"}).str == "OK");
  REQUIRE_FALSE(redis.Command({"BGSAVE"}).is_error());
  REQUIRE(exporter.WaitForMetric("redis_timeout_forks_total", t, Equals(1)));
  CHECK(exporter.Metric("redis_timeout_fork_duration_seconds", t) > 0.0);
  CHECK(exporter.Metric("redis_timeout_command_time_seconds_total", t) > 0.05);

  // Local target: the kernel sampler reads the Redis process's swap (its PID from INFO) and the
  // host's transparent huge pages mode.
  REQUIRE(exporter.WaitForMetric("redis_timeout_process_swap_bytes", t, AtLeast(0)));
  if (access("/sys/kernel/mm/transparent_hugepage/enabled", R_OK) == 0) {
    REQUIRE(exporter.WaitForScrape(
        [](const MetricsText& m) {
          return m.text().find("redis_timeout_kernel_transparent_hugepage_info{mode=\"") !=
                 std::string::npos;
        },
        10s, "transparent_hugepage_info with its mode"));
  }
}

// Production shapes the verdict once got wrong (issue 16): each asserts the right verdict on a
// real server, and that the shape really happened.
namespace {

// Scrapes for `duration`, checking on every scrape that `cause` of the faulty target stays below
// 0.5 and the healthy target below 0.2 on every cause. Returns the highest risk of `cause`.
double ExpectBelowWarn(ExporterProcess& exporter, const std::string& cause,
                       std::chrono::milliseconds duration) {
  const auto until = std::chrono::steady_clock::now() + duration;
  double highest = -1;
  while (std::chrono::steady_clock::now() < until) {
    const MetricsText m = exporter.ScrapeMetrics();
    INFO(m.text());
    const double r = Risk(m, "faulty", cause);
    REQUIRE(r < 0.5);
    for (const char* c : kCauseNames) REQUIRE(Risk(m, "healthy", c) < 0.2);
    highest = std::max(highest, r);
    std::this_thread::sleep_for(100ms);
  }
  return highest;
}

const Labels kFaulty{{"target", "faulty"}};

}  // namespace

TEST_CASE("scenario shapes: churn plus another service's overflowing queue is not backlog",
          "[scenario][shapes]") {
  RedisServer faulty;
  RedisServer healthy;
  ExporterProcess exporter = StartExporter(Config(faulty.address(), healthy.address()));
  WaitJudged(exporter);
  // Clients that do not pool: connect, PING, close, 150 times a second.
  ConnectionChurn churn(faulty.port(), 150);
  const double overflows_before =
      exporter.ScrapeMetrics().Value("redis_timeout_kernel_listen_overflows_total", {}).value_or(0);
  // Another service on this host: a queue of 1 that never accepts, and a burst at it.
  StuckListener other(1);
  ConnectBurst burst(other.port(), 300);
  REQUIRE(exporter.WaitForMetric("redis_timeout_kernel_listen_overflows_total", {},
                                 Above(overflows_before), 10s));
  // A whole judged window with the overflows in it: backlog stays below warn.
  ExpectBelowWarn(exporter, "backlog", 12s);
  CHECK(churn.connections() > 500);
  const std::string triage = exporter.Get("/triage").body;
  CHECK_THAT(triage, Catch::Contains("not attributed to this target"));
}

TEST_CASE("scenario shapes: a loading Redis is not serving, and not a network problem",
          "[scenario][shapes]") {
  // 100 µs per key while loading, and events processed every KB, so INFO answers meanwhile.
  RedisServer faulty(
      {"--key-load-delay", "100", "--loading-process-events-interval-bytes", "1024"});
  RedisServer healthy;
  const RedisValue filled = faulty.Command(
      {"EVAL", "for i = 1, 80000 do redis.call('SET', 'key:' .. i, 'v') end return 1", "0"});
  REQUIRE(filled.integer == 1);
  REQUIRE(faulty.Command({"SAVE"}).str == "OK");
  ExporterProcess exporter = StartExporter(Config(faulty.address(), healthy.address()));
  WaitJudged(exporter);
  REQUIRE(exporter.Metric("redis_timeout_target_serving", kFaulty) == 1);
  faulty.Restart();  // loads 80,000 keys for about 8 s
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_not_serving_info",
                                 {{"target", "faulty"}, {"reason", "loading"}}, Equals(1), 10s));
  const MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text());
  CHECK(m.Value("redis_timeout_target_serving", kFaulty) == 0);
  CHECK(m.Value("redis_timeout_loading_progress_ratio", kFaulty).has_value());
  CHECK(Risk(m, "faulty", "network") < 0.5);
  const std::string triage = exporter.Get("/triage").body;
  CHECK_THAT(triage, Catch::Contains("NOT SERVING") && Catch::Contains("loading its dataset"));
  // Loaded: serving again, and the load never showed as a slow network.
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_serving", kFaulty, Equals(1), 30s));
  ExpectBelowWarn(exporter, "network", 3s);
}

TEST_CASE("scenario shapes: protected-mode denials are not maxclients rejections",
          "[scenario][shapes]") {
  // Protected mode (the default, no password): a client from 127.0.0.2 gets -DENIED, which
  // Redis counts in rejected_connections.
  RedisServer faulty;
  RedisServer healthy;
  ExporterProcess exporter = StartExporter(Config(faulty.address(), healthy.address()));
  WaitJudged(exporter);
  ConnectionChurn health_check(faulty.port(), 2, "127.0.0.2");
  REQUIRE(
      exporter.WaitForMetric("redis_timeout_rejected_connections_total", kFaulty, AtLeast(1), 10s));
  ExpectBelowWarn(exporter, "pool", 8s);
  CHECK(health_check.connections() == 0);  // every one was denied
  CHECK_THAT(exporter.Get("/triage").body,
             Catch::Contains("denied") && Catch::Contains("protected mode"));
}

TEST_CASE("scenario shapes: CLIENT PAUSE WRITE is not serving", "[scenario][shapes]") {
  RedisServer faulty;
  RedisServer healthy;
  ExporterProcess exporter = StartExporter(Config(faulty.address(), healthy.address()));
  WaitJudged(exporter);
  REQUIRE(faulty.Command({"CLIENT", "PAUSE", "30000", "WRITE"}).str == "OK");
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_not_serving_info",
                                 {{"target", "faulty"}, {"reason", "writes_paused"}}, Equals(1),
                                 10s));
  const MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text());
  CHECK(m.Value("redis_timeout_target_serving", kFaulty) == 0);
  CHECK(m.Value("redis_timeout_target_up", kFaulty) == 1);  // reads and INFO still work
  for (const char* c : kCauseNames) CHECK(Risk(m, "faulty", c) < 0.5);
  CHECK_THAT(exporter.Get("/triage").body,
             Catch::Contains("NOT SERVING") && Catch::Contains("writes are paused"));
  REQUIRE(faulty.Command({"CLIENT", "UNPAUSE"}).str == "OK");
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_serving", kFaulty, Equals(1), 10s));
}

TEST_CASE("scenario shapes: a script past busy-reply-threshold is not serving",
          "[scenario][shapes]") {
  RedisServer faulty({"--busy-reply-threshold", "200"});
  RedisServer healthy;
  ExporterProcess exporter = StartExporter(Config(faulty.address(), healthy.address()));
  WaitJudged(exporter);
  // A script that never yields for 6 s: every other command gets -BUSY after 200 ms.
  std::thread script([&faulty] {
    faulty.CommandOnNewConnection(
        {"EVAL",
         "local s = redis.call('TIME'); local start = s[1] * 1000000 + s[2]; "
         "repeat local n = redis.call('TIME') until (n[1] * 1000000 + n[2]) - start >= 6000000; "
         "return 1",
         "0"},
        "", 20s);
  });
  const auto waited =
      exporter.WaitForMetric("redis_timeout_target_not_serving_info",
                             {{"target", "faulty"}, {"reason", "busy_script"}}, Equals(1), 5s);
  const std::string triage = exporter.Get("/triage").body;
  script.join();
  REQUIRE(waited);
  CHECK_THAT(triage, Catch::Contains("NOT SERVING") && Catch::Contains("busy-reply-threshold"));
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_serving", kFaulty, Equals(1), 15s));
}
