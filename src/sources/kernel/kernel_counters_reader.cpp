// File I/O around the pure /proc parsers; every failure becomes an empty optional and one warning.
#include "sources/kernel/kernel_counters_reader.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "parse/proc_netstat.h"
#include "parse/proc_sys.h"

namespace rte {
namespace {

// The procfs files read here are a few KiB; anything larger is not the file we expect.
constexpr size_t kMaxFileBytes = 1 << 20;

// procfs files report size 0, so read until EOF rather than by size.
std::optional<std::string> ReadWholeFile(const std::string& path, std::string* error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = std::strerror(errno);
    return std::nullopt;
  }
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n > 0) {
      text.append(buf, static_cast<size_t>(n));
      if (text.size() > kMaxFileBytes) {
        *error = "larger than 1 MiB";
        ::close(fd);
        return std::nullopt;
      }
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      *error = std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
  }
  ::close(fd);
  return text;
}

}  // namespace

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
  std::string error;
  std::optional<std::string> text = ReadWholeFile(path, &error);
  if (!text) {
    if (FirstWarning(path)) {
      spdlog::warn("event=kernel_counter_missing path={} reason=\"{}\"", path, error);
    }
    return std::nullopt;
  }
  Result<std::uint64_t> value = ParseProcSysInteger(*text);
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
  std::string error;
  if (std::optional<std::string> text = ReadWholeFile(netstat_path, &error)) {
    ProcNetstat netstat = ParseProcNetstat(*text);
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
    spdlog::warn("event=kernel_counter_missing path={} reason=\"{}\"", netstat_path, error);
  }

  out.somaxconn = ReadSysctl("sys/net/core/somaxconn");
  out.tcp_max_syn_backlog = ReadSysctl("sys/net/ipv4/tcp_max_syn_backlog");
  out.tcp_syncookies = ReadSysctl("sys/net/ipv4/tcp_syncookies");
  return out;
}

}  // namespace rte
