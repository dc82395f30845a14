// Black-box tests of polling several targets: a hung one, a dead one, and scrapes that never
// reach Redis.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>
#include <map>
#include <sstream>

#include "exporter_process.h"
#include "loopback.h"
#include "redis_server.h"
#include "wait_until.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr char kTwoTargets[] = R"(
poll_interval: ${interval}
targets:
  - name: ${a}
    address: ${a_address}
  - name: ${b}
    address: ${b_address}
)";

// Polls and latency probes (their own schedule, separate connections) an hour apart, so that
// after the first poll nothing but scrapes happens.
constexpr char kQuietConfig[] = R"(
poll_interval: 1h
probe_interval: 1h
latency_window: 1h
targets:
  - name: quiet
    address: ${redis}
)";

std::string TwoTargets(const std::string& interval, const std::string& a,
                       const std::string& a_address, const std::string& b,
                       const std::string& b_address) {
  return Substitute(kTwoTargets, {{"interval", interval},
                                  {"a", a},
                                  {"a_address", a_address},
                                  {"b", b},
                                  {"b_address", b_address}});
}

// The Redis-derived gauges that must vanish while a target is down.
const char* const kRedisGauges[] = {
    "redis_timeout_connected_clients", "redis_timeout_maxclients",
    "redis_timeout_memory_used_bytes", "redis_timeout_maxmemory_bytes",
    "redis_timeout_blocked_clients",   "redis_timeout_system_memory_bytes",
};

int LinesMentioning(const std::string& log, const std::string& word) {
  std::istringstream in(log);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.find(word) != std::string::npos) ++n;
  }
  return n;
}

// INFO commandstats as {"cmdstat_x": "calls=...,usec=...,..."}.
std::map<std::string, std::string> CommandStats(RedisServer& redis) {
  RedisValue r = redis.Command({"INFO", "commandstats"});
  REQUIRE(!r.is_error());
  std::map<std::string, std::string> stats;
  std::istringstream in(r.str);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (line.rfind("cmdstat_", 0) == 0 && colon != std::string::npos) {
      stats[line.substr(0, colon)] = line.substr(colon + 1);
    }
  }
  return stats;
}

long Calls(const std::string& stat) { return std::stol(stat.substr(stat.find("calls=") + 6)); }

}  // namespace

TEST_CASE("daemon: a SIGSTOPped target does not delay a healthy one", "[daemon][targets]") {
  RedisServer healthy;
  RedisServer hung;
  ExporterProcess exporter =
      StartExporter(TwoTargets("250ms", "healthy", healthy.address(), "hung", hung.address()));
  const Labels healthy_t{{"target", "healthy"}};
  const Labels hung_t{{"target", "hung"}};
  const Labels hung_timeouts{{"target", "hung"}, {"stage", "timeout"}};
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", healthy_t, Equals(1)));
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", hung_t, Equals(1)));

  hung.Pause();
  REQUIRE(exporter.WaitForScrape(
      [&](const MetricsText& m) {
        return m.Value("redis_timeout_target_up", hung_t) == 0.0 &&
               m.Value("redis_timeout_poll_errors_total", hung_timeouts) > 0.0;
      },
      10s, "hung target down with timeout errors"));

  // The healthy target keeps its schedule while the other one hangs.
  REQUIRE(exporter.WaitForPolls("healthy", 3, 3s));
  MetricsText m = exporter.ScrapeMetrics();
  {
    INFO(m.text());
    CHECK(m.Value("redis_timeout_target_up", healthy_t) == 1.0);
    CHECK(m.Value("redis_timeout_connected_clients", healthy_t) >= 1.0);
    CHECK(m.Value("redis_timeout_poll_duration_seconds", healthy_t) < 0.25);
    for (const char* gauge : kRedisGauges) {
      INFO(gauge);
      CHECK(!m.Has(gauge, hung_t));
    }
  }
  // Timeouts keep being counted while it stays hung.
  const double timeouts = m.Value("redis_timeout_poll_errors_total", hung_timeouts).value_or(0);
  CHECK(exporter.WaitForMetric("redis_timeout_poll_errors_total", hung_timeouts, Above(timeouts),
                               10s));

  hung.Resume();
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", hung_t, Equals(1), 15s));
  CHECK(exporter.Metric("redis_timeout_memory_used_bytes", hung_t) > 0.0);
}

