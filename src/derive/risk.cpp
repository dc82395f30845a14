#include "derive/risk.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace rte {
namespace {

constexpr double kNsPerSec = 1e9;

// Increase of a counter across the window; a counter that went down was reset (restart), so
// its newest value is the increase since then.
std::optional<double> Increase(const std::optional<double>& oldest,
                               const std::optional<double>& newest) {
  if (!newest) return std::nullopt;
  if (!oldest) return std::nullopt;
  return *newest >= *oldest ? *newest - *oldest : *newest;
}

std::string Ms(double seconds) {
  if (seconds >= 1) return fmt::format("{:.2f} s", seconds);
  if (seconds >= 0.001) return fmt::format("{:.1f} ms", seconds * 1e3);
  return fmt::format("{:.0f} µs", seconds * 1e6);
}

std::string Pct(double ratio) { return fmt::format("{:.0f}%", ratio * 100); }

// The first non-empty value of `pick` scanning from the newest sample back.
template <typename T, typename Pick>
std::optional<T> Latest(std::span<const RiskSample> w, Pick pick) {
  for (auto it = w.rbegin(); it != w.rend(); ++it) {
    if (auto v = pick(*it)) return v;
  }
  return std::nullopt;
}

struct Window {
  std::span<const RiskSample> samples;
  const RiskSample& oldest() const { return samples.front(); }
  const RiskSample& newest() const { return samples.back(); }
  double seconds(const RiskThresholds& t) const {
    const double span = static_cast<double>(newest().at - oldest().at) / kNsPerSec;
    // With one sample the window has no length yet; judge shares against the configured one.
    return span > 0 ? span : ToSeconds(t.risk_window);
  }
  std::string Label(const RiskThresholds& t) const {
    return fmt::format("{:.0f} s", seconds(t));
  }
  // Samples whose new data arrived inside the window (the oldest one's arrived before it).
  std::span<const RiskSample> inside() const {
    return samples.size() > 1 ? samples.subspan(1) : samples;
  }
};

CauseRisk Pool(const Window& w, const TargetConfig& cfg) {
  const RiskThresholds& t = cfg.thresholds;
  CauseRisk out{Cause::kPool, {}, MissingReason::kNone, {}, ""};
  const RiskSample& now = w.newest();
  double risk = 0;
  bool measured = false;
  if (now.up && now.connected_clients && now.maxclients && *now.maxclients > 0) {
    measured = true;
    const double fill = *now.connected_clients / *now.maxclients;
    risk = std::max(risk, Ramp(fill, t.pool_warn_ratio, t.pool_crit_ratio));
    out.evidence.push_back(fmt::format("connected_clients {:.0f} of maxclients {:.0f} ({})",
                                       *now.connected_clients, *now.maxclients, Pct(fill)));
  }
  if (auto rejected = Increase(w.oldest().rejected_connections_total, now.rejected_connections_total)) {
    measured = true;
    if (*rejected > 0) {
      risk = 1;
      out.evidence.push_back(fmt::format("{:.0f} connections rejected at maxclients in the last {}",
                                         *rejected, w.Label(t)));
    }
  }
  const double refused = now.connect_max_clients_total - w.oldest().connect_max_clients_total;
  if (refused > 0) {
    measured = true;
    risk = 1;
    out.evidence.push_back(fmt::format(
        "{:.0f} fresh connections answered 'max number of clients reached'", refused));
  }
  for (const auto& [name, counts] : now.pools) {
    const auto [connections, size] = counts;
    if (size <= 0) continue;
    measured = true;
    const double fill = connections / size;
    risk = std::max(risk, Ramp(fill, t.pool_size_warn_ratio, t.pool_size_crit_ratio));
    out.evidence.push_back(fmt::format("pool {}: {:.0f} connections of size {:.0f} ({})", name,
                                       connections, size, Pct(fill)));
  }
  if (!measured) {
    out.missing_reason = now.up ? MissingReason::kMaxclientsUnknown : MissingReason::kTargetDown;
    return out;
  }
  out.risk = risk;
  out.fix = risk >= kWarnRisk
                ? "Raise maxclients (CONFIG SET maxclients N, and in redis.conf) or shrink the "
                  "client pools; find idle connections with CLIENT LIST (idle=) and size each pool "
                  "to the application's real concurrency; batch calls (MGET, pipelines)."
                : "No action: connections are well below the limits.";
  return out;
}

CauseRisk Network(const Window& w, const TargetConfig& cfg, double longest_slow,
                  double slow_busy_share) {
  const RiskThresholds& t = cfg.thresholds;
  CauseRisk out{Cause::kNetwork, {}, MissingReason::kNone, {}, ""};
  const RiskSample& now = w.newest();
  const double timeout = ToSeconds(cfg.client_timeout);
  // Timeouts, not refusals: a refused connection is a down server, not a slow path.
  const double failures = now.ping_timeouts_total - w.oldest().ping_timeouts_total;
  if (!now.ping_p99 && failures <= 0) {
    out.missing_reason = now.up ? MissingReason::kNoSamples : MissingReason::kTargetDown;
    return out;
  }
  double risk = 0;
  if (now.ping_p99) {
    // Time the server spent in one slow command explains that much of the tail: what is left
    // is the network's (or the client side's) share.
    const double unexplained = std::max(0.0, *now.ping_p99 - longest_slow);
    risk = std::max(risk, Ramp(unexplained / timeout, t.latency_warn_ratio, t.latency_crit_ratio));
    out.evidence.push_back(fmt::format("PING p99 {} vs client_timeout {} over the last {}",
                                       Ms(*now.ping_p99), Ms(timeout),
                                       FormatDuration(t.risk_window)));
    if (longest_slow > 0 && *now.ping_p99 > 0) {
      out.evidence.push_back(fmt::format("{} of it is explained by a slow command on the server",
                                         Pct(std::min(1.0, longest_slow / *now.ping_p99))));
    }
  }
  const double budget = ToSeconds(t.latency_budget);
  if (now.ping_p50 && slow_busy_share < kBlockedBusyShare) {
    // A typical round trip over budget is a slow path even far from the timeout: it rises from
    // the budget and warns at twice it (a margin for a busy exporter host), never pages.
    risk = std::max(risk, std::min(kLatencyBudgetRiskCap,
                                   Ramp(*now.ping_p50, kLatencyBudgetWarnMultiple * budget,
                                        kLatencyBudgetCritMultiple * budget)));
    if (*now.ping_p50 > budget) {
      out.evidence.push_back(fmt::format("PING p50 {} is over the latency budget {}",
                                         Ms(*now.ping_p50), Ms(budget)));
    }
  }
  if (now.tcp_rtt) {
    // One smoothed value, inflated by delayed ACKs when the server replies late and by
    // scheduling on a busy host: it counts only against client_timeout, like the p99.
    risk = std::max(risk, Ramp(*now.tcp_rtt / timeout, t.latency_warn_ratio, t.latency_crit_ratio));
    out.evidence.push_back(fmt::format("kernel TCP RTT {} (excludes server time)", Ms(*now.tcp_rtt)));
  }
  if (failures > 0) {
    const bool server_blocked =
        longest_slow >= kBlockedLongestShare * timeout || slow_busy_share >= kBlockedBusyShare;
    if (server_blocked) {
      out.evidence.push_back(fmt::format(
          "{:.0f} PINGs timed out while a slow command blocked the server (see slowlog)", failures));
    } else {
      risk = 1;
      out.evidence.push_back(fmt::format("{:.0f} PINGs got no reply within client_timeout {}",
                                         failures, Ms(timeout)));
    }
  }
  out.risk = risk;
  out.fix = risk >= kWarnRisk
                ? "Check the path: redis-cli --latency-history -i 5, traceroute, MTU (ping -M do "
                  "-s 1472); keep clients in Redis's zone or read from a replica in theirs; look "
                  "for security-group or routing changes."
                : "No action: round trips are well within client_timeout.";
  return out;
}

CauseRisk Memory(const Window& w, const TargetConfig& cfg) {
  const RiskThresholds& t = cfg.thresholds;
  CauseRisk out{Cause::kMemory, {}, MissingReason::kNone, {}, ""};
  const RiskSample& now = w.newest();
  if (!now.up || !now.used_memory) {
    out.missing_reason = MissingReason::kTargetDown;
    return out;
  }
  double risk = 0;
  const std::string policy = now.policy.value_or("unknown");
  const bool volatile_policy = policy.rfind("volatile-", 0) == 0;
  // With nothing that has a TTL, a volatile-* policy has nothing to evict: like noeviction.
  const bool rejects_writes =
      policy == "noeviction" || (volatile_policy && now.keys_with_expiry.value_or(0) == 0);
  if (now.maxmemory && *now.maxmemory > 0) {
    const double fill = *now.used_memory / *now.maxmemory;
    const double r = Ramp(fill, t.memory_warn_ratio, t.memory_crit_ratio);
    // Eviction policies make room instead of failing writes: at most a warning. Over the limit
    // under a policy that refuses writes, the next write fails whether or not one came lately.
    risk = !rejects_writes ? std::min(kEvictingMemoryRiskCap, r) : fill >= 1 ? 1.0 : r;
    out.evidence.push_back(fmt::format("used_memory {:.1f} MiB of maxmemory {:.1f} MiB ({}), "
                                       "policy {}",
                                       *now.used_memory / 1048576, *now.maxmemory / 1048576,
                                       Pct(fill), policy));
  } else if (now.system_memory && *now.system_memory > 0) {
    const double fill = *now.used_memory / *now.system_memory;
    risk = Ramp(fill, t.system_memory_warn_ratio, t.system_memory_crit_ratio);
    out.evidence.push_back(fmt::format("no maxmemory: used_memory is {} of system memory", Pct(fill)));
  }
  if (auto oom = Increase(w.oldest().oom_errors_total, now.oom_errors_total); oom && *oom > 0) {
    risk = 1;
    out.evidence.push_back(
        fmt::format("{:.0f} writes rejected with OOM in the last {}", *oom, w.Label(t)));
  }
  if (auto evicted = Increase(w.oldest().evicted_keys_total, now.evicted_keys_total);
      evicted && *evicted > 0) {
    out.evidence.push_back(fmt::format("{:.0f} keys evicted in the last {}", *evicted, w.Label(t)));
  }
  out.risk = risk;
  out.fix = risk < kWarnRisk ? "No action: memory is below the limits."
            : rejects_writes
                ? "CONFIG SET maxmemory-policy allkeys-lfu (a cache should evict, not refuse "
                  "writes), or raise maxmemory (CONFIG SET maxmemory 8gb); find big keys with "
                  "redis-cli --bigkeys and keys without TTL."
                : "Raise maxmemory or shard: Redis is evicting to stay under the limit; check "
                  "redis-cli --bigkeys for unexpected growth.";
  return out;
}

std::string SlowlogFix(const std::map<std::string, double>& by_command) {
  std::string fix;
  auto has = [&](const char* c) { return by_command.contains(c); };
  if (has("keys")) fix += "Replace KEYS with SCAN (cursor, COUNT 100). ";
  if (has("hgetall") || has("smembers") || has("hkeys") || has("hvals")) {
    fix += "Use HSCAN/SSCAN or HMGET instead of HGETALL/SMEMBERS on big keys. ";
  }
  if (has("lrange")) fix += "Bound LRANGE (no 0 -1 on long lists). ";
  if (has("sort") || has("sort_ro")) fix += "Avoid SORT on large sets. ";
  if (has("debug")) fix += "DEBUG must not run against production. ";
  if (has("flushall") || has("flushdb")) fix += "Use FLUSHALL ASYNC / FLUSHDB ASYNC. ";
  return fix + "Move heavy or administrative commands to a replica; SLOWLOG GET 25 names the callers.";
}

CauseRisk Slowlog(const Window& w, const TargetConfig& cfg, double longest_slow, double busy) {
  const RiskThresholds& t = cfg.thresholds;
  CauseRisk out{Cause::kSlowlog, {}, MissingReason::kNone, {}, ""};
  const RiskSample& now = w.newest();
  if (!Latest<double>(w.samples, [](const RiskSample& s) { return s.slowlog_seconds_total; })) {
    out.missing_reason = now.up ? MissingReason::kSlowlogRefused : MissingReason::kTargetDown;
    return out;
  }
  const double timeout = ToSeconds(cfg.client_timeout);
  double risk = std::max(Ramp(busy, t.slowlog_busy_warn_ratio, t.slowlog_busy_crit_ratio),
                         Ramp(longest_slow / timeout, t.slowlog_longest_warn_ratio,
                              t.slowlog_longest_crit_ratio));
  std::map<std::string, double> by_command;
  for (const auto& [command, seconds] : now.slowlog_seconds_by_command) {
    auto it = w.oldest().slowlog_seconds_by_command.find(command);
    const double before = it == w.oldest().slowlog_seconds_by_command.end() ? 0 : it->second;
    if (seconds - before > 0) by_command[command] = seconds - before;
  }
  if (busy > 0) {
    out.evidence.push_back(fmt::format("slow commands took {} of the last {}",
                                       busy >= 0.001 ? Pct(busy) : "<0.1%", w.Label(t)));
  }
  if (longest_slow > 0) {
    out.evidence.push_back(fmt::format("longest slow command {} vs client_timeout {}",
                                       Ms(longest_slow), Ms(timeout)));
  }
  std::vector<std::pair<double, std::string>> top;
  for (const auto& [command, seconds] : by_command) top.emplace_back(seconds, command);
  std::sort(top.rbegin(), top.rend());
  for (size_t i = 0; i < std::min<size_t>(3, top.size()); ++i) {
    out.evidence.push_back(fmt::format("top: {} ({} in the window)", top[i].second, Ms(top[i].first)));
  }
  if (!now.up && now.poll_timed_out) {
    out.evidence.push_back("the last poll got no reply in time: the server may be blocked now");
  }
  out.risk = risk;
  out.fix = risk >= kWarnRisk ? SlowlogFix(by_command)
                              : "No action: little time spent in slow commands.";
  return out;
}

CauseRisk Backlog(const Window& w, const TargetConfig& cfg) {
  const RiskThresholds& t = cfg.thresholds;
  CauseRisk out{Cause::kBacklog, {}, MissingReason::kNone, {}, ""};
  const RiskSample& now = w.newest();
  if (!now.local) {
    out.missing_reason = MissingReason::kNotLocal;
    return out;
  }
  const auto queue_max = Latest<double>(w.samples, [](const RiskSample& s) { return s.queue_max; });
  if (!queue_max || *queue_max <= 0) {
    out.missing_reason = MissingReason::kListenQueueUnavailable;
    return out;
  }
  double fill_max = 0;
  double burst = 0;  // most connections accepted between two polls
  bool slow_connect = false;
  for (size_t i = 0; i < w.samples.size(); ++i) {
    const RiskSample& s = w.samples[i];
    if (s.queue_length && s.queue_max && *s.queue_max > 0) {
      fill_max = std::max(fill_max, *s.queue_length / *s.queue_max);
    }
    if (i > 0) {
      if (auto d = Increase(w.samples[i - 1].connections_received_total, s.connections_received_total)) {
        burst = std::max(burst, *d);
      }
      // A TCP handshake that needed a SYN retransmit (the first comes after 1 s).
      slow_connect |= s.connect_tcp_duration.value_or(0) >= kSynRetransmitSeconds;
    }
  }
  double risk = Ramp(fill_max, t.backlog_warn_ratio, t.backlog_crit_ratio);
  out.evidence.push_back(fmt::format("accept queue peaked at {:.0f}% of its max {:.0f}",
                                     fill_max * 100, *queue_max));
  const auto overflows = Increase(w.oldest().listen_overflows_total, now.listen_overflows_total);
  if (overflows && *overflows > 0) {
    // ListenOverflows is one counter for the whole host: blame this target only when its own
    // queue was seen nearly full, a burst larger than its queue reached it, or its connects
    // needed SYN retransmits in the same window.
    const bool own_queue = fill_max >= kOwnQueueFullRatio;
    const bool own_burst = burst > *queue_max;
    if (own_queue || own_burst || slow_connect) {
      risk = 1;
      out.evidence.push_back(fmt::format(
          "{:.0f} listen-queue overflows on this host in the last {}{}{}{}", *overflows,
          w.Label(t), own_queue ? "; this queue was full" : "",
          own_burst ? fmt::format("; {:.0f} connections arrived between two polls", burst) : "",
          slow_connect ? "; fresh connects needed SYN retransmits" : ""));
    } else {
      out.evidence.push_back(fmt::format(
          "{:.0f} listen-queue overflows on this host, not attributed to this target (its queue "
          "stayed below 90%, no burst reached it)",
          *overflows));
    }
  }
  if (t.expected_connection_burst > 0 && *queue_max < t.expected_connection_burst) {
    risk = std::max(risk, kWarnRisk);
    out.evidence.push_back(fmt::format("effective backlog {:.0f} is below the expected burst {}",
                                       *queue_max, t.expected_connection_burst));
  }
  if (now.tcp_backlog && *now.tcp_backlog > *queue_max) {
    out.evidence.push_back(fmt::format("tcp-backlog {:.0f} is capped to {:.0f} by net.core.somaxconn",
                                       *now.tcp_backlog, *queue_max));
  }
  out.risk = risk;
  out.fix = risk >= kWarnRisk
                ? "sysctl -w net.core.somaxconn=4096 and net.ipv4.tcp_max_syn_backlog=4096, "
                  "tcp-backlog 4096 in redis.conf (applies at restart); stagger deploys and "
                  "pre-warm pools (min idle) so connections do not arrive at once."
                : "No action: the accept queue has room.";
  return out;
}

}  // namespace

