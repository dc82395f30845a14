// Pure parsers for a process's memory cgroup (the memory cause): which cgroup /proc/<pid>/cgroup
// puts it in, and the memory limit file of that cgroup (v2 memory.max, v1 memory.limit_in_bytes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rte {

// Where /proc/<pid>/cgroup puts a process, as paths relative to each hierarchy's mount.
struct CgroupPaths {
  std::optional<std::string> unified;    // cgroup v2: the "0::/path" line
  std::optional<std::string> v1_memory;  // cgroup v1: the line whose controllers include memory
  bool operator==(const CgroupPaths&) const = default;
};

// Lines are "hierarchy-id:controllers:path". A path outside the reader's cgroup namespace
// ("/../..") cannot be found under the mount and is left out.
CgroupPaths ParseProcCgroup(std::string_view text);

// The cgroup at `path` and its ancestors up to the mount root, innermost first: a parent's
// limit binds its children too. "/a/b" → {"/a/b", "/a", "/"}.
std::vector<std::string> CgroupAncestors(const std::string& path);

// A memory limit file: v2 memory.max ("max" or bytes), v1 memory.limit_in_bytes (bytes; the
// unlimited value is near 2^63). Absent when there is no limit or the text is not a number.
std::optional<std::uint64_t> ParseCgroupMemoryLimit(std::string_view text);

// v1 reports "no limit" as the largest page-aligned counter (9223372036854771712 on 4 KiB
// pages): any value at or above this counts as none.
inline constexpr std::uint64_t kCgroupUnlimitedFloor = std::uint64_t{1} << 62;

}  // namespace rte
