#include "sources/redis/resp_connection.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "common/fd_exhaustion.h"
#include "platform/optional_libraries.h"
#include "sources/redis/tls_context_loader.h"

namespace rte {

const char* TransportErrorName(TransportError e) {
  switch (e) {
    case TransportError::kNone:
      return "none";
    case TransportError::kTimeout:
      return "timeout";
    case TransportError::kClosed:
      return "closed";
    case TransportError::kConnectFailed:
      return "connect_failed";
    case TransportError::kRefused:
      return "refused";
    case TransportError::kDnsFailed:
      return "dns_failed";
    case TransportError::kProtocol:
      return "protocol";
    case TransportError::kTls:
      return "tls";
    case TransportError::kFdExhausted:
      return "fd_exhausted";
  }
  return "unknown";
}

namespace {

// A failed connect by its errno: refused by the peer, or no descriptor left here (counted, as
// it is the exporter's failure, not the target's).
TransportError ConnectErrorOf(int socket_err) {
  if (socket_err == ECONNREFUSED) return TransportError::kRefused;
  if (IsFdExhaustion(socket_err)) {
    ConnectFdExhaustions().fetch_add(1, std::memory_order_relaxed);
    return TransportError::kFdExhausted;
  }
  return TransportError::kConnectFailed;
}

}  // namespace

RespConnection::RespConnection(event_base* base, evdns_base* dns, const Clock& clock,
                               TlsContextLoader* tls_loader, size_t max_reply_bytes)
    : base_(base),
      dns_(dns),
      clock_(clock),
      tls_loader_(tls_loader),
      max_reply_bytes_(max_reply_bytes) {
  timer_ = evtimer_new(base_, &RespConnection::OnTimer, this);
}

RespConnection::~RespConnection() {
  if (tls_ticket_ != 0 && tls_loader_ != nullptr) tls_loader_->Cancel(tls_ticket_);
  if (bev_ != nullptr) bufferevent_free(bev_);
  event_free(timer_);
  delete decoder_;
}

void RespConnection::Connect(const Endpoint& endpoint, const TlsConfig& tls, Duration timeout,
                             ConnectCallback done) {
  Close(TransportError::kClosed, "reconnecting");
  state_ = State::kConnecting;
  connect_done_ = std::move(done);
  connect_deadline_ = clock_.MonotonicNanos() + timeout.count();
  timings_ = ConnectTimings{};
  delete decoder_;  // made at the first byte read (HandleRead)
  decoder_ = nullptr;
  ArmTimer();
  if (!endpoint.tls) {
    ConnectSocket(endpoint);
    return;
  }
  if (tls_loader_ == nullptr) {
    Close(TransportError::kTls, "no TLS context loader on this connection");
    return;
  }
  tls_ = tls;
  tls_host_ = endpoint.host;
  const std::uint64_t generation = generation_;
  tls_ticket_ = tls_loader_->Load(tls, [this, generation, endpoint](Result<SslCtxPtr> context) {
    tls_ticket_ = 0;
    if (generation != generation_) return;
    if (!context.ok()) {
      Close(TransportError::kTls, context.error());
      return;
    }
    tls_context_ = std::move(context.value());
    ConnectSocket(endpoint);
  });
}

void RespConnection::ConnectSocket(const Endpoint& endpoint) {
  socket_connect_started_ = clock_.MonotonicNanos();
  bev_ = bufferevent_socket_new(base_, -1, BEV_OPT_CLOSE_ON_FREE);
  bufferevent_setcb(bev_, &RespConnection::OnRead, nullptr, &RespConnection::OnEvent, this);
  bufferevent_enable(bev_, EV_READ | EV_WRITE);

  int rc = 0;
  if (endpoint.kind == Endpoint::Kind::kUnix) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (endpoint.path.size() >= sizeof(addr.sun_path)) {
      Close(TransportError::kConnectFailed, "unix socket path too long");
      return;
    }
    std::memcpy(addr.sun_path, endpoint.path.c_str(), endpoint.path.size() + 1);
    rc = bufferevent_socket_connect(bev_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  } else {
    sockaddr_in v4{};
    sockaddr_in6 v6{};
    if (inet_pton(AF_INET, endpoint.host.c_str(), &v4.sin_addr) == 1) {
      v4.sin_family = AF_INET;
      v4.sin_port = htons(static_cast<uint16_t>(endpoint.port));
      rc = bufferevent_socket_connect(bev_, reinterpret_cast<sockaddr*>(&v4), sizeof(v4));
    } else if (inet_pton(AF_INET6, endpoint.host.c_str(), &v6.sin6_addr) == 1) {
      v6.sin6_family = AF_INET6;
      v6.sin6_port = htons(static_cast<uint16_t>(endpoint.port));
      rc = bufferevent_socket_connect(bev_, reinterpret_cast<sockaddr*>(&v6), sizeof(v6));
    } else {
      // Host names resolve asynchronously so one slow resolver never stalls the loop.
      rc = bufferevent_socket_connect_hostname(bev_, dns_, AF_UNSPEC, endpoint.host.c_str(),
                                               endpoint.port);
    }
  }
  if (rc != 0 && state_ == State::kConnecting) {
    const int socket_err = EVUTIL_SOCKET_ERROR();
    Close(ConnectErrorOf(socket_err), evutil_socket_error_to_string(socket_err));
  }
}

void RespConnection::Send(const std::vector<std::string>& argv, Duration timeout,
                          ReplyCallback done) {
  if (state_ != State::kConnected) {
    CommandOutcome outcome;
    outcome.error = TransportError::kClosed;
    outcome.detail = "not connected";
    done(std::move(outcome));
    return;
  }
  const std::string wire = EncodeCommand(argv);
  bufferevent_write(bev_, wire.data(), wire.size());
  pending_.push_back(Pending{clock_.MonotonicNanos() + timeout.count(), std::move(done)});
  ArmTimer();
}

void RespConnection::Close(TransportError error, const std::string& detail) {
  const bool was_connecting = state_ == State::kConnecting;
  ++generation_;
  if (tls_ticket_ != 0) {
    tls_loader_->Cancel(tls_ticket_);
    tls_ticket_ = 0;
  }
  if (bev_ != nullptr) {
    bufferevent_free(bev_);  // the TLS filter frees the session and the TCP bufferevent too
    bev_ = nullptr;
  }
  ssl_ = nullptr;
  fd_ = -1;
  handshaking_ = false;
  tls_context_.reset();
  evtimer_del(timer_);
  state_ = State::kIdle;
  auto pending = std::move(pending_);
  pending_.clear();
  auto connect_done = std::move(connect_done_);
  connect_done_ = nullptr;
  // Callbacks may reconnect this object; they run after our state is reset.
  if (was_connecting && connect_done) {
    connect_done(error == TransportError::kClosed ? TransportError::kConnectFailed : error, detail);
  }
  for (auto& p : pending) {
    CommandOutcome outcome;
    outcome.error = error;
    outcome.detail = detail;
    p.done(std::move(outcome));
  }
}

void RespConnection::ArmTimer() {
  Nanos deadline = 0;
  if (state_ == State::kConnecting) {
    deadline = connect_deadline_;
  } else if (!pending_.empty()) {
    deadline = pending_.front().deadline;
  } else {
    evtimer_del(timer_);
    return;
  }
  const Nanos wait = std::max<Nanos>(0, deadline - clock_.MonotonicNanos());
  timeval tv = NanosToTimeval(wait);
  evtimer_add(timer_, &tv);
}

void RespConnection::OnTimer(evutil_socket_t, short, void* self) {
  auto* conn = static_cast<RespConnection*>(self);
  const Nanos now = conn->clock_.MonotonicNanos();
  const bool expired = (conn->state_ == State::kConnecting && now >= conn->connect_deadline_) ||
                       (!conn->pending_.empty() && now >= conn->pending_.front().deadline);
  if (expired && conn->handshaking_) {
    conn->Close(TransportError::kTls,
                "TLS handshake timed out: the server accepted the TCP connection but sent no "
                "TLS answer (a port that does not speak TLS, or an overloaded server)");
  } else if (expired) {
    conn->Close(TransportError::kTimeout, "timed out");
  } else {
    conn->ArmTimer();
  }
}

void RespConnection::OnEvent(bufferevent*, short events, void* self) {
  auto* conn = static_cast<RespConnection*>(self);
  if (events & BEV_EVENT_CONNECTED) {
    if (conn->handshaking_) {
      conn->Connected();
    } else {
      conn->OnTcpConnected();
    }
    return;
  }
  if (events & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
    const bool connecting = conn->state_ == State::kConnecting;
    TransportError error = connecting ? TransportError::kConnectFailed : TransportError::kClosed;
    std::string detail = "connection closed by peer";
    const std::string tls_failure = conn->TlsFailure();
    if (!tls_failure.empty()) {
      error = TransportError::kTls;
      detail = tls_failure;
    } else if (conn->handshaking_) {
      // No alert, no verification error: the peer just went away. Redis at maxclients drops a
      // TLS connection this way before the handshake, with no error reply: a connect failure.
      detail =
          "the server closed the connection during the TLS handshake (Redis at maxclients "
          "does this over TLS, so do proxies and firewalls that drop it)";
    } else if (events & BEV_EVENT_ERROR) {
      const int socket_err = EVUTIL_SOCKET_ERROR();
      const int dns_err = bufferevent_socket_get_dns_error(conn->bev_);
      if (dns_err != 0) {
        detail = evutil_gai_strerror(dns_err);
        error = TransportError::kDnsFailed;
      } else {
        detail = evutil_socket_error_to_string(socket_err);
        if (connecting) error = ConnectErrorOf(socket_err);
      }
    }
    conn->Close(error, detail);
  }
}

void RespConnection::OnTcpConnected() {
  tcp_connected_at_ = clock_.MonotonicNanos();
  timings_.tcp = tcp_connected_at_ - socket_connect_started_;
  fd_ = bufferevent_getfd(bev_);
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  // fails harmlessly on unix
  if (tls_context_) {
    StartTlsHandshake();
  } else {
    Connected();
  }
}

void RespConnection::StartTlsHandshake() {
  // Loaded already, on the TLS loader's worker, before the context was made.
  auto loaded = LoadOpenSsl();
  if (!loaded.ok()) {
    Close(TransportError::kTls, loaded.error());
    return;
  }
  const OpenSslApi& api = *loaded.value();
  SSL* ssl = api.SSL_new(tls_context_.get());
  Status configured = ssl == nullptr ? Status::Error("cannot create a TLS session")
                                     : ConfigureTlsSession(ssl, tls_, tls_host_);
  if (!configured.ok()) {
    if (ssl != nullptr) api.SSL_free(ssl);
    Close(TransportError::kTls, configured.message());
    return;
  }
  // The filter takes over the TCP bufferevent and its callbacks; freeing it frees both.
  bufferevent* filter = api.bufferevent_openssl_filter_new(
      base_, bev_, ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
  if (filter == nullptr) {
    api.SSL_free(ssl);
    Close(TransportError::kTls, "cannot start the TLS handshake");
    return;
  }
  bev_ = filter;
  ssl_ = ssl;
  handshaking_ = true;
  // Redis closes without close_notify (at maxclients, on CLIENT KILL): a close, not an attack.
  api.bufferevent_openssl_set_allow_dirty_shutdown(bev_, 1);
  bufferevent_setcb(bev_, &RespConnection::OnRead, nullptr, &RespConnection::OnEvent, this);
  bufferevent_enable(bev_, EV_READ | EV_WRITE);
}

void RespConnection::Connected() {
  if (handshaking_) {
    handshaking_ = false;
    timings_.tls_handshake = clock_.MonotonicNanos() - tcp_connected_at_;
    auto loaded = LoadOpenSsl();  // loaded already: ssl_ was made by it
    if (loaded.ok()) {
      timings_.certificate_not_after =
          CertificateNotAfter(loaded.value()->SSL_get0_peer_certificate(ssl_));
    }
  }
  state_ = State::kConnected;
  auto done = std::move(connect_done_);
  connect_done_ = nullptr;
  ArmTimer();
  if (done) done(TransportError::kNone, "");
}

std::string RespConnection::TlsFailure() {
  if (ssl_ == nullptr) return "";  // plain TCP: OpenSSL may not even be loaded
  auto loaded = LoadOpenSsl();     // loaded already: ssl_ was made by it
  if (!loaded.ok()) return "";
  const OpenSslApi& api = *loaded.value();
  const long verify = handshaking_ ? api.SSL_get_verify_result(ssl_) : X509_V_OK;
  unsigned long first = 0;
  while (unsigned long e = api.bufferevent_get_openssl_error(bev_)) {
    if (first == 0) first = e;
  }
  api.ERR_clear_error();
  if (verify == X509_V_OK && first == 0) return "";
  return DescribeTlsFailure(verify, first);
}

void RespConnection::OnRead(bufferevent*, void* self) {
  static_cast<RespConnection*>(self)->HandleRead();
}

void RespConnection::HandleRead() {
  evbuffer* input = bufferevent_get_input(bev_);
  const size_t length = evbuffer_get_length(input);
  if (length == 0) return;
  const unsigned char* data = evbuffer_pullup(input, -1);
  if (decoder_ == nullptr) decoder_ = new RespDecoder(max_reply_bytes_);
  decoder_->Feed(std::string_view(reinterpret_cast<const char*>(data), length));
  evbuffer_drain(input, length);

  const std::uint64_t generation = generation_;
  while (generation == generation_) {
    Reply reply;
    auto next = decoder_->Next(reply);
    if (!next.ok()) {
      Close(TransportError::kProtocol, next.error());
      return;
    }
    if (!next.value()) break;
    if (pending_.empty()) {
      // Redis greets a connection it refuses (maxclients) with an error, then closes it.
      Close(TransportError::kClosed, reply.is_error() ? reply.str : "unexpected reply from server");
      return;
    }
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    ArmTimer();
    CommandOutcome outcome;
    outcome.reply = std::move(reply);
    p.done(std::move(outcome));
  }
  // Every reply is in and none is awaited: the decoder (hiredis' reader, ~600 bytes, and its
  // buffer) goes until bytes arrive again. A target's connections are idle most of the time.
  if (generation == generation_ && pending_.empty() && decoder_ != nullptr && decoder_->idle()) {
    delete decoder_;
    decoder_ = nullptr;
  }
}

}  // namespace rte
