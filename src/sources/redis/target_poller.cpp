#include "sources/redis/target_poller.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "sources/redis/client_list_cadence.h"

namespace rte {
namespace {

// A refused command is tried again after this long (ACLs and renames can change at runtime).
constexpr Nanos kRefusalRetryNanos = 600'000'000'000;
// Longest wait between connect attempts to a failing target, and the most poll intervals.
constexpr Duration kMaxBackoff = std::chrono::seconds(30);
constexpr int kMaxBackoffPolls = 10;
const char* const kConfigKeys[] = {
    "maxclients",      "maxmemory",   "maxmemory-policy",         "slowlog-log-slower-than",
    "slowlog-max-len", "tcp-backlog", "latency-monitor-threshold"};
const char* const kInfoSections[] = {"server",       "clients",  "memory",
                                     "persistence",  "stats",    "errorstats",
                                     "commandstats", "keyspace", "replication"};

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
                           const SecretCache& secrets, TargetConfig config,
                           ResultCallback on_result, TlsContextLoader* tls_loader)
    : base_(base),
      clock_(clock),
      secrets_(secrets),
      config_(std::move(config)),
      on_result_(std::move(on_result)),
      conn_(base, dns, clock, tls_loader, config_.max_reply_bytes),
      probe_(base, dns, clock, secrets, config_, tls_loader) {
  tick_ = evtimer_new(base_, &TargetPoller::OnTick, this);
  if (config_.endpoint.tls && config_.tls.insecure_skip_verify) {
    spdlog::warn(
        "event=tls_insecure_skip_verify target={} address={} reason={}", config_.name,
        config_.endpoint.ToString(),
        Quote("the server's certificate is not verified: anyone on the path can impersonate it"));
  }
}

TargetPoller::~TargetPoller() { event_free(tick_); }

void TargetPoller::Start(Duration first_delay) {
  next_tick_ = clock_.MonotonicNanos() + first_delay.count();
  probe_.Start();
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
  result_ = PollResult{};
  probe_.ProbeFreshConnect();
  if (conn_.connected()) {
    SendBatch();
    return;
  }
  if (poll_started_ < next_connect_) {
    // Backing off after a failure: report the target as down, for the same reason as the
    // failed attempt, without another one.
    polling_ = false;
    result_.at_mono = poll_started_;
    result_.at_wall = clock_.WallSeconds();
    result_.error = last_error_;
    result_.repeated_error = true;
    result_.supported = supported_;
    result_.probe = probe_.TakeFigures();
    on_result_(std::move(result_));
    return;
  }
  const std::uint64_t poll_id = poll_id_;
  conn_.Connect(config_.endpoint, config_.tls, config_.connect_timeout,
                [this, poll_id](TransportError error, const std::string& detail) {
                  if (poll_id != poll_id_ || !polling_) return;
                  if (error != TransportError::kNone) {
                    FailPoll(DescribeConnectFailure(error, detail, config_.endpoint.ToString(),
                                                    config_.connect_timeout),
                             false);
                    return;
                  }
                  needs_handshake_ = true;
                  connection_answered_ = false;
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
      auto auth = AuthCommand(config_, secrets_);
      if (!auth.ok()) {
        FailPoll({PollStage::kAuth, "password source missing: " + auth.error()}, true);
        return;
      }
      batch_.push_back({BatchStep::kAuth, std::move(auth.value())});
    }
    if (Wanted(OptionalCommand::kClient)) {
      batch_.push_back(
          {BatchStep::kSetName, {"CLIENT", "SETNAME", std::string(kExporterClientName)}});
    }
  }
  if (multi_section_info_) {
    std::vector<std::string> argv = {"INFO"};
    argv.insert(argv.end(), std::begin(kInfoSections), std::end(kInfoSections));
    batch_.push_back({BatchStep::kInfo, std::move(argv)});
  } else {
    for (const char* section : kInfoSections) {
      batch_.push_back({BatchStep::kInfo, {"INFO", section}});
    }
  }
  if (Wanted(OptionalCommand::kSlowlog)) {
    batch_.push_back(
        {BatchStep::kSlowlog, {"SLOWLOG", "GET", std::to_string(config_.slowlog_fetch)}});
  }
  if (Wanted(OptionalCommand::kLatency)) {
    batch_.push_back({BatchStep::kLatencyLatest, {"LATENCY", "LATEST"}});
  }
  if (Wanted(OptionalCommand::kConfig) && now >= next_config_) {
    for (const char* key : kConfigKeys) {
      batch_.push_back({BatchStep::kConfigGet, {"CONFIG", "GET", key}});
    }
  }
  if (!config_.pools.empty() && Wanted(OptionalCommand::kClient) && now >= next_client_list_) {
    batch_.push_back({BatchStep::kClientList, {"CLIENT", "LIST"}});
  }

  replies_.assign(batch_.size(), Reply{});
  outstanding_ = batch_.size();
  const Duration remaining(
      std::max<Nanos>(1'000'000, poll_started_ + config_.poll_timeout.count() - now));
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
    // Replies come in order: batch_[index] is the command whose reply was awaited (or being
    // decoded) when the connection failed.
    result_.timed_out = outcome.error == TransportError::kTimeout;
    FailPoll(DescribeReplyFailure(outcome.error, outcome.detail, batch_[index].step,
                                  config_.poll_timeout, !connection_answered_),
             true);
    return;
  }
  connection_answered_ = true;
  if (auto fatal = FatalReply(batch_[index].step, outcome.reply)) {
    // At maxclients the connection closes after this reply: the error is the reason, not the
    // commands left without a reply.
    FailPoll(std::move(*fatal), true);
    return;
  }
  replies_[index] = std::move(outcome.reply);
  if (--outstanding_ == 0) CompleteBatch();
}

