// Black-box tests of the slowlog signals: new entries counted once, resets, wraps, restarts.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>
#include <ctime>

#include "exporter_process.h"
#include "redis_server.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr char kConfig[] = R"(
poll_interval: 250ms
config_interval: 250ms
targets:
  - name: ${name}
    address: ${address}
)";

// Polls 1 s apart: a burst of slowlog entries fits between two of them.
constexpr char kSlowPollConfig[] = R"(
poll_interval: 1s
targets:
  - name: ${name}
    address: ${address}
)";

std::string Config(const char* templ, const std::string& name, const RedisServer& redis) {
  return Substitute(templ, {{"name", name}, {"address", redis.address()}});
}

void DebugSleep(RedisServer& redis, const std::string& seconds) {
  RedisValue r = redis.Command({"DEBUG", "SLEEP", seconds});
  INFO(r.ToString());
  REQUIRE(r.str == "OK");
}

}  // namespace

TEST_CASE("daemon: DEBUG SLEEP is counted once in the slowlog signals", "[daemon][slowlog]") {
  RedisServer redis({"--enable-debug-command", "local"});
  // Already in the slowlog before the exporter first connects: not counted.
  DebugSleep(redis, "0.02");

  ExporterProcess exporter = StartExporter(Config(kConfig, "slow", redis));
  const Labels target{{"target", "slow"}};
  const Labels debug{{"target", "slow"}, {"command", "debug"}};
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", target, Equals(1)));
  REQUIRE(exporter.WaitForPolls("slow", 2));
  {
    MetricsText m = exporter.ScrapeMetrics();
    INFO(m.text());
    CHECK(m.Value("redis_timeout_slowlog_entries_total", debug).value_or(0) == 0.0);
    CHECK(m.Value("redis_timeout_slowlog_duration_seconds_count", target) == 0.0);
    CHECK(m.Value("redis_timeout_slowlog_threshold_seconds", target) == 0.01);
  }

  DebugSleep(redis, "0.2");
  REQUIRE(exporter.WaitForMetric("redis_timeout_slowlog_entries_total", debug, Present()));
  // Counted once, and still once after several more polls.
  REQUIRE(exporter.WaitForPolls("slow", 4));
  {
    MetricsText m = exporter.ScrapeMetrics();
    INFO(m.text());
    CHECK(m.Value("redis_timeout_slowlog_entries_total", debug) == 1.0);
    CHECK(m.Sum("redis_timeout_slowlog_entries_total", target) == 1.0);
    CHECK(m.Value("redis_timeout_slowlog_duration_seconds_count", target) == 1.0);
    auto sum = m.Value("redis_timeout_slowlog_duration_seconds_sum", target);
    REQUIRE(sum.has_value());
    CHECK(*sum == Approx(0.2).margin(0.05));
    CHECK(m.Value("redis_timeout_slowlog_duration_seconds_bucket",
                  {{"target", "slow"}, {"le", "+Inf"}}) == 1.0);
    CHECK(m.Value("redis_timeout_slowlog_entries_lost_total", target) == 0.0);
  }

  // SLOWLOG RESET mid-run, then one more: 2, neither lost nor counted twice.
  REQUIRE(redis.Command({"SLOWLOG", "RESET"}).str == "OK");
  DebugSleep(redis, "0.1");
  REQUIRE(exporter.WaitForMetric("redis_timeout_slowlog_entries_total", debug, AtLeast(2)));
  REQUIRE(exporter.WaitForPolls("slow", 4));
  MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text());
  CHECK(m.Value("redis_timeout_slowlog_entries_total", debug) == 2.0);
  CHECK(m.Value("redis_timeout_slowlog_duration_seconds_count", target) == 2.0);
  auto sum = m.Value("redis_timeout_slowlog_duration_seconds_sum", target);
  REQUIRE(sum.has_value());
  CHECK(*sum == Approx(0.3).margin(0.07));
  CHECK(m.Value("redis_timeout_slowlog_entries_lost_total", target) == 0.0);
}

TEST_CASE("daemon: a slowlog that wrapped counts the unseen entries as lost", "[daemon][slowlog]") {
  RedisServer redis({"--enable-debug-command", "local", "--slowlog-max-len", "4"});
  ExporterProcess exporter = StartExporter(Config(kSlowPollConfig, "wrap", redis));
  const Labels target{{"target", "wrap"}};
  const Labels debug{{"target", "wrap"}, {"command", "debug"}};
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", target, Equals(1)));
  REQUIRE(exporter.WaitForPolls("wrap", 1));
  // One entry the exporter has seen, so it knows the id the burst continues from.
  DebugSleep(redis, "0.012");
  REQUIRE(exporter.WaitForMetric("redis_timeout_slowlog_entries_total", debug, Equals(1)));

  // 10 more in ~0.15 s: at most one poll falls inside the burst, so at least one side of it
  // has more than the 4 entries the slowlog keeps.
  for (int i = 0; i < 10; ++i) DebugSleep(redis, "0.012");
  auto seen_plus_lost = [&](const MetricsText& m) {
    return m.Value("redis_timeout_slowlog_entries_total", debug).value_or(0) +
           m.Value("redis_timeout_slowlog_entries_lost_total", target).value_or(0);
  };
  REQUIRE(exporter.WaitForScrape([&](const MetricsText& m) { return seen_plus_lost(m) >= 11; }, 10s,
                                 "slowlog seen + lost reaches 11"));
  REQUIRE(exporter.WaitForPolls("wrap", 2));
  MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text());
  CHECK(seen_plus_lost(m) == 11.0);
  CHECK(m.Value("redis_timeout_slowlog_entries_lost_total", target) > 0.0);
  CHECK(m.Value("redis_timeout_slowlog_entries_total", debug) >= 5.0);
  CHECK(m.Value("redis_timeout_slowlog_duration_seconds_count", target) ==
        m.Value("redis_timeout_slowlog_entries_total", debug));
}