const char* MissingReasonName(MissingReason reason) {
  switch (reason) {
    case MissingReason::kNone: return "";
    case MissingReason::kNoSamples: return "no_samples";
    case MissingReason::kTargetDown: return "target_down";
    case MissingReason::kMaxclientsUnknown: return "maxclients_unknown";
    case MissingReason::kSlowlogRefused: return "slowlog_refused";
    case MissingReason::kNotLocal: return "not_local";
    case MissingReason::kListenQueueUnavailable: return "listen_queue_unavailable";
  }
  return "unknown";
}

const char* MissingReasonText(MissingReason reason) {
  switch (reason) {
    case MissingReason::kNone: return "";
    case MissingReason::kNoSamples: return "not judged yet: waiting for the first polls and probes";
    case MissingReason::kTargetDown: return "not judged: the target did not answer the last poll";
    case MissingReason::kMaxclientsUnknown:
      return "not judged: maxclients could not be read (CONFIG refused, Redis before 7.0) and no "
             "client pool with a size is configured";
    case MissingReason::kSlowlogRefused:
      return "not judged: SLOWLOG GET is refused (renamed command or ACL)";
    case MissingReason::kNotLocal:
      return "not judged: Redis listens on another host, so its accept queue cannot be read from "
             "here (run the exporter or triage on that host)";
    case MissingReason::kListenQueueUnavailable:
      return "not judged: the accept queue of the listening socket could not be read";
  }
  return "not judged";
}

