// Black-box tests of managed-Redis fallbacks: refused CONFIG/SLOWLOG/CLIENT keep the target up.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <sstream>

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
  REQUIRE(redis
              .Command({"ACL", "SETUSER", "monitor", "on", ">monitor-pass", "~*", "+@all",
                        "-config", "-slowlog", "-client|list"})
              .str == "OK");
  TempDir secrets;
  ExporterProcess exporter = StartExporter(Substitute(
      kLimitedUserConfig, {{"redis", redis.address()},
                           {"password_file", secrets.WriteFile("password", "monitor-pass")}}));
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
