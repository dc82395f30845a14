#include "exposition/collector.h"

#include <prometheus/text_serializer.h>

#include <functional>
#include <sstream>

#include "common/fd_exhaustion.h"

namespace rte {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Reports = std::vector<std::shared_ptr<const TargetReport>>;
using FamilySink = ReportCollector::FamilySink;

constexpr const char* kPrefix = "redis_timeout_";

// Builds one family; `fill` adds samples. Families with no samples are left out. The samples go
// to the sink in pieces of kPieceMetrics, so a scrape never holds a whole family's structs:
// at 1,000 targets one family can be 20,000 series.
class FamilyBuilder {
 public:
  // Our families carry kPrefix; the standard process_* families keep their well-known names.
  enum class Prefix { kExporter, kNone };

  FamilyBuilder(const FamilySink& out, const std::string& name, MetricType type,
                const std::string& help, Prefix prefix = Prefix::kExporter)
      : out_(out) {
    if (prefix == Prefix::kExporter) family_.name = kPrefix;
    family_.name += name;
    family_.type = type;
    family_.help = help;
  }
  ~FamilyBuilder() {
    if (!family_.metric.empty()) out_(std::move(family_), continued_);
  }
  void Add(double value, std::vector<ClientMetric::Label> labels) {
    ClientMetric m;
    m.label = std::move(labels);
    if (family_.type == MetricType::Counter) {
      m.counter.value = value;
    } else {
      m.gauge.value = value;
    }
    Push(std::move(m));
  }
  void AddHistogram(const Histogram& h, std::vector<ClientMetric::Label> labels) {
    ClientMetric m;
    m.label = std::move(labels);
    m.histogram.sample_count = h.count();
    m.histogram.sample_sum = h.sum();
    std::uint64_t cumulative = 0;
    for (size_t i = 0; i < h.bounds().size(); ++i) {
      cumulative += h.bucket_counts()[i];
      m.histogram.bucket.push_back({cumulative, h.bounds()[i]});
    }
    m.histogram.bucket.push_back({h.count(), std::numeric_limits<double>::infinity()});
    Push(std::move(m));
  }
  // A summary: the given quantiles, and the count and sum of every observation so far.
  void AddSummary(const std::vector<std::pair<double, double>>& quantiles, std::uint64_t count,
                  double sum, std::vector<ClientMetric::Label> labels) {
    ClientMetric m;
    m.label = std::move(labels);
    m.summary.sample_count = count;
    m.summary.sample_sum = sum;
    for (const auto& [q, v] : quantiles) m.summary.quantile.push_back({q, v});
    Push(std::move(m));
  }

 private:
  static constexpr size_t kPieceMetrics = 256;

  void Push(ClientMetric m) {
    family_.metric.push_back(std::move(m));
    if (family_.metric.size() < kPieceMetrics) return;
    MetricFamily piece{family_.name, family_.help, family_.type, {}};
    piece.metric.reserve(kPieceMetrics);
    std::swap(piece, family_);
    out_(std::move(piece), continued_);
    continued_ = true;
  }

