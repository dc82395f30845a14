#include "sources/redis/target_poller.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "sources/kernel/local_address.h"
#include "sources/redis/secret.h"

namespace rte {
namespace {

constexpr const char* kClientName = "redis-timeout-exporter";
// A refused command is tried again after this long (ACLs and renames can change at runtime).
constexpr Nanos kRefusalRetryNanos = 600'000'000'000;
const char* const kConfigKeys[] = {"maxclients", "maxmemory", "maxmemory-policy",
                                   "slowlog-log-slower-than", "slowlog-max-len", "tcp-backlog"};
const char* const kInfoSections[] = {"server", "clients",      "memory",  "stats",
                                     "errorstats", "commandstats", "keyspace"};

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  return out + "\"";
}

}  // namespace

TargetPoller::TargetPoller(event_base* base, evdns_base* dns, const Clock& clock,
                           ReportStore& store, TargetConfig config)
    : base_(base),
      clock_(clock),
      store_(store),
      config_(std::move(config)),
      conn_(base, dns, clock),
      probe_(base, dns, clock, config_) {
  local_ = config_.local.value_or(config_.endpoint.kind == Endpoint::Kind::kUnix ||
                                  IsLocalAddress(config_.endpoint.host));
  tick_ = evtimer_new(base_, &TargetPoller::OnTick, this);
  report_.config = config_;
  for (const char* stage : kPollStages) report_.poll_errors[stage] = 0;
}

TargetPoller::~TargetPoller() { event_free(tick_); }

void TargetPoller::Start(Duration first_delay) {
  next_tick_ = clock_.MonotonicNanos() + first_delay.count();
  probe_.Start();
  Publish();
  ScheduleNextTick();
}

void TargetPoller::ScheduleNextTick() {
  const Nanos wait = std::max<Nanos>(0, next_tick_ - clock_.MonotonicNanos());
  timeval tv = NanosToTimeval(wait);
  evtimer_add(tick_, &tv);
}

void TargetPoller::OnTick(evutil_socket_t, short, void* self) {
  auto* poller = static_cast<TargetPoller*>(self);
  const Nanos now = poller->clock_.MonotonicNanos();
  const Nanos interval = poller->config_.poll_interval.count();
  // Keep the phase; if the loop fell behind, skip the missed ticks rather than bunch them.
  poller->next_tick_ += interval;
  if (poller->next_tick_ <= now) poller->next_tick_ = now + interval;
  poller->ScheduleNextTick();
  if (!poller->polling_) poller->BeginPoll();
}

void TargetPoller::BeginPoll() {
  polling_ = true;
  ++poll_id_;
  poll_started_ = clock_.MonotonicNanos();
  probe_.ProbeFreshConnect();
  if (conn_.connected()) {
    SendBatch();
    return;
  }
  if (poll_started_ < next_connect_) {
    // Backing off after a failure: report the target as down without another attempt.
    polling_ = false;
    report_.up = false;
    report_.signals.reset();
    report_.probe = probe_.Figures();
    AssessRiskNow(poll_started_);
    Publish();
    return;
  }
  const std::uint64_t poll_id = poll_id_;
  conn_.Connect(config_.endpoint, config_.connect_timeout,
                [this, poll_id](TransportError error, const std::string& detail) {
                  if (poll_id != poll_id_ || !polling_) return;
                  if (error != TransportError::kNone) {
                    FailPoll(error == TransportError::kTimeout ? "timeout" : "connect",
                             "connect: " + detail, false);
                    return;
                  }
                  needs_handshake_ = true;
                  SendBatch();
                });
}

bool TargetPoller::Wanted(OptionalCommand command) const {
  auto it = retry_refused_at_.find(command);
  return it == retry_refused_at_.end() || clock_.MonotonicNanos() >= it->second;
}

