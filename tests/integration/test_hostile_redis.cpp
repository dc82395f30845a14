// A hostile "Redis" (issue 13, defects 1 and 2): replies of unbounded size or element count are
// cut at their bound, the poll fails at stage protocol, and the healthy target beside it keeps
// its schedule.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "exporter_process.h"
#include "hostile_server.h"
#include "redis_server.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr char kConfig[] = R"(
poll_interval: 500ms
client_timeout: 1s
max_reply_bytes: 4194304
targets:
  - {name: healthy, address: ${healthy}}
  - {name: hostile, address: ${hostile}}
)";

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Over `duration`, every scrape shows the healthy target polled within 2 poll intervals (1 s).
void ExpectHealthyFresh(ExporterProcess& exporter, std::chrono::milliseconds duration) {
  const auto end = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < end) {
    const auto last = exporter.Metric("redis_timeout_last_poll_success_timestamp_seconds",
                                      {{"target", "healthy"}});
    REQUIRE(last.has_value());
    CHECK(UnixNow() - *last < 1.0);
    std::this_thread::sleep_for(200ms);
  }
}

}  // namespace

TEST_CASE("hostile: a reply announced as a gigabyte is cut at max_reply_bytes", "[hostile]") {
  RedisServer healthy;
  // Announces 1,000,000,000 bytes, then streams 512 MiB of them.
  HostileServer hostile("$1000000000\r\n", 512u << 20);
  ExporterProcess exporter = StartExporter(
      Substitute(kConfig, {{"healthy", healthy.address()}, {"hostile", hostile.address()}}));
  // The process figures come with the sampler's first reading, shortly after the start.
  REQUIRE(exporter.WaitForMetric("process_resident_memory_bytes", {}, Present(), 10s));
  const auto rss_before = exporter.Metric("process_resident_memory_bytes");
  REQUIRE(rss_before.has_value());
  REQUIRE(exporter.WaitForMetric("redis_timeout_poll_errors_total",
                                 {{"target", "hostile"}, {"stage", "protocol"}}, AtLeast(2), 20s));
  ExpectHealthyFresh(exporter, 3s);
  CHECK(exporter.Metric("redis_timeout_target_up", {{"target", "hostile"}}) == 0.0);
  // Without the bound one connection alone held the 512 MiB streamed so far. Growth, not a
  // level: the sanitizer build's own RSS is several times the normal one.
  const auto rss = exporter.Metric("process_resident_memory_bytes");
  REQUIRE(rss.has_value());
  CHECK(*rss - *rss_before < 128.0 * 1024 * 1024);
  CHECK_THAT(exporter.ReadStderr(), Catch::Contains("stage=protocol") &&
                                        Catch::Contains("larger than max_reply_bytes (4194304"));
}

TEST_CASE("hostile: an array of two billion elements fails the poll at once, nothing freezes",
          "[hostile]") {
  RedisServer healthy;
  HostileServer hostile("*2000000000\r\n:1\r\n", 0);
  ExporterProcess exporter = StartExporter(
      Substitute(kConfig, {{"healthy", healthy.address()}, {"hostile", hostile.address()}}));
  // Several reconnects: each used to spend seconds freeing the half-built reply on the loop.
  REQUIRE(exporter.WaitForMetric("redis_timeout_poll_errors_total",
                                 {{"target", "hostile"}, {"stage", "protocol"}}, AtLeast(3), 20s));
  ExpectHealthyFresh(exporter, 3s);
  CHECK(hostile.connections() >= 3);
  CHECK_THAT(exporter.ReadStderr(), Catch::Contains("array elements"));
}