  const FamilySink& out_;
  MetricFamily family_;
  bool continued_ = false;  // a piece of this family went to the sink already
};

ClientMetric::Label T(const TargetReport& r) { return {"target", r.config.name}; }

// A per-target gauge/counter read from the signals of targets that are up.
void SignalFamily(const FamilySink& out, const Reports& reports, const std::string& name,
                  MetricType type, const std::string& help,
                  const std::function<std::optional<double>(const RedisSignals&)>& pick) {
  FamilyBuilder f(out, name, type, help);
  for (const auto& r : reports) {
    if (!r->signals) continue;
    if (auto v = pick(*r->signals)) f.Add(*v, {T(*r)});
  }
}

// Whether a target that answers serves its clients (loading, BUSY, MASTERDOWN, writes paused).
void ServingFamilies(const FamilySink& out, const Reports& reports) {
  {
    FamilyBuilder f(out, "target_serving", MetricType::Gauge,
                    "1 when the target answers and serves commands; 0 when it answers but fails "
                    "or holds the application's commands: loading its dataset, a script past "
                    "busy-reply-threshold, a replica without its master, or writes paused. "
                    "target_not_serving_info names the state; /triage says what to do. Absent "
                    "while the target does not answer at all (see target_up).");
    for (const auto& r : reports) {
      if (r->up || !r->serving.serving()) f.Add(r->serving.serving() ? 1 : 0, {T(*r)});
    }
  }
  {
    FamilyBuilder f(out, "target_not_serving_info", MetricType::Gauge,
                    "Why a target is not serving, value 1, present only then: reason loading, "
                    "busy_script, master_down or writes_paused.");
    for (const auto& r : reports) {
      if (!r->serving.serving()) f.Add(1, {T(*r), {"reason", NotServingName(r->serving.reason)}});
    }
  }
  SignalFamily(out, reports, "loading_progress_ratio", MetricType::Gauge,
               "Share of the dataset loaded while the target loads it (INFO persistence "
               "loading_loaded_perc / 100); present only while loading.",
               [](const RedisSignals& s) -> std::optional<double> {
                 if (s.loading.value_or(0) <= 0) return std::nullopt;
                 return s.loading_progress_ratio;
               });
  SignalFamily(out, reports, "loading_eta_seconds", MetricType::Gauge,
               "Redis' estimate of the seconds left to load the dataset (INFO persistence "
               "loading_eta_seconds); present only while loading.",
               [](const RedisSignals& s) -> std::optional<double> {
                 if (s.loading.value_or(0) <= 0) return std::nullopt;
                 return s.loading_eta_seconds;
               });
  SignalFamily(out, reports, "redis_start_time_seconds", MetricType::Gauge,
               "Unix time Redis started: poll time minus INFO server uptime_in_seconds, rounded "
               "to whole seconds. A change means Redis restarted and the counters mirrored from "
               "Redis restarted from 0: count restarts with changes() or resets() on this.",
               [](const RedisSignals& s) { return s.redis_start_time_seconds; });
}

void HealthFamilies(const FamilySink& out, const Reports& reports) {
  {
    FamilyBuilder f(out, "target_up", MetricType::Gauge,
                    "1 when the last poll of the target succeeded (connected, authenticated, INFO "
                    "answered), else 0. When 0, the Redis-derived series of the target are absent: "
                    "look at poll_errors_total{stage} and the log.");
    for (const auto& r : reports) f.Add(r->up ? 1 : 0, {T(*r)});
  }
  ServingFamilies(out, reports);
  {
    FamilyBuilder f(out, "last_poll_success_timestamp_seconds", MetricType::Gauge,
                    "Unix time of the last successful poll. Scrapes never query Redis: /metrics "
                    "serves the latest poll, so alert when time() minus this exceeds a few poll "
                    "intervals.");
    for (const auto& r : reports) {
      if (r->last_success_wall) f.Add(*r->last_success_wall, {T(*r)});
    }
  }
  {
    FamilyBuilder f(out, "poll_duration_seconds", MetricType::Gauge,
                    "Wall time the last poll took (connect if needed, then one pipelined batch). "
                    "Close to poll_timeout means the target is slow or hung.");
    for (const auto& r : reports) {
      if (r->poll_duration_seconds) f.Add(*r->poll_duration_seconds, {T(*r)});
    }
  }
  {
    FamilyBuilder f(
        out, "poll_errors_total", MetricType::Counter,
        "Failed polls by stage (connect, dns, tls, auth, timeout, protocol, info) and "
        "failed optional commands (slowlog, config, client_list, latency). A rising timeout "
        "count means the target accepts connections but does not answer; /triage and "
        "the log (event=poll_failed) say why in words.");
    for (const auto& r : reports) {
      for (const auto& [stage, count] : r->poll_errors) {
        f.Add(count, {T(*r), {"stage", PollStageName(stage)}});
      }
    }
  }
  {
    FamilyBuilder f(
        out, "command_supported", MetricType::Gauge,
        "1 when the target answers CONFIG, SLOWLOG, CLIENT or LATENCY; 0 when it refuses it "
        "(renamed, ACL, managed Redis). The exporter falls back and keeps polling; "
        "series that depend on a refused command are absent.");
    for (const auto& r : reports) {
      for (const auto& [command, ok] : r->supported) {
        f.Add(ok ? 1 : 0, {T(*r), {"command", OptionalCommandName(command)}});
      }
    }
  }
  {
    FamilyBuilder f(out, "client_timeout_seconds", MetricType::Gauge,
                    "The timeout the application's own Redis clients use (config client_timeout). "
                    "Latency and slow commands are judged against it.");
    for (const auto& r : reports) f.Add(ToSeconds(r->config.client_timeout), {T(*r)});
  }
}

// One series per configured pool, from the latest CLIENT LIST of targets that are up.
template <typename Pick>
void PoolFamily(const FamilySink& out, const Reports& reports, const char* name, const char* help,
                Pick pick) {
  FamilyBuilder f(out, name, MetricType::Gauge, help);
  for (const auto& r : reports) {
    if (!r->signals) continue;
    for (const auto& [pool, usage] : r->signals->pools) f.Add(pick(usage), {T(*r), {"pool", pool}});
  }
}

void PoolFamilies(const FamilySink& out, const Reports& reports) {
  SignalFamily(out, reports, "connected_clients", MetricType::Gauge,
               "Client connections open now (INFO clients connected_clients). Near maxclients, "
               "new connections are refused.",
               [](const RedisSignals& s) { return s.connected_clients; });
  SignalFamily(out, reports, "maxclients", MetricType::Gauge,
               "Connection limit (INFO clients maxclients, or CONFIG GET maxclients before 7.0).",
               [](const RedisSignals& s) { return s.maxclients; });
  SignalFamily(out, reports, "blocked_clients", MetricType::Gauge,
               "Clients waiting in a blocking command (INFO clients blocked_clients, e.g. "
               "BLPOP). They hold pool connections without doing work.",
               [](const RedisSignals& s) { return s.blocked_clients; });
  SignalFamily(out, reports, "rejected_connections_total", MetricType::Counter,
               "Connections Redis refused because maxclients was reached (INFO stats "
               "rejected_connections). Any increase means clients got errors: raise maxclients "
               "or shrink client pools.",
               [](const RedisSignals& s) { return s.rejected_connections_total; });
  SignalFamily(out, reports, "connections_received_total", MetricType::Counter,
               "Connections accepted (INFO stats total_connections_received). A high rate means "
               "clients reconnect instead of pooling: bursts fill the accept queue.",
               [](const RedisSignals& s) { return s.connections_received_total; });
  PoolFamily(out, reports, "pool_connections",
             "Connections of the pool, all application instances together: clients whose "
             "CLIENT SETNAME matches the pool's client_name glob (CLIENT LIST). pool_size is per "
             "instance, so compare pool_largest_instance_connections with it, not this.",
             [](const PoolUsage& u) { return u.connections; });
  PoolFamily(out, reports, "pool_instances",
             "Application instances holding connections of the pool: distinct client hosts "
             "(CLIENT LIST addr without the port). Each instance has its own pool of pool_size.",
             [](const PoolUsage& u) { return u.instances; });
  PoolFamily(out, reports, "pool_largest_instance_connections",
             "Connections of the pool held by its largest instance (one client host, CLIENT "
             "LIST). Above pool_size: a connection leak, or the declared size is wrong.",
             [](const PoolUsage& u) { return u.largest_instance; });
  PoolFamily(out, reports, "pool_busy_connections",
             "Busy connections of the pool's busiest instance: ran a command within the last "
             "second (CLIENT LIST idle=0) or blocked (flags b). At pool_size in nearly every "
             "poll that instance's pool is exhausted and its requests wait for a connection.",
             [](const PoolUsage& u) { return u.busy; });
  {
    FamilyBuilder f(out, "pool_size", MetricType::Gauge,
                    "Declared size of the application's client pool (config pools[].size).");
    for (const auto& r : reports) {
      for (const auto& pool : r->config.pools) f.Add(pool.size, {T(*r), {"pool", pool.name}});
    }
  }
}

void MemoryFamilies(const FamilySink& out, const Reports& reports) {
  SignalFamily(out, reports, "memory_used_bytes", MetricType::Gauge,
               "Memory allocated by Redis (INFO memory used_memory). Compare with maxmemory_bytes.",
               [](const RedisSignals& s) { return s.memory_used_bytes; });
  SignalFamily(out, reports, "maxmemory_bytes", MetricType::Gauge,
               "Memory limit (INFO memory maxmemory); 0 means no limit (system memory applies).",
               [](const RedisSignals& s) { return s.maxmemory_bytes; });
  {
    FamilyBuilder f(out, "maxmemory_policy_info", MetricType::Gauge,
                    "Eviction policy (INFO memory maxmemory_policy), value 1. Under noeviction a "
                    "full Redis rejects writes with OOM errors.");
    for (const auto& r : reports) {
      if (r->signals && r->signals->maxmemory_policy) {
        f.Add(1, {T(*r), {"policy", *r->signals->maxmemory_policy}});
      }
    }
  }
  SignalFamily(out, reports, "system_memory_bytes", MetricType::Gauge,
               "Memory of the host Redis runs on (INFO memory total_system_memory).",
               [](const RedisSignals& s) { return s.system_memory_bytes; });
  SignalFamily(out, reports, "memory_rss_bytes", MetricType::Gauge,
               "Resident memory of the Redis process (INFO memory used_memory_rss): what the "
               "kernel charges against the cgroup limit and the host's memory.",
               [](const RedisSignals& s) { return s.memory_rss_bytes; });
  SignalFamily(out, reports, "memory_not_counted_for_evict_bytes", MetricType::Gauge,
               "Replica output and AOF buffers that Redis leaves out of used_memory when it "
               "compares it with maxmemory (INFO memory mem_not_counted_for_evict). High during "
               "a replica's full sync; writes do not fail because of it.",
               [](const RedisSignals& s) { return s.memory_not_counted_for_evict_bytes; });
  {
    FamilyBuilder f(out, "cgroup_memory_limit_bytes", MetricType::Gauge,
                    "Memory limit of the Redis process's cgroup, the smallest over it and its "
                    "ancestors (v2 memory.max, v1 memory.limit_in_bytes); local targets with a "
                    "limit only. Past it the kernel's OOM killer ends Redis: keep maxmemory "
                    "below it.");
    for (const auto& r : reports) {
      if (r->cgroup_memory_limit_bytes) f.Add(*r->cgroup_memory_limit_bytes, {T(*r)});
    }
  }
  {
    FamilyBuilder f(out, "memory_limit_bytes", MetricType::Gauge,
                    "The memory limit that binds first, which the memory risk judges against: "
                    "the smallest of maxmemory (when set and below the others), the cgroup limit "
                    "and system memory. memory_limit_info says which.");
    for (const auto& r : reports) {
      if (r->memory_limit) f.Add(r->memory_limit->bytes, {T(*r)});
    }
  }
  {
    FamilyBuilder f(out, "memory_limit_info", MetricType::Gauge,
                    "Where memory_limit_bytes comes from, value 1: source maxmemory (Redis "
                    "evicts or refuses writes), cgroup or system (the kernel's OOM killer ends "
                    "Redis: set maxmemory below it).");
    for (const auto& r : reports) {
      if (r->memory_limit) {
        f.Add(1, {T(*r), {"source", MemoryLimitSourceName(r->memory_limit->source)}});
      }
    }
  }
  SignalFamily(out, reports, "oom_errors_total", MetricType::Counter,
               "Commands rejected with OOM (INFO errorstats errorstat_OOM; Redis 6.2+). Any "
               "increase means writes are failing: change maxmemory-policy or add memory.",
               [](const RedisSignals& s) { return s.oom_errors_total; });
  SignalFamily(out, reports, "evicted_keys_total", MetricType::Counter,
               "Keys evicted to stay under maxmemory (INFO stats evicted_keys).",
               [](const RedisSignals& s) { return s.evicted_keys_total; });
}

void SlowlogFamilies(const FamilySink& out, const Reports& reports) {
  {
    FamilyBuilder f(out, "slowlog_entries_total", MetricType::Counter,
                    "New SLOWLOG entries by command, each counted once across polls, SLOWLOG "
                    "RESET and restarts. Each one blocked every client for its duration: replace "
                    "KEYS with SCAN, HGETALL/SMEMBERS on big keys with HSCAN/SSCAN.");
    for (const auto& r : reports) {
      if (!r->slowlog) continue;
      for (const auto& [command, count] : r->slowlog->entries_by_command) {
        f.Add(count, {T(*r), {"command", command}});
      }
    }
  }
  {
    FamilyBuilder f(out, "slowlog_entries_lost_total", MetricType::Counter,
                    "SLOWLOG entries written and pushed out between two polls (ids skipped). "
                    "Rising: raise slowlog-max-len or poll more often.");
    for (const auto& r : reports) {
      if (r->slowlog) f.Add(r->slowlog->lost, {T(*r)});
    }
  }
  {
    FamilyBuilder f(out, "slowlog_duration_seconds", MetricType::Histogram,
                    "Execution time of the new SLOWLOG entries (their microsecond duration). "
                    "Entries near client_timeout make clients time out.");
    for (const auto& r : reports) {
      if (!r->slowlog) continue;
      f.AddHistogram(r->slowlog->durations, {T(*r)});
    }
  }
  SignalFamily(out, reports, "slowlog_threshold_seconds", MetricType::Gauge,
               "Commands slower than this are logged (CONFIG GET slowlog-log-slower-than). "
               "Absent when CONFIG is refused.",
               [](const RedisSignals& s) { return s.slowlog_threshold_seconds; });
  {
    FamilyBuilder f(out, "dangerous_command_calls_total", MetricType::Counter,
                    "Calls of commands that walk a whole key or keyspace (INFO commandstats "
                    "calls of KEYS, SMEMBERS, HGETALL, SORT, LRANGE, FLUSHALL, ...). A rising rate "
                    "with slowlog entries points at the caller to fix.");
    for (const auto& r : reports) {
      if (!r->signals) continue;
      for (size_t i = 0; i < kDangerousCommands.size(); ++i) {
        f.Add(r->signals->dangerous_command_calls[i],
              {T(*r), {"command", std::string(kDangerousCommands[i])}});
      }
    }
  }
}

// Stalls SLOWLOG never records: the latency monitor, fork and persistence, command time.
void BlockingFamilies(const FamilySink& out, const Reports& reports) {
  SignalFamily(out, reports, "command_time_seconds_total", MetricType::Counter,
               "Time Redis spent executing commands (INFO commandstats: sum of usec). Its rate is "
               "the share of each second the single event loop was busy, even with SLOWLOG off or "
               "refused: near 1, every client waits; find the heavy commands with INFO "
               "commandstats (usec_per_call).",
               [](const RedisSignals& s) { return s.command_time_seconds_total; });
  SignalFamily(out, reports, "fork_duration_seconds", MetricType::Gauge,
               "How long the latest fork for BGSAVE or AOF rewrite blocked Redis (INFO stats "
               "latest_fork_usec). Near client_timeout: shrink the dataset per "
               "instance, disable transparent huge pages, move persistence to a replica.",
               [](const RedisSignals& s) { return s.fork_duration_seconds; });
  SignalFamily(out, reports, "forks_total", MetricType::Counter,
               "Forks for BGSAVE, AOF rewrite or full syncs (INFO stats total_forks). Each one "
               "blocks Redis for fork_duration_seconds; more than a few an hour: space out the "
               "save points (CONFIG GET save), raise auto-aof-rewrite-percentage, check for "
               "replicas resyncing (raise repl-backlog-size).",
               [](const RedisSignals& s) { return s.forks_total; });
  SignalFamily(out, reports, "bgsave_in_progress", MetricType::Gauge,
               "1 while a BGSAVE runs (INFO persistence rdb_bgsave_in_progress): copy-on-write "
               "memory and disk I/O compete with Redis.",
               [](const RedisSignals& s) { return s.bgsave_in_progress; });
  SignalFamily(out, reports, "aof_rewrite_in_progress", MetricType::Gauge,
               "1 while an AOF rewrite runs (INFO persistence aof_rewrite_in_progress): the fork "
               "and the rewrite's disk I/O compete with Redis. Often: raise "
               "auto-aof-rewrite-percentage and auto-aof-rewrite-min-size; fsync stalls during "
               "it: no-appendfsync-on-rewrite yes, or persistence on a replica.",
               [](const RedisSignals& s) { return s.aof_rewrite_in_progress; });
  SignalFamily(out, reports, "aof_delayed_fsync_total", MetricType::Counter,
               "Times an AOF fsync was delayed because the previous one was still running (INFO "
               "persistence aof_delayed_fsync; AOF on only). Rising: the disk is too slow for "
               "appendfsync; writes stall.",
               [](const RedisSignals& s) { return s.aof_delayed_fsync_total; });
  SignalFamily(out, reports, "latency_monitor_threshold_seconds", MetricType::Gauge,
               "Redis' latency monitor threshold (CONFIG GET latency-monitor-threshold); 0 means "
               "off: turn it on (CONFIG SET latency-monitor-threshold 100) so Redis records which "
               "stall blocked it.",
               [](const RedisSignals& s) { return s.latency_monitor_threshold_seconds; });
  {
    FamilyBuilder f(out, "process_swap_bytes", MetricType::Gauge,
                    "Memory of the Redis process in swap (/proc/<process_id>/status VmSwap); "
                    "local targets only. Above 0, accesses stall on page faults: keep maxmemory "
                    "well below the host's memory, vm.swappiness=1.");
    for (const auto& r : reports) {
      if (r->swap_bytes) f.Add(*r->swap_bytes, {T(*r)});
    }
  }
  const auto event_family = [&](const std::string& name, const std::string& help,
                                const std::function<double(const LatencyEvent&)>& pick) {
    FamilyBuilder f(out, name, MetricType::Gauge, help);
    for (const auto& r : reports) {
      if (!r->signals) continue;
      for (const auto& e : r->signals->latency_events) f.Add(pick(e), {T(*r), {"event", e.name}});
    }
  };
  event_family("latency_event_last_seconds",
               "Latest spike of each latency-monitor event class (LATENCY LATEST: command, fork, "
               "aof-fsync-always, expire-cycle, ...). Near client_timeout: that event blocked "
               "every client; see the blocking runbook.",
               [](const LatencyEvent& e) { return e.latest_seconds; });
  event_family("latency_event_max_seconds",
               "Worst spike of each latency-monitor event class since the monitor was reset "
               "(LATENCY LATEST max). Near client_timeout: that event class can block every "
               "client; LATENCY DOCTOR names the remedy, LATENCY RESET starts afresh after a fix.",
               [](const LatencyEvent& e) { return e.max_seconds; });
  event_family("latency_event_timestamp_seconds",
               "Unix time of each latency-monitor event class' latest spike (LATENCY LATEST). "
               "time() minus this says how long ago it happened.",
               [](const LatencyEvent& e) { return static_cast<double>(e.unix_time); });
}

void NetworkFamilies(const FamilySink& out, const Reports& reports) {
  {
    FamilyBuilder f(out, "ping_rtt_seconds", MetricType::Histogram,
                    "PING round trips on a dedicated persistent connection, every probe_interval, "
                    "timed with a monotonic clock. A PING that exceeds client_timeout is recorded "
                    "with the time waited and also counted in ping_failures_total.");
    for (const auto& r : reports) f.AddHistogram(r->latency.ping_rtt, {T(*r)});
  }
  {
    FamilyBuilder f(out, "ping_rtt_window_seconds", MetricType::Summary,
                    "PING round-trip quantiles (0.5, 0.99, 1 = max) over the last latency_window; "
                    "_sum and _count cover every probe PING since the exporter started, as in "
                    "ping_rtt_seconds. Compare p99 with client_timeout_seconds; if tcp_rtt_seconds "
                    "stays low while this rises, Redis itself is slow (check slowlog), not the "
                    "network.");
    for (const auto& r : reports) {
      const LatencyFigures& l = r->latency;
      std::vector<std::pair<double, double>> quantiles;
      for (const auto& [q, v] : {std::pair{0.5, l.window_p50}, std::pair{0.99, l.window_p99},
                                 std::pair{1.0, l.window_max}}) {
        if (v) quantiles.emplace_back(q, *v);
      }
      if (quantiles.empty() && l.ping_rtt.count() == 0) continue;
      f.AddSummary(quantiles, l.ping_rtt.count(), l.ping_rtt.sum(), {T(*r)});
    }
  }
  {
    FamilyBuilder f(out, "ping_failures_total", MetricType::Counter,
                    "Probe PINGs that failed: no reply within client_timeout, connection lost or "
                    "not established. Each one is a request your application would have timed "
                    "out on.");
    for (const auto& r : reports) f.Add(r->probe.ping_failures, {T(*r)});
  }
  {
    FamilyBuilder f(out, "tcp_rtt_seconds", MetricType::Gauge,
                    "Kernel smoothed round-trip time of the probe's TCP socket (TCP_INFO "
                    "tcpi_rtt). Excludes time Redis spends before replying: high here means the "
                    "network path is slow.");
    for (const auto& r : reports) {
      if (r->probe.tcp_rtt_seconds) f.Add(*r->probe.tcp_rtt_seconds, {T(*r)});
    }
  }
  {
    FamilyBuilder f(out, "tcp_retransmits_total", MetricType::Counter,
                    "Segments the probe's TCP connection retransmitted (TCP_INFO "
                    "tcpi_total_retrans, summed over reconnects). Rising means packet loss on the "
                    "path: every loss costs a client at least one retransmit timeout.");
    for (const auto& r : reports) {
      if (r->probe.tcp_retransmits_total) f.Add(*r->probe.tcp_retransmits_total, {T(*r)});
    }
  }
  {
    FamilyBuilder f(out, "tcp_path_mtu_bytes", MetricType::Gauge,
                    "Path MTU of the probe's TCP connection (TCP_INFO tcpi_pmtu). Below 1500 on "
                    "a path that should carry 1500: a tunnel or a misconfigured link.");
    for (const auto& r : reports) {
      if (r->probe.tcp_path_mtu_bytes) f.Add(*r->probe.tcp_path_mtu_bytes, {T(*r)});
    }
  }
  {
    FamilyBuilder f(out, "tcp_mss_bytes", MetricType::Gauge,
                    "Largest segment the probe's TCP connection sends (TCP_INFO tcpi_snd_mss). "
                    "Below the path MTU minus 52 (1448 on Ethernet with TCP timestamps), or large "
                    "payloads much slower than PING: check the path with ping -M do -s 1472 and "
                    "the MSS clamping of tunnels and VPNs.");
    for (const auto& r : reports) {
      if (r->probe.tcp_mss_bytes) f.Add(*r->probe.tcp_mss_bytes, {T(*r)});
    }
  }
  {
    FamilyBuilder f(out, "large_payload_rtt_seconds", MetricType::Gauge,
                    "Median round trip of a 4 KiB ECHO on the probe connection over the latency "
                    "window (one in ten probes). Much slower than PING, or absent while PINGs "
                    "answer: large packets stall on the path (MTU black hole, loss).");
    for (const auto& r : reports) {
      if (r->latency.large_payload_p50) f.Add(*r->latency.large_payload_p50, {T(*r)});
    }
  }
  {
    FamilyBuilder f(out, "large_payload_timeouts_total", MetricType::Counter,
                    "Large-payload ECHOs that got no reply within client_timeout. Rising while "
                    "PINGs answer: the MTU black hole (ping -M do -s 1472 to check).");
    for (const auto& r : reports) f.Add(r->probe.large_payload_timeouts, {T(*r)});
  }
  {
    FamilyBuilder f(out, "connect_duration_seconds", MetricType::Gauge,
                    "Time of the last fresh-connect probe (one per poll): TCP connect, the TLS "
                    "handshake for rediss:// targets, plus the first PING reply, capped at "
                    "client_timeout. Steps of 1 s or 3 s mean SYN retransmits: the accept queue "
                    "is overflowing.");
    for (const auto& r : reports) {
      if (r->probe.connect_duration_seconds) f.Add(*r->probe.connect_duration_seconds, {T(*r)});
    }
  }
  {
    FamilyBuilder f(out, "connect_refusals_total", MetricType::Counter,
                    "Fresh-connect probes that failed, by reason: max_clients (Redis answered "
                    "'max number of clients reached'), refused (connection refused or reset), "
                    "timeout (no reply within client_timeout), closed (closed before a reply), "
                    "tls (TLS handshake or certificate check failed).");
    for (const auto& r : reports) {
      for (const auto& [reason, n] : r->probe.connect_refusals) {
        f.Add(n, {T(*r), {"reason", reason}});
      }
    }
  }
}

void TlsFamilies(const FamilySink& out, const Reports& reports) {
  {
    FamilyBuilder f(out, "tls_handshake_duration_seconds", MetricType::Gauge,
                    "TLS handshake of the last fresh-connect probe of a rediss:// target, after "
                    "its TCP connect (connect_duration_seconds holds both). High or rising after "
                    "a failover: a handshake storm, every client reconnecting at once.");
    for (const auto& r : reports) {
      if (r->probe.tls_handshake_seconds) f.Add(*r->probe.tls_handshake_seconds, {T(*r)});
    }
  }
  {
    FamilyBuilder f(out, "tls_certificate_expiry_timestamp_seconds", MetricType::Gauge,
                    "notAfter of the server's leaf certificate as the newest probe connection "
                    "saw it (Unix time). Once past, clients that verify refuse to connect: renew "
                    "and reload the certificate on the server before then.");
    for (const auto& r : reports) {
      if (r->probe.tls_certificate_expiry_seconds) {
        f.Add(*r->probe.tls_certificate_expiry_seconds, {T(*r)});
      }
    }
  }
  {
    FamilyBuilder f(out, "tls_insecure_skip_verify", MetricType::Gauge,
                    "1 when the rediss:// target's certificate is not verified (config "
                    "tls.insecure_skip_verify): anyone on the path can impersonate the server. "
                    "Set tls.ca_file instead.");
    for (const auto& r : reports) {
      if (r->config.endpoint.tls) f.Add(r->config.tls.insecure_skip_verify ? 1 : 0, {T(*r)});
    }
  }
}

void BacklogFamilies(const FamilySink& out, const Reports& reports, const KernelSnapshot* kernel) {
  {
    FamilyBuilder f(out, "listen_queue_length", MetricType::Gauge,
                    "Connections waiting in the accept queue of the target's listening socket "
                    "(netlink sock_diag idiag_rqueue). Only for targets on this host. At "
                    "listen_queue_max, new connections are dropped.");
    for (const auto& r : reports) {
      if (r->listen_queue) f.Add(r->listen_queue->length, {T(*r)});
    }
  }
  {
    FamilyBuilder f(out, "listen_queue_max", MetricType::Gauge,
                    "Effective accept-queue size of the target's listening socket: "
                    "min(tcp-backlog, net.core.somaxconn) (sock_diag idiag_wqueue).");
    for (const auto& r : reports) {
      if (r->listen_queue) f.Add(r->listen_queue->max, {T(*r)});
    }
  }
  SignalFamily(out, reports, "tcp_backlog", MetricType::Gauge,
               "Redis tcp-backlog setting (CONFIG GET tcp-backlog). The kernel caps it at "
               "net.core.somaxconn: listen_queue_max is what is in force.",
               [](const RedisSignals& s) { return s.tcp_backlog; });
  if (kernel == nullptr) return;
  const auto host = [&](const std::string& name, MetricType type, const std::string& help,
                        const std::optional<std::uint64_t>& value) {
    FamilyBuilder f(out, name, type, help);
    if (value) f.Add(static_cast<double>(*value), {});
  };
  host("kernel_listen_overflows_total", MetricType::Counter,
       "Host-wide count of times a listen queue overflowed (/proc/net/netstat TcpExt "
       "ListenOverflows). Rising during connection bursts: raise somaxconn and tcp-backlog.",
       kernel->counters.listen_overflows);
  host("kernel_listen_drops_total", MetricType::Counter,
       "Host-wide SYNs to LISTEN sockets dropped (/proc/net/netstat TcpExt ListenDrops).",
       kernel->counters.listen_drops);
  host("kernel_somaxconn", MetricType::Gauge,
       "net.core.somaxconn (/proc/sys/net/core/somaxconn): the cap on every listen backlog.",
       kernel->counters.somaxconn);
  host("kernel_tcp_max_syn_backlog", MetricType::Gauge,
       "net.ipv4.tcp_max_syn_backlog (/proc/sys/net/ipv4/tcp_max_syn_backlog).",
       kernel->counters.tcp_max_syn_backlog);
  host("kernel_tcp_syncookies", MetricType::Gauge,
       "net.ipv4.tcp_syncookies (/proc/sys/net/ipv4/tcp_syncookies): 0 off, 1 on overflow, 2 "
       "always.",
       kernel->counters.tcp_syncookies);
  {
    FamilyBuilder f(out, "kernel_transparent_hugepage_info", MetricType::Gauge,
                    "The host's transparent huge pages mode "
                    "(/sys/kernel/mm/transparent_hugepage/enabled), value 1; read when a target "
                    "is local. 'always' makes forks for BGSAVE and AOF rewrite slower: Redis "
                    "recommends never.");
    if (kernel->thp_mode) f.Add(1, {{"mode", *kernel->thp_mode}});
  }
  {
    FamilyBuilder f(out, "collector_duration_seconds", MetricType::Gauge,
                    "Time the last read of each kernel collector took.");
    f.Add(kernel->counters_duration_seconds, {{"collector", "kernel_counters"}});
    if (kernel->listen_queue_read) {
      f.Add(kernel->listen_queue_duration_seconds, {{"collector", "listen_queue"}});
    }
  }
  {
    FamilyBuilder f(out, "collector_success", MetricType::Gauge,
                    "1 when the last read of the kernel collector worked. listen_queue 0: the "
                    "netlink sock_diag dump failed and listen_queue_* series are absent.");
    f.Add(kernel->counters.listen_overflows ? 1 : 0, {{"collector", "kernel_counters"}});
    if (kernel->listen_queue_read) {
      f.Add(kernel->listen_queue_ok ? 1 : 0, {{"collector", "listen_queue"}});
    }
  }
}

// Lists every reason with its text, from the one table the triage output uses too.
std::string MissingInfoHelp() {
  std::string help =
      "1 for each cause whose risk cannot be judged for the target, with the reason; the risk "
      "series of that cause is absent. Reasons:";
  for (MissingReason reason : kMissingReasons) {
    help += std::string(" ") + MissingReasonName(reason) + " (" + MissingReasonText(reason) + ");";
  }
  help.back() = '.';
  return help;
}

void RiskFamilies(const FamilySink& out, const Reports& reports) {
  {
    FamilyBuilder f(out, "risk", MetricType::Gauge,
                    "Timeout risk per cause, 0 (no sign) to 1 (timeouts from this cause are "
                    "happening or imminent); 0.5 is warn, 0.8 critical. Recomputed each poll from "
                    "the last risk_window of signals (docs/risk.md). Run `redis-timeout-exporter "
                    "triage` or open /triage for the evidence and the fix.");
    for (const auto& r : reports) {
      for (const auto& c : r->risk.causes) {
        if (c.risk) f.Add(*c.risk, {T(*r), {"cause", CauseName(c.cause)}});
      }
    }
  }
  {
    FamilyBuilder f(out, "risk_missing_info", MetricType::Gauge, MissingInfoHelp());
    for (const auto& r : reports) {
      for (const auto& c : r->risk.causes) {
        if (!c.risk && c.missing_reason != MissingReason::kNone) {
          f.Add(1, {T(*r),
                    {"cause", CauseName(c.cause)},
                    {"reason", MissingReasonName(c.missing_reason)}});
        }
      }
    }
  }
}

// The standard process collector of every official exporter, under its usual names.
void ProcessFamilies(const FamilySink& out, const ProcessFigures& p) {
  const auto family = [&](const std::string& name, MetricType type, const std::string& help,
                          std::optional<double> value) {
    FamilyBuilder f(out, name, type, help, FamilyBuilder::Prefix::kNone);
    if (value) f.Add(*value, {});
  };
  family("process_cpu_seconds_total", MetricType::Counter,
         "User and system CPU time the exporter spent (/proc/self/stat utime + stime), read "
         "with the kernel counters every poll_interval.",
         p.cpu_seconds_total);
  family("process_resident_memory_bytes", MetricType::Gauge,
         "Resident memory of the exporter (/proc/self/stat rss times the page size).",
         p.resident_memory_bytes);
  family("process_virtual_memory_bytes", MetricType::Gauge,
         "Virtual memory of the exporter (/proc/self/stat vsize).", p.virtual_memory_bytes);
  family("process_open_fds", MetricType::Gauge,
         "File descriptors the exporter holds (entries of /proc/self/fd): its Redis connections, "
         "sockets and files. Near process_max_fds, new connections to targets fail.",
         p.open_fds);
  family("process_max_fds", MetricType::Gauge,
         "The exporter's file descriptor limit (/proc/self/limits Max open files, soft).",
         p.max_fds);
  family("process_start_time_seconds", MetricType::Gauge,
         "Unix time the exporter started (/proc/stat btime + /proc/self/stat starttime).",
         p.start_time_seconds);
}

// What each target is (static or discovered, master or replica), and each discovery's health.
void DiscoveryFamilies(const FamilySink& out, const Reports& reports,
                       const std::vector<DiscoveryStatus>& discoveries) {
  {
    FamilyBuilder f(out, "target_info", MetricType::Gauge,
                    "1 for every target polled, static or discovered: its address, its role "
                    "(master or replica, from INFO replication; last known while down, empty "
                    "before the first successful poll) and cluster (the discovery that found it; "
                    "empty for static targets). Join on target: * on(target) "
                    "group_left(cluster, role) redis_timeout_target_info.");
    for (const auto& r : reports) {
      f.Add(1, {T(*r),
                {"address", r->config.endpoint.ToString()},
                {"role", r->role},
                {"cluster", r->config.cluster}});
    }
  }
  const auto per_discovery = [&](const char* name, MetricType type, const char* help,
                                 const std::function<double(const DiscoveryStatus&)>& pick) {
    FamilyBuilder f(out, name, type, help);
    for (const auto& d : discoveries) f.Add(pick(d), {{"discovery", d.name}});
  };
  per_discovery("discovery_targets", MetricType::Gauge,
                "Targets the discovery yields now (cluster nodes, a sentinel master and its "
                "replicas, the targets of the files). A drop to 0 with errors rising: the seeds, "
                "sentinels or files are unreachable; the previous targets are kept.",
                [](const DiscoveryStatus& d) { return d.targets; });
  per_discovery("discovery_last_success_timestamp_seconds", MetricType::Gauge,
                "Unix time of the discovery's last refresh that succeeded; 0 before the first. "
                "Alert when time() minus this exceeds a few refresh_interval: the target list "
                "is going stale and a failover would not be followed.",
                [](const DiscoveryStatus& d) { return d.last_success_wall; });
  per_discovery("discovery_errors_total", MetricType::Counter,
                "Failed refreshes, sentinels that did not answer, target files that did not "
                "read or parse, and discovered names that clash with another target. The log "
                "(event=discovery_failed) says which and why.",
                [](const DiscoveryStatus& d) { return d.errors_total; });
  per_discovery("discovery_failovers_total", MetricType::Counter,
                "Master changes the discovery saw: a cluster replica promoted, or the master a "
                "sentinel majority names changed. Clients time out during one: correlate with "
                "their errors.",
                [](const DiscoveryStatus& d) { return d.failovers_total; });

  const auto per_cluster = [&](const char* name, const char* help,
                               const std::function<double(const ClusterHealth&)>& pick) {
    FamilyBuilder f(out, name, MetricType::Gauge, help);
    for (const auto& d : discoveries) {
      if (d.cluster) f.Add(pick(*d.cluster), {{"cluster", d.name}});
    }
  };
  per_cluster("cluster_state_ok",
              "1 when the cluster node asked reports cluster_state:ok (CLUSTER INFO); 0: the "
              "cluster refuses commands (CLUSTERDOWN) until slots are covered again.",
              [](const ClusterHealth& h) { return h.state_ok ? 1 : 0; });
  per_cluster("cluster_slots_uncovered",
              "Hash slots (of 16384) not served by a master in good standing: keys in them "
              "fail or wait. Non-zero: a master failed and no replica took over yet.",
              [](const ClusterHealth& h) { return h.slots_uncovered; });
  per_cluster("cluster_failover_in_progress",
              "1 while a master flagged fail or fail? still holds slots, or the cluster state is "
              "fail: clients wait cluster-node-timeout and time out. See /triage for the node.",
              [](const ClusterHealth& h) { return h.failover_in_progress ? 1 : 0; });
  {
    FamilyBuilder f(out, "cluster_nodes", MetricType::Gauge,
                    "Cluster nodes by state from CLUSTER NODES: ok, pfail (suspected by the node "
                    "asked) or fail (the cluster agreed). Failed nodes stay listed as targets "
                    "until removed with CLUSTER FORGET.");
    for (const auto& d : discoveries) {
      if (!d.cluster) continue;
      f.Add(d.cluster->nodes_ok, {{"cluster", d.name}, {"state", "ok"}});
      f.Add(d.cluster->nodes_pfail, {{"cluster", d.name}, {"state", "pfail"}});
      f.Add(d.cluster->nodes_fail, {{"cluster", d.name}, {"state", "fail"}});
    }
  }
  {
    FamilyBuilder f(out, "sentinel_sentinels", MetricType::Gauge,
                    "Sentinels by whether they name the master the majority names (agree), "
                    "another one (disagree: a split view, failover decisions may stall) or did "
                    "not answer (unreachable). Fewer than the quorum agreeing: no failover can "
                    "be authorised.");
    for (const auto& d : discoveries) {
      if (!d.sentinel) continue;
      f.Add(d.sentinel->agree, {{"cluster", d.name}, {"state", "agree"}});
      f.Add(d.sentinel->disagree, {{"cluster", d.name}, {"state", "disagree"}});
      f.Add(d.sentinel->unreachable, {{"cluster", d.name}, {"state", "unreachable"}});
    }
  }
}

}  // namespace