const char* CauseName(Cause cause) {
  switch (cause) {
    case Cause::kPool: return "pool";
    case Cause::kNetwork: return "network";
    case Cause::kMemory: return "memory";
    case Cause::kSlowlog: return "slowlog";
    case Cause::kBacklog: return "backlog";
  }
  return "unknown";
}

RiskLevel LevelOf(const std::optional<double>& risk) {
  if (!risk) return RiskLevel::kUnknown;
  if (*risk >= kCritRisk) return RiskLevel::kCritical;
  if (*risk >= kWarnRisk) return RiskLevel::kWarn;
  return RiskLevel::kOk;
}

const char* LevelName(RiskLevel level) {
  switch (level) {
    case RiskLevel::kOk: return "ok";
    case RiskLevel::kWarn: return "warn";
    case RiskLevel::kCritical: return "critical";
    case RiskLevel::kUnknown: return "unknown";
  }
  return "unknown";
}

std::vector<const CauseRisk*> RankCauses(const RiskAssessment& assessment) {
  std::vector<const CauseRisk*> ranked;
  for (const auto& c : assessment.causes) ranked.push_back(&c);
  std::stable_sort(ranked.begin(), ranked.end(), [](const CauseRisk* a, const CauseRisk* b) {
    return a->risk.value_or(-1) > b->risk.value_or(-1);
  });
  return ranked;
}