TEST_CASE("daemon: a target that is down", "[daemon][targets]") {
  RedisServer healthy;
  const int dead_port = FreeLoopbackPort();  // nothing listens here
  ExporterOptions options;
  options.log_level = "info";
  ExporterProcess exporter =
      StartExporter(TwoTargets("200ms", "healthy", healthy.address(), "nobody-home",
                               "127.0.0.1:" + std::to_string(dead_port)),
                    options);
  const Labels dead{{"target", "nobody-home"}};
  const Labels dead_connect{{"target", "nobody-home"}, {"stage", "connect"}};
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", {{"target", "healthy"}}, Equals(1)));
  REQUIRE(exporter.WaitForScrape(
      [&](const MetricsText& m) {
        return m.Value("redis_timeout_target_up", dead) == 0.0 &&
               m.Value("redis_timeout_poll_errors_total", dead_connect) > 0.0;
      },
      10s, "dead target down with connect errors"));
  {
    MetricsText m = exporter.ScrapeMetrics();
    INFO(m.text());
    for (const char* gauge : kRedisGauges) {
      INFO(gauge);
      CHECK(!m.Has(gauge, dead));
    }
  }

  // About 3 s of 200 ms polls: the healthy target keeps polling, and the dead one's failures are
  // logged at a limited rate, not once per attempt.
  REQUIRE(exporter.WaitForPolls("healthy", 12, 6s));
  MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text());
  CHECK(m.Value("redis_timeout_target_up", {{"target", "healthy"}}) == 1.0);
  CHECK(m.Value("redis_timeout_target_up", dead) == 0.0);
  CHECK(m.Value("redis_timeout_poll_errors_total", dead_connect) >= 2.0);
  const std::string log = exporter.ReadStderr();
  INFO(log);
  CHECK(LinesMentioning(log, "nobody-home") <= 4);
}

TEST_CASE("daemon: a scrape never sends a command to Redis", "[daemon][targets]") {
  RedisServer redis;
  ExporterProcess exporter = StartExporter(Substitute(kQuietConfig, {{"redis", redis.address()}}));
  const Labels target{{"target", "quiet"}};
  // The first poll, including the CONFIG and SLOWLOG parts, is complete ...
  REQUIRE(exporter.WaitForScrape(
      [&](const MetricsText& m) {
        return m.Value("redis_timeout_target_up", target) == 1.0 &&
               m.Has("redis_timeout_slowlog_threshold_seconds", target) &&
               m.Has("redis_timeout_memory_used_bytes", target);
      },
      10s, "first poll complete"));
  // ... and the exporter has gone quiet: two reads in a row differ only by our own INFO.
  std::map<std::string, std::string> before;
  REQUIRE(WaitUntil(
      [&] {
        auto first = CommandStats(redis);
        before = CommandStats(redis);
        first["cmdstat_info"] = before["cmdstat_info"];
        return first == before;
      },
      10s, 200ms));

  for (int i = 0; i < 20; ++i) {
    HttpResponse r = exporter.Get("/metrics");
    REQUIRE(r.status == 200);
  }
  const auto after = CommandStats(redis);

  REQUIRE(before.count("cmdstat_info") == 1);
  REQUIRE(after.count("cmdstat_info") == 1);
  CHECK(Calls(after.at("cmdstat_info")) == Calls(before.at("cmdstat_info")) + 1);  // our INFO
  for (const auto& [name, stat] : after) {
    if (name == "cmdstat_info") continue;
    INFO(name);
    REQUIRE(before.count(name) == 1);
    CHECK(before.at(name) == stat);
  }
  CHECK(before.size() == after.size());
}