void ReportCollector::ForEachFamily(const FamilySink& out) const {
  ForEachStatusFamily(out);
  ForEachReportFamily(out);
}

void ReportCollector::ForEachStatusFamily(const FamilySink& out) const {
  {
    FamilyBuilder f(out, "exporter_build_info", MetricType::Gauge,
                    "Version of redis-timeout-exporter, value 1.");
    f.Add(1, {{"version", RTE_VERSION}});
  }
  {
    FamilyBuilder f(out, "config_last_reload_successful", MetricType::Gauge,
                    "1 when the last config load or reload succeeded. 0: the file on disk is "
                    "broken and the previous config is still in force; see the log.");
    f.Add(status_.config_last_reload_successful ? 1 : 0, {});
  }
  {
    FamilyBuilder f(out, "config_last_reload_success_timestamp_seconds", MetricType::Gauge,
                    "Unix time of the last successful config load or reload.");
    f.Add(status_.config_last_reload_success_timestamp, {});
  }
  {
    FamilyBuilder f(out, "shard_targets", MetricType::Gauge,
                    "Targets this replica polls: those whose name hashes (FNV-1a 64 mod "
                    "--shard.count) to its --shard.index; all of them without sharding. Summed "
                    "over the replicas it is the number of targets in the config and found by "
                    "discovery.");
    f.Add(status_.shard_targets, {});
  }
  {
    FamilyBuilder f(out, "web_tls_handshake_failures_total", MetricType::Counter,
                    "Connections to the web endpoint closed because their TLS handshake failed "
                    "(--web.config.file tls_server_config): plain HTTP, no or an untrusted "
                    "client certificate, a TLS version below min_version. The log says why.");
    f.Add(static_cast<double>(status_.web.tls_handshake_failures.load()), {});
  }
  {
    FamilyBuilder f(out, "web_connections", MetricType::Gauge,
                    "Connections open to the web endpoint: scrapes, browsers, idle keep-alive "
                    "ones. At --web.max-connections the longest idle one is closed for each new "
                    "one (web_connections_closed_total{reason=\"evicted\"}).");
    f.Add(static_cast<double>(status_.web.connections_open.load()), {});
  }
  {
    FamilyBuilder f(out, "web_connections_closed_total", MetricType::Counter,
                    "Web connections the exporter closed. read_timeout: no whole request within "
                    "--web.read-timeout of the connection or the previous request (an idle or "
                    "byte-dripping client); evicted: the longest idle one, for a new connection "
                    "at --web.max-connections or when descriptors ran out. A steady rise of "
                    "evicted: raise --web.max-connections or find the client holding them.");
    f.Add(static_cast<double>(status_.web.closed_read_timeout.load()),
          {{"reason", "read_timeout"}});
    f.Add(static_cast<double>(status_.web.closed_evicted.load()), {{"reason", "evicted"}});
  }
  {
    FamilyBuilder f(out, "fd_exhausted_total", MetricType::Counter,
                    "Times the exporter itself ran out of file descriptors (EMFILE/ENFILE): "
                    "accepting a web connection, or connecting to Redis (that poll fails at "
                    "stage connect, and the probe counts no refusal: it is not the target's "
                    "fault). Raise LimitNOFILE= (ulimit -n) or lower --web.max-connections.");
    f.Add(static_cast<double>(status_.web.accept_fd_exhausted.load()), {{"operation", "accept"}});
    f.Add(static_cast<double>(ConnectFdExhaustions().load()), {{"operation", "connect"}});
  }
}