void TargetPoller::SendBatch() {
  const Nanos now = clock_.MonotonicNanos();
  batch_.clear();
  if (needs_handshake_) {
    if (!config_.password.empty()) {
      auto secret = ReadSecret(config_.password);
      if (!secret.ok()) {
        FailPoll("auth", secret.error(), true);
        return;
      }
      std::vector<std::string> argv = {"AUTH"};
      if (!config_.username.empty()) argv.push_back(config_.username);
      argv.push_back(std::move(secret.value()));
      batch_.push_back({Step::kAuth, "auth", std::move(argv)});
    }
    if (Wanted(OptionalCommand::kClient)) {
      batch_.push_back({Step::kSetName, "client_list", {"CLIENT", "SETNAME", kClientName}});
    }
  }
  if (multi_section_info_) {
    std::vector<std::string> argv = {"INFO"};
    argv.insert(argv.end(), std::begin(kInfoSections), std::end(kInfoSections));
    batch_.push_back({Step::kInfo, "info", std::move(argv)});
  } else {
    for (const char* section : kInfoSections) {
      batch_.push_back({Step::kInfo, "info", {"INFO", section}});
    }
  }
  if (Wanted(OptionalCommand::kSlowlog)) {
    batch_.push_back(
        {Step::kSlowlog, "slowlog", {"SLOWLOG", "GET", std::to_string(config_.slowlog_fetch)}});
  }
  if (Wanted(OptionalCommand::kConfig) && now >= next_config_) {
    for (const char* key : kConfigKeys) {
      batch_.push_back({Step::kConfigGet, "config", {"CONFIG", "GET", key}});
    }
  }
  if (!config_.pools.empty() && Wanted(OptionalCommand::kClient) && now >= next_client_list_) {
    batch_.push_back({Step::kClientList, "client_list", {"CLIENT", "LIST"}});
  }

  outcomes_.assign(batch_.size(), CommandOutcome{});
  outstanding_ = batch_.size();
  const Duration remaining(std::max<Nanos>(1'000'000, poll_started_ + config_.poll_timeout.count() - now));
  const std::uint64_t poll_id = poll_id_;
  for (size_t i = 0; i < batch_.size(); ++i) {
    conn_.Send(batch_[i].argv, remaining, [this, poll_id, i](CommandOutcome outcome) {
      OnReply(poll_id, i, std::move(outcome));
    });
    if (poll_id != poll_id_ || !polling_) return;  // the send failed and ended the poll
  }
}

void TargetPoller::OnReply(std::uint64_t poll_id, size_t index, CommandOutcome outcome) {
  if (poll_id != poll_id_ || !polling_) return;
  if (!outcome.ok()) {
    const BatchItem& item = batch_[index];
    FailPoll(outcome.error == TransportError::kTimeout ? "timeout" : item.stage,
             std::string(item.stage) + ": " + outcome.detail, true);
    return;
  }
  outcomes_[index] = std::move(outcome);
  if (--outstanding_ == 0) CompleteBatch();
}

void TargetPoller::Refused(OptionalCommand command, const Reply& error) {
  retry_refused_at_[command] = clock_.MonotonicNanos() + kRefusalRetryNanos;
  const bool was_supported = supported_.contains(command) ? supported_[command] : true;
  supported_[command] = false;
  // Values read before the refusal would go stale silently: drop them.
  if (command == OptionalCommand::kConfig) config_values_.reset();
  if (command == OptionalCommand::kClient) clients_.reset();
  if (was_supported) {
    const char* fallback = command == OptionalCommand::kConfig
                               ? "maxclients and maxmemory from INFO; slowlog threshold and "
                                 "tcp-backlog unknown"
                           : command == OptionalCommand::kSlowlog
                               ? "slowlog series absent"
                               : "pool series absent";
    spdlog::warn("event=command_refused target={} command={} error_kind={} fallback={}",
                 config_.name, OptionalCommandName(command),
                 ErrorKindName(ClassifyError(error.str)), Quote(fallback));
  }
}

bool TargetPoller::OptionalCommandFailed(OptionalCommand command, const char* stage,
                                         const Reply& reply) {
  if (!reply.is_error()) return false;
  if (IsRefusal(ClassifyError(reply.str))) {
    Refused(command, reply);
  } else {
    ++report_.poll_errors[stage];
  }
  return true;
}

