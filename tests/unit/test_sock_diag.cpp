// The pure half of ListenQueueReader on sock_diag dumps recorded from a real kernel
// (tests/fixtures/netlink/record_sock_diag.py): a redis-server with tcp-backlog 128 and a unix
// socket was listening when they were taken.
#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fixtures.h"
#include "sources/kernel/listen_queue_reader.h"

namespace {

using rte::testing::ReadFixture;

// Walks the recorded datagrams of one dump, in order, as the reader does; each must parse and
// only the last may end the dump.
template <typename Parse>
void WalkRecordedDump(const std::string& prefix, int datagrams, Parse parse) {
  for (int n = 1; n <= datagrams; ++n) {
    INFO(prefix << n);
    const std::string bytes = ReadFixture("netlink/" + prefix + std::to_string(n) + ".bin");
    REQUIRE(bytes.size() >= sizeof(nlmsghdr));
    std::vector<nlmsghdr> aligned(bytes.size() / sizeof(nlmsghdr) + 1);
    std::memcpy(aligned.data(), bytes.data(), bytes.size());
    const auto done = rte::WalkDumpDatagram(aligned.data(), bytes.size(), aligned[0].nlmsg_seq,
                                            [&](const nlmsghdr& h) { parse(h); });
    REQUIRE(done.ok());
    CHECK(done.value() == (n == datagrams));
  }
}

}  // namespace

TEST_CASE("sock_diag: a recorded inet_diag dump lists the listener with its backlog",
          "[sock_diag]") {
  const auto meta = nlohmann::json::parse(ReadFixture("netlink/listeners.json"));
  std::vector<rte::TcpListener> listeners;
  WalkRecordedDump("inet_listen_", 2,
                   [&](const nlmsghdr& h) { rte::ParseInetMessage(h, &listeners); });
  REQUIRE(listeners.size() > 1);  // the host's other listeners too
  const rte::TcpListener* redis =
      rte::FindListener(listeners, meta["redis_port"].get<std::uint16_t>(), "127.0.0.1");
  REQUIRE(redis != nullptr);
  CHECK(redis->family == AF_INET);
  CHECK(redis->wqueue == meta["redis_backlog"].get<std::uint32_t>());
  CHECK(redis->rqueue == 0);
  CHECK(redis->inode != 0);
  for (const auto& l : listeners) CHECK(l.family == AF_INET);
}

TEST_CASE("sock_diag: a recorded unix_diag dump lists the socket path and its backlog",
          "[sock_diag]") {
  const auto meta = nlohmann::json::parse(ReadFixture("netlink/listeners.json"));
  std::vector<rte::UnixListener> listeners;
  WalkRecordedDump("unix_listen_", 2,
                   [&](const nlmsghdr& h) { rte::ParseUnixMessage(h, &listeners); });
  const auto path = meta["redis_unix_path"].get<std::string>();
  const auto it = std::find_if(listeners.begin(), listeners.end(),
                               [&](const rte::UnixListener& l) { return l.path == path; });
  REQUIRE(it != listeners.end());
  CHECK(it->wqueue == meta["redis_backlog"].get<std::uint32_t>());
  CHECK(it->rqueue == 0);
}

TEST_CASE("sock_diag: a datagram cut short or of another dump is refused, not read past",
          "[sock_diag]") {
  const std::string bytes = ReadFixture("netlink/inet_listen_1.bin");
  std::vector<nlmsghdr> aligned(bytes.size() / sizeof(nlmsghdr) + 1);
  std::memcpy(aligned.data(), bytes.data(), bytes.size());
  size_t messages = 0;
  const auto count = [&](const nlmsghdr&) { ++messages; };
  // Another dump's sequence number: its messages are not ours.
  const auto other = rte::WalkDumpDatagram(aligned.data(), bytes.size(), 999, count);
  REQUIRE(other.ok());
  CHECK_FALSE(other.value());
  CHECK(messages == 0);
  // Cut inside the first message: nothing is handed over from beyond the bytes given.
  messages = 0;
  const auto cut = rte::WalkDumpDatagram(aligned.data(), 20, aligned[0].nlmsg_seq, count);
  REQUIRE(cut.ok());
  CHECK_FALSE(cut.value());
  CHECK(messages == 0);
}
