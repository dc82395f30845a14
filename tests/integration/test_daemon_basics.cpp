// Black-box tests of the daemon's basics: one healthy target, the HTTP endpoints, flags.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>
#include <cmath>
#include <ctime>
#include <regex>
#include <sstream>

#include "exporter_process.h"
#include "redis_server.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr char kOneTarget[] = R"(
poll_interval: 250ms
targets:
  - name: ${name}
    address: ${address}
    client_timeout: 1500ms
)";

std::string OneTarget(const std::string& name, const std::string& address) {
  return Substitute(kOneTarget, {{"name", name}, {"address", address}});
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

TEST_CASE("daemon: one healthy target is polled and exported", "[daemon][basic]") {
  RedisServer redis;
  ExporterProcess exporter = StartExporter(OneTarget("cache-1", redis.address()));
  const Labels target{{"target", "cache-1"}};
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", target, Equals(1)));
  REQUIRE(exporter.WaitForMetric("redis_timeout_slowlog_threshold_seconds", target, Present()));

  MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text());
  CHECK(m.errors().empty());
  CHECK(m.Value("redis_timeout_connected_clients", target) >= 1.0);
  CHECK(m.Value("redis_timeout_maxclients", target) == 10000.0);
  CHECK(m.Value("redis_timeout_blocked_clients", target) == 0.0);
  CHECK(m.Value("redis_timeout_connections_received_total", target) >= 1.0);
  CHECK(m.Value("redis_timeout_rejected_connections_total", target) == 0.0);
  CHECK(m.Value("redis_timeout_memory_used_bytes", target) > 0.0);
  CHECK(m.Value("redis_timeout_maxmemory_bytes", target) == 0.0);
  CHECK(m.Value("redis_timeout_system_memory_bytes", target) > 0.0);
  CHECK(m.Value("redis_timeout_maxmemory_policy_info",
                {{"target", "cache-1"}, {"policy", "noeviction"}}) == 1.0);
  CHECK(m.Samples("redis_timeout_maxmemory_policy_info", target).size() == 1);
  CHECK(m.Value("redis_timeout_oom_errors_total", target) == 0.0);
  CHECK(m.Value("redis_timeout_evicted_keys_total", target) == 0.0);
  CHECK(m.Value("redis_timeout_client_timeout_seconds", target) == 1.5);
  CHECK(m.Value("redis_timeout_slowlog_threshold_seconds", target) == 0.01);
  CHECK(m.Value("redis_timeout_slowlog_entries_lost_total", target) == 0.0);
  CHECK(m.Value("redis_timeout_slowlog_duration_seconds_count", target) == 0.0);
  CHECK(m.Value("redis_timeout_poll_duration_seconds", target) >= 0.0);
  CHECK(m.Sum("redis_timeout_poll_errors_total", target) == 0.0);
  for (const char* command : {"config", "slowlog", "client"}) {
    CHECK(m.Value("redis_timeout_command_supported",
                  {{"target", "cache-1"}, {"command", command}}) == 1.0);
  }
  CHECK(m.Value("redis_timeout_config_last_reload_successful") == 1.0);
  CHECK(m.Value("redis_timeout_config_last_reload_success_timestamp_seconds") > 0.0);

  // The timestamp is wall-clock seconds of the last successful poll.
  auto last_poll = m.Value("redis_timeout_last_poll_success_timestamp_seconds", target);
  REQUIRE(last_poll.has_value());
  CHECK(std::abs(*last_poll - static_cast<double>(std::time(nullptr))) < 30.0);

  auto build = m.Samples("redis_timeout_exporter_build_info");
  REQUIRE(build.size() == 1);
  CHECK(build[0].value == 1.0);
  CHECK(!build[0].labels["version"].empty());

  // Every sample has HELP and TYPE; counters end in _total, everything else is a gauge or a
  // histogram (with its _bucket/_sum/_count).
  for (const MetricFamily& family : m.Families()) {
    if (family.samples.empty()) continue;
    INFO("family " << family.name);
    CHECK(!family.help.empty());
    CHECK(!family.type.empty());
    if (family.name.rfind("redis_timeout_", 0) != 0) continue;
    if (EndsWith(family.name, "_total")) {
      CHECK(family.type == "counter");
    } else if (family.type == "histogram") {
      for (const char* part : {"_bucket", "_sum", "_count"}) CHECK(m.Has(family.name + part));
    } else {
      CHECK(family.type == "gauge");
    }
  }
  const MetricFamily* slowlog = m.Family("redis_timeout_slowlog_duration_seconds");
  REQUIRE(slowlog != nullptr);
  CHECK(slowlog->type == "histogram");
  CHECK(m.Has("redis_timeout_slowlog_duration_seconds_bucket",
              {{"target", "cache-1"}, {"le", "+Inf"}}));

  // One persistent poll connection, named.
  RedisValue clients = redis.Command({"CLIENT", "LIST"});
  INFO(clients.str);
  std::istringstream lines(clients.str);
  std::string line;
  int named = 0;
  while (std::getline(lines, line)) {
    if (line.find(" name=redis-timeout-exporter ") != std::string::npos) ++named;
  }
  CHECK(named == 1);
}

TEST_CASE("daemon: HTTP endpoints", "[daemon][basic]") {
  RedisServer redis;
  ExporterProcess exporter = StartExporter(OneTarget("cache-1", redis.address()));

  HttpResponse landing = exporter.Get("/");
  CHECK(landing.status == 200);
  CHECK(landing.body.find("href=\"/metrics\"") != std::string::npos);

  HttpResponse healthy = exporter.Get("/-/healthy");
  CHECK(healthy.status == 200);

  HttpResponse metrics = exporter.Get("/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("redis_timeout_exporter_build_info") != std::string::npos);

  HttpResponse reload = exporter.Post("/-/reload");
  INFO(reload.body);
  CHECK(reload.status == 200);
  CHECK(exporter.Metric("redis_timeout_config_last_reload_successful") == 1.0);
}

TEST_CASE("daemon: --version prints the version and exits 0", "[daemon][basic]") {
  ExporterRun run = RunExporter({"--version"});
  INFO("stdout: " << run.stdout_text << "\nstderr: " << run.stderr_text);
  CHECK(run.exit_code == 0);
  CHECK(std::regex_search(run.stdout_text + run.stderr_text, std::regex(R"(\d+\.\d+\.\d+)")));
}

TEST_CASE("daemon: a unix socket target", "[daemon][basic]") {
  RedisServer redis;
  ExporterProcess exporter = StartExporter(OneTarget("sock-1", "unix://" + redis.unix_socket()));
  const Labels target{{"target", "sock-1"}};
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", target, Equals(1)));
  CHECK(exporter.Metric("redis_timeout_memory_used_bytes", target) > 0.0);
}
