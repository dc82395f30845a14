// The exporter's own process as the standard process collector reports it (process_* metrics),
// read from /proc/self alongside the kernel counters.
#pragma once

#include <optional>

namespace rte {

// An empty optional means the file or field could not be read; the series is then left out.
struct ProcessFigures {
  double cpu_seconds_total = 0;              // /proc/self/stat utime + stime
  double resident_memory_bytes = 0;          // /proc/self/stat rss × page size
  double virtual_memory_bytes = 0;           // /proc/self/stat vsize
  std::optional<double> start_time_seconds;  // /proc/stat btime + /proc/self/stat starttime
  std::optional<double> open_fds;            // entries of /proc/self/fd
  std::optional<double> max_fds;             // /proc/self/limits "Max open files" soft limit
};

}  // namespace rte
