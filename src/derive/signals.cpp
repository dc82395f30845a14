#include "derive/signals.h"

#include <fnmatch.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string_view>

namespace rte {
namespace {

std::optional<double> ConfigNumber(const RedisSnapshot& snap, const std::string& key) {
  if (!snap.config) return std::nullopt;
  auto it = snap.config->find(key);
  if (it == snap.config->end()) return std::nullopt;
  double value = 0;
  const std::string& text = it->second;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

RedisSignals DeriveSignals(const RedisSnapshot& snap, const TargetConfig& target) {
  RedisSignals s;
  const InfoFields& info = snap.info;
  s.connected_clients = info.Number("connected_clients");
  s.blocked_clients = info.Number("blocked_clients");
  // INFO clients carries maxclients from 7.0 on; older servers need CONFIG GET.
  s.maxclients = info.Number("maxclients");
  if (!s.maxclients) s.maxclients = ConfigNumber(snap, "maxclients");
  s.rejected_connections_total = info.Number("rejected_connections");
  s.connections_received_total = info.Number("total_connections_received");
  s.memory_used_bytes = info.Number("used_memory");
  s.maxmemory_bytes = info.Number("maxmemory");
  if (!s.maxmemory_bytes) s.maxmemory_bytes = ConfigNumber(snap, "maxmemory");
  s.system_memory_bytes = info.Number("total_system_memory");
  s.memory_rss_bytes = info.Number("used_memory_rss");
  s.memory_not_counted_for_evict_bytes = info.Number("mem_not_counted_for_evict");
  s.maxmemory_policy = info.Text("maxmemory_policy");
  if (!s.maxmemory_policy && snap.config) {
    auto it = snap.config->find("maxmemory-policy");
    if (it != snap.config->end()) s.maxmemory_policy = it->second;
  }
  if (snap.errorstats) {
    auto it = snap.errorstats->find("OOM");
    s.oom_errors_total = it == snap.errorstats->end() ? 0.0 : it->second;
  }
  s.evicted_keys_total = info.Number("evicted_keys");
  if (info.Text("redis_version")) {
    // INFO keyspace lists only databases that hold keys: none listed is an empty server.
    double keys = 0;
    double expires = 0;
    auto field = [](const std::string& line, std::string_view name) {
      for (size_t pos = line.find(name); pos != std::string::npos; pos = line.find(name, pos + 1)) {
        if (pos == 0 || line[pos - 1] == ',')
          return std::strtod(line.c_str() + pos + name.size(), nullptr);
      }
      return 0.0;
    };
    for (auto it = info.fields.lower_bound("db");
         it != info.fields.end() && it->first.rfind("db", 0) == 0; ++it) {
      keys += field(it->second, "keys=");
      expires += field(it->second, "expires=");
    }
    s.keys = keys;
    s.keys_with_expiry = expires;
  }
  if (auto us = ConfigNumber(snap, "slowlog-log-slower-than"))
    s.slowlog_threshold_seconds = *us / 1e6;
  s.slowlog_max_len = ConfigNumber(snap, "slowlog-max-len");
  s.tcp_backlog = ConfigNumber(snap, "tcp-backlog");
  for (size_t i = 0; i < kDangerousCommands.size(); ++i) {
    auto it = snap.commandstats.find(std::string(kDangerousCommands[i]));
    s.dangerous_command_calls[i] = it == snap.commandstats.end() ? 0.0 : it->second.calls;
  }
  if (snap.clients && !target.pools.empty()) {
    s.pools = MeasurePools(*snap.clients, target.pools);
    s.median_client_age_seconds = MedianClientAge(*snap.clients);
  }
  double usec = 0;
  for (const auto& [name, stat] : snap.commandstats) usec += stat.usec;
  if (!snap.commandstats.empty()) s.command_time_seconds_total = usec / 1e6;
  if (auto fork = info.Number("latest_fork_usec")) s.fork_duration_seconds = *fork / 1e6;
  s.forks_total = info.Number("total_forks");
  s.bgsave_in_progress = info.Number("rdb_bgsave_in_progress");
  s.aof_rewrite_in_progress = info.Number("aof_rewrite_in_progress");
  s.aof_delayed_fsync_total = info.Number("aof_delayed_fsync");
  if (auto ms = ConfigNumber(snap, "latency-monitor-threshold")) {
    s.latency_monitor_threshold_seconds = *ms / 1e3;
  }
  if (snap.latency_events) {
    for (const auto& e : *snap.latency_events) {
      if (s.latency_events.size() >= kMaxLatencyEventLabels) break;
      s.latency_events.push_back(e);
    }
  }
  s.loading = info.Number("loading");
  if (auto perc = info.Number("loading_loaded_perc")) s.loading_progress_ratio = *perc / 100;
  s.loading_eta_seconds = info.Number("loading_eta_seconds");
  s.paused_actions = info.Text("paused_actions");
  s.redis_version = info.Text("redis_version");
  s.run_id = info.Text("run_id");
  if (auto uptime = info.Number("uptime_in_seconds")) {
    s.redis_start_time_seconds = std::round(snap.taken_at_wall - *uptime);
  }
  return s;
}

bool ClientBusy(const ClientEntry& client) {
  return client.idle_seconds == 0 || client.flags.find('b') != std::string::npos;
}

bool ExporterClient(const ClientEntry& client) {
  return client.name.rfind(kExporterClientName, 0) == 0;
}

std::map<std::string, PoolUsage> MeasurePools(const std::vector<ClientEntry>& clients,
                                              const std::vector<PoolConfig>& pools) {
  struct Instance {
    double connections = 0;
    double busy = 0;
  };
  std::map<std::string, std::map<std::string, Instance>> by_host;  // pool → host → instance
  for (const auto& client : clients) {
    // Pools are declared by CLIENT SETNAME name: an unnamed connection (the exporter's
    // fresh-connect probe among them) belongs to none, whatever the glob.
    if (client.name.empty() || ExporterClient(client)) continue;
    for (const auto& pool : pools) {
      if (fnmatch(pool.client_name.c_str(), client.name.c_str(), 0) == 0) {
        Instance& instance = by_host[pool.name][client.host];
        instance.connections += 1;
        if (ClientBusy(client)) instance.busy += 1;
        break;  // a client belongs to the first pool that claims it
      }
    }
  }
  std::map<std::string, PoolUsage> out;
  for (const auto& pool : pools) {
    PoolUsage& usage = out[pool.name];
    for (const auto& [host, instance] : by_host[pool.name]) {
      usage.connections += instance.connections;
      usage.instances += 1;
      usage.largest_instance = std::max(usage.largest_instance, instance.connections);
      usage.busy = std::max(usage.busy, instance.busy);
    }
  }
  return out;
}

std::optional<double> MedianClientAge(const std::vector<ClientEntry>& clients) {
  std::vector<double> ages;
  for (const auto& client : clients) {
    if (!ExporterClient(client)) ages.push_back(client.age_seconds);
  }
  if (ages.empty()) return std::nullopt;
  const auto middle = ages.begin() + static_cast<std::ptrdiff_t>(ages.size() / 2);
  std::nth_element(ages.begin(), middle, ages.end());
  if (ages.size() % 2 == 1) return *middle;
  return (*middle + *std::max_element(ages.begin(), middle)) / 2;
}

SlowlogAdvance SlowlogCursor::Advance(const std::string& run_id,
                                      const std::vector<SlowlogEntry>& newest_first) {
  SlowlogAdvance out;
  std::optional<std::int64_t> newest;
  for (const auto& e : newest_first) newest = std::max(newest.value_or(e.id), e.id);

  if (!started_) {
    started_ = true;
    run_id_ = run_id;
    last_id_ = newest;
    return out;
  }
  std::optional<std::int64_t> after = last_id_;  // count ids greater than this
  if (run_id != run_id_) {
    // A restarted server numbers its slowlog from 0 again.
    out.restarted = !run_id_.empty();
    run_id_ = run_id;
    after = -1;
  } else if (after && newest && *newest < *after) {
    // Ids never go backwards on one server; treat it like a restart we did not see.
    out.restarted = true;
    after = -1;
  }
  for (auto it = newest_first.rbegin(); it != newest_first.rend(); ++it) {
    if (!after || it->id > *after) out.fresh.push_back(*it);
  }
  std::sort(out.fresh.begin(), out.fresh.end(),
            [](const SlowlogEntry& a, const SlowlogEntry& b) { return a.id < b.id; });
  if (after && !out.fresh.empty() && out.fresh.front().id > *after + 1) {
    out.lost = out.fresh.front().id - *after - 1;
  }
  if (!out.fresh.empty()) {
    last_id_ = out.fresh.back().id;
  } else if (after && *after == -1) {
    last_id_ = std::nullopt;  // restarted with an empty log: the next entries are all new
  }
  return out;
}

void SlowlogTotals::Add(const SlowlogAdvance& advance) {
  lost += static_cast<double>(advance.lost);
  for (const auto& e : advance.fresh) {
    std::string label = e.command;
    if (!entries_by_command.contains(label) &&
        entries_by_command.size() >= kMaxSlowlogCommandLabels) {
      label = "other";
    }
    entries_by_command[label] += 1;
    const double seconds = static_cast<double>(e.duration_us) / 1e6;
    seconds_by_command[label] += seconds;
    durations.Observe(seconds);
  }
}

}  // namespace rte
