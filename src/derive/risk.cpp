#include "derive/risk.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "derive/latency_window.h"

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

// What the latency tail is, in words: the p99 once there are enough samples for one.
std::string TailName(size_t samples) {
  const size_t k = TailRankFromTop(samples);
  if (k == P99RankFromTop(samples)) return "PING p99";
  return fmt::format("PING tail (the {}{} slowest of {} round trips)", k,
                     k == 2 ? "nd" : (k == 3 ? "rd" : "th"), samples);
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
  std::string Label(const RiskThresholds& t) const { return fmt::format("{:.0f} s", seconds(t)); }
  // Samples whose new data arrived inside the window (the oldest one's arrived before it).
  std::span<const RiskSample> inside() const {
    return samples.size() > 1 ? samples.subspan(1) : samples;
  }
};

// The largest value that at least `share` of `values`, and at least kSustainedMinPolls of
// them, reach: the level held in that share of the window, whatever the rest did. 0 when
// there are fewer values than that.
double ReachedInShare(std::vector<double> values, double share) {
  // The epsilon keeps 0.9 × 40 at 36 values, not 37.
  const auto needed =
      std::max(kSustainedMinPolls,
               static_cast<size_t>(std::ceil(share * static_cast<double>(values.size()) - 1e-9)));
  if (values.size() < needed) return 0;
  std::sort(values.begin(), values.end(), std::greater<>());
  return values[needed - 1];
}

// Clients that open a connection per request instead of pooling: new connections that did not
// stay open (accepted, but connected_clients did not grow by as many), per second.
struct Churn {
  std::optional<double> rate;  // reached in kChurnSustainedShare of the intervals
  double risk = 0;
};

Churn FindChurn(const Window& w, const RiskThresholds& t) {
  std::vector<double> rates;
  for (size_t i = 1; i < w.samples.size(); ++i) {
    const RiskSample& a = w.samples[i - 1];
    const RiskSample& b = w.samples[i];
    if (!a.connections_received_total || !b.connections_received_total || !a.connected_clients ||
        !b.connected_clients) {
      continue;
    }
    const double seconds = static_cast<double>(b.at - a.at) / kNsPerSec;
    const double received = *b.connections_received_total - *a.connections_received_total;
    if (seconds <= 0 || received < 0) continue;  // a restart reset the counter
    const double stayed = std::max(0.0, *b.connected_clients - *a.connected_clients);
    rates.push_back(std::max(0.0, received - stayed) / seconds);
  }
  Churn out;
  if (rates.empty()) return out;
  out.rate = ReachedInShare(std::move(rates), kChurnSustainedShare);
  const double warn = t.connection_churn_warn_rate;
  out.risk = std::min(kChurnRiskCap, Ramp(*out.rate, warn, kChurnCritMultiple * warn));
  return out;
}

std::string Instances(double n) { return fmt::format("{:.0f} instance{}", n, n == 1 ? "" : "s"); }

// Redis sees connections, not the application threads queueing for one.
constexpr char kPoolWaitUnseen[] =
    "Redis cannot see requests waiting for a free pool connection; the client can: its pool "
    "wait time and waiters (Jedis/Lettuce commons-pool2 MeanBorrowWaitTimeMillis and NumWaiters, "
    "go-redis PoolStats().Timeouts, redis-py BlockingConnectionPool 'No connection available')";

