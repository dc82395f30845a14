// The daemon on a procfs whose net/netstat would never answer (a named pipe nobody writes): the
// bounded reader refuses it at once instead of waiting for a writer, and nothing else may
// notice. Polls keep their schedule, probes keep measuring, /metrics keeps answering, the other
// kernel files are still read, and SIGTERM still stops it.
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

// GET /metrics must answer within a second, whatever the kernel files are.
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
  // The FIFO's counters are absent, not stale or zero.
  CHECK_FALSE(MetricsText::Parse(r.body).Has("redis_timeout_kernel_listen_overflows_total"));
}

}  // namespace

TEST_CASE("daemon: a procfs file that would never answer stalls nothing else",
          "[daemon][kernel][stuck_procfs]") {
  // A copy of a recorded procfs tree with net/netstat replaced by a FIFO: a blocking open() for
  // reading would wait until a writer came, and none does.
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

  // The other kernel files were read meanwhile: the sampler thread was never stuck.
  CHECK(exporter.Metric("redis_timeout_kernel_somaxconn").has_value());

  // The daemon ends cleanly, with no read to leave behind.
  const auto stopping = std::chrono::steady_clock::now();
  exporter.process().Signal(SIGTERM);
  const std::optional<int> exit_code = exporter.process().Wait(5s);
  const auto took = std::chrono::steady_clock::now() - stopping;
  INFO(exporter.ReadStderr().substr(0, 8192));
  REQUIRE(exit_code.has_value());
  CHECK(*exit_code == 0);
  CHECK(took < 4s);
  CHECK_THAT(exporter.ReadStderr(),
             Catch::Contains("event=kernel_counter_missing path=" + procfs.File("net/netstat") +
                             " reason=\"not a regular file\""));
  CHECK_THAT(exporter.ReadStderr(), !Catch::Contains("event=kernel_read_stuck"));
}
