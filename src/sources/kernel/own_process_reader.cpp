#include "sources/kernel/own_process_reader.h"

#include <dirent.h>
#include <unistd.h>

#include "parse/proc_process.h"
#include "sources/kernel/kernel_file.h"

namespace rte {
namespace {

// A process may hold millions of descriptors; counting stops here, far above any sane limit,
// so one reading stays bounded.
constexpr double kMaxCountedFds = 1 << 24;

std::optional<double> CountOpenFds(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return std::nullopt;
  double count = 0;
  while (const dirent* entry = ::readdir(d)) {
    if (entry->d_name[0] == '.') continue;  // "." and ".."
    if (++count >= kMaxCountedFds) break;
  }
  ::closedir(d);
  // The directory stream itself holds a descriptor that is listed too.
  return count > 0 ? count - 1 : 0;
}

}  // namespace

std::optional<ProcessFigures> ReadOwnProcess(const std::string& procfs_root) {
  const auto stat_text = ReadKernelFile(procfs_root + "/self/stat");
  if (!stat_text.ok()) return std::nullopt;
  const auto stat = ParseProcStat(stat_text.value());
  if (!stat) return std::nullopt;
  const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (ticks_per_second <= 0 || page_size <= 0) return std::nullopt;
  const double tick = 1.0 / static_cast<double>(ticks_per_second);

  ProcessFigures out;
  out.cpu_seconds_total = static_cast<double>(stat->utime_ticks + stat->stime_ticks) * tick;
  out.resident_memory_bytes = static_cast<double>(stat->rss_pages) * static_cast<double>(page_size);
  out.virtual_memory_bytes = static_cast<double>(stat->vsize_bytes);
  if (auto host_stat = ReadKernelFile(procfs_root + "/stat"); host_stat.ok()) {
    if (auto boot = ParseBootTime(host_stat.value())) {
      out.start_time_seconds =
          static_cast<double>(*boot) + static_cast<double>(stat->start_ticks) * tick;
    }
  }
  out.open_fds = CountOpenFds(procfs_root + "/self/fd");
  if (auto limits = ReadKernelFile(procfs_root + "/self/limits"); limits.ok()) {
    if (auto max = ParseMaxOpenFiles(limits.value())) out.max_fds = static_cast<double>(*max);
  }
  return out;
}

}  // namespace rte
