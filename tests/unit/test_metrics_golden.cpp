// The whole pure path, fixtures → snapshot → derive → /metrics text, against a golden file.
// Rewrite the golden file with UPDATE_GOLDEN=1 after an intended change, and review the diff.
#include <prometheus/text_serializer.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "derive/discovery_health.h"
#include "derive/target_history.h"
#include "exposition/collector.h"
#include "fixtures.h"

using namespace rte;
using rte::testing::ReadFixture;

namespace {

RedisSnapshot FixtureSnapshot() {
  RedisSnapshot snap;
  for (const char* f : {"redis/info_server.txt", "redis/info_clients.txt", "redis/info_memory.txt",
                        "redis/info_stats.txt", "redis/info_persistence.txt",
                        "redis/info_errorstats.txt", "redis/info_commandstats.txt"}) {
    for (auto& [k, v] : ParseInfo(ReadFixture(f)).fields) snap.info.fields[k] = v;
  }
  snap.commandstats = ParseCommandStats(snap.info);
  snap.errorstats = ParseErrorStats(snap.info);
  snap.slowlog = ParseSlowlog(DecodeAll(ReadFixture("redis/slowlog_get.resp")).value()[0]);
  snap.latency_events =
      ParseLatencyLatest(DecodeAll(ReadFixture("redis/latency_latest.resp")).value()[0]);
  snap.config = std::map<std::string, std::string>{{"slowlog-log-slower-than", "10000"},
                                                   {"slowlog-max-len", "128"},
                                                   {"tcp-backlog", "511"},
                                                   {"latency-monitor-threshold", "10"}};
  snap.clients = ParseClientList(ReadFixture("redis/client_list.txt"));
  return snap;
}

// A successful poll of 0.4 ms that read the fixtures.
PollResult FixturePoll(Nanos at_mono, double at_wall) {
  PollResult poll;
  poll.at_mono = at_mono;
  poll.at_wall = at_wall;
  poll.duration_seconds = 0.0004;
  poll.redis = FixtureSnapshot();
  poll.redis->taken_at_wall = at_wall;  // with INFO uptime_in_seconds, Redis' start time
  return poll;
}

}  // namespace

