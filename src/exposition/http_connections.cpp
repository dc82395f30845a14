#include "exposition/http_connections.h"

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "common/errno_text.h"

namespace rte {
namespace {

// How often deadlines are checked: a connection is closed at most this late.
constexpr Nanos kSweepInterval = 250'000'000;
// After accept() ran out of descriptors: the pause before accepting again, and the descriptors
// the connections leave free below the number open at that moment, for the Redis connections
// and the next scrape.
constexpr Nanos kAcceptPause = 100'000'000;
constexpr std::size_t kFdReserve = 32;
// libevent accepts until the queue is empty within one callback, and a connection closed
// meanwhile (evicted for a new one) gives its descriptor back only when the loop runs the
// bufferevent's finalizer. A burst of thousands would pile closed-but-not-freed descriptors up
// to the limit, so after this many accepts the listener waits for the loop to run once.
constexpr std::size_t kAcceptBurst = 32;
// The lowered cap is lifted once accept() has not run out of descriptors for this long.
constexpr Nanos kFdCeilingHold = 60'000'000'000;

Nanos Now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// libevent hands an accept error callback the listener's own argument, which is evhttp's: the
// instance watching a listener is found here.
std::mutex& WatchersMutex() {
  static std::mutex mu;
  return mu;
}
std::map<evconnlistener*, HttpConnections*>& Watchers() {
  static std::map<evconnlistener*, HttpConnections*> watchers;
  return watchers;
}

}  // namespace

HttpConnections::HttpConnections(event_base* base, WebServerStats* stats)
    : base_(base), stats_(stats) {
  attach_ = event_new(base_, -1, 0, &HttpConnections::OnAttach, this);
  sweep_ = event_new(base_, -1, EV_PERSIST, &HttpConnections::OnSweep, this);
  resume_ = evtimer_new(base_, &HttpConnections::OnResume, this);
  const timeval every = NanosToTimeval(kSweepInterval);
  event_add(sweep_, &every);
}

HttpConnections::~HttpConnections() {
  if (listener_ != nullptr) {
    std::lock_guard lock(WatchersMutex());
    Watchers().erase(listener_);
  }
  event_free(attach_);
  event_free(sweep_);
  event_free(resume_);
  // evhttp_free closed the connections it still had; what is left was never attached.
  for (auto& [bev, entry] : open_) bufferevent_decref(bev);
}

void HttpConnections::SetLimits(std::size_t max_open, Nanos read_timeout) {
  max_open_ = std::max<std::size_t>(1, max_open);
  read_timeout_ = read_timeout;
  fd_ceiling_ = SIZE_MAX;
}

std::size_t HttpConnections::EffectiveMax() const {
  return std::max<std::size_t>(1, std::min(max_open_.load(), fd_ceiling_.load()));
}

void HttpConnections::Opened(bufferevent* bev) {
  AttachPending();
  while (open_.size() >= EffectiveMax() && CloseOldest(&stats_->closed_evicted)) {
  }
  bufferevent_incref(bev);
  open_[bev] = Entry{nullptr, Now() + read_timeout_.load()};
  stats_->connections_open = open_.size();
  // evhttp sets the connection up once this callback returns, before the loop runs again.
  event_active(attach_, 0, 0);
  if (++accepted_in_turn_ >= kAcceptBurst && listener_ != nullptr && !accept_paused_) {
    // Disabled inside its callback, the listener stops its accept loop; the finalizers queued
    // by the evictions run before OnResume, which enables it again.
    evconnlistener_disable(listener_);
    accept_paused_ = true;
    event_active(resume_, EV_TIMEOUT, 0);
  }
}

void HttpConnections::AttachPending() {
  for (auto it = open_.begin(); it != open_.end();) {
    bufferevent* bev = it->first;
    Entry& entry = it->second;
    if (entry.connection != nullptr) {
      ++it;
      continue;
    }
    // evhttp's callbacks carry its connection as their argument; freeing the bufferevent
    // clears them.
    bufferevent_event_cb error_cb = nullptr;
    void* arg = nullptr;
    bufferevent_getcb(bev, nullptr, nullptr, &error_cb, &arg);
    if (error_cb == nullptr || arg == nullptr) {
      it = open_.erase(it);
      bufferevent_decref(bev);
      continue;
    }
    entry.connection = static_cast<evhttp_connection*>(arg);
    evhttp_connection_set_closecb(entry.connection, &HttpConnections::OnClosed, this);
    ++it;
  }
  stats_->connections_open = open_.size();
}

void HttpConnections::RequestArrived(evhttp_connection* connection) {
  bufferevent* bev = evhttp_connection_get_bufferevent(connection);
  auto it = open_.find(bev);
  if (it != open_.end()) it->second.deadline = Now() + read_timeout_.load();
}

bool HttpConnections::CloseOldest(std::atomic<std::uint64_t>* counter) {
  auto oldest = open_.end();
  for (auto it = open_.begin(); it != open_.end(); ++it) {
    if (it->second.connection == nullptr) continue;
    if (oldest == open_.end() || it->second.deadline < oldest->second.deadline) oldest = it;
  }
  if (oldest == open_.end()) return false;
  counter->fetch_add(1, std::memory_order_relaxed);
  // Calls OnClosed, which forgets it.
  evhttp_connection_free(oldest->second.connection);
  return true;
}

void HttpConnections::OnClosed(evhttp_connection* connection, void* self) {
  auto* me = static_cast<HttpConnections*>(self);
  bufferevent* bev = evhttp_connection_get_bufferevent(connection);
  auto it = me->open_.find(bev);
  if (it == me->open_.end()) return;
  me->open_.erase(it);
  me->stats_->connections_open = me->open_.size();
  // evhttp frees the bufferevent right after this callback; ours was the other reference.
  bufferevent_decref(bev);
}

void HttpConnections::OnAttach(evutil_socket_t, short, void* self) {
  auto* me = static_cast<HttpConnections*>(self);
  me->accepted_in_turn_ = 0;  // the accept loop has ended
  me->AttachPending();
}

void HttpConnections::OnSweep(evutil_socket_t, short, void* self) {
  auto* me = static_cast<HttpConnections*>(self);
  me->AttachPending();
  const Nanos now = Now();
  if (me->fd_ceiling_.load() != SIZE_MAX && now - me->last_fd_exhaustion_ > kFdCeilingHold) {
    me->fd_ceiling_ = SIZE_MAX;
  }
  std::vector<evhttp_connection*> overdue;
  for (const auto& [bev, entry] : me->open_) {
    if (entry.connection != nullptr && entry.deadline <= now) overdue.push_back(entry.connection);
  }
  if (overdue.empty()) return;
  me->stats_->closed_read_timeout.fetch_add(overdue.size(), std::memory_order_relaxed);
  const auto decision = me->log_.Occurred("web_read_timeout", now);
  if (decision.log) {
    spdlog::warn(
        "event=web_connection_timed_out connections={} read_timeout_seconds={} "
        "repeats_suppressed={} action=\"{}\"",
        overdue.size(), static_cast<double>(me->read_timeout_.load()) / 1e9, decision.suppressed,
        "a client sent no whole request in time (idle, or dripping bytes): closed");
  }
  for (evhttp_connection* connection : overdue) evhttp_connection_free(connection);
}

void HttpConnections::Watch(evconnlistener* listener) {
  {
    std::lock_guard lock(WatchersMutex());
    Watchers()[listener] = this;
  }
  listener_ = listener;
  evconnlistener_set_error_cb(listener, &HttpConnections::OnAcceptError);
}

void HttpConnections::OnAcceptError(evconnlistener* listener, void*) {
  const int error = EVUTIL_SOCKET_ERROR();
  HttpConnections* me = nullptr;
  {
    std::lock_guard lock(WatchersMutex());
    auto it = Watchers().find(listener);
    if (it != Watchers().end()) me = it->second;
  }
  if (me == nullptr) return;
  const Nanos now = Now();
  const bool out_of_fds = error == EMFILE || error == ENFILE;
  if (out_of_fds) {
    // Out of descriptors: libevent would retry accept() at once, forever. Pause accepting,
    // leave kFdReserve descriptors below what the connections hold now to the Redis
    // connections, and make room by closing the longest idle connections.
    me->stats_->accept_fd_exhausted.fetch_add(1, std::memory_order_relaxed);
    me->last_fd_exhaustion_ = now;
    me->AttachPending();
    me->fd_ceiling_ = me->open_.size() > kFdReserve ? me->open_.size() - kFdReserve : 1;
    while (me->open_.size() > me->fd_ceiling_.load() &&
           me->CloseOldest(&me->stats_->closed_evicted)) {
    }
    evconnlistener_disable(listener);
    me->accept_paused_ = true;
    const timeval pause = NanosToTimeval(kAcceptPause);
    evtimer_add(me->resume_, &pause);
  }
  const auto decision = me->log_.Occurred(out_of_fds ? "web_accept_emfile" : "web_accept", now);
  if (decision.log) {
    spdlog::error(
        "event=web_accept_failed error=\"{}\" connections_open={} connection_cap={} "
        "repeats_suppressed={} action=\"{}\"",
        ErrnoText(error), me->open_.size(), me->EffectiveMax(), decision.suppressed,
        out_of_fds ? "the exporter is out of file descriptors: accepting paused and the "
                     "connection cap lowered; raise LimitNOFILE= (ulimit -n) or lower "
                     "--web.max-connections"
                   : "accept() failed; the listener carries on");
  }
}

void HttpConnections::OnResume(evutil_socket_t, short, void* self) {
  auto* me = static_cast<HttpConnections*>(self);
  me->accept_paused_ = false;
  me->accepted_in_turn_ = 0;
  if (me->listener_ != nullptr) evconnlistener_enable(me->listener_);
}

}  // namespace rte
