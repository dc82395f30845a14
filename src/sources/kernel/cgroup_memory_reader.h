// Reads the memory limit of a process's cgroup (the memory cause, local targets): the cgroup
// from <procfs>/<pid>/cgroup, its limit files under <sysfs>/fs/cgroup. Blocking file reads:
// the kernel sampler's thread only.
#pragma once

#include <optional>
#include <string>

namespace rte {

// The smallest memory limit on the process's cgroup and its ancestors, in bytes, over the
// cgroup v2 hierarchy (<sysfs>/fs/cgroup, or <sysfs>/fs/cgroup/unified on a hybrid host,
// memory.max) and the v1 memory hierarchy (<sysfs>/fs/cgroup/memory, memory.limit_in_bytes).
// Absent when no level sets a limit or none of the files can be read.
std::optional<double> ReadCgroupMemoryLimit(const std::string& procfs_root,
                                            const std::string& sysfs_root, long pid);

}  // namespace rte
