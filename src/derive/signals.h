// Pure derivation of the Redis-side signals (pool, memory, slowlog) from snapshots.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "derive/histogram.h"
#include "snapshot/snapshot.h"

namespace rte {

// One declared pool as one CLIENT LIST shows it. A pool's `size` is per instance of the
// application, so its connections are grouped by client host (the `addr` without the port):
// each host is one instance. The exporter's own connections never count.
struct PoolUsage {
  double connections = 0;       // all instances together
  double instances = 0;         // client hosts holding at least one of its connections
  double largest_instance = 0;  // connections of the instance holding the most
  // Busy connections of the busiest instance: a command within the last second (idle=0) or
  // blocked (flags b).
  double busy = 0;
  bool operator==(const PoolUsage&) const = default;
};

// The values a poll contributes to /metrics, picked and unit-converted from one snapshot.
// Commands that walk a whole key or keyspace and so can block the event loop, in the order
// of their series on /metrics (alphabetical).
inline constexpr std::array<std::string_view, 18> kDangerousCommands = {
    "debug", "eval",    "flushall", "flushdb",     "hgetall", "hkeys",
    "hvals", "keys",    "lrange",   "sdiff",       "sinter",  "smembers",
    "sort",  "sort_ro", "sunion",   "sunionstore", "zrange",  "zunionstore"};

struct RedisSignals {
  std::optional<double> connected_clients, blocked_clients, maxclients;
  std::optional<double> rejected_connections_total, connections_received_total;
  std::optional<double> memory_used_bytes, maxmemory_bytes, system_memory_bytes;
  std::optional<double> memory_rss_bytes;  // INFO memory used_memory_rss: what the kernel counts
  // INFO memory mem_not_counted_for_evict: replica output and AOF buffers, which Redis leaves
  // out of used_memory when it compares it with maxmemory (evict or refuse a write).
  std::optional<double> memory_not_counted_for_evict_bytes;
  std::optional<std::string> maxmemory_policy;
  std::optional<double> oom_errors_total, evicted_keys_total;
  std::optional<double> keys_with_expiry;  // INFO keyspace: sum of expires= over databases
  std::optional<double> keys;              // INFO keyspace: sum of keys= over databases
  std::optional<double> slowlog_threshold_seconds, slowlog_max_len, tcp_backlog;
  // Calls of each of kDangerousCommands, in its order (an array, not a map: every target
  // holds one, and map nodes cost ~1.3 KB per target).
  std::array<double, kDangerousCommands.size()> dangerous_command_calls{};
  // Stalls SLOWLOG never records (cause 4, "the event loop was blocked").
  std::optional<double> command_time_seconds_total;  // INFO commandstats: sum of usec
  std::optional<double> fork_duration_seconds;       // INFO stats latest_fork_usec
  std::optional<double> forks_total;                 // INFO stats total_forks
  std::optional<double> bgsave_in_progress, aof_rewrite_in_progress;  // 0 or 1
  std::optional<double> aof_delayed_fsync_total;            // INFO persistence, AOF on only
  std::optional<double> latency_monitor_threshold_seconds;  // CONFIG; 0 means off
  std::vector<LatencyEvent> latency_events;  // LATENCY LATEST, at most kMaxLatencyEventLabels
  std::map<std::string, PoolUsage> pools;    // pool name → usage (CLIENT LIST)
  // Median `age` of the clients in CLIENT LIST other than the exporter's own; absent without
  // a CLIENT LIST or when no other client is connected.
  std::optional<double> median_client_age_seconds;
  std::optional<std::string> redis_version, run_id;
  // When Redis started, Unix seconds: poll time minus INFO server uptime_in_seconds, rounded to
  // whole seconds so it stays put between polls. It changes when Redis restarts.
  std::optional<double> redis_start_time_seconds;
  // Serving state: INFO persistence loading (1 while the dataset loads, INFO still answers),
  // its progress, and INFO clients paused_actions ("none", "write", "all"; Redis 8 and later).
  std::optional<double> loading, loading_progress_ratio, loading_eta_seconds;
  std::optional<std::string> paused_actions;
};

RedisSignals DeriveSignals(const RedisSnapshot& snap, const TargetConfig& target);

// Each configured pool's usage, its clients matched by CLIENT SETNAME name against the pool's
// glob (a client belongs to the first pool that claims it; unnamed clients and the exporter's
// own belong to none). Every pool is present.
std::map<std::string, PoolUsage> MeasurePools(const std::vector<ClientEntry>& clients,
                                              const std::vector<PoolConfig>& pools);
// True when a connection is in use in this CLIENT LIST: it ran a command within the last
// second or waits in a blocking command.
bool ClientBusy(const ClientEntry& client);
// True for the exporter's own connections (named kExporterClientName...).
bool ExporterClient(const ClientEntry& client);
// Median age of the clients other than the exporter's named ones; absent when there are none.
std::optional<double> MedianClientAge(const std::vector<ClientEntry>& clients);

// Follows SLOWLOG across polls so every entry is counted once: survives SLOWLOG RESET
// (ids keep rising), a restart (run_id changes, ids restart at 0) and a log that wrapped
// past slowlog-max-len between polls (the ids it skipped are counted as lost).
struct SlowlogAdvance {
  std::vector<SlowlogEntry> fresh;  // entries not seen before, oldest first
  std::int64_t lost = 0;            // entries that came and went between two polls
  bool restarted = false;           // run_id changed since the last poll
};

class SlowlogCursor {
 public:
  // `newest_first` is a SLOWLOG GET reply. The first call only records where the log stands:
  // entries written before the exporter arrived are history, not news.
  SlowlogAdvance Advance(const std::string& run_id, const std::vector<SlowlogEntry>& newest_first);

 private:
  bool started_ = false;
  std::string run_id_;
  std::optional<std::int64_t> last_id_;  // absent: the log was empty when last seen
};

// Cumulative slowlog figures per target, as exported.
inline const std::vector<double> kSlowlogBuckets = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                    0.25,  0.5,   1,    2.5,   5,    10};

struct SlowlogTotals {
  std::map<std::string, double> entries_by_command;
  std::map<std::string, double> seconds_by_command;
  double lost = 0;
  Histogram durations{kSlowlogBuckets};

  void Add(const SlowlogAdvance& advance);
};

// Latency monitor event classes are a small fixed set in Redis; the cap guards the label.
inline constexpr size_t kMaxLatencyEventLabels = 32;

// Distinct command labels per target are capped; the rest count as "other".
inline constexpr size_t kMaxSlowlogCommandLabels = 64;

}  // namespace rte