TEST_CASE("metrics from recorded fixtures match the golden file", "[golden]") {
  ReportStore store;
  ExporterStatus status;
  status.config_last_reload_success_timestamp = 1795680000;

  auto kernel = std::make_shared<KernelSnapshot>();
  kernel->counters.listen_overflows = 263;
  kernel->counters.listen_drops = 263;
  kernel->counters.somaxconn = 4096;
  kernel->counters.tcp_max_syn_backlog = 2048;
  kernel->counters.tcp_syncookies = 1;
  kernel->listen_queue_read = true;
  kernel->listen_queue_ok = true;
  kernel->counters_duration_seconds = 0.0003;
  kernel->listen_queue_duration_seconds = 0.0001;
  kernel->queues["cache-1"] = ListenQueue{3, 511};
  kernel->swap_bytes["cache-1"] = 0;
  kernel->cgroup_memory_limit_bytes["cache-1"] = 268435456;  // a 256 MiB container
  kernel->thp_mode = "madvise";
  // The exporter's own process: tests/fixtures/proc/process/*_exporter.txt at 100 ticks/s and
  // 4 KiB pages, after 12.5 s of CPU.
  ProcessFigures process;
  process.cpu_seconds_total = 12.5;
  process.resident_memory_bytes = 1603 * 4096;
  process.virtual_memory_bytes = 167899136;
  process.start_time_seconds = 1796011085 + 11953.85;
  process.open_fds = 15;
  process.max_fds = 20000;
  kernel->exporter_process = process;
  store.PublishKernel(kernel);

  // Two polls of a local target through the real derive step. The first only records where
  // the slowlog stands; the second sees all ten entries as new because the server restarted in
  // between (new run_id).
  TargetConfig up_config;
  up_config.name = "cache-1";
  up_config.client_timeout = std::chrono::milliseconds(500);
  up_config.endpoint = ParseEndpoint("rediss://127.0.0.1:6380").value();
  up_config.pools = {{"api", "api-*", 5}, {"worker", "worker-*", 10}};
  TargetHistory up(up_config, /*local=*/true);
  const std::map<OptionalCommand, bool> supported = {{OptionalCommand::kConfig, true},
                                                     {OptionalCommand::kSlowlog, true},
                                                     {OptionalCommand::kClient, true}};
  PollResult first;
  first.at_mono = 100'000'000'000;
  first.at_wall = 1795687095.25;
  first.duration_seconds = 0.002;
  first.redis = FixtureSnapshot();
  first.redis->taken_at_wall = first.at_wall;
  first.redis->info.fields["run_id"] = "before-restart";
  first.redis->slowlog = std::vector<SlowlogEntry>{};
  first.supported = supported;
  up.Advance(first, kernel.get());

  PollResult second;
  second.at_mono = 105'000'000'000;
  second.at_wall = 1795687100.25;
  second.duration_seconds = 0.0015;
  second.redis = FixtureSnapshot();
  second.redis->taken_at_wall = second.at_wall;
  second.redis->info.fields["uptime_in_seconds"] = "3600";  // started an hour before
  second.supported = supported;
  // Probe figures as a real probe hands them over.
  Nanos at = 101'000'000'000;
  for (double rtt : {0.00012, 0.00015, 0.0009, 0.042}) {
    second.probe.rtts.push_back({at, static_cast<Nanos>(rtt * 1e9), false});
    at += 1'000'000'000;
  }
  second.probe.ping_failures = 1;
  second.probe.tcp_rtt_seconds = 0.000031;
  second.probe.tcp_retransmits_total = 2;
  second.probe.tcp_path_mtu_bytes = 65535;
  second.probe.tcp_mss_bytes = 32768;
  second.probe.large_rtts.push_back({104'000'000'000, 150'000, false});
  second.probe.connect_duration_seconds = 0.0008;
  second.probe.tls_handshake_seconds = 0.0006;
  second.probe.tls_certificate_expiry_seconds = 1826150400;  // 2027-11-14
  second.probe.connect_refusals["max_clients"] = 2;
  store.Publish(std::make_shared<const TargetReport>(up.Advance(second, kernel.get())));

  TargetConfig down_config;
  down_config.name = "cache-2";
  TargetHistory down(down_config, /*local=*/false);
  for (int i = 0; i < 4; ++i) {
    PollResult failed;
    failed.at_mono = 100'000'000'000 + i * 5'000'000'000LL;
    failed.at_wall = 1795687095.25 + i * 5;
    failed.duration_seconds = 0.0001;
    failed.error = PollError{PollStage::kConnect, "connection refused: nothing listens on x"};
    down.Advance(failed, kernel.get());
  }
  store.Publish(std::make_shared<const TargetReport>(down.report()));

  // A target that answers while it loads its dataset: not serving, with the progress.
  TargetConfig loading_config;
  loading_config.name = "cache-3";
  loading_config.cluster = "orders";  // found by a discovery
  TargetHistory loading(loading_config, /*local=*/false);
  PollResult loading_poll = FixturePoll(105'000'000'000, 1795687100.25);
  loading_poll.redis->info.fields["loading"] = "1";
  loading_poll.redis->info.fields["loading_loaded_perc"] = "45.50";
  loading_poll.redis->info.fields["loading_eta_seconds"] = "12";
  loading_poll.probe.ping_refusal = ServerRefusal::kLoading;
  store.Publish(std::make_shared<const TargetReport>(loading.Advance(loading_poll, nullptr)));

  // Two discoveries: a cluster while a killed master is suspected (recorded), and a sentinel
  // group with one sentinel unreachable.
  DiscoveryStatus cluster;
  cluster.name = "orders";
  cluster.type = "cluster";
  cluster.targets = 6;
  cluster.last_success_wall = 1795687100.25;
  cluster.errors_total = 1;
  cluster.failovers_total = 1;
  auto nodes = ParseClusterNodes(ReadFixture("discovery/cluster_nodes_suspected.txt"));
  REQUIRE(nodes.ok());
  cluster.cluster = AssessCluster(nodes.value(), "ok");
  DiscoveryStatus sentinel;
  sentinel.name = "sessions";
  sentinel.type = "sentinel";
  sentinel.targets = 2;
  sentinel.last_success_wall = 1795687100.25;
  sentinel.errors_total = 3;
  sentinel.sentinel = SentinelHealth{2, 0, 1, HostPort{"10.0.1.5", 6379}};
  store.PublishDiscoveries({cluster, sentinel});

  const std::string actual = RenderMetrics(ReportCollector(store, status));
  const std::string golden_path = std::string(RTE_GOLDEN_DIR) + "/metrics_from_fixtures.txt";
  if (std::getenv("UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden_path, std::ios::binary) << actual;
  }
  std::ifstream in(golden_path, std::ios::binary);
  REQUIRE(in.good());
  const std::string expected((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  CHECK(actual == expected);
}

TEST_CASE("a page written in pieces is the page prometheus-cpp serializes whole", "[golden]") {
  // Enough targets that the larger families go out in several pieces (FamilyBuilder).
  ReportStore store;
  ExporterStatus status;
  for (int i = 0; i < 700; ++i) {
    TargetConfig config;
    config.name = "cache-" + std::to_string(i);
    TargetHistory history(config, /*local=*/false);
    const PollResult poll = FixturePoll(100'000'000'000, 1795687095.25);
    store.Publish(std::make_shared<const TargetReport>(history.Advance(poll, nullptr)));
  }
  const ReportCollector collector(store, status);
  std::ostringstream whole;
  prometheus::TextSerializer().Serialize(whole, collector.Collect());
  const std::string pieces = RenderMetrics(collector);
  CHECK(pieces.size() > 100'000);
  CHECK(pieces == whole.str());
}
