// Reads every listening socket's live accept queue and its effective maximum from the kernel
// with one netlink sock_diag dump (no privileges, no /proc/net/tcp parsing).
#pragma once

#include <chrono>
#include <vector>

#include "common/status.h"
#include "sources/kernel/listeners.h"

namespace rte {

// Stateless apart from its timeout; each call opens, dumps and closes one netlink socket.
// Sees the network namespace the exporter runs in: a Redis in another namespace is not listed.
class ListenQueueReader {
 public:
  explicit ListenQueueReader(std::chrono::milliseconds timeout = std::chrono::milliseconds(1000))
      : timeout_(timeout) {}

  // TCP sockets in LISTEN, AF_INET and AF_INET6 (inet_diag, IPPROTO_TCP).
  Result<std::vector<TcpListener>> ReadTcp() const;
  // Listening unix-domain stream sockets (unix_diag with UDIAG_SHOW_RQLEN).
  Result<std::vector<UnixListener>> ReadUnix() const;

 private:
  std::chrono::milliseconds timeout_;
};

}  // namespace rte
