#include "derive/target_history.h"

#include <algorithm>
#include <cmath>

namespace rte {
namespace {

constexpr size_t kRecentSlowlogShown = 5;

}  // namespace

TargetHistory::TargetHistory(TargetConfig config, bool local)
    : local_(local),
      latency_window_(config.latency_window.count()),
      large_payload_window_(config.latency_window.count()) {
  report_->config = std::move(config);
  for (PollStage stage : kPollStages) report_->poll_errors[stage] = 0;
  report_->risk = AssessRisk({}, report_->config);
}

const TargetReport& TargetHistory::Advance(const PollResult& poll, const KernelSnapshot* kernel) {
  // Copy on write: the report published last (Shared()) is read by other threads meanwhile.
  // Only this object hands it out, so a count of 1 means nobody else can be reading it.
  if (report_.use_count() > 1) report_ = std::make_shared<TargetReport>(*report_);
  const Nanos now = poll.at_mono;
  report_->up = poll.up();
  report_->last_error = poll.error;
  if (poll.duration_seconds) report_->poll_duration_seconds = poll.duration_seconds;
  if (poll.error && !poll.repeated_error) ++report_->poll_errors[poll.error->stage];
  for (PollStage stage : poll.command_errors) ++report_->poll_errors[stage];
  report_->supported = poll.supported;
  report_->slowlog_lost_this_poll = 0;
  if (poll.redis) {
    report_->last_success_wall = poll.at_wall;
    if (auto role = poll.redis->info.Text("role")) {
      report_->role = *role == "slave" ? "replica" : *role;
    }
    report_->signals = DeriveSignals(*poll.redis, config());
    // Redis counts its uptime in whole seconds of its own clock, so poll time minus uptime
    // steps by a second as the polls' phase drifts; only a restart moves it further.
    if (auto& start = report_->signals->redis_start_time_seconds; start) {
      if (start_time_ != 0 && std::abs(*start - start_time_) <= 1) *start = start_time_;
      start_time_ = *start;
    }
    AdvanceSlowlog(*poll.redis, now);
    AdvanceStalls(*poll.redis);
  } else {
    report_->signals.reset();
  }
  AdvanceLatency(poll.probe, now);
  report_->serving =
      AssessServing(poll.refusal, report_->signals ? &*report_->signals : nullptr, poll.probe);

  report_->listen_queue.reset();
  report_->swap_bytes.reset();
  report_->cgroup_memory_limit_bytes.reset();
  if (local_ && kernel != nullptr) {
    if (auto it = kernel->cgroup_memory_limit_bytes.find(config().name);
        it != kernel->cgroup_memory_limit_bytes.end()) {
      report_->cgroup_memory_limit_bytes = it->second;
    }
    if (auto it = kernel->queues.find(config().name); it != kernel->queues.end()) {
      report_->listen_queue = it->second;
    }
    if (auto it = kernel->swap_bytes.find(config().name); it != kernel->swap_bytes.end()) {
      report_->swap_bytes = it->second;
    }
  }

  // Only what was seen within the judged window is shown as recent.
  const Nanos horizon = now - config().thresholds.risk_window.count();
  while (!recent_.empty() && recent_.front().seen_at < horizon) recent_.pop_front();
  report_->recent_slowlog.clear();
  for (auto it = recent_.rbegin();
       it != recent_.rend() && report_->recent_slowlog.size() < kRecentSlowlogShown; ++it) {
    report_->recent_slowlog.push_back(it->entry);
  }

  report_->memory_limit.reset();
  if (report_->signals) {
    report_->memory_limit =
        EffectiveMemoryLimit(report_->signals->maxmemory_bytes, report_->cgroup_memory_limit_bytes,
                             report_->signals->system_memory_bytes);
  }
  // Grown one sample at a time: the window keeps the same length once full, and a doubling
  // vector would hold up to twice that for every target.
  if (risk_window_.size() == risk_window_.capacity()) risk_window_.reserve(risk_window_.size() + 1);
  risk_window_.push_back(MakeRiskSample(poll, kernel));
  slowlog_longest_new_ = 0;
  command_longest_mean_ = 0;
  command_longest_name_.clear();
  latency_spike_new_ = 0;
  latency_spike_event_.clear();
  auto first_kept = risk_window_.begin();
  while (risk_window_.end() - first_kept > 1 && first_kept->at < horizon) ++first_kept;
  risk_window_.erase(risk_window_.begin(), first_kept);
  report_->risk = AssessRisk(risk_window_, config());
  return *report_;
}

void TargetHistory::AdvanceSlowlog(const RedisSnapshot& snap, Nanos now) {
  if (!snap.slowlog) return;
  const SlowlogAdvance advance =
      cursor_.Advance(snap.info.Text("run_id").value_or(""), *snap.slowlog);
  for (const auto& e : advance.fresh) {
    slowlog_longest_new_ = std::max(slowlog_longest_new_, static_cast<double>(e.duration_us) / 1e6);
    recent_.push_back({now, e});  // `fresh` is oldest first, so recent_ stays ordered
  }
  if (!report_->slowlog) report_->slowlog.emplace();
  report_->slowlog->Add(advance);
  report_->slowlog_lost_this_poll = advance.lost;
}

void TargetHistory::AdvanceStalls(const RedisSnapshot& snap) {
  const bool first = previous_commands_.empty();
  for (const auto& [name, stat] : snap.commandstats) {
    if (first) break;  // no previous poll to compare with
    // A command that first appears now ran only since the previous poll.
    auto it = previous_commands_.find(name);
    const CommandStat before = it == previous_commands_.end() ? CommandStat{} : it->second;
    const double calls = stat.calls - before.calls;
    const double usec = stat.usec - before.usec;
    // Counters go back on a restart or CONFIG RESETSTAT: no delta this poll.
    if (calls <= 0 || usec <= 0) continue;
    const double mean = usec / calls / 1e6;
    if (mean > command_longest_mean_) {
      command_longest_mean_ = mean;
      command_longest_name_ = name;
    }
  }
  previous_commands_ = snap.commandstats;
  if (!snap.latency_events) return;
  for (const LatencyEvent& e : *snap.latency_events) {
    auto [it, inserted] = latency_seen_.try_emplace(e.name, e.unix_time);
    // Spikes already recorded when the exporter first saw the event are history, not news.
    if (inserted || e.unix_time <= it->second) continue;
    it->second = e.unix_time;
    if (e.latest_seconds > latency_spike_new_) {
      latency_spike_new_ = e.latest_seconds;
      latency_spike_event_ = e.name;
    }
  }
}

void TargetHistory::AdvanceLatency(const ProbeFigures& probe, Nanos now) {
  for (const RttSample& s : probe.rtts) {
    latency_window_.Add(s.at, s.rtt);
    report_->latency.ping_rtt.Observe(static_cast<double>(s.rtt) / 1e9);
  }
  latency_window_.Prune(now);
  report_->latency.window_p50 = latency_window_.QuantileSeconds(0.5);
  report_->latency.window_p99 = latency_window_.QuantileSeconds(0.99);
  report_->latency.window_max = latency_window_.QuantileSeconds(1.0);
  report_->latency.window_tail = latency_window_.TailSeconds();
  report_->latency.window_samples = latency_window_.size();
  for (const RttSample& s : probe.large_rtts) large_payload_window_.Add(s.at, s.rtt);
  large_payload_window_.Prune(now);
  report_->latency.large_payload_p50 = large_payload_window_.QuantileSeconds(0.5);
  report_->probe = probe;
  report_->probe.rtts.clear();
  report_->probe.large_rtts.clear();
}

RiskSample TargetHistory::MakeRiskSample(const PollResult& poll,
                                         const KernelSnapshot* kernel) const {
  RiskSample s;
  s.at = poll.at_mono;
  s.up = report_->up;
  s.poll_timed_out = poll.timed_out;
  if (report_->up && report_->signals) {
    const RedisSignals& sig = *report_->signals;
    s.connected_clients = sig.connected_clients;
    s.maxclients = sig.maxclients;
    s.rejected_connections_total = sig.rejected_connections_total;
    s.connections_received_total = sig.connections_received_total;
    for (const auto& pool : config().pools) {
      auto it = sig.pools.find(pool.name);
      if (it == sig.pools.end()) continue;
      const PoolUsage& u = it->second;
      s.pools[pool.name] = {static_cast<double>(pool.size), u.connections, u.instances,
                            u.largest_instance, u.busy};
    }
    s.median_client_age = sig.median_client_age_seconds;
    s.used_memory = sig.memory_used_bytes;
    s.maxmemory = sig.maxmemory_bytes;
    s.system_memory = sig.system_memory_bytes;
    s.used_memory_rss = sig.memory_rss_bytes;
    s.mem_not_counted_for_evict = sig.memory_not_counted_for_evict_bytes;
    s.cgroup_memory_limit = report_->cgroup_memory_limit_bytes;
    s.keys = sig.keys;
    s.oom_errors_total = sig.oom_errors_total;
    s.evicted_keys_total = sig.evicted_keys_total;
    s.keys_with_expiry = sig.keys_with_expiry;
    s.policy = sig.maxmemory_policy;
    s.tcp_backlog = sig.tcp_backlog;
    s.slowlog_threshold = sig.slowlog_threshold_seconds;
    s.command_seconds_total = sig.command_time_seconds_total;
    s.latency_monitor_threshold = sig.latency_monitor_threshold_seconds;
    s.forks_total = sig.forks_total;
    s.fork_duration = sig.fork_duration_seconds;
    s.persistence_running =
        sig.bgsave_in_progress.value_or(0) > 0 || sig.aof_rewrite_in_progress.value_or(0) > 0;
  }
  s.slowlog_refused = report_->supported.contains(OptionalCommand::kSlowlog) &&
                      !report_->supported.at(OptionalCommand::kSlowlog);
  s.command_longest_mean = command_longest_mean_;
  s.command_longest_name = command_longest_name_;
  s.latency_spike_new = latency_spike_new_;
  s.latency_spike_event = latency_spike_event_;
  if (report_->slowlog) {
    s.slowlog_seconds_total = report_->slowlog->durations.sum();
    s.slowlog_seconds_by_command = report_->slowlog->seconds_by_command;
    s.slowlog_longest_new = slowlog_longest_new_;
  }
  const ProbeFigures& p = report_->probe;
  s.connect_max_clients_total = p.connect_refusals.at("max_clients");
  s.connect_tcp_duration = p.connect_tcp_seconds;
  s.ping_p50 = report_->latency.window_p50;
  s.ping_tail = report_->latency.window_tail;
  s.ping_samples = report_->latency.window_samples;
  s.ping_timeouts_total = p.ping_timeouts;
  s.tcp_rtt = p.tcp_rtt_seconds;
  s.tcp_retransmits_total = p.tcp_retransmits_total;
  s.large_payload_p50 = report_->latency.large_payload_p50;
  s.large_payload_timeouts_total = p.large_payload_timeouts;
  s.local = local_;
  if (report_->listen_queue) {
    s.queue_length = report_->listen_queue->length;
    s.queue_max = report_->listen_queue->max;
    s.queue_peak = report_->listen_queue->peak;
  }
  if (local_ && kernel != nullptr) {
    s.swap_bytes = report_->swap_bytes;
    s.thp_mode = kernel->thp_mode;
  }
  if (kernel != nullptr) s.other_full_ports = kernel->other_full_ports;
  if (kernel != nullptr && kernel->counters.listen_overflows) {
    s.listen_overflows_total = static_cast<double>(*kernel->counters.listen_overflows);
  }
  return s;
}

}  // namespace rte
