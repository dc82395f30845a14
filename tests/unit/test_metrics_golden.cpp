// The whole pure path, fixtures → snapshot → derive → /metrics text, against a golden file.
// Rewrite the golden file with UPDATE_GOLDEN=1 after an intended change, and review the diff.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "exposition/collector.h"
#include "fixtures.h"

using namespace rte;
using rte::testing::ReadFixture;

namespace {

RedisSnapshot FixtureSnapshot() {
  RedisSnapshot snap;
  for (const char* f : {"redis/info_server.txt", "redis/info_clients.txt", "redis/info_memory.txt",
                        "redis/info_stats.txt", "redis/info_errorstats.txt",
                        "redis/info_commandstats.txt"}) {
    for (auto& [k, v] : ParseInfo(ReadFixture(f)).fields) snap.info.fields[k] = v;
  }
  snap.commandstats = ParseCommandStats(snap.info);
  snap.errorstats = ParseErrorStats(snap.info);
  snap.slowlog = ParseSlowlog(DecodeAll(ReadFixture("redis/slowlog_get.resp")).value()[0]);
  snap.config = std::map<std::string, std::string>{
      {"slowlog-log-slower-than", "10000"}, {"slowlog-max-len", "128"}, {"tcp-backlog", "511"}};
  snap.clients = ParseClientList(ReadFixture("redis/client_list.txt"));
  snap.supported = {{OptionalCommand::kConfig, true},
                    {OptionalCommand::kSlowlog, true},
                    {OptionalCommand::kClient, true}};
  return snap;
}

}  // namespace

TEST_CASE("metrics from recorded fixtures match the golden file", "[golden]") {
  ReportStore store;
  ExporterStatus status;
  status.config_last_reload_success_timestamp = 1795680000;

  TargetReport up;
  up.config.name = "cache-1";
  up.config.client_timeout = std::chrono::milliseconds(500);
  up.config.pools = {{"api", "api-*", 5}, {"worker", "worker-*", 10}};
  up.up = true;
  up.last_success_wall = 1795687100.25;
  up.poll_duration_seconds = 0.0015;
  for (const char* stage : kPollStages) up.poll_errors[stage] = 0;
  const RedisSnapshot snap = FixtureSnapshot();
  up.supported = snap.supported;
  up.signals = DeriveSignals(snap, up.config);
  // The first poll only records where the log stands; the second sees all ten entries as new
  // because the server restarted in between (new run_id).
  SlowlogCursor cursor;
  cursor.Advance("before-restart", {});
  up.slowlog.emplace();
  up.slowlog->Add(cursor.Advance(snap.info.Text("run_id").value(), *snap.slowlog));
  // Probe figures as a real probe builds them.
  for (double rtt : {0.00012, 0.00015, 0.0009, 0.042}) up.probe.ping_rtt.Observe(rtt);
  up.probe.ping_failures = 1;
  up.probe.window_p50 = 0.00015;
  up.probe.window_p99 = 0.042;
  up.probe.window_max = 0.042;
  up.probe.tcp_rtt_seconds = 0.000031;
  up.probe.connect_duration_seconds = 0.0008;
  for (const char* reason : kConnectRefusalReasons) up.probe.connect_refusals[reason] = 0;
  up.probe.connect_refusals["max_clients"] = 2;
  up.listen_queue = TargetReport::ListenQueue{3, 511};
  // Risk as the model reports it: four judged causes and one that cannot be judged here.
  for (size_t i = 0; i < kCauses.size(); ++i) up.risk.causes[i].cause = kCauses[i];
  up.risk.causes[0].risk = 0.1;
  up.risk.causes[1].risk = 0.05;
  up.risk.causes[2].risk = 1.0;
  up.risk.causes[3].risk = 0.55;
  up.risk.causes[4].missing_reason = "not_local";
  store.Publish(std::make_shared<const TargetReport>(up));

  TargetReport down;
  down.config.name = "cache-2";
  down.up = false;
  for (const char* stage : kPollStages) down.poll_errors[stage] = 0;
  down.poll_errors["connect"] = 4;
  store.Publish(std::make_shared<const TargetReport>(down));

  auto kernel = std::make_shared<KernelReport>();
  kernel->counters.listen_overflows = 263;
  kernel->counters.listen_drops = 263;
  kernel->counters.somaxconn = 4096;
  kernel->counters.tcp_max_syn_backlog = 2048;
  kernel->counters.tcp_syncookies = 1;
  kernel->listen_queue_read = true;
  kernel->listen_queue_ok = true;
  kernel->counters_duration_seconds = 0.0003;
  kernel->listen_queue_duration_seconds = 0.0001;
  store.PublishKernel(kernel);

  const std::string actual = RenderMetrics(ReportCollector(store, status));
  const std::string golden_path = std::string(RTE_GOLDEN_DIR) + "/metrics_from_fixtures.txt";
  if (std::getenv("UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden_path, std::ios::binary) << actual;
  }
  std::ifstream in(golden_path, std::ios::binary);
  REQUIRE(in.good());
  const std::string expected((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(actual == expected);
}