void ReportCollector::ForEachReportFamily(const FamilySink& out) const {
  const Reports reports = store_.All();
  RiskFamilies(out, reports);
  HealthFamilies(out, reports);
  DiscoveryFamilies(out, reports, *store_.Discoveries());
  PoolFamilies(out, reports);
  MemoryFamilies(out, reports);
  SlowlogFamilies(out, reports);
  BlockingFamilies(out, reports);
  NetworkFamilies(out, reports);
  TlsFamilies(out, reports);
  const auto kernel = store_.Kernel();
  BacklogFamilies(out, reports, kernel.get());
  if (kernel != nullptr && kernel->exporter_process)
    ProcessFamilies(out, *kernel->exporter_process);
}

std::vector<MetricFamily> ReportCollector::Collect() const {
  std::vector<MetricFamily> out;
  ForEachFamily([&out](MetricFamily&& family, bool continued) {
    if (!continued) {
      out.push_back(std::move(family));
      return;
    }
    auto& metrics = out.back().metric;
    metrics.insert(metrics.end(), std::make_move_iterator(family.metric.begin()),
                   std::make_move_iterator(family.metric.end()));
  });
  return out;
}

void WriteMetrics(const ReportCollector& collector, std::ostream& out, FamilySet set) {
  const prometheus::TextSerializer serializer;
  std::vector<MetricFamily> one(1);
  std::ostringstream piece;
  const FamilySink sink = [&](MetricFamily&& family, bool continued) {
    one.front() = std::move(family);
    if (!continued) {
      serializer.Serialize(out, one);
      return;
    }
    // The rest of a family already begun: its samples without the HELP and TYPE lines again.
    piece.str(std::string());
    serializer.Serialize(piece, one);
    const std::string text = piece.str();
    size_t start = 0;
    while (start < text.size() && text[start] == '#') {
      const size_t end = text.find('\n', start);
      start = end == std::string::npos ? text.size() : end + 1;
    }
    out.write(text.data() + start, static_cast<std::streamsize>(text.size() - start));
  };
  if (set != FamilySet::kReports) collector.ForEachStatusFamily(sink);
  if (set != FamilySet::kStatus) collector.ForEachReportFamily(sink);
}

std::string RenderMetrics(const ReportCollector& collector) {
  std::ostringstream body;
  WriteMetrics(collector, body);
  return body.str();
}

}  // namespace rte
