// Netlink NETLINK_SOCK_DIAG dumps of listening sockets (inet_diag for TCP, unix_diag for unix).
#include "sources/kernel/listen_queue_reader.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <string>

#include "common/errno_text.h"

namespace rte {
namespace {

class NetlinkSocket {
 public:
  NetlinkSocket() : fd_(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) {}
  ~NetlinkSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

std::string Errno(const char* what) { return std::string(what) + ": " + ErrnoText(); }

// Sends one dump request and hands every reply message to on_message until NLMSG_DONE.
Status Dump(int fd, nlmsghdr* request, std::chrono::milliseconds timeout,
            const std::function<void(const nlmsghdr&)>& on_message) {
  static std::atomic<std::uint32_t> next_seq{1};  // differs between dumps on one socket
  request->nlmsg_seq = next_seq.fetch_add(1, std::memory_order_relaxed);
  const std::uint32_t seq = request->nlmsg_seq;

  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = ::sendto(fd, request, request->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
                    sizeof(kernel));
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return Status::Error(Errno("sock_diag sendto"));

  // Netlink dumps fill at most 32 KiB per datagram; a larger buffer never truncates.
  alignas(nlmsghdr) static thread_local char buf[64 * 1024];
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::microseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Status::Error("sock_diag dump timed out");
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(left.count() / 1000000);
    tv.tv_usec = static_cast<suseconds_t>(left.count() % 1000000);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

    iovec iov{buf, sizeof(buf)};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ssize_t n = ::recvmsg(fd, &msg, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Status::Error("sock_diag dump timed out");
      return Status::Error(Errno("sock_diag recvmsg"));
    }
    if (n == 0) return Status::Error("sock_diag: netlink socket closed");
    if (msg.msg_flags & MSG_TRUNC) return Status::Error("sock_diag: reply truncated");

    Result<bool> done = WalkDumpDatagram(buf, static_cast<size_t>(n), seq, on_message);
    if (!done.ok()) return Status::Error(done.error());
    if (done.value()) return Status::Ok();
  }
}

}  // namespace

Result<bool> WalkDumpDatagram(const void* datagram, size_t size, std::uint32_t seq,
                              const std::function<void(const nlmsghdr&)>& on_message) {
  int len = static_cast<int>(size);
  for (auto* h = static_cast<const nlmsghdr*>(datagram); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
    if (h->nlmsg_seq != seq) continue;  // a late reply to an earlier request
    if (h->nlmsg_type == NLMSG_DONE) return true;
    if (h->nlmsg_type == NLMSG_ERROR) {
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) {
        return Result<bool>::Error("sock_diag: short error message");
      }
      const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
      if (err->error == 0) continue;  // an ACK
      // -errno from the kernel; anything else (INT_MIN, whose negation overflows) by number.
      if (err->error < 0 && err->error > -4096) {
        return Result<bool>::Error(std::string("sock_diag: ") + ErrnoText(-err->error));
      }
      return Result<bool>::Error("sock_diag: error " + std::to_string(err->error));
    }
    on_message(*h);
  }
  return false;
}

void ParseInetMessage(const nlmsghdr& h, std::vector<TcpListener>* out) {
  if (h.nlmsg_type != SOCK_DIAG_BY_FAMILY) return;
  if (h.nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) return;
  const auto* m = static_cast<const inet_diag_msg*>(NLMSG_DATA(&h));
  if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6) return;

  TcpListener l;
  l.family = m->idiag_family;
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(l.family, m->id.idiag_src, text, sizeof(text));
  l.address = text;
  l.port = ntohs(m->id.idiag_sport);
  l.rqueue = m->idiag_rqueue;
  l.wqueue = m->idiag_wqueue;
  l.inode = m->idiag_inode;

  // Attributes (rtattr) follow the fixed message, starting at its aligned end.
  int attr_len = static_cast<int>(h.nlmsg_len - NLMSG_LENGTH(sizeof(inet_diag_msg)));
  const auto* attr = reinterpret_cast<const rtattr*>(reinterpret_cast<const char*>(m) +
                                                     NLMSG_ALIGN(sizeof(inet_diag_msg)));
  for (; RTA_OK(attr, attr_len); attr = RTA_NEXT(attr, attr_len)) {
    if (attr->rta_type == INET_DIAG_SKV6ONLY && RTA_PAYLOAD(attr) >= 1) {
      l.v6only = *static_cast<const std::uint8_t*>(RTA_DATA(attr)) != 0;
    }
  }
  out->push_back(std::move(l));
}

