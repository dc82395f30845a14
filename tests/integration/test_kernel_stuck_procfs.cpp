// The daemon on a procfs whose net/netstat never answers (a named pipe nobody writes): the
// kernel sampler's thread hangs in that read, and nothing else may notice. Polls keep their
// schedule, probes keep measuring, /metrics keeps answering, and SIGTERM still stops it.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "exporter_process.h"
#include "redis_server.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr auto kPollInterval = 500ms;

constexpr char kConfig[] = R"(
poll_interval: 500ms
probe_interval: 100ms
targets:
  - name: first
    address: ${first}
  - name: second
    address: ${second}
)";

// GET /metrics must answer within a second, stuck kernel read or not.
void CheckMetricsAnswerFast(ExporterProcess& exporter) {
  const auto started = std::chrono::steady_clock::now();
  const HttpResponse r = HttpGet(exporter.port(), "/metrics", 1s);
  const auto took = std::chrono::steady_clock::now() - started;
  INFO(
      "GET /metrics: status " << r.status << " " << r.error << " after "
                              << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                              << " ms");
  REQUIRE(r.status == 200);
  CHECK(took < 1s);
  // No kernel reading ever finished: its series are absent, not stale or zero.
  CHECK_FALSE(MetricsText::Parse(r.body).Has("redis_timeout_kernel_somaxconn"));
}

}  // namespace

TEST_CASE("daemon: a procfs read that never completes stalls nothing else",
          "[daemon][kernel][stuck_procfs]") {
  // A copy of a recorded procfs tree with net/netstat replaced by a FIFO: open() for reading
  // blocks until a writer comes, and none does.
  TempDir procfs("rte-stuck-procfs");
  std::filesystem::copy(std::string(RTE_FIXTURES_DIR) + "/proc/linux-6.18", procfs.path(),
                        std::filesystem::copy_options::recursive);
  std::filesystem::remove(procfs.File("net/netstat"));
  REQUIRE(mkfifo(procfs.File("net/netstat").c_str(), 0600) == 0);

  RedisServer first;
  RedisServer second;
  ExporterOptions options;
  options.extra_args = {"--path.procfs=" + procfs.path()};
  ExporterProcess exporter = StartExporter(
      Substitute(kConfig, {{"first", first.address()}, {"second", second.address()}}), options);

  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", {{"target", "first"}}, Equals(1)));
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", {{"target", "second"}}, Equals(1)));
  REQUIRE(exporter.WaitForMetric("redis_timeout_ping_rtt_seconds_count", {{"target", "first"}},
                                 AtLeast(1)));
  std::map<std::string, double> pings;
  for (const char* target : {"first", "second"}) {
    pings[target] = *exporter.Metric("redis_timeout_ping_rtt_seconds_count", {{"target", target}});
  }

  // Every target keeps its schedule: two polls within about two poll intervals each, round
  // after round, with /metrics timed in between.
  for (int round = 0; round < 4; ++round) {
    CAPTURE(round);
    for (const char* target : {"first", "second"}) {
      CAPTURE(target);
      REQUIRE(exporter.WaitForPolls(target, 2, 4 * kPollInterval));
      CheckMetricsAnswerFast(exporter);
    }
  }
  // ... and the probes kept measuring meanwhile (a PING every 100 ms for some seconds).
  for (const char* target : {"first", "second"}) {
    CAPTURE(target);
    CHECK(exporter.Metric("redis_timeout_ping_rtt_seconds_count", {{"target", target}}) >
          pings[target] + 10);
    CHECK(exporter.Metric("redis_timeout_ping_failures_total", {{"target", target}}) == 0.0);
  }

  // The thread in the stuck read is left behind by design; the daemon still ends cleanly.
  const auto stopping = std::chrono::steady_clock::now();
  exporter.process().Signal(SIGTERM);
  const std::optional<int> exit_code = exporter.process().Wait(5s);
  const auto took = std::chrono::steady_clock::now() - stopping;
  INFO(exporter.ReadStderr().substr(0, 8192));
  REQUIRE(exit_code.has_value());
  CHECK(*exit_code == 0);
  CHECK(took < 4s);
  CHECK_THAT(exporter.ReadStderr(), Catch::Contains("event=kernel_read_stuck"));
}
