// ListenQueueReader and IsLocalAddress against real sockets: a redis-server with a tiny
// backlog, paused with SIGSTOP, has its accept queue filled by non-blocking connects.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "redis_server.h"
#include "sources/kernel/kernel_counters_reader.h"
#include "sources/kernel/listen_queue_reader.h"
#include "sources/kernel/local_address.h"
#include "wait_until.h"

namespace rte {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Closes every fd it holds when it goes out of scope.
struct Fds {
  std::vector<int> fds;
  ~Fds() {
    for (int fd : fds) ::close(fd);
  }
};

std::optional<TcpListener> ListenerOn(int port, const char* address = "127.0.0.1") {
  Result<std::vector<TcpListener>> all = ListenQueueReader().ReadTcp();
  REQUIRE(all.ok());
  const TcpListener* l = FindListener(all.value(), static_cast<std::uint16_t>(port), address);
  if (l == nullptr) return std::nullopt;
  return *l;
}

std::optional<UnixListener> UnixListenerOn(const std::string& path) {
  Result<std::vector<UnixListener>> all = ListenQueueReader().ReadUnix();
  REQUIRE(all.ok());
  const UnixListener* l = FindUnixListener(all.value(), path);
  if (l == nullptr) return std::nullopt;
  return *l;
}

std::uint32_t UnixRqueue(const std::string& path) {
  std::optional<UnixListener> l = UnixListenerOn(path);
  REQUIRE(l.has_value());
  return l->rqueue;
}

std::uint32_t Rqueue(int port) {
  std::optional<TcpListener> l = ListenerOn(port);
  REQUIRE(l.has_value());
  return l->rqueue;
}

int ConnectNonBlocking(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  CHECK((rc == 0 || errno == EINPROGRESS));
  return fd;
}

std::uint64_t ListenOverflows() {
  std::optional<std::uint64_t> v = KernelCountersReader("/proc").Read().listen_overflows;
  REQUIRE(v.has_value());
  return *v;
}

TEST_CASE("ListenQueueReader lists this process's own listening socket", "[kernel]") {
  int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  int off = 0;
  ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_any;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(::listen(fd, 7) == 0);
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin6_port);

  std::optional<TcpListener> l = ListenerOn(port, "::1");
  REQUIRE(l.has_value());
  CHECK(l->family == AF_INET6);
  CHECK(l->address == "::");
  CHECK(l->wqueue == 7);
  CHECK(l->rqueue == 0);
  CHECK(l->inode != 0);
  CHECK(l->v6only == false);
  // Dual stack: an IPv4 client lands on the same socket.
  std::optional<TcpListener> v4 = ListenerOn(port, "127.0.0.1");
  REQUIRE(v4.has_value());
  CHECK(v4->inode == l->inode);
  ::close(fd);
  CHECK_FALSE(ListenerOn(port, "::1").has_value());
}

TEST_CASE("Accept queue of a paused redis-server fills to max+1, then drains", "[kernel]") {
  testing::RedisServer server({"--tcp-backlog", "4"});
  std::optional<TcpListener> idle = ListenerOn(server.port());
  REQUIRE(idle.has_value());
  CHECK(idle->address == "127.0.0.1");
  CHECK(idle->rqueue == 0);
  CHECK(idle->wqueue == 4);  // min(tcp-backlog 4, somaxconn)
  const std::uint64_t overflows_before = ListenOverflows();

  server.Pause();
  Fds clients;
  for (int i = 0; i < 20; ++i) clients.fds.push_back(ConnectNonBlocking(server.port()));

  std::uint32_t rqueue = 0;
  // Linux calls the queue full only when it holds more than the max, so it stops at max + 1.
  CHECK(testing::WaitUntil(
      [&] {
        rqueue = Rqueue(server.port());
        return rqueue == idle->wqueue + 1;
      },
      seconds(5)));
  CHECK(rqueue == idle->wqueue + 1);
  CHECK(testing::WaitUntil([&] { return ListenOverflows() > overflows_before; }, seconds(5)));
  // It never grows past max + 1 while the server stays paused.
  CHECK(Rqueue(server.port()) == idle->wqueue + 1);

  server.Resume();
  CHECK(testing::WaitUntil(
      [&] {
        rqueue = Rqueue(server.port());
        return rqueue == 0;
      },
      seconds(10)));
  CHECK(rqueue == 0);
  // The server is healthy again.
  CHECK(server.Command({"PING"}).str == "PONG");
}

TEST_CASE("Unix-socket accept queue of a paused redis-server", "[kernel]") {
  testing::RedisServer server({"--tcp-backlog", "4"});
  std::optional<UnixListener> idle = UnixListenerOn(server.unix_socket());
  REQUIRE(idle.has_value());
  CHECK(idle->rqueue == 0);
  CHECK(idle->wqueue == 4);  // redis uses tcp-backlog for its unix socket too
  CHECK(idle->inode != 0);

  server.Pause();
  Fds clients;
  int refused = 0;
  for (int i = 0; i < 10; ++i) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    clients.fds.push_back(fd);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, server.unix_socket().c_str(), sizeof(addr.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      CHECK(errno == EAGAIN);  // a full unix backlog refuses at once instead of dropping
      ++refused;
    }
  }
  CHECK(UnixRqueue(server.unix_socket()) == idle->wqueue + 1);
  CHECK(refused == 10 - static_cast<int>(idle->wqueue + 1));

  server.Resume();
  CHECK(testing::WaitUntil([&] { return UnixRqueue(server.unix_socket()) == 0; }, seconds(10)));
}

TEST_CASE("IsLocalAddress", "[kernel]") {
  CHECK(IsLocalAddress("localhost"));
  CHECK(IsLocalAddress("LocalHost"));
  CHECK(IsLocalAddress("127.0.0.1"));
  CHECK(IsLocalAddress("127.9.9.9"));
  CHECK(IsLocalAddress("::1"));
  CHECK(IsLocalAddress("[::1]"));
  CHECK(IsLocalAddress("::ffff:127.0.0.1"));
  CHECK_FALSE(IsLocalAddress("192.0.2.1"));    // TEST-NET-1, never assigned
  CHECK_FALSE(IsLocalAddress("2001:db8::1"));  // documentation prefix
  CHECK_FALSE(IsLocalAddress("redis.example.com"));
  CHECK_FALSE(IsLocalAddress(""));

  // Every address on a local interface counts, in both spellings where they differ.
  ifaddrs* list = nullptr;
  REQUIRE(::getifaddrs(&list) == 0);
  int checked = 0;
  for (ifaddrs* ifa = list; ifa != nullptr; ifa = ifa->ifa_next) {
    if (ifa->ifa_addr == nullptr) continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (ifa->ifa_addr->sa_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(ifa->ifa_addr)->sin_addr, text,
                sizeof(text));
      CAPTURE(text);
      CHECK(IsLocalAddress(text));
      CHECK(IsLocalAddress(std::string("::ffff:") + text));
      ++checked;
    } else if (ifa->ifa_addr->sa_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(ifa->ifa_addr)->sin6_addr, text,
                sizeof(text));
      CAPTURE(text);
      CHECK(IsLocalAddress(text));
      ++checked;
    }
  }
  ::freeifaddrs(list);
  CHECK(checked > 0);
}

TEST_CASE("ListenQueueReader finishes a dump quickly", "[kernel]") {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    REQUIRE(ListenQueueReader().ReadTcp().ok());
  }
  // 20 dumps of both families; the poll loop calls this once per cycle.
  CHECK(std::chrono::steady_clock::now() - start < seconds(2));
}

}  // namespace
}  // namespace rte
