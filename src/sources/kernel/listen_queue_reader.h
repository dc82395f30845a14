// Reads every listening socket's live accept queue and its effective maximum from the kernel
// with one netlink sock_diag dump (no privileges, no /proc/net/tcp parsing).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "common/status.h"
#include "sources/kernel/listeners.h"

struct nlmsghdr;

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

// The pure half of a dump, apart from the socket so the fuzz target can feed it bytes: walks
// one reply datagram (aligned for nlmsghdr) and hands each message of dump `seq` to
// on_message. True at NLMSG_DONE, false when more datagrams follow; an NLMSG_ERROR is an error.
Result<bool> WalkDumpDatagram(const void* datagram, size_t size, std::uint32_t seq,
                              const std::function<void(const nlmsghdr&)>& on_message);
// One SOCK_DIAG_BY_FAMILY message → a listener appended to `out`; others are skipped.
void ParseInetMessage(const nlmsghdr& h, std::vector<TcpListener>* out);
void ParseUnixMessage(const nlmsghdr& h, std::vector<UnixListener>* out);

}  // namespace rte
