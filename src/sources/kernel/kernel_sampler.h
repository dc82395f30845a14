// Reads this host's kernel (procfs counters, sock_diag accept queues) on a thread of its own,
// every interval, so a slow or stuck read never delays a poll or a probe on the event loop.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/duration.h"
#include "config/config.h"
#include "snapshot/kernel.h"

namespace rte {

// A target whose listening socket is on this host.
struct LocalListener {
  std::string target;
  Endpoint endpoint;
};

class KernelSampler {
 public:
  using ReadingCallback = std::function<void(std::shared_ptr<const KernelSnapshot>)>;

  // `on_reading` runs on the sampler's thread after every reading.
  // `sysfs_root` holds kernel/mm/transparent_hugepage/enabled and the cgroup mounts (fs/cgroup).
  KernelSampler(std::string procfs_root, std::string sysfs_root, ReadingCallback on_reading);
  // Stops the thread. A read stuck in the kernel (a hung procfs) cannot be interrupted: after
  // a short wait the thread is left to finish on its own, and its result is dropped.
  ~KernelSampler();
  KernelSampler(const KernelSampler&) = delete;
  KernelSampler& operator=(const KernelSampler&) = delete;

  // Thread-safe. Sets what to read and how often, and asks for a reading now.
  void Configure(std::vector<LocalListener> listeners, Duration interval);
  // Thread-safe. The PID of a local target's Redis (INFO server process_id), whose swap is read
  // from then on; only a process whose name starts with "redis" is read, so a PID from another
  // PID namespace (Redis in a container) is not mistaken for a host process. Its cgroup's
  // memory limit is read too.
  void SetProcess(const std::string& target, long pid);
  // Thread-safe, never waits on a read: the newest reading, or nullptr before the first.
  std::shared_ptr<const KernelSnapshot> Latest() const;

 private:
  struct State;
  static void Run(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace rte
