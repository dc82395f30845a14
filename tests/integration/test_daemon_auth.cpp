// Black-box tests of authentication: password_file, password_env, ACL users, and secrets that
// never leak into logs or /metrics.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>

#include "exporter_process.h"
#include "redis_server.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kPassword = "s3cret-value";
constexpr const char* kWrongPassword = "wr0ng-s3cret-value";
constexpr const char* kPasswordEnv = "RTE_TEST_REDIS_PASSWORD";

constexpr char kFileConfig[] = R"(
poll_interval: 250ms
targets:
  - name: locked
    address: ${redis}
    password_file: ${file}
)";

constexpr char kEnvConfig[] = R"(
poll_interval: 250ms
targets:
  - name: locked-env
    address: ${redis}
    password_env: RTE_TEST_REDIS_PASSWORD
)";

constexpr char kAclConfig[] = R"(
poll_interval: 250ms
targets:
  - name: acl
    address: ${redis}
    username: app
    password_env: RTE_TEST_REDIS_PASSWORD
)";

constexpr char kRightAndWrongConfig[] = R"(
poll_interval: 250ms
targets:
  - name: right
    address: ${redis}
    password_file: ${good}
  - name: wrong
    address: ${redis}
    password_file: ${bad}
)";

ExporterOptions WithPasswordEnv() {
  ExporterOptions options;
  options.env = {std::string(kPasswordEnv) + "=" + kPassword};
  return options;
}

void CheckNoSecretIn(const std::string& where, const std::string& text) {
  INFO(where << ":\n" << text);
  CHECK(text.find(kPassword) == std::string::npos);
  CHECK(text.find(kWrongPassword) == std::string::npos);
}

}  // namespace

TEST_CASE("daemon: password_file", "[daemon][auth]") {
  RedisServer redis({"--requirepass", kPassword});
  TempDir secrets;
  ExporterProcess exporter = StartExporter(Substitute(
      kFileConfig,
      {{"redis", redis.address()}, {"file", secrets.WriteFile("redis-password", kPassword)}}));
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", {{"target", "locked"}}, Equals(1)));
  CHECK(exporter.Metric("redis_timeout_memory_used_bytes", {{"target", "locked"}}) > 0.0);
  CheckNoSecretIn("/metrics", exporter.Scrape());
  CheckNoSecretIn("stderr", exporter.ReadStderr());
}

TEST_CASE("daemon: password_env", "[daemon][auth]") {
  RedisServer redis({"--requirepass", kPassword});
  ExporterProcess exporter =
      StartExporter(Substitute(kEnvConfig, {{"redis", redis.address()}}), WithPasswordEnv());
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", {{"target", "locked-env"}}, Equals(1)));
  CheckNoSecretIn("/metrics", exporter.Scrape());
  CheckNoSecretIn("stderr", exporter.ReadStderr());
}

TEST_CASE("daemon: ACL username with password_env", "[daemon][auth]") {
  RedisServer redis;
  REQUIRE(
      redis.Command({"ACL", "SETUSER", "app", "on", std::string(">") + kPassword, "~*", "+@all"})
          .str == "OK");
  // Without this the default user (no password) would let an exporter in that ignores username.
  REQUIRE(redis.Command({"ACL", "SETUSER", "default", "off"}).str == "OK");
  ExporterProcess exporter =
      StartExporter(Substitute(kAclConfig, {{"redis", redis.address()}}), WithPasswordEnv());
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", {{"target", "acl"}}, Equals(1)));
  CheckNoSecretIn("stderr", exporter.ReadStderr());
}

TEST_CASE("daemon: a wrong password", "[daemon][auth]") {
  RedisServer redis({"--requirepass", kPassword});
  TempDir secrets;
  ExporterProcess exporter = StartExporter(
      Substitute(kRightAndWrongConfig, {{"redis", redis.address()},
                                        {"good", secrets.WriteFile("good", kPassword)},
                                        {"bad", secrets.WriteFile("bad", kWrongPassword)}}));
  const Labels wrong{{"target", "wrong"}};
  const Labels wrong_auth{{"target", "wrong"}, {"stage", "auth"}};
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", {{"target", "right"}}, Equals(1)));
  REQUIRE(exporter.WaitForScrape(
      [&](const MetricsText& m) {
        return m.Value("redis_timeout_target_up", wrong) == 0.0 &&
               m.Value("redis_timeout_poll_errors_total", wrong_auth) > 0.0;
      },
      10s, "wrong password: down with auth errors"));
  MetricsText m = exporter.ScrapeMetrics();
  {
    INFO(m.text());
    CHECK(!m.Has("redis_timeout_memory_used_bytes", wrong));
    CHECK(m.Value("redis_timeout_poll_errors_total", {{"target", "wrong"}, {"stage", "connect"}})
              .value_or(0) == 0.0);
  }
  CheckNoSecretIn("/metrics", m.text());
  CheckNoSecretIn("stderr", exporter.ReadStderr());
  CheckNoSecretIn("stdout", exporter.ReadStdout());
}