void TargetPoller::Refused(OptionalCommand command, const std::string& error_text) {
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
                               ? "slowlog series absent; blocking judged from commandstats"
                           : command == OptionalCommand::kLatency
                               ? "latency_event series absent; blocking judged from commandstats"
                               : "pool series absent";
    spdlog::warn("event=command_refused target={} command={} error_kind={} fallback={}",
                 config_.name, OptionalCommandName(command),
                 ErrorKindName(ClassifyError(error_text)), Quote(fallback));
  }
}

void TargetPoller::CompleteBatch() {
  const Nanos now = clock_.MonotonicNanos();
  BatchInterpretation got = InterpretBatch(batch_, replies_, multi_section_info_);
  if (got.info_single_section && multi_section_info_) {
    // Before 7.0, INFO takes one section: ask for each section separately from now on.
    multi_section_info_ = false;
    spdlog::info("event=info_single_section target={} reason={}", config_.name,
                 Quote("server does not accept several INFO sections in one call"));
  }
  result_.refusal = got.refusal;
  if (got.error) {
    const bool close = got.error->stage == PollStage::kAuth ||
                       got.error->stage == PollStage::kConnect ||
                       got.error->stage == PollStage::kProtocol;
    FailPoll(std::move(*got.error), close);
    return;
  }
  needs_handshake_ = false;
  // A refusal wins over another command of the same family that worked (CLIENT SETNAME
  // allowed, CLIENT LIST denied).
  for (const auto& [command, ok] : got.answered) supported_[command] = ok;
  for (const auto& [command, text] : got.refusals) Refused(command, text);
  if (got.config_replied) {
    if (got.config) config_values_ = std::move(got.config);
    next_config_ = now + config_.config_interval.count();
  }
  if (got.clients) {
    const Duration wait =
        ClientListWait(got.clients->size(), config_.poll_interval, config_.client_list_interval);
    // Half a poll of slack: the poll that is due then sends it even if it starts a bit early.
    next_client_list_ = poll_started_ + wait.count() - config_.poll_interval.count() / 2;
    const bool backed_off = wait.count() > 0;
    if (backed_off != client_list_backed_off_) {
      client_list_backed_off_ = backed_off;
      spdlog::info("event=client_list_cadence target={} clients={} every={}", config_.name,
                   got.clients->size(), backed_off ? FormatDuration(wait) : std::string("poll"));
    }
    clients_ = std::move(got.clients);
  }
  RedisSnapshot snap = std::move(*got.snapshot);
  snap.taken_at_mono = now;
  snap.taken_at_wall = clock_.WallSeconds();
  snap.config = config_values_;
  if (!config_.pools.empty()) snap.clients = clients_;
  result_.command_errors = std::move(got.command_errors);
  FinishPoll(std::move(snap));
}

void TargetPoller::FailPoll(PollError error, bool close_connection) {
  const Nanos now = clock_.MonotonicNanos();
  const std::string key = std::string("poll_failed:") + PollStageName(error.stage);
  const auto decision = log_limiter_.Occurred(key, now);
  if (decision.log) {
    spdlog::warn("event=poll_failed target={} address={} stage={} error={} repeats_suppressed={}",
                 config_.name, config_.endpoint.ToString(), PollStageName(error.stage),
                 Quote(error.message), decision.suppressed);
  }
  if (close_connection || !conn_.connected()) {
    const Duration interval = config_.poll_interval;
    const Duration cap = std::min<Duration>(kMaxBackoff, kMaxBackoffPolls * interval);
    backoff_ = backoff_.count() == 0 ? interval : std::min(cap, backoff_ * 2);
    next_connect_ = now + backoff_.count();
    needs_handshake_ = true;
  }
  last_error_ = error;
  result_.error = std::move(error);
  // Hand the poll over before closing: Close() runs the pending callbacks of this poll, which
  // must find it finished.
  FinishPoll(std::nullopt);
  if (close_connection) conn_.Close(TransportError::kClosed, "poll failed");
}

void TargetPoller::FinishPoll(std::optional<RedisSnapshot> snapshot) {
  polling_ = false;
  const Nanos now = clock_.MonotonicNanos();
  result_.at_mono = now;
  result_.at_wall = clock_.WallSeconds();
  result_.duration_seconds = static_cast<double>(now - poll_started_) / 1e9;
  if (snapshot) {
    backoff_ = Duration(0);
    next_connect_ = 0;
    last_error_.reset();
    bool was_failing = false;
    for (PollStage stage : kPollStages) {
      was_failing |= log_limiter_.Cleared(std::string("poll_failed:") + PollStageName(stage));
    }
    if (was_failing) {
      spdlog::info("event=target_recovered target={} address={}", config_.name,
                   config_.endpoint.ToString());
    }
  }
  result_.redis = std::move(snapshot);
  result_.supported = supported_;
  result_.probe = probe_.TakeFigures();
  on_result_(std::move(result_));
  // The replies (INFO is kilobytes) are read: do not hold them until the next poll, times
  // every target.
  std::vector<Reply>().swap(replies_);
}

}  // namespace rte
