// Pure parsers for process and memory-management files: the blocking cause's evidence
// (/proc/<pid>/status VmSwap, the transparent-huge-pages mode) and the exporter's own
// process_* metrics (/proc/self/stat, /proc/self/limits, /proc/stat btime).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rte {

// "VmSwap:\t    1234 kB" in /proc/<pid>/status → bytes; absent when the line is missing or
// malformed (kernel threads, other kernels).
std::optional<double> ParseStatusSwapBytes(std::string_view status);

// /sys/kernel/mm/transparent_hugepage/enabled holds "always [madvise] never": the bracketed
// word is the mode in force; absent when none is bracketed.
std::optional<std::string> ParseThpMode(std::string_view text);

// The fields of /proc/<pid>/stat the process_* metrics need, in the kernel's units.
struct ProcStat {
  std::uint64_t utime_ticks = 0;  // field 14, user CPU in clock ticks (sysconf _SC_CLK_TCK)
  std::uint64_t stime_ticks = 0;  // field 15, system CPU in clock ticks
  std::uint64_t start_ticks = 0;  // field 22, start time in clock ticks after boot
  std::uint64_t vsize_bytes = 0;  // field 23, virtual memory size in bytes
  std::uint64_t rss_pages = 0;    // field 24, resident set size in pages
};

// /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so the
// fields are counted from the last ')'. Absent when the line is too short or a field is not a
// number.
std::optional<ProcStat> ParseProcStat(std::string_view stat);

// The soft "Max open files" limit of /proc/<pid>/limits; absent when the line is missing or the
// limit is "unlimited".
std::optional<std::uint64_t> ParseMaxOpenFiles(std::string_view limits);

// "btime <unix seconds>" of /proc/stat: when the host booted.
std::optional<std::uint64_t> ParseBootTime(std::string_view stat);

}  // namespace rte