CauseRisk Pool(const Window& w, const TargetConfig& cfg, const Churn& churn) {
  const RiskThresholds& t = cfg.thresholds;
  CauseRisk out{Cause::kPool, {}, MissingReason::kNone, {}, ""};
  const RiskSample& now = w.newest();
  double risk = 0;
  bool measured = false;
  double limit_risk = 0;  // maxclients and rejections
  if (now.up && now.connected_clients && now.maxclients && *now.maxclients > 0) {
    measured = true;
    const double fill = *now.connected_clients / *now.maxclients;
    limit_risk = std::max(limit_risk, Ramp(fill, t.pool_warn_ratio, t.pool_crit_ratio));
    out.evidence.push_back(fmt::format("connected_clients {:.0f} of maxclients {:.0f} ({})",
                                       *now.connected_clients, *now.maxclients, Pct(fill)));
  }
  const double refused = now.connect_max_clients_total - w.oldest().connect_max_clients_total;
  if (auto rejected =
          Increase(w.oldest().rejected_connections_total, now.rejected_connections_total)) {
    measured = true;
    // Redis counts protected-mode -DENIED connections in rejected_connections too: they are
    // maxclients rejections only when the clients were seen near maxclients or our own fresh
    // connect was refused for it.
    double fill_peak = 0;
    for (const auto& s : w.samples) {
      if (s.connected_clients && s.maxclients && *s.maxclients > 0) {
        fill_peak = std::max(fill_peak, *s.connected_clients / *s.maxclients);
      }
    }
    if (*rejected > 0 && (refused > 0 || fill_peak >= t.pool_warn_ratio)) {
      limit_risk = 1;
      out.evidence.push_back(fmt::format("{:.0f} connections rejected at maxclients in the last {}",
                                         *rejected, w.Label(t)));
    } else if (*rejected > 0) {
      out.evidence.push_back(fmt::format(
          "{:.0f} connections denied in the last {} while clients stayed at most {} of "
          "maxclients: not a full server but protected mode (-DENIED: no password, a "
          "non-loopback client) or a rejected TLS/ACL handshake; those clients never connect",
          *rejected, w.Label(t), Pct(fill_peak)));
    }
  }
  if (refused > 0) {
    measured = true;
    limit_risk = 1;
    out.evidence.push_back(
        fmt::format("{:.0f} fresh connections answered 'max number of clients reached'", refused));
  }
  risk = limit_risk;

  // Declared pools, per instance: a pool whose connections are all busy all the time is
  // exhausted; a full pool of idle connections is a healthy pre-warmed pool.
  double exhausted_risk = 0;
  bool over_size = false;
  for (const auto& [name, pool] : now.pools) {
    if (pool.size <= 0) continue;
    measured = true;
    std::vector<double> busy, held;
    for (const auto& s : w.samples) {
      auto it = s.pools.find(name);
      if (it == s.pools.end() || it->second.size <= 0) continue;
      busy.push_back(it->second.busy / it->second.size);
      held.push_back(it->second.largest_instance / it->second.size);
    }
    const double busy_fill = ReachedInShare(busy, kPoolSustainedShare);
    const double held_fill = ReachedInShare(held, kPoolSustainedShare);
    const double pool_risk = Ramp(busy_fill, t.pool_size_warn_ratio, t.pool_size_crit_ratio);
    exhausted_risk = std::max(exhausted_risk, pool_risk);
    if (pool.instances == 0) {
      out.evidence.push_back(
          fmt::format("pool {}: no connection (size {:.0f} per instance)", name, pool.size));
    } else {
      out.evidence.push_back(fmt::format(
          "pool {}: {}, {:.0f} connections; the largest instance holds {:.0f} of size {:.0f}, "
          "the busiest has {:.0f} busy",
          name, Instances(pool.instances), pool.connections, pool.largest_instance, pool.size,
          pool.busy));
    }
    if (pool_risk > 0) {
      out.evidence.push_back(fmt::format(
          "pool {}: an instance had {:.0f} of its {:.0f} connections busy (a command within the "
          "last second, or blocked) in {} of the samples of the last {}",
          name, busy_fill * pool.size, pool.size, Pct(kPoolSustainedShare), w.Label(t)));
    }
    if (held_fill > 1) {
      over_size = true;
      out.evidence.push_back(fmt::format(
          "pool {}: one instance holds {:.0f} connections, {} of its declared size {:.0f} (a "
          "connection leak, or size is set wrong)",
          name, held_fill * pool.size, Pct(held_fill), pool.size));
    } else if (pool_risk == 0 && pool.largest_instance >= pool.size &&
               pool.busy < t.pool_size_warn_ratio * pool.size) {
      out.evidence.push_back(
          fmt::format("pool {}: full but idle, as a pre-warmed pool should be", name));
    }
  }
  if (exhausted_risk > 0) out.evidence.push_back(kPoolWaitUnseen);
  risk = std::max(risk, exhausted_risk);
  if (over_size) risk = std::max(risk, kWarnRisk);

  if (churn.rate && churn.risk > 0) {
    measured = true;
    risk = std::max(risk, churn.risk);
    std::string age;
    if (now.median_client_age) {
      age = fmt::format(", median client age {:.0f} s", *now.median_client_age);
    } else if (!now.pools.empty()) {
      age = ", no client stays connected";
    }
    out.evidence.push_back(fmt::format(
        "{:.0f} new connections/s that did not stay open, in at least half of the last {}{}",
        *churn.rate, w.Label(t), age));
  }
  if (!measured) {
    out.missing_reason = now.up ? MissingReason::kMaxclientsUnknown : MissingReason::kTargetDown;
    return out;
  }
  out.risk = risk;
  std::string fix;
  if (limit_risk >= kWarnRisk) {
    fix +=
        "Raise maxclients (CONFIG SET maxclients N, and in redis.conf) or shrink the client "
        "pools (instances × size must stay below maxclients); find idle connections with "
        "CLIENT LIST (idle=). ";
  }
  if (exhausted_risk >= kWarnRisk) {
    fix +=
        "The pool is exhausted: first fewer round trips per request (MGET, pipelines), then "
        "a local (L1) cache for hot keys, then a bigger pool (instances × size within "
        "maxclients); confirm with the client's pool wait time. ";
  }
  if (over_size) {
    fix +=
        "Find the connection leak (connections not returned to the pool, clients created "
        "per request) or correct the pool's size in the exporter's pools: config. ";
  }
  if (churn.risk >= kWarnRisk) {
    fix +=
        "Use a connection pool and pre-warm it (min idle = its size): a connection per "
        "request costs a TCP (and TLS) handshake and floods the accept queue during deploys. ";
  }
  while (!fix.empty() && fix.back() == ' ') fix.pop_back();
  out.fix = !fix.empty() ? fix
                         : "No action: connections are well below the limits and no pool is busy "
                           "all the time.";
  return out;
}

