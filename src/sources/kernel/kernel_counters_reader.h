// Reads the host-wide accept-queue counters and sysctls (cause 5) from a procfs root, so a
// container can point --path.procfs at the host's /proc.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "snapshot/kernel.h"

namespace rte {

// Blocking file reads: run it off the event loop (KernelSampler does). Thread-safe. Each missing or
// unreadable item is logged once per reader (warn), not per poll.
class KernelCountersReader {
 public:
  explicit KernelCountersReader(std::string procfs_root = "/proc");

  KernelCounters Read();
  const std::string& procfs_root() const { return root_; }

 private:
  std::optional<std::uint64_t> ReadSysctl(const std::string& relative_path);
  // True the first time `key` is seen: the caller logs only then.
  bool FirstWarning(const std::string& key);

  std::string root_;
  std::mutex mu_;
  std::set<std::string> warned_;  // guarded by mu_
};

}  // namespace rte
