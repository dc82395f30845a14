// The one thread that does all Redis I/O: a libevent loop running every target's poller.
// The thread count does not grow with the number of targets.
#pragma once

#include <event2/event.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "common/clock.h"
#include "config/config.h"
#include "snapshot/report.h"
#include "sources/kernel/kernel_counters_reader.h"
#include "sources/kernel/listen_queue_reader.h"
#include "sources/redis/target_poller.h"

struct evdns_base;

namespace rte {

class PollLoop {
 public:
  PollLoop(const Clock& clock, ReportStore& store, std::string procfs_root = "/proc");
  ~PollLoop();
  PollLoop(const PollLoop&) = delete;
  PollLoop& operator=(const PollLoop&) = delete;

  void Start();
  void Stop();
  // Thread-safe. Targets whose settings did not change keep their poller (and counters).
  void Apply(Config config);

 private:
  static void OnWake(evutil_socket_t, short, void* self);
  static void OnKernelTick(evutil_socket_t, short, void* self);
  void ApplyPending();
  // Reads host-wide counters and every listener's accept queue, and hands each local target
  // its own queue. Small reads of this host's kernel, so they run on the loop thread.
  void ReadKernel();

  const Clock& clock_;
  ReportStore& store_;
  event_base* base_ = nullptr;
  evdns_base* dns_ = nullptr;
  event* wake_ = nullptr;
  event* kernel_tick_ = nullptr;
  KernelCountersReader kernel_counters_;
  ListenQueueReader listen_queues_;
  bool listen_queue_warned_ = false;
  std::thread thread_;
  std::mutex mu_;
  std::optional<Config> pending_;
  std::map<std::string, std::unique_ptr<TargetPoller>> pollers_;  // loop thread only
};

}  // namespace rte