// Everything the server itself says about how long its event loop was blocked in the window:
// the witnesses the blocking ("slowlog") cause is judged on and the network cause discounts.
struct Stalls {
  double longest = 0;                  // longest stall any witness saw (s)
  std::string longest_witness;         // which witness, for the evidence
  double slowlog_busy = 0;             // share of the window in slow commands (SLOWLOG)
  std::optional<double> command_busy;  // share of the window executing commands (commandstats)
  double slowlog_longest = 0;
  double command_mean = 0;  // longest average call between two polls (commandstats)
  std::string command_mean_name;
  double spike = 0;  // longest new latency-monitor spike
  std::string spike_event;
  std::optional<double> fork;  // latest_fork_usec, when a fork happened in the window
  bool judged = false;         // some witness could be read in the window
  // Busy share, whichever witness saw more.
  double busy() const { return std::max(slowlog_busy, command_busy.value_or(0)); }
  bool Blocked(double timeout) const {
    return longest >= kBlockedLongestShare * timeout || busy() >= kBlockedBusyShare;
  }
};

// First and last value of a cumulative counter in the window, and the seconds between them.
template <typename Pick>
std::optional<std::pair<double, double>> Spread(std::span<const RiskSample> w, Pick pick,
                                                double* seconds) {
  const RiskSample* first = nullptr;
  const RiskSample* last = nullptr;
  for (const auto& s : w) {
    if (!pick(s)) continue;
    if (first == nullptr) first = &s;
    last = &s;
  }
  if (first == nullptr) return std::nullopt;
  *seconds = static_cast<double>(last->at - first->at) / kNsPerSec;
  return std::make_pair(*pick(*first), *pick(*last));
}

Stalls FindStalls(const Window& w, const RiskThresholds& t) {
  Stalls out;
  auto consider = [&out](double seconds, std::string witness) {
    if (seconds > out.longest) {
      out.longest = seconds;
      out.longest_witness = std::move(witness);
    }
  };
  for (const auto& s : w.inside()) {
    if (s.slowlog_longest_new.value_or(0) > out.slowlog_longest) {
      out.slowlog_longest = *s.slowlog_longest_new;
    }
    if (s.command_longest_mean > out.command_mean) {
      out.command_mean = s.command_longest_mean;
      out.command_mean_name = s.command_longest_name;
    }
    if (s.latency_spike_new > out.spike) {
      out.spike = s.latency_spike_new;
      out.spike_event = s.latency_spike_event;
    }
  }
  consider(out.slowlog_longest, "slowlog");
  consider(out.command_mean, "commandstats");
  consider(out.spike, "latency");
  if (auto forks = Increase(w.oldest().forks_total, w.newest().forks_total); forks && *forks > 0) {
    out.fork = Latest<double>(w.samples, [](const RiskSample& s) { return s.fork_duration; });
    if (out.fork) consider(*out.fork, "fork");
  }
  // A busy share is made of more than one stall: the longest one is left out of it (the
  // longest-stall rule judges it against client_timeout). Otherwise one 150 ms command would be
  // 5% of a 3 s triage run and 0.25% of the daemon's minute: the same evidence, two verdicts.
  if (auto spent = Increase(w.oldest().slowlog_seconds_total, w.newest().slowlog_seconds_total)) {
    out.slowlog_busy = std::max(0.0, *spent - out.slowlog_longest) / w.seconds(t);
  }
  double span = 0;
  if (auto cmd = Spread(
          w.samples, [](const RiskSample& s) { return s.command_seconds_total; }, &span)) {
    out.judged = true;
    if (span > 0) {
      out.command_busy = std::max(0.0, cmd->second - cmd->first - out.command_mean) / span;
    }
  }
  out.judged |= Latest<double>(w.samples, [](const RiskSample& s) {
                  return s.slowlog_seconds_total;
                }).has_value();
  return out;
}