void ParseUnixMessage(const nlmsghdr& h, std::vector<UnixListener>* out) {
  if (h.nlmsg_type != SOCK_DIAG_BY_FAMILY) return;
  if (h.nlmsg_len < NLMSG_LENGTH(sizeof(unix_diag_msg))) return;
  const auto* m = static_cast<const unix_diag_msg*>(NLMSG_DATA(&h));
  if (m->udiag_family != AF_UNIX) return;

  UnixListener l;
  l.inode = m->udiag_ino;
  int attr_len = static_cast<int>(h.nlmsg_len - NLMSG_LENGTH(sizeof(unix_diag_msg)));
  const auto* attr = reinterpret_cast<const rtattr*>(reinterpret_cast<const char*>(m) +
                                                     NLMSG_ALIGN(sizeof(unix_diag_msg)));
  for (; RTA_OK(attr, attr_len); attr = RTA_NEXT(attr, attr_len)) {
    if (attr->rta_type == UNIX_DIAG_NAME) {
      const char* name = static_cast<const char*>(RTA_DATA(attr));
      size_t size = RTA_PAYLOAD(attr);
      if (size > 0 && name[0] == '\0') {
        // Abstract namespace. Appended, not `"@" + std::string(...)`: GCC 12 at -O3 reports a
        // false -Wrestrict on that.
        l.path = '@';
        l.path.append(name + 1, size - 1);
      } else {
        l.path.assign(name, strnlen(name, size));
      }
    } else if (attr->rta_type == UNIX_DIAG_RQLEN && RTA_PAYLOAD(attr) >= sizeof(unix_diag_rqlen)) {
      unix_diag_rqlen rq;
      std::memcpy(&rq, RTA_DATA(attr), sizeof(rq));
      l.rqueue = rq.udiag_rqueue;
      l.wqueue = rq.udiag_wqueue;
    }
  }
  out->push_back(std::move(l));
}

Result<std::vector<TcpListener>> ListenQueueReader::ReadTcp() const {
  NetlinkSocket sock;
  if (sock.fd() < 0) return Result<std::vector<TcpListener>>::Error(Errno("sock_diag socket"));

  std::vector<TcpListener> listeners;
  for (std::uint8_t family : {AF_INET, AF_INET6}) {
    struct {
      nlmsghdr nlh;
      inet_diag_req_v2 req;
    } request{};
    request.nlh.nlmsg_len = sizeof(request);
    request.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    request.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    request.req.sdiag_family = family;
    request.req.sdiag_protocol = IPPROTO_TCP;
    request.req.idiag_states = 1u << TCP_LISTEN;

    Status status = Dump(sock.fd(), &request.nlh, timeout_,
                         [&](const nlmsghdr& h) { ParseInetMessage(h, &listeners); });
    if (!status.ok()) {
      return Result<std::vector<TcpListener>>::Error(
          std::string(family == AF_INET ? "AF_INET " : "AF_INET6 ") + status.message());
    }
  }
  return listeners;
}

Result<std::vector<UnixListener>> ListenQueueReader::ReadUnix() const {
  NetlinkSocket sock;
  if (sock.fd() < 0) return Result<std::vector<UnixListener>>::Error(Errno("sock_diag socket"));

  struct {
    nlmsghdr nlh;
    unix_diag_req req;
  } request{};
  request.nlh.nlmsg_len = sizeof(request);
  request.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  request.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.req.sdiag_family = AF_UNIX;
  request.req.udiag_states = 1u << TCP_LISTEN;
  request.req.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_RQLEN;

  std::vector<UnixListener> listeners;
  Status status = Dump(sock.fd(), &request.nlh, timeout_,
                       [&](const nlmsghdr& h) { ParseUnixMessage(h, &listeners); });
  if (!status.ok()) return Result<std::vector<UnixListener>>::Error("AF_UNIX " + status.message());
  return listeners;
}

}  // namespace rte
