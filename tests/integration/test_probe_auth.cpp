// The latency probe against a redis-server with a password: a refused AUTH (or none) gives
// failures and no round trips; the right password gives round trips. Error replies to PING
// (NOAUTH) must never be measured as a working server's latency.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>

#include "exporter_process.h"
#include "redis_server.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kPassword = "pr0be-s3cret";
constexpr const char* kWrongPassword = "not-the-pr0be-s3cret";

// Three targets on one server: the right password, a wrong one, and none at all.
constexpr char kConfig[] = R"(
poll_interval: 250ms
probe_interval: 100ms
targets:
  - name: right
    address: ${redis}
    password_file: ${good}
  - name: wrong
    address: ${redis}
    password_file: ${bad}
  - name: none
    address: ${redis}
)";

Labels Target(const char* name) { return {{"target", name}}; }
Labels Stage(const char* name, const char* stage) { return {{"target", name}, {"stage", stage}}; }

}  // namespace

TEST_CASE("probe: a refused AUTH gives ping failures and no round trips",
          "[probe][auth][probe_auth]") {
  RedisServer redis({"--requirepass", kPassword});
  TempDir secrets;
  ExporterProcess exporter =
      StartExporter(Substitute(kConfig, {{"redis", redis.address()},
                                         {"good", secrets.WriteFile("good", kPassword)},
                                         {"bad", secrets.WriteFile("bad", kWrongPassword)}}));

  // The right password: round trips, no failures.
  REQUIRE(
      exporter.WaitForMetric("redis_timeout_ping_rtt_seconds_count", Target("right"), AtLeast(5)));
  // The probe backs off 1 s, then 2 s, ... after each refused connection: three failures take
  // about 3 s.
  for (const char* refused : {"wrong", "none"}) {
    INFO("target " << refused);
    REQUIRE(exporter.WaitForScrape(
        [&](const MetricsText& m) {
          return m.Value("redis_timeout_ping_failures_total", Target(refused)) >= 3.0 &&
                 m.Value("redis_timeout_poll_errors_total", Stage(refused, "auth")) > 0.0;
        },
        10s, "ping failures and auth poll errors"));
  }
  MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text());
  for (const char* refused : {"wrong", "none"}) {
    INFO("target " << refused);
    // Not one PING was answered as a round trip: NOAUTH replies are failures.
    CHECK(m.Value("redis_timeout_ping_rtt_seconds_count", Target(refused)) == 0.0);
    CHECK_FALSE(m.Has("redis_timeout_ping_rtt_window_seconds", Target(refused)));
    CHECK_FALSE(m.Has("redis_timeout_tcp_rtt_seconds", Target(refused)));
    CHECK(m.Value("redis_timeout_target_up", Target(refused)) == 0.0);
    CHECK(m.Value("redis_timeout_poll_errors_total", Stage(refused, "connect")) == 0.0);
    CHECK(m.Value("redis_timeout_poll_errors_total", Stage(refused, "info")) == 0.0);
    // Refused by the server, not slow: no PING timed out, so network risk has no evidence.
    CHECK(m.Value("redis_timeout_risk", {{"target", refused}, {"cause", "network"}}).value_or(0) <
          0.5);
  }
  CHECK(m.Value("redis_timeout_ping_failures_total", Target("right")) == 0.0);
  CHECK(m.Value("redis_timeout_ping_rtt_seconds_count", Target("right")) >= 5.0);
  CHECK(m.Value("redis_timeout_target_up", Target("right")) == 1.0);
  CHECK(m.Value("redis_timeout_poll_errors_total", Stage("right", "auth")) == 0.0);

  // Still none later: the probe keeps failing, never measuring.
  const double failures = *m.Value("redis_timeout_ping_failures_total", Target("wrong"));
  REQUIRE(exporter.WaitForMetric("redis_timeout_ping_failures_total", Target("wrong"),
                                 Above(failures), 10s));
  CHECK(exporter.Metric("redis_timeout_ping_rtt_seconds_count", Target("wrong")) == 0.0);

  const std::string log = exporter.ReadStderr();
  CHECK(log.find(kPassword) == std::string::npos);
  CHECK(log.find(kWrongPassword) == std::string::npos);
  CHECK(exporter.Scrape().find(kWrongPassword) == std::string::npos);
}
