// Cause 5 end to end: a paused redis-server with tcp-backlog 4 and a burst of connects fills
// its accept queue; the daemon reports the queue at its maximum and the host's overflows.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>

#include "connect_burst.h"
#include "exporter_process.h"
#include "redis_server.h"

using namespace rte::testing;
using namespace std::chrono_literals;

TEST_CASE("backlog: a full accept queue and host overflows are reported, then drain",
          "[probe][backlog]") {
  RedisServer redis({"--tcp-backlog", "4"});
  ExporterProcess exporter = StartExporter(
      "poll_interval: 200ms\n"
      "targets:\n"
      "  - name: burst\n"
      "    address: " +
      redis.address() +
      "\n"
      "    poll_timeout: 200ms\n"
      "    client_timeout: 200ms\n");
  const Labels target{{"target", "burst"}};
  REQUIRE(exporter.WaitForMetric("redis_timeout_listen_queue_max", target, Equals(4)));
  REQUIRE(exporter.WaitForMetric("redis_timeout_tcp_backlog", target, Equals(4)));
  REQUIRE(exporter.WaitForMetric("redis_timeout_listen_queue_length", target, Equals(0)));
  const auto overflows_before = exporter.Metric("redis_timeout_kernel_listen_overflows_total");
  REQUIRE(overflows_before.has_value());

  redis.Pause();
  {
    ConnectBurst burst(redis.port(), 20);
    // Linux keeps max + 1 connections in the queue before it overflows.
    REQUIRE(exporter.WaitForMetric("redis_timeout_listen_queue_length", target, Equals(5), 10s));
    REQUIRE(exporter.WaitForMetric("redis_timeout_kernel_listen_overflows_total", {},
                                   Above(*overflows_before), 10s));
    redis.Resume();
  }
  REQUIRE(exporter.WaitForMetric("redis_timeout_listen_queue_length", target, Equals(0), 10s));
  CHECK(exporter.WaitForMetric("redis_timeout_target_up", target, Equals(1), 10s));
}

TEST_CASE("backlog: kernel series from --path.procfs; missing files leave them out, warned once",
          "[probe][backlog]") {
  RedisServer redis;
  const std::string config =
      "poll_interval: 200ms\n"
      "targets:\n"
      "  - name: k\n"
      "    address: " +
      redis.address() + "\n";
  {
    ExporterOptions options;
    options.extra_args = {std::string("--path.procfs=") + RTE_FIXTURES_DIR + "/proc/linux-4.9"};
    ExporterProcess exporter = StartExporter(config, options);
    REQUIRE(
        exporter.WaitForMetric("redis_timeout_kernel_listen_overflows_total", {}, Equals(1713)));
    MetricsText m = exporter.ScrapeMetrics();
    CHECK(m.Value("redis_timeout_kernel_listen_drops_total") == 1719.0);
    CHECK(m.Value("redis_timeout_kernel_somaxconn") == 128.0);
    CHECK(m.Value("redis_timeout_collector_success", {{"collector", "kernel_counters"}}) == 1.0);
  }
  ExporterOptions options;
  options.extra_args = {std::string("--path.procfs=") + RTE_FIXTURES_DIR + "/proc/missing-files"};
  ExporterProcess exporter = StartExporter(config, options);
  REQUIRE(exporter.WaitForPolls("k", 5, 10s));
  MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text());
  CHECK_FALSE(m.Has("redis_timeout_kernel_listen_overflows_total"));
  CHECK_FALSE(m.Has("redis_timeout_kernel_tcp_syncookies"));
  CHECK(m.Value("redis_timeout_kernel_somaxconn") == 4096.0);
  CHECK(m.Value("redis_timeout_collector_success", {{"collector", "kernel_counters"}}) == 0.0);
  CHECK(m.Value("redis_timeout_target_up", {{"target", "k"}}) == 1.0);
  // One warning per missing item, not one per read (the kernel is read every 200 ms here).
  const std::string log = exporter.ReadStderr();
  size_t netstat_warnings = 0;
  for (size_t at = log.find("net/netstat"); at != std::string::npos;
       at = log.find("net/netstat", at + 1)) {
    ++netstat_warnings;
  }
  INFO(log);
  CHECK(netstat_warnings == 1);
}
