// The open connections of the HTTP server: a cap on how many, and a deadline for each request.
// evhttp (libevent 2.1) has neither. Its timeouts restart with every byte, so a client dripping
// a byte every few seconds held a connection forever; and it accepted connections until the
// process ran out of file descriptors, then spun on the failing accept().
#pragma once

#include <event2/util.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>

#include "common/clock.h"
#include "common/log_limiter.h"

struct bufferevent;
struct event;
struct event_base;
struct evconnlistener;
struct evhttp_connection;

namespace rte {

// The HTTP server's figures, read by the collector from any thread.
struct WebServerStats {
  std::atomic<std::uint64_t> tls_handshake_failures{0};
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> closed_read_timeout{0};  // no whole request within the deadline
  std::atomic<std::uint64_t> closed_evicted{0};       // the oldest idle one, for a new one
  std::atomic<std::uint64_t> accept_fd_exhausted{0};  // accept() failed with EMFILE/ENFILE
};

// Every method runs on the HTTP server's loop thread except SetLimits and SetMaxOpen.
class HttpConnections {
 public:
  static constexpr std::size_t kDefaultMaxOpen = 512;
  static constexpr Nanos kDefaultReadTimeout = 30'000'000'000;

  HttpConnections(event_base* base, WebServerStats* stats);
  ~HttpConnections();
  HttpConnections(const HttpConnections&) = delete;
  HttpConnections& operator=(const HttpConnections&) = delete;

  // At most `max_open` connections (the oldest idle one is closed for a new one), each given
  // `read_timeout` from its accept or its previous request to send a whole request, however
  // slowly its bytes arrive. Any thread.
  void SetLimits(std::size_t max_open, Nanos read_timeout);
  // The cap alone, from any thread; a held-down cap after EMFILE (fd_ceiling_) stays.
  void SetMaxOpen(std::size_t max_open) { max_open_ = std::max<std::size_t>(1, max_open); }
  Nanos read_timeout() const { return read_timeout_.load(); }

  // evhttp's bufferevent callback: `bev` will carry a new connection.
  void Opened(bufferevent* bev);
  // A whole request arrived on `connection`: its deadline restarts.
  void RequestArrived(evhttp_connection* connection);
  // Watches the accept() errors of `listener` (evhttp's, once bound).
  void Watch(evconnlistener* listener);

 private:
  struct Entry {
    evhttp_connection* connection = nullptr;  // null until evhttp has set the connection up
    Nanos deadline = 0;
  };

  static void OnAttach(evutil_socket_t, short, void* self);
  static void OnSweep(evutil_socket_t, short, void* self);
  static void OnResume(evutil_socket_t, short, void* self);
  static void OnClosed(evhttp_connection* connection, void* self);
  static void OnAcceptError(evconnlistener* listener, void* self);

  void AttachPending();
  // Closes the attached connection with the earliest deadline (the longest idle); false when
  // there is none.
  bool CloseOldest(std::atomic<std::uint64_t>* counter);
  std::size_t EffectiveMax() const;

  event_base* base_;
  WebServerStats* stats_;
  std::atomic<std::size_t> max_open_{kDefaultMaxOpen};
  std::atomic<Nanos> read_timeout_{kDefaultReadTimeout};
  // Lowered below max_open_ when accept() ran out of descriptors: the connections must leave
  // some to the Redis connections. SetLimits lifts it.
  std::atomic<std::size_t> fd_ceiling_{SIZE_MAX};
  // Keyed by the bufferevent, on which a reference is held until evhttp closes the connection,
  // so the key cannot be reused meanwhile.
  std::map<bufferevent*, Entry> open_;
  event* attach_ = nullptr;
  event* sweep_ = nullptr;
  event* resume_ = nullptr;
  evconnlistener* listener_ = nullptr;
  std::size_t accepted_in_turn_ = 0;  // accepts since the loop last ran OnAttach or OnResume
  bool accept_paused_ = false;        // the listener waits for OnResume
  Nanos last_fd_exhaustion_ = 0;
  LogLimiter log_;
};

}  // namespace rte
