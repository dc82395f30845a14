// One non-blocking Redis connection on a libevent loop: connect, pipelined commands, timeouts.
#pragma once

#include <event2/event.h>

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/duration.h"
#include "config/config.h"
#include "parse/reply.h"

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
};
const char* TransportErrorName(TransportError e);

// A reply, or why none came. `reply` may itself be a Redis error reply.
struct CommandOutcome {
  TransportError error = TransportError::kNone;
  std::string detail;  // system error text for transport errors; never secrets
  Reply reply;
  bool ok() const { return error == TransportError::kNone; }
};

// Not thread-safe: every call and every callback runs on the loop thread. The object may be
// reused after Close() but must not be destroyed from inside one of its own callbacks.
class RespConnection {
 public:
  using ConnectCallback = std::function<void(TransportError, const std::string& detail)>;
  using ReplyCallback = std::function<void(CommandOutcome)>;

  RespConnection(event_base* base, evdns_base* dns, const Clock& clock);
  ~RespConnection();
  RespConnection(const RespConnection&) = delete;
  RespConnection& operator=(const RespConnection&) = delete;

  void Connect(const Endpoint& endpoint, Duration timeout, ConnectCallback done);
  // Queues a command; replies arrive in order. The deadline counts from now.
  void Send(const std::vector<std::string>& argv, Duration timeout, ReplyCallback done);
  // Fails everything pending with `error` and drops the socket.
  void Close(TransportError error = TransportError::kClosed, const std::string& detail = "closed");

  bool connected() const { return state_ == State::kConnected; }
  bool idle() const { return state_ == State::kIdle; }
  int fd() const;
  size_t pending() const { return pending_.size(); }

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

  event_base* base_;
  evdns_base* dns_;
  const Clock& clock_;
  bufferevent* bev_ = nullptr;
  event* timer_ = nullptr;
  State state_ = State::kIdle;
  Nanos connect_deadline_ = 0;
  ConnectCallback connect_done_;
  std::deque<Pending> pending_;
  RespDecoder* decoder_ = nullptr;
  std::uint64_t generation_ = 0;  // bumped by Close(): callbacks check it to stop early
};

}  // namespace rte
