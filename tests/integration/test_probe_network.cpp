// Cause 2 end to end: the PING probe, its window quantiles and the kernel TCP RTT, against a
// real redis-server behind the test suite's delay proxy, and a server blocked by DEBUG SLEEP.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>
#include <future>

#include "delay_proxy.h"
#include "exporter_process.h"
#include "redis_server.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

std::string ProbeConfig(const std::string& address, const std::string& client_timeout) {
  return "poll_interval: 250ms\n"
         "probe_interval: 100ms\n"
         "latency_window: 2s\n"
         "targets:\n"
         "  - name: probed\n"
         "    address: " +
         address +
         "\n"
         "    client_timeout: " +
         client_timeout + "\n";
}

const Labels kTarget{{"target", "probed"}};
Labels Quantile(const char* q) { return {{"target", "probed"}, {"quantile", q}}; }

}  // namespace

TEST_CASE("probe: 20 ms each way shows in the PING window, not in the TCP RTT",
          "[probe][network]") {
  RedisServer redis;
  DelayProxy proxy("127.0.0.1", static_cast<std::uint16_t>(redis.port()), 20ms);
  REQUIRE(proxy.Start().ok());
  ExporterProcess exporter =
      StartExporter(ProbeConfig("127.0.0.1:" + std::to_string(proxy.port()), "1s"));

  REQUIRE(exporter.WaitForMetric("redis_timeout_ping_rtt_window_seconds", Quantile("0.5"),
                                 Above(0.040), 10s));
  MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text());
  // The proxy is in user space on loopback: the kernel sees a loopback path.
  REQUIRE(m.Value("redis_timeout_tcp_rtt_seconds", kTarget).has_value());
  CHECK(*m.Value("redis_timeout_tcp_rtt_seconds", kTarget) < 0.010);
  CHECK(*m.Value("redis_timeout_ping_rtt_window_seconds", Quantile("0.5")) < 0.200);
  CHECK(m.Value("redis_timeout_ping_failures_total", kTarget) == 0.0);
  // The fresh-connect probe pays the delay too (connect + first reply through the proxy).
  CHECK(*m.Value("redis_timeout_connect_duration_seconds", kTarget) >= 0.040);

  // Take the delay away: the window (2 s) forgets the slow samples.
  proxy.SetDelay(0ms);
  REQUIRE(exporter.WaitForMetric(
      "redis_timeout_ping_rtt_window_seconds", Quantile("1"),
      [](std::optional<double> v) { return v && *v < 0.010; }, 10s));
  CHECK(*exporter.Metric("redis_timeout_tcp_rtt_seconds", kTarget) < 0.010);
}

TEST_CASE("probe: a blocked server shows in the max and failures, not in the TCP RTT",
          "[probe][network]") {
  RedisServer redis({"--enable-debug-command", "local"});
  ExporterProcess exporter = StartExporter(ProbeConfig(redis.address(), "500ms"));
  REQUIRE(exporter.WaitForMetric("redis_timeout_tcp_rtt_seconds", kTarget, Present()));
  REQUIRE(exporter.WaitForMetric("redis_timeout_ping_rtt_window_seconds", Quantile("1"),
                                 [](std::optional<double> v) { return v && *v < 0.050; }));
  const double failures_before = *exporter.Metric("redis_timeout_ping_failures_total", kTarget);

  auto sleeper = std::async(std::launch::async, [&redis] {
    return redis.CommandOnNewConnection({"DEBUG", "SLEEP", "2"}, "", 5s);
  });
  REQUIRE(exporter.WaitForMetric("redis_timeout_ping_failures_total", kTarget,
                                 Above(failures_before), 8s));
  REQUIRE(exporter.WaitForMetric("redis_timeout_ping_rtt_window_seconds", Quantile("1"),
                                 AtLeast(0.5), 8s));
  sleeper.get();
  MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text());
  CHECK(*m.Value("redis_timeout_tcp_rtt_seconds", kTarget) < 0.010);
  // Once Redis is back, the probe measures again.
  const double count = *m.Value("redis_timeout_ping_rtt_seconds_count", kTarget);
  CHECK(exporter.WaitForMetric("redis_timeout_ping_rtt_seconds_count", kTarget, Above(count + 3),
                               8s));
}

TEST_CASE("probe: at maxclients fresh connects are refused while the persistent probe measures",
          "[probe][pool]") {
  RedisServer redis({"--maxclients", "10"});
  ExporterProcess exporter = StartExporter(ProbeConfig(redis.address(), "1s"));
  const Labels max_clients{{"target", "probed"}, {"reason", "max_clients"}};
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", kTarget, Equals(1)));
  REQUIRE(exporter.WaitForMetric("redis_timeout_ping_rtt_seconds_count", kTarget, AtLeast(1)));
  CHECK(exporter.Metric("redis_timeout_connect_refusals_total", max_clients) == 0.0);

  RedisClients clients = redis.OpenClients(15);
  REQUIRE(
      exporter.WaitForMetric("redis_timeout_connect_refusals_total", max_clients, AtLeast(2), 10s));
  const double count = *exporter.Metric("redis_timeout_ping_rtt_seconds_count", kTarget);
  REQUIRE(exporter.WaitForMetric("redis_timeout_ping_rtt_seconds_count", kTarget, Above(count + 3),
                                 5s));
  CHECK(exporter.Metric("redis_timeout_target_up", kTarget) == 1.0);
}
