// How the kernel readers read one procfs, sysfs or cgroup file: the common bounded reader with
// the cap they share.
#pragma once

#include <string>

#include "common/small_file.h"

namespace rte {

// These files are a few KiB (/proc/stat on a host with hundreds of CPUs some tens); anything
// larger is not the file we expect.
inline constexpr size_t kMaxKernelFileBytes = 1 << 20;

inline Result<std::string> ReadKernelFile(const std::string& path) {
  return ReadSmallFile(path, kMaxKernelFileBytes);
}

}  // namespace rte