TEST_CASE("daemon: slowlog entries after a redis restart are counted", "[daemon][slowlog]") {
  RedisServer redis({"--enable-debug-command", "local"});
  ExporterProcess exporter = StartExporter(Config(kConfig, "restart", redis));
  const Labels target{{"target", "restart"}};
  const Labels debug{{"target", "restart"}, {"command", "debug"}};
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", target, Equals(1)));
  REQUIRE(exporter.WaitForPolls("restart", 1));
  for (int i = 0; i < 3; ++i) DebugSleep(redis, "0.015");  // slowlog ids 0, 1, 2
  REQUIRE(exporter.WaitForMetric("redis_timeout_slowlog_entries_total", debug, Equals(3)));

  // A new run_id: slowlog ids start again at 0 and must not be taken for old entries.
  redis.Restart();
  const double restarted_at = static_cast<double>(std::time(nullptr));
  REQUIRE(exporter.WaitForMetric("redis_timeout_last_poll_success_timestamp_seconds", target,
                                 AtLeast(restarted_at + 1), 15s));
  DebugSleep(redis, "0.015");  // id 0 of the new run
  REQUIRE(exporter.WaitForMetric("redis_timeout_slowlog_entries_total", debug, Equals(4)));
  REQUIRE(exporter.WaitForPolls("restart", 3));
  CHECK(exporter.Metric("redis_timeout_slowlog_entries_total", debug) == 4.0);
}

TEST_CASE("daemon: slowlog threshold follows CONFIG SET", "[daemon][slowlog]") {
  RedisServer redis;
  ExporterProcess exporter = StartExporter(Config(kConfig, "threshold", redis));
  const Labels target{{"target", "threshold"}};
  REQUIRE(exporter.WaitForMetric("redis_timeout_slowlog_threshold_seconds", target, Equals(0.01)));
  REQUIRE(redis.Command({"CONFIG", "SET", "slowlog-log-slower-than", "2500"}).str == "OK");
  CHECK(exporter.WaitForMetric("redis_timeout_slowlog_threshold_seconds", target, Equals(0.0025)));
}

TEST_CASE("daemon: dangerous commands from INFO commandstats", "[daemon][slowlog]") {
  RedisServer redis;
  ExporterProcess exporter = StartExporter(Config(kConfig, "danger", redis));
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", {{"target", "danger"}}, Equals(1)));

  redis.Command({"HSET", "h", "a", "1"});
  redis.Command({"SADD", "s", "a"});
  redis.Command({"RPUSH", "l", "3", "1", "2"});
  for (int i = 0; i < 3; ++i) redis.Command({"KEYS", "*"});
  for (int i = 0; i < 2; ++i) redis.Command({"HGETALL", "h"});
  redis.Command({"SMEMBERS", "s"});
  redis.Command({"LRANGE", "l", "0", "-1"});
  redis.Command({"SORT", "l"});
  redis.Command({"FLUSHDB"});
  redis.Command({"FLUSHALL"});

  auto calls = [](const std::string& command) {
    return Labels{{"target", "danger"}, {"command", command}};
  };
  REQUIRE(exporter.WaitForMetric("redis_timeout_dangerous_command_calls_total", calls("flushall"),
                                 Equals(1)));
  MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text());
  CHECK(m.Value("redis_timeout_dangerous_command_calls_total", calls("keys")) == 3.0);
  CHECK(m.Value("redis_timeout_dangerous_command_calls_total", calls("hgetall")) == 2.0);
  CHECK(m.Value("redis_timeout_dangerous_command_calls_total", calls("smembers")) == 1.0);
  CHECK(m.Value("redis_timeout_dangerous_command_calls_total", calls("lrange")) == 1.0);
  CHECK(m.Value("redis_timeout_dangerous_command_calls_total", calls("sort")) == 1.0);
  CHECK(m.Value("redis_timeout_dangerous_command_calls_total", calls("flushdb")) == 1.0);
  // Ordinary commands are not in this family.
  CHECK(!m.Has("redis_timeout_dangerous_command_calls_total", calls("hset")));
  CHECK(!m.Has("redis_timeout_dangerous_command_calls_total", calls("info")));
}
