#include "sources/kernel/cgroup_memory_reader.h"

#include <algorithm>

#include "parse/cgroup.h"
#include "sources/kernel/kernel_file.h"

namespace rte {
namespace {

// The smallest limit set on `path` or an ancestor, under one hierarchy's mount.
std::optional<double> LimitUnder(const std::string& mount, const std::string& path,
                                 const char* file) {
  std::optional<double> out;
  for (const std::string& dir : CgroupAncestors(path)) {
    const std::string at = mount + (dir == "/" ? std::string() : dir) + "/" + file;
    const auto text = ReadKernelFile(at);
    if (!text.ok()) continue;
    if (auto bytes = ParseCgroupMemoryLimit(text.value())) {
      const double limit = static_cast<double>(*bytes);
      out = out ? std::min(*out, limit) : limit;
    }
  }
  return out;
}

}  // namespace

std::optional<double> ReadCgroupMemoryLimit(const std::string& procfs_root,
                                            const std::string& sysfs_root, long pid) {
  const auto text = ReadKernelFile(procfs_root + "/" + std::to_string(pid) + "/cgroup");
  if (!text.ok()) return std::nullopt;
  const CgroupPaths paths = ParseProcCgroup(text.value());
  const std::string cgroup_root = sysfs_root + "/fs/cgroup";
  std::optional<double> out;
  auto consider = [&out](std::optional<double> limit) {
    if (limit) out = out ? std::min(*out, *limit) : *limit;
  };
  if (paths.unified) {
    // A pure v2 host mounts the hierarchy at /sys/fs/cgroup, a hybrid one at .../unified.
    consider(LimitUnder(cgroup_root, *paths.unified, "memory.max"));
    consider(LimitUnder(cgroup_root + "/unified", *paths.unified, "memory.max"));
  }
  if (paths.v1_memory) {
    consider(LimitUnder(cgroup_root + "/memory", *paths.v1_memory, "memory.limit_in_bytes"));
  }
  return out;
}

}  // namespace rte
