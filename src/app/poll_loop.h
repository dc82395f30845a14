// The one thread that does all Redis I/O: a libevent loop running every target's poller. The
// thread count does not grow with the number of targets. Each poll result meets the newest
// kernel reading (taken on the kernel sampler's own thread) in the target's derive history,
// and the report goes to the store.
#pragma once

#include <event2/event.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "common/clock.h"
#include "config/config.h"
#include "derive/target_history.h"
#include "exposition/report_store.h"
#include "sources/kernel/kernel_sampler.h"
#include "sources/redis/secret_cache.h"
#include "sources/redis/target_poller.h"
#include "sources/redis/tls_context_loader.h"

struct evdns_base;

namespace rte {

class PollLoop {
 public:
  PollLoop(const Clock& clock, ReportStore& store, std::string procfs_root = "/proc",
           std::string sysfs_root = "/sys");
  ~PollLoop();
  PollLoop(const PollLoop&) = delete;
  PollLoop& operator=(const PollLoop&) = delete;

  void Start();
  void Stop();
  // Thread-safe, but never on the loop thread: it reads the targets' password files first.
  // Targets whose settings did not change keep their poller and history.
  void Apply(Config config);

 private:
  // A target's source and its derive state, both used on the loop thread only.
  struct Target {
    std::unique_ptr<TargetHistory> history;
    std::unique_ptr<TargetPoller> poller;
  };

  static void OnWake(evutil_socket_t, short, void* self);
  void ApplyPending();
  void OnPollResult(TargetHistory& history, const PollResult& result);

  const Clock& clock_;
  ReportStore& store_;
  event_base* base_ = nullptr;
  evdns_base* dns_ = nullptr;
  event* wake_ = nullptr;
  SecretCache secrets_;                           // outlives the pollers
  std::unique_ptr<TlsContextLoader> tls_loader_;  // outlives the pollers, dies before base_
  KernelSampler kernel_;
  std::thread thread_;
  std::mutex mu_;
  std::optional<Config> pending_;
  std::map<std::string, Target> targets_;  // loop thread only
};

}  // namespace rte
