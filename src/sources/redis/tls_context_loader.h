// Reads a target's TLS files and builds its context on a worker thread, for every new
// connection, and hands the context to the event loop: the loop thread never touches a file.
#pragma once

#include <event2/event.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "common/status.h"
#include "config/config.h"
#include "sources/redis/tls_context.h"

namespace rte {

// Load() and Cancel() are called on the loop thread of `base`, and every Done runs there. The
// base must be made with libevent threading on (evthread_use_pthreads) because the worker
// activates an event of it. Destroy it before the base, after the loop stopped.
class TlsContextLoader {
 public:
  using Done = std::function<void(Result<SslCtxPtr>)>;

  explicit TlsContextLoader(event_base* base);
  ~TlsContextLoader();
  TlsContextLoader(const TlsContextLoader&) = delete;
  TlsContextLoader& operator=(const TlsContextLoader&) = delete;

  // Reads the files now (on the worker) and builds or reuses a context; `done` runs later on
  // the loop thread unless Cancel(ticket) came first.
  std::uint64_t Load(const TlsConfig& config, Done done);
  void Cancel(std::uint64_t ticket);

 private:
  struct Request {
    std::uint64_t ticket;
    TlsConfig config;
  };
  struct Finished {
    std::uint64_t ticket;
    Result<SslCtxPtr> context;
  };
  // A context is parsed again only when its settings or the bytes of its files changed.
  struct Cached {
    TlsConfig config;
    TlsMaterial material;
    SslCtxPtr context;
  };
  static constexpr size_t kMaxCached = 64;

  static void OnFinished(evutil_socket_t, short, void* self);
  void Work();
  Result<SslCtxPtr> Build(const TlsConfig& config);

  event* finished_event_ = nullptr;
  std::map<std::uint64_t, Done> waiting_;  // loop thread only
  std::uint64_t next_ticket_ = 0;          // loop thread only
  std::vector<Cached> cache_;              // worker only

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::deque<Request> requests_;
  std::deque<Finished> finished_;
  std::thread worker_;
};

}  // namespace rte
