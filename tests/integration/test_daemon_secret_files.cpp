// The daemon and its password files (issue 13, defect 5): they are read off the event loop, so
// a password_file that would block (a FIFO nobody writes) fails only its own target, at stage
// auth, and a rotated file is used without a reload.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "exporter_process.h"
#include "redis_server.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr auto kPollInterval = 250ms;
constexpr const char* kPassword = "s3cret-value";

constexpr char kFifoConfig[] = R"(
poll_interval: 250ms
targets:
  - name: healthy
    address: ${redis}
    password_file: ${good}
  - name: fifo
    address: ${redis}
    password_file: ${fifo}
)";

constexpr char kRotatingConfig[] = R"(
poll_interval: 250ms
targets:
  - name: rotating
    address: ${redis}
    password_file: ${file}
)";

}  // namespace

TEST_CASE("daemon: a password_file that is a FIFO fails its target only",
          "[daemon][auth][secret]") {
  RedisServer redis({"--requirepass", kPassword});
  TempDir secrets("rte-secret-fifo");
  const std::string fifo = secrets.File("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  ExporterProcess exporter =
      StartExporter(Substitute(kFifoConfig, {{"redis", redis.address()},
                                             {"good", secrets.WriteFile("good", kPassword)},
                                             {"fifo", fifo}}));

  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", {{"target", "healthy"}}, Equals(1)));
  REQUIRE(exporter.WaitForScrape(
      [](const MetricsText& m) {
        return m.Value("redis_timeout_target_up", {{"target", "fifo"}}) == 0.0 &&
               m.Value("redis_timeout_poll_errors_total", {{"target", "fifo"}, {"stage", "auth"}})
                       .value_or(0) > 0.0;
      },
      10s, "the FIFO target down at stage auth"));

  // The healthy target keeps its schedule, round after round, with /metrics timed in between.
  for (int round = 0; round < 4; ++round) {
    CAPTURE(round);
    REQUIRE(exporter.WaitForPolls("healthy", 2, 4 * kPollInterval));
    const auto started = std::chrono::steady_clock::now();
    const HttpResponse r = HttpGet(exporter.port(), "/metrics", 1s);
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE(r.status == 200);
    CHECK(took < 1s);
  }
  const MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text());
  CHECK(m.Value("redis_timeout_poll_errors_total", {{"target", "healthy"}, {"stage", "auth"}})
            .value_or(0) == 0.0);
  CHECK(m.Value("redis_timeout_poll_errors_total", {{"target", "fifo"}, {"stage", "connect"}})
            .value_or(0) == 0.0);
  CHECK_THAT(exporter.ReadStderr(),
             Catch::Contains("password source missing: cannot read password_file " + fifo +
                             ": not a regular file"));
}

TEST_CASE("daemon: a rotated password_file is used without a reload", "[daemon][auth][secret]") {
  RedisServer redis({"--requirepass", "first-password"});
  TempDir secrets("rte-secret-rotate");
  const std::string file = secrets.WriteFile("password", "first-password\n");
  ExporterProcess exporter =
      StartExporter(Substitute(kRotatingConfig, {{"redis", redis.address()}, {"file", file}}));
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", {{"target", "rotating"}}, Equals(1)));

  // Rotate: Redis and the file change, then every connection of the exporter is closed, so
  // only a new AUTH, with the new password, lets a poll succeed again.
  REQUIRE(redis.Command({"CONFIG", "SET", "requirepass", "second-password"}).str == "OK");
  redis.SetPassword("second-password");
  WriteFile(file, "second-password\n");
  REQUIRE_FALSE(redis.Command({"CLIENT", "KILL", "TYPE", "normal"}).is_error());

  // Within a refresh interval (5 s) plus the reconnect backoff (at most 10 poll intervals).
  REQUIRE(exporter.WaitForPolls("rotating", 2, 15s));
  CHECK(exporter.Metric("redis_timeout_target_up", {{"target", "rotating"}}) == 1.0);
  CHECK_THAT(exporter.ReadStderr(), !Catch::Contains("config_reloaded"));
  CHECK_THAT(exporter.ReadStderr(), !Catch::Contains("second-password"));
}
