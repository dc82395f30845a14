// Black-box tests of the memory signals: maxmemory, policy, OOM errors, evictions.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>

#include "exporter_process.h"
#include "redis_server.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr char kTightConfig[] = R"(
poll_interval: 250ms
targets:
  - name: tight
    address: ${redis}
)";

constexpr char kLruConfig[] = R"(
poll_interval: 250ms
config_interval: 250ms
targets:
  - name: lru
    address: ${redis}
)";

// Writes 10 KiB values until redis has refused `refusals` writes; returns the refusals' text.
std::vector<std::string> WriteUntilRefused(RedisServer& redis, int refusals) {
  std::vector<std::string> errors;
  const std::string value(10 * 1024, 'x');
  for (int i = 0; i < 5000 && static_cast<int>(errors.size()) < refusals; ++i) {
    RedisValue r = redis.Command({"SET", "fill:" + std::to_string(i), value});
    if (r.is_error()) errors.push_back(r.str);
  }
  return errors;
}

}  // namespace

TEST_CASE("daemon: maxmemory 2mb with noeviction counts OOM errors", "[daemon][memory]") {
  RedisServer redis({"--maxmemory", "2mb", "--maxmemory-policy", "noeviction"});
  ExporterProcess exporter = StartExporter(Substitute(kTightConfig, {{"redis", redis.address()}}));
  const Labels target{{"target", "tight"}};
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", target, Equals(1)));
  CHECK(exporter.Metric("redis_timeout_oom_errors_total", target) == 0.0);

  std::vector<std::string> errors = WriteUntilRefused(redis, 3);
  REQUIRE(errors.size() == 3);
  CHECK(errors[0].rfind("OOM", 0) == 0);

  REQUIRE(exporter.WaitForMetric("redis_timeout_oom_errors_total", target, Equals(3)));
  MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text());
  CHECK(m.Value("redis_timeout_maxmemory_bytes", target) == 2097152.0);
  CHECK(m.Value("redis_timeout_maxmemory_policy_info",
                {{"target", "tight"}, {"policy", "noeviction"}}) == 1.0);
  CHECK(m.Samples("redis_timeout_maxmemory_policy_info", target).size() == 1);
  CHECK(m.Value("redis_timeout_memory_used_bytes", target) > 1024.0 * 1024.0);
  CHECK(m.Value("redis_timeout_evicted_keys_total", target) == 0.0);
  CHECK(m.Value("redis_timeout_target_up", target) == 1.0);
}

TEST_CASE("daemon: eviction policy changes and evicted keys", "[daemon][memory]") {
  RedisServer redis({"--maxmemory", "2mb", "--maxmemory-policy", "noeviction"});
  ExporterProcess exporter = StartExporter(Substitute(kLruConfig, {{"redis", redis.address()}}));
  const Labels target{{"target", "lru"}};
  const Labels noeviction{{"target", "lru"}, {"policy", "noeviction"}};
  const Labels allkeys_lru{{"target", "lru"}, {"policy", "allkeys-lru"}};
  REQUIRE(exporter.WaitForMetric("redis_timeout_maxmemory_policy_info", noeviction, Equals(1)));

  REQUIRE(redis.Command({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}).str == "OK");
  REQUIRE(exporter.WaitForMetric("redis_timeout_maxmemory_policy_info", allkeys_lru, Equals(1)));
  CHECK(exporter.ScrapeMetrics().Samples("redis_timeout_maxmemory_policy_info", target).size() ==
        1);

  // 400 x 10 KiB into 2 MiB: redis evicts instead of refusing.
  const std::string value(10 * 1024, 'x');
  for (int i = 0; i < 400; ++i) {
    RedisValue r = redis.Command({"SET", "fill:" + std::to_string(i), value});
    REQUIRE(!r.is_error());
  }
  REQUIRE(exporter.WaitForMetric("redis_timeout_evicted_keys_total", target, Above(0)));
  CHECK(exporter.Metric("redis_timeout_oom_errors_total", target) == 0.0);
}