void TargetPoller::CompleteBatch() {
  const Nanos now = clock_.MonotonicNanos();
  RedisSnapshot snap;
  snap.taken_at_mono = now;
  snap.taken_at_wall = clock_.WallSeconds();
  bool info_ok = false;
  bool has_errorstats = false;
  std::optional<std::vector<SlowlogEntry>> slowlog;
  bool config_replied = false;
  std::map<std::string, std::string> config_update;
  bool config_complete = true;

  for (size_t i = 0; i < batch_.size(); ++i) {
    const BatchItem& item = batch_[i];
    const Reply& reply = outcomes_[i].reply;
    const ErrorKind kind = reply.is_error() ? ClassifyError(reply.str) : ErrorKind::kOther;
    if (reply.is_error() && (kind == ErrorKind::kNoAuth || kind == ErrorKind::kWrongPass)) {
      FailPoll("auth",
               kind == ErrorKind::kNoAuth
                   ? "the server requires a password: set password_file or password_env"
                   : "the server refused the username/password (WRONGPASS)",
               true);
      return;
    }
    switch (item.step) {
      case Step::kAuth:
        if (reply.is_error()) {
          FailPoll("auth", std::string("AUTH failed: ") + ErrorKindName(kind), true);
          return;
        }
        break;
      case Step::kSetName:
        if (!reply.is_error()) {
          supported_[OptionalCommand::kClient] = true;
        } else if (IsRefusal(kind)) {
          Refused(OptionalCommand::kClient, reply);
        }
        break;
      case Step::kInfo:
        if (reply.is_error()) {
          if (multi_section_info_ && kind == ErrorKind::kOther) {
            // Before 7.0, INFO takes one section: ask for each section separately from now on.
            multi_section_info_ = false;
            spdlog::info("event=info_single_section target={} reason={}", config_.name,
                         Quote("server does not accept several INFO sections in one call"));
          }
          FailPoll("info", "INFO: " + reply.str, false);
          return;
        }
        // The section header tells "no errors yet" apart from a server without errorstats (<6.2).
        has_errorstats |= reply.str.find("# Errorstats") != std::string::npos;
        for (auto& [k, v] : ParseInfo(reply.str).fields) snap.info.fields.insert_or_assign(k, v);
        info_ok = true;
        break;
      case Step::kSlowlog:
        if (!OptionalCommandFailed(OptionalCommand::kSlowlog, item.stage, reply)) {
          supported_[OptionalCommand::kSlowlog] = true;
          slowlog = ParseSlowlog(reply);
        }
        break;
      case Step::kConfigGet:
        config_replied = true;
        if (OptionalCommandFailed(OptionalCommand::kConfig, item.stage, reply)) {
          config_complete = false;
        } else {
          for (auto& [k, v] : ParseConfigGet(reply)) config_update[k] = v;
        }
        break;
      case Step::kClientList:
        if (!OptionalCommandFailed(OptionalCommand::kClient, item.stage, reply)) {
          supported_[OptionalCommand::kClient] = true;
          clients_ = ParseClientList(reply.str);
          next_client_list_ = now + config_.client_list_interval.count();
        }
        break;
    }
  }
  if (!info_ok) {
    FailPoll("info", "INFO returned nothing", false);
    return;
  }
  needs_handshake_ = false;
  if (config_replied) {
    if (config_complete) {
      supported_[OptionalCommand::kConfig] = true;
      config_values_ = std::move(config_update);
    }
    next_config_ = now + config_.config_interval.count();
  }
  snap.commandstats = ParseCommandStats(snap.info);
  if (has_errorstats) snap.errorstats = ParseErrorStats(snap.info);
  snap.slowlog = slowlog;
  snap.config = config_values_;
  if (!config_.pools.empty()) snap.clients = clients_;
  snap.supported = supported_;

  if (slowlog) {
    report_.recent_slowlog.assign(slowlog->begin(),
                                  slowlog->begin() + static_cast<long>(std::min<size_t>(5, slowlog->size())));
    const SlowlogAdvance advance = cursor_.Advance(snap.info.Text("run_id").value_or(""), *slowlog);
    for (const auto& e : advance.fresh) {
      slowlog_longest_new_ = std::max(slowlog_longest_new_, static_cast<double>(e.duration_us) / 1e6);
    }
    if (!slowlog_totals_) slowlog_totals_.emplace();
    slowlog_totals_->Add(advance);
    if (advance.lost > 0) {
      spdlog::info("event=slowlog_entries_lost target={} lost={} hint={}", config_.name,
                   advance.lost, Quote("raise slowlog-max-len or slowlog_fetch"));
    }
  }
  report_.signals = DeriveSignals(snap, config_);
  double usec = 0;
  for (const auto& [name, stat] : snap.commandstats) usec += stat.usec;
  commands_usec_total_ = usec;
  FinishPoll(true);
}

void TargetPoller::FailPoll(const std::string& stage, const std::string& detail,
                            bool close_connection) {
  ++report_.poll_errors[stage];
  const Nanos now = clock_.MonotonicNanos();
  const auto decision = log_limiter_.Occurred("poll_failed:" + stage, now);
  if (decision.log) {
    spdlog::warn("event=poll_failed target={} address={} stage={} error={} repeats_suppressed={}",
                 config_.name, config_.endpoint.ToString(), stage, Quote(detail),
                 decision.suppressed);
  }
  if (close_connection || !conn_.connected()) {
    const Duration interval = config_.poll_interval;
    const Duration cap = std::min<Duration>(std::chrono::seconds(30), 10 * interval);
    backoff_ = backoff_.count() == 0 ? interval : std::min(cap, backoff_ * 2);
    next_connect_ = now + backoff_.count();
    needs_handshake_ = true;
  }
  // Mark the poll over before closing: Close() runs the pending callbacks of this poll.
  last_poll_timed_out_ = stage == "timeout";
  FinishPoll(false);
  if (close_connection) conn_.Close(TransportError::kClosed, "poll failed");
}

