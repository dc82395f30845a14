// A hostile "Redis" (issue 13, defects 1, 2 and 9): replies of unbounded size or element count
// are cut at their bound, the poll fails at stage protocol, and the healthy target beside it
// keeps its schedule; a first batch answered with garbage, a close or only some replies fails at
// the stage of the reply that was awaited.
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
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

// One hostile target whose batch asks every command: pools add CLIENT LIST at its end, so a
// failure of the first batch cannot be blamed on CLIENT LIST unless it was its reply.
constexpr char kStageConfig[] = R"(
poll_interval: 250ms
targets:
  - name: hostile
    address: ${hostile}
    pools: [{name: api, client_name: "api-*", size: 10}]
)";

// As above, with a password: the first batch starts with AUTH.
constexpr char kStageAuthConfig[] = R"(
poll_interval: 250ms
targets:
  - name: hostile
    address: ${hostile}
    password_env: RTE_TEST_HOSTILE_PASSWORD
    pools: [{name: api, client_name: "api-*", size: 10}]
)";

// Waits for a few failed polls of the hostile target at `stage`, then checks that no other
// stage counted any: every failure of that first batch is the same one.
void ExpectOnlyStage(ExporterProcess& exporter, const std::string& stage) {
  REQUIRE(exporter.WaitForMetric("redis_timeout_poll_errors_total",
                                 {{"target", "hostile"}, {"stage", stage}}, AtLeast(3), 20s));
  const MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text() << exporter.ReadStderr());
  for (const char* other : {"connect", "dns", "tls", "auth", "timeout", "protocol", "info",
                            "slowlog", "config", "client_list", "latency"}) {
    if (other == stage) continue;
    CAPTURE(other);
    CHECK(m.Value("redis_timeout_poll_errors_total", {{"target", "hostile"}, {"stage", other}}) ==
          0.0);
  }
  CHECK(m.Value("redis_timeout_target_up", {{"target", "hostile"}}) == 0.0);
}

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

TEST_CASE("hostile: bytes that are not RESP fail the first batch at stage protocol", "[hostile]") {
  HostileServer hostile("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 0);
  ExporterProcess exporter =
      StartExporter(Substitute(kStageConfig, {{"hostile", hostile.address()}}));
  ExpectOnlyStage(exporter, "protocol");
  CHECK_THAT(exporter.ReadStderr(),
             Catch::Contains("stage=protocol") && Catch::Contains("is this port really Redis?"));
}

TEST_CASE("hostile: garbage after a first valid reply fails at stage protocol", "[hostile]") {
  // CLIENT SETNAME is answered, then the bytes stop being RESP.
  HostileServer hostile("+OK\r\n\x16\x03\x01 not redis at all\r\n", 0);
  ExporterProcess exporter =
      StartExporter(Substitute(kStageConfig, {{"hostile", hostile.address()}}));
  ExpectOnlyStage(exporter, "protocol");
}

TEST_CASE("hostile: a close before any reply to the first batch is not a CLIENT LIST failure",
          "[hostile]") {
  // Read the batch, answer nothing, close: as Redis at maxclients does when its error reply is
  // lost, so the stage is connect (the connection was never usable), never client_list.
  HostileServer hostile("", 0, HostileServer::Then::kClose);
  ExporterProcess exporter =
      StartExporter(Substitute(kStageConfig, {{"hostile", hostile.address()}}));
  ExpectOnlyStage(exporter, "connect");
  CHECK(hostile.connections() >= 3);
}

TEST_CASE("hostile: a close after the handshake replies fails at stage info", "[hostile]") {
  SECTION("CLIENT SETNAME answered") {
    HostileServer hostile("+OK\r\n", 0, HostileServer::Then::kClose);
    ExporterProcess exporter =
        StartExporter(Substitute(kStageConfig, {{"hostile", hostile.address()}}));
    ExpectOnlyStage(exporter, "info");
    CHECK_THAT(exporter.ReadStderr(), Catch::Contains("stage=info"));
  }
  SECTION("AUTH and CLIENT SETNAME answered") {
    HostileServer hostile("+OK\r\n+OK\r\n", 0, HostileServer::Then::kClose);
    ExporterOptions options;
    options.env = {"RTE_TEST_HOSTILE_PASSWORD=not-a-real-secret"};
    ExporterProcess exporter = StartExporter(
        Substitute(kStageAuthConfig, {{"hostile", hostile.address()}}), std::move(options));
    ExpectOnlyStage(exporter, "info");
  }
}

TEST_CASE("hostile: a close after INFO's reply fails at the stage of the next command",
          "[hostile]") {
  // CLIENT SETNAME and INFO answered; the connection closes while SLOWLOG GET is awaited.
  HostileServer hostile("+OK\r\n$13\r\n# Server\r\nx:1\r\n", 0, HostileServer::Then::kClose);
  ExporterProcess exporter =
      StartExporter(Substitute(kStageConfig, {{"hostile", hostile.address()}}));
  ExpectOnlyStage(exporter, "slowlog");
}