CauseRisk Network(const Window& w, const TargetConfig& cfg, const Stalls& stalls) {
  const RiskThresholds& t = cfg.thresholds;
  CauseRisk out{Cause::kNetwork, {}, MissingReason::kNone, {}, ""};
  const RiskSample& now = w.newest();
  const double timeout = ToSeconds(cfg.client_timeout);
  // Timeouts, not refusals: a refused connection is a down server, not a slow path.
  const double failures = now.ping_timeouts_total - w.oldest().ping_timeouts_total;
  if (!now.ping_tail && failures <= 0) {
    out.missing_reason = now.up ? MissingReason::kNoSamples : MissingReason::kTargetDown;
    return out;
  }
  double risk = 0;
  const double budget = ToSeconds(t.latency_budget);
  if (now.ping_tail) {
    // Time the server itself was blocked explains that much of the tail: what is left is the
    // network's (or the client side's) share.
    const double unexplained = std::max(0.0, *now.ping_tail - stalls.longest);
    risk = std::max(risk, Ramp(unexplained / timeout, t.latency_warn_ratio, t.latency_crit_ratio));
    out.evidence.push_back(fmt::format("{} {} vs client_timeout {} over the last {}",
                                       TailName(now.ping_samples), Ms(*now.ping_tail), Ms(timeout),
                                       FormatDuration(t.risk_window)));
    if (stalls.longest > 0 && *now.ping_tail > 0) {
      out.evidence.push_back(fmt::format("{} of it is explained by the server's own stalls ({})",
                                         Pct(std::min(1.0, stalls.longest / *now.ping_tail)),
                                         stalls.longest_witness));
    }
    if (now.tcp_rtt && *now.ping_tail > budget &&
        *now.ping_tail > kPingOverTcpRttMultiple * *now.tcp_rtt) {
      out.evidence.push_back(fmt::format(
          "kernel TCP RTT {} while the PING tail is {}: the delay is not on the TCP path itself (a "
          "busy server, or a proxy in between)",
          Ms(*now.tcp_rtt), Ms(*now.ping_tail)));
    }
  }
  if (now.ping_p50 && now.ping_samples >= kLatencyBudgetMinSamples &&
      stalls.busy() < kBlockedBusyShare) {
    // A typical round trip over budget is a slow path even far from the timeout: it rises from
    // the budget and warns at twice it (a margin for a busy exporter host), never pages.
    risk = std::max(risk, std::min(kLatencyBudgetRiskCap,
                                   Ramp(*now.ping_p50, kLatencyBudgetWarnMultiple * budget,
                                        kLatencyBudgetCritMultiple * budget)));
    if (*now.ping_p50 > budget) {
      out.evidence.push_back(
          fmt::format("PING p50 {} is over the latency budget {}", Ms(*now.ping_p50), Ms(budget)));
    }
  }
  if (now.tcp_rtt) {
    // One smoothed value, inflated by delayed ACKs when the server replies late and by
    // scheduling on a busy host: it counts only against client_timeout, like the p99.
    risk = std::max(risk, Ramp(*now.tcp_rtt / timeout, t.latency_warn_ratio, t.latency_crit_ratio));
    out.evidence.push_back(
        fmt::format("kernel TCP RTT {} (excludes server time)", Ms(*now.tcp_rtt)));
  }
  if (auto retrans = Increase(w.oldest().tcp_retransmits_total, now.tcp_retransmits_total);
      retrans && *retrans > 0) {
    risk = std::max(risk, Ramp(*retrans, kRetransmitsWarn, kRetransmitsCrit));
    out.evidence.push_back(
        fmt::format("{:.0f} TCP retransmits on the probe connection in the last {} (packet loss)",
                    *retrans, w.Label(t)));
  }
  const double large_timeouts =
      now.large_payload_timeouts_total - w.oldest().large_payload_timeouts_total;
  if (large_timeouts > 0 && failures <= 0) {
    risk = 1;
    out.evidence.push_back(fmt::format(
        "{:.0f} ECHOs of a few KB got no reply within client_timeout while PINGs answer: large "
        "packets are lost on the path (MTU black hole)",
        large_timeouts));
  } else if (now.large_payload_p50 && now.ping_p50 &&
             *now.large_payload_p50 > kLargePayloadSlowMultiple * *now.ping_p50 &&
             *now.large_payload_p50 - *now.ping_p50 > kLatencyBudgetCritMultiple * budget) {
    // Both the ratio and the excess: on loopback a loaded host makes a 4 KiB ECHO ten times a
    // 100 µs PING; a path that stalls big packets costs tens of milliseconds or more.
    risk = std::max(
        {risk, kWarnRisk,
         Ramp(*now.large_payload_p50 / timeout, t.latency_warn_ratio, t.latency_crit_ratio)});
    out.evidence.push_back(fmt::format(
        "a few-KB ECHO takes {} (median) against {} for PING: large packets are slow on the path "
        "(MTU, loss)",
        Ms(*now.large_payload_p50), Ms(*now.ping_p50)));
  }
  if (failures > 0) {
    if (stalls.Blocked(timeout)) {
      out.evidence.push_back(fmt::format(
          "{:.0f} PINGs timed out while the server itself was blocked (see slowlog)", failures));
    } else {
      risk = 1;
      out.evidence.push_back(
          fmt::format("{:.0f} PINGs got no reply within client_timeout {}", failures, Ms(timeout)));
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

std::string Size(double bytes) {
  if (bytes >= 1073741824) return fmt::format("{:.1f} GiB", bytes / 1073741824);
  return fmt::format("{:.1f} MiB", bytes / 1048576);
}

// What a policy may evict: 1 for allkeys-*, 0 for noeviction, and for volatile-* the share of
// keys that have a TTL as the estimate of the memory it can free. An unknown policy is taken
// to evict, as it did before the exporter could read it.
double EvictableShare(const std::string& policy, const RiskSample& now) {
  if (policy == "noeviction") return 0;
  if (policy.rfind("volatile-", 0) != 0) return 1;
  const double keys = now.keys.value_or(0);
  if (keys <= 0) return 0;
  return std::clamp(now.keys_with_expiry.value_or(0) / keys, 0.0, 1.0);
}

// The kernel's limit on the process: the cgroup's, or the host's memory, whichever is smaller.
std::optional<MemoryLimit> KernelLimit(const RiskSample& now) {
  return EffectiveMemoryLimit(std::nullopt, now.cgroup_memory_limit, now.system_memory);
}

const char* KernelLimitName(MemoryLimitSource source) {
  return source == MemoryLimitSource::kCgroup ? "the cgroup memory limit" : "system memory";
}

CauseRisk Memory(const Window& w, const TargetConfig& cfg) {
  const RiskThresholds& t = cfg.thresholds;
  CauseRisk out{Cause::kMemory, {}, MissingReason::kNone, {}, ""};
  const RiskSample& now = w.newest();
  if (!now.up || !now.used_memory) {
    out.missing_reason = MissingReason::kTargetDown;
    return out;
  }
  const std::string policy = now.policy.value_or("unknown");
  const double used = *now.used_memory;
  // Redis' own arithmetic for evicting and refusing writes (evict.c getMaxmemoryState): replica
  // output and AOF buffers are left out, so a full sync's buffers fail no write.
  const double not_counted = std::clamp(now.mem_not_counted_for_evict.value_or(0), 0.0, used);
  const double counted = used - not_counted;
  const auto limit =
      EffectiveMemoryLimit(now.maxmemory, now.cgroup_memory_limit, now.system_memory);
  const auto kernel = KernelLimit(now);
  double risk = 0;
  double share = 1;  // what the policy may evict
  bool refuses = false;
  if (limit && limit->source == MemoryLimitSource::kMaxmemory) {
    share = EvictableShare(policy, now);
    const double fill = counted / limit->bytes;
    // Eviction makes room: a full cache that evicts is at most a note. What the policy cannot
    // evict stays, and once it alone fills the limit the next write fails, so that part is
    // judged like noeviction; over the limit it fails whether or not a write came lately.
    const double fixed_fill = fill * (1 - share);
    const double evicting =
        std::min(kEvictingMemoryRiskCap, Ramp(fill, t.memory_warn_ratio, t.memory_crit_ratio));
    const double fixed =
        fixed_fill >= 1 ? 1.0 : Ramp(fixed_fill, t.memory_warn_ratio, t.memory_crit_ratio);
    risk = share >= 1 ? evicting : std::max(evicting, fixed);
    refuses = fixed >= kWarnRisk;
    if (not_counted > 0) {
      out.evidence.push_back(fmt::format(
          "used_memory {}, of which {} replica and AOF buffers Redis does not count against "
          "maxmemory (mem_not_counted_for_evict): {} of maxmemory {} ({}), policy {}",
          Size(used), Size(not_counted), Size(counted), Size(limit->bytes), Pct(fill), policy));
    } else {
      out.evidence.push_back(fmt::format("used_memory {} of maxmemory {} ({}), policy {}",
                                         Size(used), Size(limit->bytes), Pct(fill), policy));
    }
    if (share < 1 && policy.rfind("volatile-", 0) == 0) {
      out.evidence.push_back(fmt::format(
          "{} may evict only keys with a TTL: {:.0f} of {:.0f} keys have one ({}), so about {} "
          "of maxmemory cannot be evicted",
          policy, now.keys_with_expiry.value_or(0), now.keys.value_or(0),
          share > 0 && share < 0.01 ? "<1%" : Pct(share), Pct(fixed_fill)));
    }
  } else if (now.maxmemory && *now.maxmemory > 0 && kernel) {
    out.evidence.push_back(fmt::format(
        "maxmemory {} is above {} {}: Redis never reaches it, the kernel's limit binds first",
        Size(*now.maxmemory), KernelLimitName(kernel->source), Size(kernel->bytes)));
  }
  double kernel_risk = 0;
  if (kernel) {
    // The kernel charges resident memory, buffers and fragmentation included; past its limit
    // the OOM killer ends Redis, whatever the policy.
    const double resident = std::max(used, now.used_memory_rss.value_or(0));
    const double fill = resident / kernel->bytes;
    kernel_risk = Ramp(fill, t.system_memory_warn_ratio, t.system_memory_crit_ratio);
    const bool binds = !limit || limit->source != MemoryLimitSource::kMaxmemory;
    if (binds || kernel_risk > 0) {
      const bool rss = now.used_memory_rss && *now.used_memory_rss > used;
      out.evidence.push_back(
          fmt::format("{}{} {} is {} of {} {}: past it the kernel's OOM killer ends Redis",
                      binds && !(now.maxmemory && *now.maxmemory > 0) ? "no maxmemory: " : "",
                      rss ? "used_memory_rss" : "used_memory", Size(resident), Pct(fill),
                      KernelLimitName(kernel->source), Size(kernel->bytes)));
    }
    risk = std::max(risk, kernel_risk);
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
  const bool kernel_binds = limit && limit->source != MemoryLimitSource::kMaxmemory;
  if (risk < kWarnRisk) {
    out.fix = "No action: memory is below the limits.";
  } else if (kernel && (kernel_binds || kernel_risk >= kWarnRisk)) {
    out.fix = fmt::format(
        "Set maxmemory below {} (about 75% of it leaves room for forks, fragmentation and "
        "buffers) with a policy: CONFIG SET maxmemory …, and in redis.conf; or raise the "
        "limit{}.",
        KernelLimitName(kernel->source),
        kernel->source == MemoryLimitSource::kCgroup ? " of the container (its memory cgroup)"
                                                     : "");
  } else if (refuses && share > 0) {
    out.fix =
        "Few keys have a TTL, so a volatile-* policy has little to evict: CONFIG SET "
        "maxmemory-policy allkeys-lfu if this is a cache, or give the keys a TTL; otherwise "
        "raise maxmemory (CONFIG SET maxmemory 8gb).";
  } else if (share < 1) {
    out.fix =
        "CONFIG SET maxmemory-policy allkeys-lfu (a cache should evict, not refuse "
        "writes), or raise maxmemory (CONFIG SET maxmemory 8gb); find big keys with "
        "redis-cli --bigkeys and keys without TTL.";
  } else {
    out.fix =
        "Raise maxmemory or shard: Redis is evicting to stay under the limit; check "
        "redis-cli --bigkeys for unexpected growth.";
  }
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
  return fix +
         "Move heavy or administrative commands to a replica; SLOWLOG GET 25 names the callers.";
}

std::string BlockingFix(const Stalls& st, const std::map<std::string, double>& by_command,
                        const RiskSample& now) {
  std::string fix;
  if (st.longest_witness == "fork" || st.spike_event == "fork") {
    fix +=
        "Fork stalls grow with the dataset: keep each instance smaller (shard), disable "
        "transparent huge pages (echo never > /sys/kernel/mm/transparent_hugepage/enabled), "
        "let replicas do the persistence (save \"\" and appendonly no on the master), "
        "schedule BGSAVE off-peak. ";
  }
  if (now.swap_bytes && *now.swap_bytes >= kSwapWarnBytes) {
    fix +=
        "Redis is swapping: keep maxmemory well below the host's memory, vm.swappiness=1, "
        "move other memory users off the host. ";
  }
  if (st.spike_event.rfind("aof", 0) == 0) {
    fix +=
        "AOF fsync stalls: appendfsync everysec (not always), no-appendfsync-on-rewrite yes, "
        "a faster disk. ";
  }
  if (st.spike_event.find("expire") != std::string::npos ||
      st.spike_event.find("eviction") != std::string::npos) {
    fix +=
        "Expiry or eviction cycles: spread TTLs (no mass expiry at one instant), lazyfree-"
        "lazy-eviction yes and lazyfree-lazy-expire yes. ";
  }
  std::map<std::string, double> commands = by_command;
  if (!st.command_mean_name.empty()) commands[st.command_mean_name] += st.command_mean;
  if (!commands.empty() || st.command_busy.value_or(0) > 0) {
    fix += SlowlogFix(commands) + " INFO commandstats (usec_per_call) names the slow commands. ";
  }
  if (now.latency_monitor_threshold && *now.latency_monitor_threshold == 0) {
    fix +=
        "Turn on the latency monitor (CONFIG SET latency-monitor-threshold 100) so Redis "
        "records which stall it was (fork, AOF fsync, expiry, a command).";
  }
  while (!fix.empty() && fix.back() == ' ') fix.pop_back();
  return fix;
}

// The "slowlog" cause, whose meaning is: the event loop was blocked, whatever blocked it.
CauseRisk Slowlog(const Window& w, const TargetConfig& cfg, const Stalls& st) {
  const RiskThresholds& t = cfg.thresholds;
  CauseRisk out{Cause::kSlowlog, {}, MissingReason::kNone, {}, ""};
  const RiskSample& now = w.newest();
  if (!st.judged) {
    out.missing_reason = now.up ? MissingReason::kSlowlogRefused : MissingReason::kTargetDown;
    return out;
  }
  const double timeout = ToSeconds(cfg.client_timeout);
  double risk = std::max(
      {Ramp(st.slowlog_busy, t.slowlog_busy_warn_ratio, t.slowlog_busy_crit_ratio),
       Ramp(st.command_busy.value_or(0), t.command_busy_warn_ratio, t.command_busy_crit_ratio),
       Ramp(st.longest / timeout, t.slowlog_longest_warn_ratio, t.slowlog_longest_crit_ratio)});
  std::map<std::string, double> by_command;
  for (const auto& [command, seconds] : now.slowlog_seconds_by_command) {
    auto it = w.oldest().slowlog_seconds_by_command.find(command);
    const double before = it == w.oldest().slowlog_seconds_by_command.end() ? 0 : it->second;
    if (seconds - before > 0) by_command[command] = seconds - before;
  }
  const std::string slowlog_state = now.slowlog_refused ? " though SLOWLOG is refused"
                                    : now.slowlog_threshold && *now.slowlog_threshold < 0
                                        ? " though SLOWLOG is off"
                                        : "";
  if (st.slowlog_busy > 0) {
    out.evidence.push_back(fmt::format("slow commands took {} of the last {}",
                                       st.slowlog_busy >= 0.001 ? Pct(st.slowlog_busy) : "<0.1%",
                                       w.Label(t)));
  }
  if (st.slowlog_longest > 0) {
    out.evidence.push_back(fmt::format("longest slow command {} vs client_timeout {}",
                                       Ms(st.slowlog_longest), Ms(timeout)));
  }
  if (st.command_busy && *st.command_busy >= t.command_busy_warn_ratio / 2) {
    out.evidence.push_back(
        fmt::format("Redis spent {} of the last {} executing commands (commandstats){}",
                    Pct(*st.command_busy), w.Label(t), slowlog_state));
  }
  if (st.command_mean >= t.slowlog_longest_warn_ratio / 2 * timeout) {
    out.evidence.push_back(
        fmt::format("{} took {} per call on average between two polls (commandstats){}",
                    st.command_mean_name, Ms(st.command_mean), slowlog_state));
  }
  if (st.fork) {
    out.evidence.push_back(fmt::format(
        "fork for BGSAVE / AOF rewrite took {} (latest_fork_usec){}", Ms(*st.fork),
        st.spike_event == "fork" ? fmt::format(", LATENCY LATEST fork {}", Ms(st.spike)) : ""));
  }
  if (st.spike > 0 && st.spike_event != "fork") {
    out.evidence.push_back(fmt::format("LATENCY LATEST: '{}' stalled the server for {}",
                                       st.spike_event, Ms(st.spike)));
  }
  if (now.persistence_running) {
    out.evidence.push_back("a BGSAVE or AOF rewrite is running now");
  }
  if (now.swap_bytes && *now.swap_bytes > 0) {
    if (*now.swap_bytes >= kSwapWarnBytes) risk = std::max(risk, kWarnRisk);
    out.evidence.push_back(fmt::format(
        "the Redis process has {:.1f} MiB in swap (VmSwap): accesses to it stall on page faults",
        *now.swap_bytes / 1048576));
  }
  if (now.thp_mode == "always" && (st.fork || now.persistence_running)) {
    out.evidence.push_back(
        "transparent huge pages are 'always' on this host: forks and copy-on-write are slower");
  }
  std::vector<std::pair<double, std::string>> top;
  for (const auto& [command, seconds] : by_command) top.emplace_back(seconds, command);
  std::sort(top.rbegin(), top.rend());
  for (size_t i = 0; i < std::min<size_t>(3, top.size()); ++i) {
    out.evidence.push_back(
        fmt::format("top: {} ({} in the window)", top[i].second, Ms(top[i].first)));
  }
  if (!now.up && now.poll_timed_out) {
    out.evidence.push_back("the last poll got no reply in time: the server may be blocked now");
  }
  out.risk = risk;
  out.fix = risk >= kWarnRisk ? BlockingFix(st, by_command, now)
                              : "No action: the event loop was not blocked for long.";
  return out;
}

CauseRisk Backlog(const Window& w, const TargetConfig& cfg, const Churn& churn,
                  const Stalls& stalls) {
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
  double burst_rate = 0;  // the highest rate of accepted connections between two polls (/s)
  bool slow_connect = false;
  std::set<int> other_full;
  for (size_t i = 0; i < w.samples.size(); ++i) {
    const RiskSample& s = w.samples[i];
    if (s.queue_length && s.queue_max && *s.queue_max > 0) {
      fill_max =
          std::max(fill_max, std::max(*s.queue_length, s.queue_peak.value_or(0)) / *s.queue_max);
    }
    other_full.insert(s.other_full_ports.begin(), s.other_full_ports.end());
    if (i > 0) {
      const double seconds = static_cast<double>(s.at - w.samples[i - 1].at) / kNsPerSec;
      if (auto d =
              Increase(w.samples[i - 1].connections_received_total, s.connections_received_total);
          d && seconds > 0) {
        burst_rate = std::max(burst_rate, *d / seconds);
      }
      // A TCP handshake that needed a SYN retransmit (the first comes after 1 s).
      slow_connect |= s.connect_tcp_duration.value_or(0) >= kSynRetransmitSeconds;
    }
  }
  double risk = Ramp(fill_max, t.backlog_warn_ratio, t.backlog_crit_ratio);
  out.evidence.push_back(
      fmt::format("accept queue peaked at {:.0f}% of its max {:.0f}", fill_max * 100, *queue_max));
  const auto overflows = Increase(w.oldest().listen_overflows_total, now.listen_overflows_total);
  if (overflows && *overflows > 0) {
    // ListenOverflows is one counter for the whole host: blame this target only when its own
    // queue was seen nearly full (sampled every 100 ms), connections arrived fast enough to fill
    // it while the event loop was away, or its connects needed SYN retransmits.
    const bool own_queue = fill_max >= kOwnQueueFullRatio;
    // At `burst_rate` per second, a loop that does not accept for `away` seconds leaves
    // burst_rate × away connections waiting. The rate is a poll interval's average, so a
    // tighter burst within it is only caught by the queue's sampled peak.
    const double away =
        std::max({stalls.longest, now.ping_p50.value_or(0), kMinAcceptLatencySeconds});
    const bool own_burst = burst_rate * away >= *queue_max;
    if (own_queue || own_burst || slow_connect) {
      risk = 1;
      out.evidence.push_back(fmt::format(
          "{:.0f} listen-queue overflows on this host in the last {}{}{}{}", *overflows, w.Label(t),
          own_queue ? "; this queue was full" : "",
          own_burst ? fmt::format("; {:.0f} connections/s arrived while the event loop took up "
                                  "to {} to come back to accept()",
                                  burst_rate, Ms(away))
                    : "",
          slow_connect ? "; fresh connects needed SYN retransmits" : ""));
    } else {
      std::string elsewhere;
      for (int port : other_full) {
        elsewhere += (elsewhere.empty() ? "" : ", ") + std::to_string(port);
      }
      out.evidence.push_back(fmt::format(
          "{:.0f} listen-queue overflows on this host, not attributed to this target (its queue "
          "peaked below {}, its {:.0f} connections/s cannot fill it){}",
          *overflows, Pct(kOwnQueueFullRatio), burst_rate,
          elsewhere.empty() ? "" : fmt::format("; other listeners were full: port {}", elsewhere)));
    }
  }
  if (t.expected_connection_burst > 0 && *queue_max < t.expected_connection_burst) {
    risk = std::max(risk, kWarnRisk);
    out.evidence.push_back(fmt::format("effective backlog {:.0f} is below the expected burst {}",
                                       *queue_max, t.expected_connection_burst));
  }
  if (now.tcp_backlog && *now.tcp_backlog > *queue_max) {
    out.evidence.push_back(
        fmt::format("tcp-backlog {:.0f} is capped to {:.0f} by net.core.somaxconn",
                    *now.tcp_backlog, *queue_max));
  }
  if (risk > 0 && churn.rate && churn.risk >= kWarnRisk) {
    out.evidence.push_back(fmt::format(
        "clients also open {:.0f} new connections/s that do not stay (see pool): each one passes "
        "through this queue",
        *churn.rate));
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
    case MissingReason::kNone:
      return "";
    case MissingReason::kNoSamples:
      return "no_samples";
    case MissingReason::kTargetDown:
      return "target_down";
    case MissingReason::kMaxclientsUnknown:
      return "maxclients_unknown";
    case MissingReason::kSlowlogRefused:
      return "slowlog_refused";
    case MissingReason::kNotLocal:
      return "not_local";
    case MissingReason::kListenQueueUnavailable:
      return "listen_queue_unavailable";
  }
  return "unknown";
}

const char* MissingReasonText(MissingReason reason) {
  switch (reason) {
    case MissingReason::kNone:
      return "";
    case MissingReason::kNoSamples:
      return "not judged yet: waiting for the first polls and probes";
    case MissingReason::kTargetDown:
      return "not judged: the target did not answer the last poll";
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

const char* MemoryLimitSourceName(MemoryLimitSource source) {
  switch (source) {
    case MemoryLimitSource::kMaxmemory:
      return "maxmemory";
    case MemoryLimitSource::kCgroup:
      return "cgroup";
    case MemoryLimitSource::kSystem:
      return "system";
  }
  return "unknown";
}

std::optional<MemoryLimit> EffectiveMemoryLimit(const std::optional<double>& maxmemory,
                                                const std::optional<double>& cgroup_limit,
                                                const std::optional<double>& system_memory) {
  std::optional<MemoryLimit> kernel;
  if (system_memory && *system_memory > 0) {
    kernel = MemoryLimit{*system_memory, MemoryLimitSource::kSystem};
  }
  if (cgroup_limit && *cgroup_limit > 0 && (!kernel || *cgroup_limit < kernel->bytes)) {
    kernel = MemoryLimit{*cgroup_limit, MemoryLimitSource::kCgroup};
  }
  if (maxmemory && *maxmemory > 0 && (!kernel || *maxmemory <= kernel->bytes)) {
    return MemoryLimit{*maxmemory, MemoryLimitSource::kMaxmemory};
  }
  return kernel;
}

const char* CauseName(Cause cause) {
  switch (cause) {
    case Cause::kPool:
      return "pool";
    case Cause::kNetwork:
      return "network";
    case Cause::kMemory:
      return "memory";
    case Cause::kSlowlog:
      return "slowlog";
    case Cause::kBacklog:
      return "backlog";
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
    case RiskLevel::kOk:
      return "ok";
    case RiskLevel::kWarn:
      return "warn";
    case RiskLevel::kCritical:
      return "critical";
    case RiskLevel::kUnknown:
      return "unknown";
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
  // Server-side evidence of blocking, shared by the network and blocking judgements.
  const Stalls stalls = FindStalls(w, target.thresholds);
  const Churn churn = FindChurn(w, target.thresholds);
  out.Get(Cause::kPool) = Pool(w, target, churn);
  out.Get(Cause::kNetwork) = Network(w, target, stalls);
  out.Get(Cause::kMemory) = Memory(w, target);
  out.Get(Cause::kSlowlog) = Slowlog(w, target, stalls);
  out.Get(Cause::kBacklog) = Backlog(w, target, churn, stalls);
  return out;
}

}  // namespace rte
