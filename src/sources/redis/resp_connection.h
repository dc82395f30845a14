// One non-blocking Redis connection on a libevent loop: connect, pipelined commands, timeouts.
#pragma once

#include <event2/event.h>

#include <functional>
#include <list>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/duration.h"
#include "config/config.h"
#include "parse/reply.h"
#include "sources/redis/tls_context.h"

struct bufferevent;
struct evdns_base;

namespace rte {

enum class TransportError {
  kNone,
  kTimeout,        // connect or reply deadline passed
  kClosed,         // the connection closed (by us or the peer) with commands pending
  kConnectFailed,  // connect failed for another reason (see the detail)
  kRefused,        // connect: ECONNREFUSED, nothing listens there
  kDnsFailed,      // connect: the host name did not resolve
  kProtocol,       // the bytes received are not RESP
  kTls,            // TLS files, handshake or verification failed (the detail names the check)
  kFdExhausted,    // connect: the exporter itself is out of file descriptors (EMFILE/ENFILE)
};
const char* TransportErrorName(TransportError e);

// A reply, or why none came. `reply` may itself be a Redis error reply.
struct CommandOutcome {
  TransportError error = TransportError::kNone;
  std::string detail;  // system error text for transport errors; never secrets
  Reply reply;
  bool ok() const { return error == TransportError::kNone; }
};

class TlsContextLoader;

// How the last connect went, once it succeeded.
struct ConnectTimings {
  Nanos tcp = 0;                       // socket connect until the TCP handshake completed
  std::optional<Nanos> tls_handshake;  // then until the TLS handshake completed (rediss://)
  std::optional<double> certificate_not_after;  // the server's leaf certificate, Unix seconds
};

// Not thread-safe: every call and every callback runs on the loop thread. The object may be
// reused after Close() but must not be destroyed from inside one of its own callbacks.
// rediss:// endpoints get TLS through libevent's OpenSSL filter over the TCP bufferevent; the
// TLS files are read for every connect by `tls_loader` on its worker thread.
class RespConnection {
 public:
  using ConnectCallback = std::function<void(TransportError, const std::string& detail)>;
  using ReplyCallback = std::function<void(CommandOutcome)>;

  // `max_reply_bytes`: a longer reply closes the connection with kProtocol.
  RespConnection(event_base* base, evdns_base* dns, const Clock& clock,
                 TlsContextLoader* tls_loader = nullptr,
                 size_t max_reply_bytes = kDefaultMaxReplyBytes);
  ~RespConnection();
  RespConnection(const RespConnection&) = delete;
  RespConnection& operator=(const RespConnection&) = delete;

  // `tls` is used when endpoint.tls; the timeout covers reading the TLS files too.
  void Connect(const Endpoint& endpoint, const TlsConfig& tls, Duration timeout,
               ConnectCallback done);
  // Queues a command; replies arrive in order. The deadline counts from now.
  void Send(const std::vector<std::string>& argv, Duration timeout, ReplyCallback done);
  // Fails everything pending with `error` and drops the socket.
  void Close(TransportError error = TransportError::kClosed, const std::string& detail = "closed");

  bool connected() const { return state_ == State::kConnected; }
  bool idle() const { return state_ == State::kIdle; }
  int fd() const { return fd_; }
  size_t pending() const { return pending_.size(); }
  const ConnectTimings& timings() const { return timings_; }

 private:
  enum class State { kIdle, kConnecting, kConnected };
  struct Pending {
    Nanos deadline;
    ReplyCallback done;
  };

  static void OnRead(bufferevent* bev, void* self);
  static void OnEvent(bufferevent* bev, short events, void* self);
  static void OnTimer(evutil_socket_t, short, void* self);
  void ArmTimer();
  void HandleRead();
  void ConnectSocket(const Endpoint& endpoint);
  void OnTcpConnected();
  void StartTlsHandshake();
  void Connected();
  // The error of a failed TLS bufferevent, in words; empty when it was not a TLS error.
  std::string TlsFailure();

  event_base* base_;
  evdns_base* dns_;
  const Clock& clock_;
  TlsContextLoader* tls_loader_;
  size_t max_reply_bytes_;
  bufferevent* bev_ = nullptr;  // the TCP bufferevent, or the TLS filter that owns it
  int fd_ = -1;
  // TLS of the connection being made: its settings, host, context and session (owned by bev_).
  TlsConfig tls_;
  std::string tls_host_;
  SslCtxPtr tls_context_;
  SSL* ssl_ = nullptr;
  std::uint64_t tls_ticket_ = 0;  // a context load in flight
  bool handshaking_ = false;
  Nanos socket_connect_started_ = 0;
  Nanos tcp_connected_at_ = 0;
  ConnectTimings timings_;
  event* timer_ = nullptr;
  State state_ = State::kIdle;
  Nanos connect_deadline_ = 0;
  ConnectCallback connect_done_;
  // A list, not a deque: libstdc++'s deque allocates ~600 bytes even when empty, and every
  // target keeps three connections, mostly idle.
  std::list<Pending> pending_;
  RespDecoder* decoder_ = nullptr;
  std::uint64_t generation_ = 0;  // bumped by Close(): callbacks check it to stop early
};

}  // namespace rte
