// Black-box tests of managed-Redis fallbacks: refused CONFIG/SLOWLOG/CLIENT/LATENCY keep the
// target up.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <sstream>
#include <string>
#include <vector>

#include "exporter_process.h"
#include "redis_server.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr char kManagedConfig[] = R"(
poll_interval: 250ms
config_interval: 250ms
targets:
  - name: managed
    address: ${redis}
)";

constexpr char kLimitedUserConfig[] = R"(
poll_interval: 250ms
config_interval: 250ms
client_list_interval: 250ms
targets:
  - name: limited
    address: ${redis}
    username: monitor
    password_file: ${password_file}
    pools:
      - {name: api, client_name: "api-*", size: 5}
)";

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// stderr lines that mention `target` and `word` (case-insensitive).
int LinesMentioning(const std::string& log, const std::string& target, const std::string& word) {
  std::istringstream in(log);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.find(target) != std::string::npos && Lower(line).find(word) != std::string::npos) ++n;
  }
  return n;
}

// An exporter polling `redis` as ACL user `monitor` (kLimitedUserConfig), who may run every
// command but the `denied` ones; its password file lives in `secrets`.
ExporterProcess StartAsLimitedUser(RedisServer& redis, const TempDir& secrets,
                                   const std::vector<std::string>& denied) {
  std::vector<std::string> acl = {"ACL",           "SETUSER", "monitor", "on",
                                  ">monitor-pass", "~*",      "+@all"};
  for (const auto& command : denied) acl.push_back("-" + command);
  REQUIRE(redis.Command(acl).str == "OK");
  return StartExporter(Substitute(
      kLimitedUserConfig, {{"redis", redis.address()},
                           {"password_file", secrets.WriteFile("password", "monitor-pass")}}));
}

}  // namespace

TEST_CASE("daemon: rename-command CONFIG \"\" falls back to INFO", "[daemon][fallback]") {
  RedisServer redis(
      {"--rename-command", "CONFIG", "", "--maxclients", "321", "--maxmemory", "64mb"});
  ExporterOptions options;
  options.log_level = "info";  // count what an operator sees, not per-poll debug lines
  ExporterProcess exporter =
      StartExporter(Substitute(kManagedConfig, {{"redis", redis.address()}}), options);
  const Labels target{{"target", "managed"}};
  REQUIRE(exporter.WaitForMetric("redis_timeout_command_supported",
                                 {{"target", "managed"}, {"command", "config"}}, Equals(0)));
  {
    MetricsText m = exporter.ScrapeMetrics();
    INFO(m.text());
    CHECK(m.Value("redis_timeout_target_up", target) == 1.0);
    CHECK(m.Value("redis_timeout_maxclients", target) == 321.0);
    CHECK(m.Value("redis_timeout_maxmemory_bytes", target) == 64.0 * 1024 * 1024);
    CHECK(m.Value("redis_timeout_maxmemory_policy_info",
                  {{"target", "managed"}, {"policy", "noeviction"}}) == 1.0);
    CHECK(m.Value("redis_timeout_command_supported",
                  {{"target", "managed"}, {"command", "slowlog"}}) == 1.0);
    CHECK(m.Value("redis_timeout_poll_errors_total", {{"target", "managed"}, {"stage", "connect"}})
              .value_or(0) == 0.0);
  }

  // Logged once, not on every CONFIG attempt (one every 250 ms here).
  const int logged = LinesMentioning(exporter.ReadStderr(), "managed", "config");
  INFO(exporter.ReadStderr());
  CHECK(logged >= 1);
  CHECK(logged <= 2);
  REQUIRE(exporter.WaitForPolls("managed", 6, 10s));
  CHECK(LinesMentioning(exporter.ReadStderr(), "managed", "config") == logged);
  CHECK(exporter.Metric("redis_timeout_target_up", target) == 1.0);
}

TEST_CASE("daemon: an ACL user without CONFIG, SLOWLOG and CLIENT LIST", "[daemon][fallback]") {
  RedisServer redis({"--maxclients", "123"});
  TempDir secrets;
  ExporterProcess exporter =
      StartAsLimitedUser(redis, secrets, {"config", "slowlog", "client|list"});
  auto supported = [](const std::string& command) {
    return Labels{{"target", "limited"}, {"command", command}};
  };
  const Labels target{{"target", "limited"}};
  REQUIRE(exporter.WaitForScrape(
      [&](const MetricsText& m) {
        return m.Value("redis_timeout_command_supported", supported("config")) == 0.0 &&
               m.Value("redis_timeout_command_supported", supported("slowlog")) == 0.0 &&
               m.Value("redis_timeout_command_supported", supported("client")) == 0.0;
      },
      10s, "config, slowlog and client all marked unsupported"));
  REQUIRE(exporter.WaitForPolls("limited", 3));
  MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text());
  CHECK(m.Value("redis_timeout_target_up", target) == 1.0);
  CHECK(m.Value("redis_timeout_maxclients", target) == 123.0);
  CHECK(m.Value("redis_timeout_maxmemory_bytes", target) == 0.0);
  CHECK(m.Value("redis_timeout_memory_used_bytes", target) > 0.0);
}

TEST_CASE("daemon: an ACL user without LATENCY", "[daemon][fallback]") {
  // The latency monitor on, so the only reason LATENCY LATEST yields nothing is the refusal.
  RedisServer redis({"--latency-monitor-threshold", "100"});
  TempDir secrets;
  ExporterProcess exporter = StartAsLimitedUser(redis, secrets, {"latency"});
  auto supported = [](const std::string& command) {
    return Labels{{"target", "limited"}, {"command", command}};
  };
  auto risk = [](const std::string& cause) {
    return Labels{{"target", "limited"}, {"cause", cause}};
  };
  const Labels target{{"target", "limited"}};
  REQUIRE(
      exporter.WaitForMetric("redis_timeout_command_supported", supported("latency"), Equals(0)));
  // The other causes are still judged once the probe has round trips and two polls.
  REQUIRE(exporter.WaitForScrape(
      [&](const MetricsText& m) {
        for (const char* cause : {"pool", "network", "memory", "slowlog"}) {
          if (!m.Has("redis_timeout_risk", risk(cause))) return false;
        }
        return true;
      },
      10s, "pool, network, memory and slowlog judged"));
  REQUIRE(exporter.WaitForPolls("limited", 3));
  MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text());
  CHECK(m.Value("redis_timeout_target_up", target) == 1.0);
  CHECK(m.Value("redis_timeout_command_supported", supported("latency")) == 0.0);
  for (const char* command : {"config", "slowlog", "client"}) {
    CHECK(m.Value("redis_timeout_command_supported", supported(command)) == 1.0);
  }
  // CONFIG still reads the threshold; the events LATENCY LATEST would give are absent.
  CHECK(m.Value("redis_timeout_latency_monitor_threshold_seconds", target).value_or(0) ==
        Approx(0.1));
  CHECK_FALSE(m.Has("redis_timeout_latency_event_last_seconds"));
  CHECK(m.Value("redis_timeout_poll_errors_total", {{"target", "limited"}, {"stage", "latency"}})
            .value_or(0) == 0.0);
  CHECK_FALSE(
      m.Has("redis_timeout_risk_missing_info", {{"target", "limited"}, {"cause", "slowlog"}}));
}
