// One sock_diag dump datagram, as recvmsg fills the reader's buffer, parsed as inet_diag and as
// unix_diag messages. The dump's sequence number is the first message's, so most inputs reach
// the parsers.
#include <linux/netlink.h>

#include <cstring>
#include <vector>

#include "fuzz_input.h"
#include "sources/kernel/listen_queue_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;  // the reader's buffer
  alignas(nlmsghdr) static char buf[64 * 1024];
  std::memcpy(buf, data, size);
  std::uint32_t seq = 0;
  if (size >= sizeof(nlmsghdr)) seq = reinterpret_cast<const nlmsghdr*>(buf)->nlmsg_seq;
  std::vector<rte::TcpListener> tcp;
  std::vector<rte::UnixListener> unix_listeners;
  (void)rte::WalkDumpDatagram(buf, size, seq, [&](const nlmsghdr& h) {
    rte::ParseInetMessage(h, &tcp);
    rte::ParseUnixMessage(h, &unix_listeners);
  });
  return 0;
}
