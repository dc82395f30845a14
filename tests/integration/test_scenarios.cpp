// One scenario per cause against real redis-servers: the fault is injected on one target while
// a healthy target is polled by the same exporter. The matching risk must reach 0.8, the other
// four causes of that target must stay below 0.5, and the healthy target below 0.2 throughout.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>


#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "connect_burst.h"
#include "delay_proxy.h"
#include "exporter_process.h"
#include "redis_server.h"
#include "repeating_command.h"
#include "temp_dir.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

const char* const kCauseNames[] = {"pool", "network", "memory", "slowlog", "backlog"};

std::string Config(const std::string& faulty_address, const std::string& healthy_address,
                   const std::string& extra_faulty = "", const std::string& poll = "250ms") {
  return "poll_interval: " + poll + "\n"
         "probe_interval: 100ms\n"
         "thresholds: {risk_window: 20s}\n"
         "targets:\n"
         "  - name: faulty\n"
         "    address: " + faulty_address + "\n" + extra_faulty +
         "  - name: healthy\n"
         "    address: " + healthy_address + "\n";
}

double Risk(const MetricsText& m, const std::string& target, const std::string& cause) {
  auto v = m.Value("redis_timeout_risk", {{"target", target}, {"cause", cause}});
  return v.value_or(-1);  // -1: absent
}

// Scrapes until `cause` of the faulty target reaches 0.8 and then for `settle` longer, and
// checks on every scrape that the other causes stay below 0.5 and the healthy target below 0.2.
void ExpectDiagnosis(ExporterProcess& exporter, const std::string& cause,
                     std::chrono::milliseconds timeout = 20s,
                     std::chrono::milliseconds settle = 1500ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<std::chrono::steady_clock::time_point> reached;
  MetricsText last;
  while (std::chrono::steady_clock::now() < deadline) {
    last = exporter.ScrapeMetrics();
    INFO(last.text());
    for (const char* other : kCauseNames) {
      if (other == cause) continue;
      INFO("faulty target, cause " << other);
      REQUIRE(Risk(last, "faulty", other) < 0.5);
    }
    for (const char* any : kCauseNames) {
      INFO("healthy target, cause " << any);
      const double r = Risk(last, "healthy", any);
      REQUIRE(r < 0.2);
    }
    if (!reached && Risk(last, "faulty", cause) >= 0.8) reached = std::chrono::steady_clock::now();
    if (reached && std::chrono::steady_clock::now() - *reached >= settle) break;
    std::this_thread::sleep_for(100ms);
  }
  INFO(last.text());
  REQUIRE(reached.has_value());
  CHECK(Risk(last, "faulty", cause) >= 0.8);
}

void WaitJudged(ExporterProcess& exporter) {
  REQUIRE(exporter.WaitForMetric("redis_timeout_risk", {{"target", "faulty"}, {"cause", "network"}},
                                 Present(), 10s));
  REQUIRE(exporter.WaitForMetric("redis_timeout_risk", {{"target", "healthy"}, {"cause", "network"}},
                                 Present(), 10s));
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

TEST_CASE("scenario network: 40 ms each way against a 100 ms client timeout", "[scenario]") {
  RedisServer faulty;
  RedisServer healthy;
  DelayProxy proxy("127.0.0.1", static_cast<std::uint16_t>(faulty.port()), 0ms);
  REQUIRE(proxy.Start().ok());
  ExporterProcess exporter = StartExporter(Config("127.0.0.1:" + std::to_string(proxy.port()),
                                                  healthy.address(), "    client_timeout: 100ms\n"));
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

TEST_CASE("scenario blocking: a Lua busy loop with SLOWLOG renamed away",
          "[scenario][blocking]") {
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
  REQUIRE(exporter.WaitForMetric("redis_timeout_latency_monitor_threshold_seconds", t,
                                 Equals(0.01)));
  const Labels command{{"target", "t"}, {"event", "command"}};
  REQUIRE(exporter.WaitForMetric("redis_timeout_latency_event_last_seconds", command,
                                 AtLeast(0.05)));
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
