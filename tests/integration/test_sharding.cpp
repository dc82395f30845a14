// Sharding end to end: three exporters with --shard.count=3 over 30 targets on three
// redis-servers cover every target exactly once, and a real Prometheus scraping all three sees
// all 30.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "app/shard.h"
#include "exporter_process.h"
#include "loopback.h"
#include "prometheus_query.h"
#include "redis_server.h"
#include "subprocess.h"
#include "temp_dir.h"
#include "wait_until.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr int kShards = 3;
constexpr int kTargets = 30;

std::string TargetName(int i) { return "shard-target-" + std::to_string(i); }

// 30 targets named over three servers, the same config for every replica.
std::string ThirtyTargets(const std::vector<std::unique_ptr<RedisServer>>& servers) {
  std::string yaml = "poll_interval: 1s\nprobe_interval: 1s\ntargets:\n";
  for (int i = 0; i < kTargets; ++i) {
    yaml += "  - {name: " + TargetName(i) + ", address: '" +
            servers[i % servers.size()]->address() + "'}\n";
  }
  return yaml;
}

std::string ShardArg(const char* flag, int value) {
  std::string arg = flag;
  arg += "=";
  arg += std::to_string(value);
  return arg;
}

}  // namespace

TEST_CASE("three shards poll 30 targets exactly once between them; Prometheus sees all 30",
          "[sharding]") {
  std::vector<std::unique_ptr<RedisServer>> servers;
  for (int i = 0; i < 3; ++i) servers.push_back(std::make_unique<RedisServer>());
  const std::string config = ThirtyTargets(servers);

  std::vector<std::unique_ptr<ExporterProcess>> replicas;
  for (int index = 0; index < kShards; ++index) {
    replicas.push_back(std::make_unique<ExporterProcess>(
        ExporterBinary(), config,
        ExporterOptions{
            .log_level = "info",
            .extra_args = {ShardArg("--shard.count", kShards), ShardArg("--shard.index", index)},
            .env = {},
            .wait_healthy = true,
            .start_timeout = 30s,
            .command_prefix = {}}));
  }

  // Each replica holds its share, and every target of it is up (polled at least once).
  std::map<std::string, int> owner;  // target -> replica index; a second owner fails below
  int held = 0;
  for (int index = 0; index < kShards; ++index) {
    auto& replica = *replicas[index];
    INFO("replica " << index);
    REQUIRE(replica.WaitForMetric("redis_timeout_shard_targets", {}, Present(), 30s));
    const int shard_targets = static_cast<int>(*replica.Metric("redis_timeout_shard_targets"));
    CHECK(shard_targets > 0);
    held += shard_targets;
    REQUIRE(replica.WaitForScrape(
        [&](const MetricsText& m) {
          const auto up = m.Samples("redis_timeout_target_up");
          if (static_cast<int>(up.size()) != shard_targets) return false;
          for (const auto& s : up) {
            if (s.value != 1) return false;
          }
          return true;
        },
        60s, "every target of the shard up"));
    for (const auto& s : replica.ScrapeMetrics().Samples("redis_timeout_target_up")) {
      const std::string& target = s.labels.at("target");
      INFO("target " << target);
      CHECK(owner.emplace(target, index).second);  // no target in two replicas
      // The documented contract: FNV-1a 64 of the name, mod the shard count.
      CHECK(rte::ShardOf(target, kShards) == index);
    }
  }
  CHECK(held == kTargets);
  REQUIRE(static_cast<int>(owner.size()) == kTargets);
  for (int i = 0; i < kTargets; ++i) CHECK(owner.contains(TargetName(i)));

  // A reload keeps the replica to its shard: still its targets only, none of the others'.
  {
    auto& replica = *replicas[0];
    const int before = static_cast<int>(*replica.Metric("redis_timeout_shard_targets"));
    const double loaded_at =
        *replica.Metric("redis_timeout_config_last_reload_success_timestamp_seconds");
    std::this_thread::sleep_for(1100ms);  // a reload then has a later timestamp
    replica.Reload();
    REQUIRE(replica.WaitForMetric("redis_timeout_config_last_reload_success_timestamp_seconds", {},
                                  Above(loaded_at), 30s));
    std::this_thread::sleep_for(2s);  // the poll loop applies it; a lost shard adds targets
    const MetricsText m = replica.ScrapeMetrics();
    CHECK(static_cast<int>(*m.Value("redis_timeout_shard_targets")) == before);
    CHECK(static_cast<int>(m.Samples("redis_timeout_target_up").size()) == before);
  }

  // A Prometheus scraping all three replicas in one job.
  REQUIRE(access("/usr/bin/prometheus", X_OK) == 0);
  TempDir dir("rte-shards");
  const int prom_port = FreeLoopbackPort();
  std::string scrape_targets;
  for (const auto& r : replicas) {
    if (!scrape_targets.empty()) scrape_targets += ", ";
    scrape_targets += "'127.0.0.1:" + std::to_string(r->port()) + "'";
  }
  {
    std::ofstream out(dir.path() + "/prometheus.yml");
    out << "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
           "scrape_configs:\n"
           "  - job_name: redis-timeout-exporter\n"
           "    static_configs: [{targets: ["
        << scrape_targets << "]}]\n";
  }
  Subprocess prometheus(PrometheusArgv(dir.path(), prom_port), dir.path());
  INFO("prometheus stderr: " << prometheus.ReadStderr().substr(0, 4000));
  REQUIRE(
      WaitUntil([&] { return PromScalar(prom_port, "count(up == 1)") == kShards; }, 60s, 250ms));
  CHECK(WaitUntil(
      [&] { return PromScalar(prom_port, "count(redis_timeout_target_up == 1)") == kTargets; }, 30s,
      250ms));
  // Distinct target names: no target is counted twice.
  CHECK(PromScalar(prom_port, "count(count by (target) (redis_timeout_target_up))") == kTargets);
  CHECK(PromScalar(prom_port, "max(count by (target) (redis_timeout_target_up))") == 1);
  CHECK(PromScalar(prom_port, "sum(redis_timeout_shard_targets)") == kTargets);
}

TEST_CASE("a shard index outside --shard.count is refused before anything starts", "[sharding]") {
  const ExporterRun run = RunExporter({"--shard.count=3", "--shard.index=3"});
  CHECK(run.exit_code == 64);  // a usage error
  CHECK_THAT(run.stderr_text, Catch::Contains("shard index 3 is not below --shard.count=3"));

  const ExporterRun unsharded = RunExporter({"--shard.count=0"});
  CHECK(unsharded.exit_code == 64);
  CHECK_THAT(unsharded.stderr_text, Catch::Contains("--shard.count must be between 1 and 1000"));
}