double Ramp(double x, double warn, double crit) {
  if (!(x > warn / 2)) return 0;  // also NaN
  if (x <= warn) return kWarnRisk * (x - warn / 2) / (warn / 2);
  if (x <= crit) return kWarnRisk + (kCritRisk - kWarnRisk) * (x - warn) / (crit - warn);
  return std::min(1.0, kCritRisk + (1 - kCritRisk) * (x - crit) / (crit - warn));
}

RiskAssessment AssessRisk(std::span<const RiskSample> samples, const TargetConfig& target) {
  RiskAssessment out;
  for (Cause c : kCauses) out.Get(c).cause = c;
  if (samples.empty()) {
    for (auto& c : out.causes) c.missing_reason = MissingReason::kNoSamples;
    return out;
  }
  const Window w{samples};
  out.reachable = w.newest().up;
  // Server-side evidence of blocking, shared by the network and slowlog judgements.
  double longest_slow = 0;
  for (const auto& s : w.inside()) longest_slow = std::max(longest_slow, s.slowlog_longest_new.value_or(0));
  double busy = 0;
  if (auto spent = Increase(w.oldest().slowlog_seconds_total, w.newest().slowlog_seconds_total)) {
    busy = *spent / w.seconds(target.thresholds);
  }
  out.Get(Cause::kPool) = Pool(w, target);
  out.Get(Cause::kNetwork) = Network(w, target, longest_slow, busy);
  out.Get(Cause::kMemory) = Memory(w, target);
  out.Get(Cause::kSlowlog) = Slowlog(w, target, longest_slow, busy);
  out.Get(Cause::kBacklog) = Backlog(w, target);
  return out;
}

}  // namespace rte
