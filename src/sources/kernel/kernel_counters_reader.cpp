// File I/O around the pure /proc parsers; every failure becomes an empty optional and one warning.
#include "sources/kernel/kernel_counters_reader.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "parse/proc_netstat.h"
#include "parse/proc_sys.h"
#include "sources/kernel/kernel_file.h"

namespace rte {

KernelCountersReader::KernelCountersReader(std::string procfs_root)
    : root_(std::move(procfs_root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  if (root_.empty()) root_ = "/proc";
}

bool KernelCountersReader::FirstWarning(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  return warned_.insert(key).second;
}

std::optional<std::uint64_t> KernelCountersReader::ReadSysctl(const std::string& relative_path) {
  const std::string path = root_ + "/" + relative_path;
  const Result<std::string> text = ReadKernelFile(path);
  if (!text.ok()) {
    if (FirstWarning(path)) {
      spdlog::warn("event=kernel_counter_missing path={} reason=\"{}\"", path, text.error());
    }
    return std::nullopt;
  }
  Result<std::uint64_t> value = ParseProcSysInteger(text.value());
  if (!value.ok()) {
    if (FirstWarning(path)) {
      spdlog::warn("event=kernel_counter_missing path={} reason=\"{}\"", path, value.error());
    }
    return std::nullopt;
  }
  return value.value();
}

KernelCounters KernelCountersReader::Read() {
  KernelCounters out;

  const std::string netstat_path = root_ + "/net/netstat";
  const Result<std::string> text = ReadKernelFile(netstat_path);
  if (text.ok()) {
    ProcNetstat netstat = ParseProcNetstat(text.value());
    if (netstat.malformed_lines > 0 && FirstWarning(netstat_path + "#malformed")) {
      spdlog::warn("event=kernel_netstat_malformed path={} malformed_lines={}", netstat_path,
                   netstat.malformed_lines);
    }
    out.listen_overflows = netstat.Get("TcpExt", "ListenOverflows");
    out.listen_drops = netstat.Get("TcpExt", "ListenDrops");
    for (const char* field : {"ListenOverflows", "ListenDrops"}) {
      if (!netstat.Get("TcpExt", field) && FirstWarning(netstat_path + "#" + field)) {
        spdlog::warn("event=kernel_counter_missing path={} field=TcpExt.{}", netstat_path, field);
      }
    }
  } else if (FirstWarning(netstat_path)) {
    spdlog::warn("event=kernel_counter_missing path={} reason=\"{}\"", netstat_path, text.error());
  }

  out.somaxconn = ReadSysctl("sys/net/core/somaxconn");
  out.tcp_max_syn_backlog = ReadSysctl("sys/net/ipv4/tcp_max_syn_backlog");
  out.tcp_syncookies = ReadSysctl("sys/net/ipv4/tcp_syncookies");
  return out;
}

}  // namespace rte
