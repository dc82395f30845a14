#include "sources/redis/latency_probe.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <functional>
#include <string>

#include "parse/redis_text.h"
#include "sources/redis/poll_batch.h"

namespace rte {

LatencyProbe::LatencyProbe(event_base* base, evdns_base* dns, const Clock& clock,
                           const SecretCache& secrets, const TargetConfig& config,
                           TlsContextLoader* tls_loader)
    : clock_(clock),
      secrets_(secrets),
      config_(config),
      conn_(base, dns, clock, tls_loader, config.max_reply_bytes),
      fresh_(base, dns, clock, tls_loader, config.max_reply_bytes) {
  tick_ = evtimer_new(base, &LatencyProbe::OnTick, this);
}

LatencyProbe::~LatencyProbe() { event_free(tick_); }

void LatencyProbe::Start() {
  const Nanos interval = config_.probe_interval.count();
  const Nanos slot = std::max<Nanos>(1, interval / static_cast<Nanos>(kProbeSlots));
  const std::size_t h = std::hash<std::string>{}(config_.name);
  // The start of the next interval on the clock's grid, plus the target's slot.
  next_tick_ = (clock_.MonotonicNanos() / interval + 1) * interval +
               static_cast<Nanos>(h % kProbeSlots) * slot;
  ticks_ = (h / kProbeSlots) % kLargePayloadEvery;
  ScheduleNextTick();
}

void LatencyProbe::ScheduleNextTick() {
  const Nanos wait = std::max<Nanos>(0, next_tick_ - clock_.MonotonicNanos());
  timeval tv = NanosToTimeval(wait);
  evtimer_add(tick_, &tv);
}

void LatencyProbe::OnTick(evutil_socket_t, short, void* self) {
  auto* probe = static_cast<LatencyProbe*>(self);
  const Nanos now = probe->clock_.MonotonicNanos();
  const Nanos interval = probe->config_.probe_interval.count();
  // Keep the slot; if the loop fell behind, skip the missed ticks rather than bunch them.
  probe->next_tick_ += interval;
  if (probe->next_tick_ <= now) {
    probe->next_tick_ += ((now - probe->next_tick_) / interval + 1) * interval;
  }
  probe->ScheduleNextTick();
  probe->Ping();
}

void LatencyProbe::Ping() {
  if (in_flight_) return;  // the previous step has not come back and not timed out yet
  if (conn_.idle()) {
    if (clock_.MonotonicNanos() < next_connect_) return;
    in_flight_ = true;
    handshaken_ = false;
    const std::uint64_t seq = ++seq_;
    conn_.Connect(config_.endpoint, config_.tls, config_.client_timeout,
                  [this, seq](TransportError error, const std::string&) {
                    if (seq != seq_) return;
                    if (error != TransportError::kNone) {
                      FailConnection(error == TransportError::kTimeout);
                      return;
                    }
                    ++connections_;
                    RecordTls(conn_.timings(), false);
                    Handshake(seq);
                  });
    return;
  }
  if (!conn_.connected() || !handshaken_) return;  // still connecting
  in_flight_ = true;
  const std::uint64_t seq = ++seq_;
  large_in_flight_ = ++ticks_ % kLargePayloadEvery == 0;
  sent_at_ = clock_.MonotonicNanos();
  static const std::string kPayload(kLargePayloadBytes, 'x');
  // A reply slower than the application's own timeout is a failure the application would see.
  conn_.Send(large_in_flight_ ? std::vector<std::string>{"ECHO", kPayload}
                              : std::vector<std::string>{"PING"},
             config_.client_timeout,
             [this, seq](CommandOutcome outcome) { OnPong(seq, std::move(outcome)); });
}

void LatencyProbe::Handshake(std::uint64_t seq) {
  if (!config_.password.empty()) {
    auto auth = AuthCommand(config_, secrets_);
    if (!auth.ok()) {
      // The poller reports the missing source as the target's unreachable reason.
      conn_.Close(TransportError::kClosed, "password source missing");
      FailConnection(false);
      return;
    }
    conn_.Send(auth.value(), config_.client_timeout,
               [this, seq](CommandOutcome o) { OnHandshakeReply(seq, false, std::move(o)); });
  }
  conn_.Send({"CLIENT", "SETNAME", "redis-timeout-exporter-probe"}, config_.client_timeout,
             [this, seq](CommandOutcome o) { OnHandshakeReply(seq, true, std::move(o)); });
}

void LatencyProbe::OnHandshakeReply(std::uint64_t seq, bool last, CommandOutcome outcome) {
  if (seq != seq_ || !in_flight_) return;
  if (!outcome.ok()) {
    // Closed or timed out: Close() fails the rest of the handshake, which then finds
    // in_flight_ false.
    FailConnection(outcome.error == TransportError::kTimeout);
    return;
  }
  if (outcome.reply.is_error()) {
    const ErrorKind kind = ClassifyError(outcome.reply.str);
    // At maxclients Redis answers the first command with this error and closes: a pool
    // signal, not a network one. A refused AUTH makes every PING an error: no round trip.
    if (kind == ErrorKind::kMaxClients || kind == ErrorKind::kNoAuth ||
        kind == ErrorKind::kWrongPass || !last) {
      FailConnection(false);
      conn_.Close(TransportError::kClosed, "probe handshake refused");
      return;
    }
    // CLIENT SETNAME refused (renamed, ACL): naming is a courtesy, PINGs still work.
  }
  if (!last) return;
  in_flight_ = false;
  handshaken_ = true;
  Ping();
}

void LatencyProbe::FailConnection(bool timed_out) {
  if (!in_flight_) return;
  in_flight_ = false;
  handshaken_ = false;
  figures_.ping_failures += 1;
  if (timed_out) figures_.ping_timeouts += 1;
  BackOff();
}

void LatencyProbe::OnPong(std::uint64_t seq, CommandOutcome outcome) {
  if (seq != seq_) return;
  in_flight_ = false;
  const Nanos now = clock_.MonotonicNanos();
  const Nanos rtt = now - sent_at_;
  if (large_in_flight_) {
    // The large-payload ECHO has figures of its own; PING figures stay about small requests.
    if (!outcome.ok()) {
      handshaken_ = false;
      if (outcome.error == TransportError::kTimeout) figures_.large_payload_timeouts += 1;
    } else if (!outcome.reply.is_error()) {
      Record(figures_.large_rtts, {now, rtt, false});
    }
    return;
  }
  if (!outcome.ok()) {
    // The connection is closed by now (timeout or reset); the next tick reconnects.
    handshaken_ = false;
    figures_.ping_failures += 1;
    if (outcome.error == TransportError::kTimeout) {
      figures_.ping_timeouts += 1;
      // Record the time waited, so the window's max shows the stall the clients saw.
      Record(figures_.rtts, {now, rtt, true});
    }
    return;
  }
  if (outcome.reply.is_error()) {
    // An error reply (NOAUTH, LOADING, BUSY, max clients) is not a round trip of a working
    // server: a failure, and at maxclients the connection goes.
    figures_.ping_failures += 1;
    const ErrorKind kind = ClassifyError(outcome.reply.str);
    figures_.ping_refusal = RefusalOf(kind);
    if (kind == ErrorKind::kMaxClients) {
      handshaken_ = false;
      conn_.Close(TransportError::kClosed, "max number of clients reached");
      BackOff();
    }
    return;
  }
  connect_backoff_ = 0;
  figures_.ping_refusal = ServerRefusal::kNone;
  Record(figures_.rtts, {now, rtt, false});
  ReadTcpRtt();
}

void LatencyProbe::BackOff() {
  connect_backoff_ = std::clamp<Nanos>(2 * connect_backoff_, 1'000'000'000, 16'000'000'000);
  next_connect_ = clock_.MonotonicNanos() + connect_backoff_;
}

void LatencyProbe::ReadTcpRtt() {
  if (config_.endpoint.kind != Endpoint::Kind::kTcp) return;
  tcp_info info{};
  socklen_t len = sizeof(info);
  if (getsockopt(conn_.fd(), IPPROTO_TCP, TCP_INFO, &info, &len) == 0) {
    tcp_quality_.Observe(
        {info.tcpi_rtt, info.tcpi_total_retrans, info.tcpi_pmtu, info.tcpi_snd_mss}, connections_,
        figures_);
  }
}

void LatencyProbe::ProbeFreshConnect() {
  if (fresh_running_) return;
  fresh_running_ = true;
  fresh_started_ = clock_.MonotonicNanos();
  fresh_.Connect(
      config_.endpoint, config_.tls, config_.client_timeout,
      [this](TransportError error, const std::string& detail) {
        if (!fresh_running_) return;
        if (error == TransportError::kFdExhausted) {
          // Our own shortage of descriptors: no figure of the target's, and no refusal.
          EndConnectProbe();
          return;
        }
        if (error != TransportError::kNone) {
          if (error == TransportError::kTimeout) {
            figures_.connect_tcp_seconds =
                static_cast<double>(clock_.MonotonicNanos() - fresh_started_) / 1e9;
          }
          const bool max_clients = detail.find("max number of clients") != std::string::npos;
          FinishConnectProbe(max_clients                         ? "max_clients"
                             : error == TransportError::kTimeout ? "timeout"
                             : error == TransportError::kTls     ? "tls"
                                                                 : "refused");
          return;
        }
        const Nanos now = clock_.MonotonicNanos();
        // A SYN dropped by a full accept queue shows here as a 1 s (then 3 s) step. The TLS
        // handshake is reported apart: a handshake storm after a failover is its own cause.
        figures_.connect_tcp_seconds = static_cast<double>(fresh_.timings().tcp) / 1e9;
        RecordTls(fresh_.timings(), true);
        const Nanos left = fresh_started_ + config_.client_timeout.count() - now;
        const Duration budget(std::max<Nanos>(left, 1'000'000));
        // AUTH first when the target has a password, so the write-pause probe is not refused
        // with NOAUTH; pipelined with the PING, it adds server time, not a round trip.
        if (!config_.password.empty()) {
          if (auto auth = AuthCommand(config_, secrets_); auth.ok()) {
            fresh_.Send(auth.value(), budget, [](CommandOutcome) {});
          }
        }
        fresh_.Send({"PING"}, budget, [this](CommandOutcome outcome) {
          if (!fresh_running_) return;
          if (!outcome.ok()) {
            const bool max_clients =
                outcome.detail.find("max number of clients") != std::string::npos;
            FinishConnectProbe(max_clients                                 ? "max_clients"
                               : outcome.error == TransportError::kTimeout ? "timeout"
                               : outcome.error == TransportError::kTls     ? "tls"
                                                                           : "closed");
            return;
          }
          // Redis greets a connection over maxclients with this error.
          const bool refused = outcome.reply.is_error() &&
                               ClassifyError(outcome.reply.str) == ErrorKind::kMaxClients;
          RecordConnectFigures(refused ? "max_clients" : nullptr);
          if (refused || outcome.reply.is_error() || !write_probe_) {
            figures_.writes_held.reset();
            EndConnectProbe();
            return;
          }
          fresh_write_pending_ = true;
        });
        if (!write_probe_) return;
        // Pipelined behind the PING: CLIENT PAUSE WRITE (and ALL) holds a PUBLISH until the
        // pause ends; a channel nobody subscribes to makes it change nothing.
        fresh_.Send({"PUBLISH", kWriteProbeChannel, ""}, budget, [this](CommandOutcome outcome) {
          if (!fresh_running_) return;
          if (!fresh_write_pending_) {
            // The PING already ended the probe (an error reply) or failed with the connection.
            return;
          }
          fresh_write_pending_ = false;
          if (!outcome.ok()) {
            figures_.writes_held = outcome.error == TransportError::kTimeout;
            if (!*figures_.writes_held) figures_.writes_held.reset();
          } else if (outcome.reply.is_error()) {
            figures_.writes_held.reset();
            if (IsRefusal(ClassifyError(outcome.reply.str))) {
              // ACL without the channel or the command: no pause detection on this target.
              write_probe_ = false;
            }
          } else {
            figures_.writes_held = false;
          }
          EndConnectProbe();
        });
      });
}

void LatencyProbe::FinishConnectProbe(const char* refusal) {
  figures_.writes_held.reset();
  RecordConnectFigures(refusal);
  EndConnectProbe();
}

void LatencyProbe::RecordConnectFigures(const char* refusal) {
  figures_.connect_duration_seconds =
      static_cast<double>(clock_.MonotonicNanos() - fresh_started_) / 1e9;
  if (refusal != nullptr) figures_.connect_refusals[refusal] += 1;
}

void LatencyProbe::EndConnectProbe() {
  fresh_running_ = false;
  fresh_write_pending_ = false;
  fresh_.Close(TransportError::kClosed, "probe done");
}

void LatencyProbe::RecordTls(const ConnectTimings& timings, bool fresh) {
  if (fresh && timings.tls_handshake) {
    figures_.tls_handshake_seconds = static_cast<double>(*timings.tls_handshake) / 1e9;
  }
  if (timings.certificate_not_after) {
    figures_.tls_certificate_expiry_seconds = timings.certificate_not_after;
  }
}

void LatencyProbe::Record(std::vector<RttSample>& into, const RttSample& sample) {
  // Taken every poll; the bound only matters if the poller stopped taking them.
  if (into.size() >= kMaxPendingRtts) into.erase(into.begin());
  into.push_back(sample);
}

ProbeFigures LatencyProbe::TakeFigures() {
  ProbeFigures out = figures_;
  figures_.rtts.clear();
  figures_.large_rtts.clear();
  return out;
}

}  // namespace rte
