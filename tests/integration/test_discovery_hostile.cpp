// Discovery against servers that never answer or answer garbage: the refresh fails, is counted
// and logged, and polling of every other target goes on (discovery I/O shares the loop).
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <thread>

#include "exporter_process.h"
#include "hostile_server.h"
#include "redis_server.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr char kConfig[] = R"(
poll_interval: 500ms
targets:
  - name: healthy
    address: ${healthy}
discovery:
  - type: cluster
    name: hung
    seeds: [${hung}]
    refresh_interval: 500ms
    poll_interval: 500ms
  - type: cluster
    name: garbage
    seeds: [${garbage}]
    refresh_interval: 500ms
  - type: sentinel
    name: silent
    sentinels: [${hung}, ${garbage}]
    master_name: mymaster
    refresh_interval: 500ms
    poll_interval: 500ms
)";

}  // namespace

TEST_CASE("discovery from hung and hostile servers fails visibly and stalls no poll",
          "[discovery][hostile]") {
  RedisServer healthy;
  HostileServer hung("", 0);  // accepts, reads, never answers
  // A reply announcing two billion elements: refused before anything is allocated.
  HostileServer garbage("*2000000000\r\n", 0);
  ExporterProcess exporter = StartExporter(Substitute(
      kConfig,
      {{"healthy", healthy.address()}, {"hung", hung.address()}, {"garbage", garbage.address()}}));
  for (const char* name : {"hung", "garbage", "silent"}) {
    INFO(name);
    CHECK(exporter.WaitForMetric("redis_timeout_discovery_errors_total", {{"discovery", name}},
                                 AtLeast(2), 20s));
    CHECK(exporter.Metric("redis_timeout_discovery_targets", {{"discovery", name}}) == 0.0);
    CHECK(exporter.Metric("redis_timeout_discovery_last_success_timestamp_seconds",
                          {{"discovery", name}}) == 0.0);
  }
  // Meanwhile the static target was polled on schedule: fresh to within a few polls.
  for (int i = 0; i < 6; ++i) {
    const auto last = exporter.Metric("redis_timeout_last_poll_success_timestamp_seconds",
                                      {{"target", "healthy"}});
    REQUIRE(last.has_value());
    CHECK(static_cast<double>(std::time(nullptr)) - *last < 2.5);
    std::this_thread::sleep_for(500ms);
  }
  const std::string log = exporter.ReadStderr();
  CHECK_THAT(log, Catch::Contains("event=discovery_failed discovery=hung type=cluster"));
  CHECK_THAT(log, Catch::Contains("event=discovery_failed discovery=garbage type=cluster"));
  CHECK_THAT(log, Catch::Contains("event=discovery_failed discovery=silent type=sentinel"));
}