void TargetPoller::FinishPoll(bool success) {
  polling_ = false;
  const Nanos now = clock_.MonotonicNanos();
  report_.poll_duration_seconds = static_cast<double>(now - poll_started_) / 1e9;
  report_.up = success;
  if (success) {
    report_.last_success_wall = clock_.WallSeconds();
    backoff_ = Duration(0);
    next_connect_ = 0;
    bool was_failing = false;
    for (const char* stage : kPollStages) {
      was_failing |= log_limiter_.Cleared(std::string("poll_failed:") + stage);
    }
    if (was_failing) {
      spdlog::info("event=target_recovered target={} address={}", config_.name,
                   config_.endpoint.ToString());
    }
  } else {
    report_.signals.reset();
  }
  report_.supported = supported_;
  report_.slowlog = slowlog_totals_;
  report_.probe = probe_.Figures();
  if (success) last_poll_timed_out_ = false;
  AssessRiskNow(now);
  Publish();
}

RiskSample TargetPoller::MakeRiskSample(Nanos now) const {
  RiskSample s;
  s.at = now;
  s.up = report_.up;
  s.poll_timed_out = last_poll_timed_out_;
  if (report_.up && report_.signals) {
    const RedisSignals& sig = *report_.signals;
    s.connected_clients = sig.connected_clients;
    s.maxclients = sig.maxclients;
    s.rejected_connections_total = sig.rejected_connections_total;
    s.connections_received_total = sig.connections_received_total;
    for (const auto& pool : config_.pools) {
      auto it = sig.pool_connections.find(pool.name);
      if (it != sig.pool_connections.end()) s.pools[pool.name] = {it->second, pool.size};
    }
    s.used_memory = sig.memory_used_bytes;
    s.maxmemory = sig.maxmemory_bytes;
    s.system_memory = sig.system_memory_bytes;
    s.oom_errors_total = sig.oom_errors_total;
    s.evicted_keys_total = sig.evicted_keys_total;
    s.keys_with_expiry = sig.keys_with_expiry;
    s.policy = sig.maxmemory_policy;
    s.tcp_backlog = sig.tcp_backlog;
    s.commands_usec_total = commands_usec_total_;
  }
  if (slowlog_totals_) {
    s.slowlog_seconds_total = slowlog_totals_->durations.sum();
    s.slowlog_seconds_by_command = slowlog_totals_->seconds_by_command;
    s.slowlog_longest_new = slowlog_longest_new_;
  }
  const ProbeFigures& p = report_.probe;
  s.connect_max_clients_total = p.connect_refusals.at("max_clients");
  s.connect_timeouts_total = p.connect_refusals.at("timeout");
  s.connect_duration = p.connect_duration_seconds;
  s.connect_tcp_duration = p.connect_tcp_seconds;
  s.ping_p50 = p.window_p50;
  s.ping_p99 = p.window_p99;
  s.ping_max = p.window_max;
  s.ping_failures_total = p.ping_failures;
  s.ping_timeouts_total = p.ping_timeouts;
  s.tcp_rtt = p.tcp_rtt_seconds;
  s.local = local_;
  if (report_.listen_queue) {
    s.queue_length = report_.listen_queue->length;
    s.queue_max = report_.listen_queue->max;
  }
  if (kernel_) {
    if (kernel_->listen_overflows) s.listen_overflows_total = static_cast<double>(*kernel_->listen_overflows);
    if (kernel_->somaxconn) s.somaxconn = static_cast<double>(*kernel_->somaxconn);
  }
  return s;
}

void TargetPoller::AssessRiskNow(Nanos now) {
  risk_window_.push_back(MakeRiskSample(now));
  slowlog_longest_new_ = 0;
  const Nanos horizon = now - config_.thresholds.risk_window.count();
  // Contiguous, so AssessRisk reads it in place instead of a per-poll copy of every sample.
  auto first_kept = risk_window_.begin();
  while (risk_window_.end() - first_kept > 1 && first_kept->at < horizon) ++first_kept;
  risk_window_.erase(risk_window_.begin(), first_kept);
  report_.risk = AssessRisk(risk_window_, config_);
}

void TargetPoller::Publish() { store_.Publish(std::make_shared<const TargetReport>(report_)); }

}  // namespace rte
