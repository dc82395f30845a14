// What one reading of this host's kernel saw (cause 5): host-wide counters and sysctls, and the
// accept queue of each local target's listening socket.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rte {

// An empty optional means the file or field is absent (non-Linux, a sandboxed kernel, an older
// layout without the field); the series is then left out, not zeroed.
struct KernelCounters {
  std::optional<std::uint64_t> listen_overflows;     // /proc/net/netstat TcpExt ListenOverflows
  std::optional<std::uint64_t> listen_drops;         // /proc/net/netstat TcpExt ListenDrops
  std::optional<std::uint64_t> somaxconn;            // /proc/sys/net/core/somaxconn
  std::optional<std::uint64_t> tcp_max_syn_backlog;  // /proc/sys/net/ipv4/tcp_max_syn_backlog
  std::optional<std::uint64_t> tcp_syncookies;       // /proc/sys/net/ipv4/tcp_syncookies
};

// Accept queue of one listening socket.
struct ListenQueue {
  double length = 0;  // connections waiting for accept()
  double max = 0;     // effective backlog: min(listen() backlog, somaxconn)
  // The longest queue seen since the previous reading: TCP listeners are sampled every
  // kQueuePeakInterval in between, so a burst that filled the queue for a moment shows.
  double peak = 0;
};

struct KernelSnapshot {
  KernelCounters counters;
  bool listen_queue_read = false;  // some target is local, so the sockets were dumped
  bool listen_queue_ok = false;    // the netlink sock_diag dump worked
  double counters_duration_seconds = 0;
  double listen_queue_duration_seconds = 0;
  std::map<std::string, ListenQueue> queues;  // target name → its listener's queue
  // Ports of other TCP listeners on this host (not a target's) whose queue was seen at least
  // 90% full since the previous reading: where host-wide ListenOverflows may come from.
  std::vector<int> other_full_ports;
  // Evidence for the blocking cause, local targets only: the Redis process's swapped memory
  // (/proc/<pid>/status VmSwap) and the host's transparent-huge-pages mode.
  std::map<std::string, double> swap_bytes;  // target name → bytes
  std::optional<std::string> thp_mode;       // "always", "madvise" or "never"
};

}  // namespace rte
