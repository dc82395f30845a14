// One scenario per cause against real redis-servers: the fault is injected on one target while
// a healthy target is polled by the same exporter. The matching risk must reach 0.8, the other
// four causes of that target must stay below 0.5, and the healthy target below 0.2 throughout.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>


#include <atomic>
#include <chrono>
#include <thread>

#include "connect_burst.h"
#include "delay_proxy.h"
#include "exporter_process.h"
#include "redis_server.h"
#include "repeating_command.h"

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
