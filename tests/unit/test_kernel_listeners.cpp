// Unit tests of address parsing and FindListener: which listening socket a target's
// host:port lands on (pure, header-only code from src/sources/kernel/).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "sources/kernel/ip_address.h"
#include "sources/kernel/listeners.h"

namespace rte {
namespace {

TcpListener Tcp(int family, std::string address, std::uint16_t port, std::uint32_t inode,
                std::optional<bool> v6only = std::nullopt) {
  TcpListener l;
  l.family = family;
  l.address = std::move(address);
  l.port = port;
  l.inode = inode;
  l.v6only = v6only;
  return l;
}

TEST_CASE("ParseIpAddress normalises the forms a target may be written in", "[kernel][unit]") {
  struct Row {
    const char* text;
    bool ok;
    int family;
    const char* canonical;
    bool loopback;
    bool wildcard;
  };
  const Row rows[] = {
      {"127.0.0.1", true, AF_INET, "127.0.0.1", true, false},
      {"127.1.2.3", true, AF_INET, "127.1.2.3", true, false},
      {"10.0.0.5", true, AF_INET, "10.0.0.5", false, false},
      {"0.0.0.0", true, AF_INET, "0.0.0.0", false, true},
      {"::1", true, AF_INET6, "::1", true, false},
      {"0:0:0:0:0:0:0:1", true, AF_INET6, "::1", true, false},
      {"[::1]", true, AF_INET6, "::1", true, false},
      {"::", true, AF_INET6, "::", false, true},
      {"::ffff:127.0.0.1", true, AF_INET, "127.0.0.1", true, false},
      {"::FFFF:10.1.2.3", true, AF_INET, "10.1.2.3", false, false},
      {"fe80::1%eth0", true, AF_INET6, "fe80::1", false, false},
      {"2001:DB8::1", true, AF_INET6, "2001:db8::1", false, false},
      {"localhost", false, 0, "", false, false},
      {"redis.example.com", false, 0, "", false, false},
      {"", false, 0, "", false, false},
      {"[]", false, 0, "", false, false},
      {"256.0.0.1", false, 0, "", false, false},
      {"127.0.0.1:6379", false, 0, "", false, false},
  };
  for (const Row& row : rows) {
    CAPTURE(row.text);
    std::optional<IpAddress> got = ParseIpAddress(row.text);
    REQUIRE(got.has_value() == row.ok);
    if (!got) continue;
    CHECK(got->family == row.family);
    CHECK(got->ToString() == row.canonical);
    CHECK(got->IsLoopback() == row.loopback);
    CHECK(got->IsWildcard() == row.wildcard);
  }
}

TEST_CASE("FindListener prefers exact, then wildcard, then dual-stack", "[kernel][unit]") {
  const std::vector<TcpListener> listeners = {
      Tcp(AF_INET, "127.0.0.1", 7001, 1),
      Tcp(AF_INET, "0.0.0.0", 7001, 2),
      Tcp(AF_INET, "0.0.0.0", 7002, 3),
      Tcp(AF_INET6, "::", 7002, 4, /*v6only=*/true),
      Tcp(AF_INET6, "::", 7003, 5, /*v6only=*/false),
      Tcp(AF_INET6, "::1", 7004, 6, /*v6only=*/true),
      Tcp(AF_INET6, "::", 7005, 7, /*v6only=*/true),
      Tcp(AF_INET, "10.0.0.5", 7006, 8),
  };
  struct Row {
    std::uint16_t port;
    const char* address;
    std::uint64_t want_inode;  // 0 = no listener
  };
  const Row rows[] = {
      {7001, "127.0.0.1", 1},         // exact beats the wildcard listed after it
      {7001, "10.0.0.9", 2},          // another local address reaches the wildcard
      {7001, "::ffff:127.0.0.1", 1},  // v4-mapped is the IPv4 socket
      {7001, "::1", 0},               // no IPv6 listener on 7001
      {7002, "127.0.0.1", 3},         // IPv4 wildcard, not the v6only ::
      {7002, "::1", 4},
      {7003, "127.0.0.1", 5},  // dual-stack :: takes IPv4
      {7003, "::1", 5},
      {7004, "::1", 6},
      {7004, "0::1", 6},
      {7004, "[::1]", 6},
      {7004, "127.0.0.1", 0},
      {7005, "127.0.0.1", 0},  // v6only :: does not take IPv4
      {7006, "10.0.0.5", 8},
      {7006, "127.0.0.1", 0},  // bound to one address only
      {7007, "127.0.0.1", 0},  // nothing on that port
      {7001, "localhost", 1},
      {7004, "LOCALHOST", 6},          // falls back to ::1
      {7001, "redis.example.com", 0},  // hostnames are the caller's to resolve
  };
  for (const Row& row : rows) {
    CAPTURE(row.port, row.address);
    const TcpListener* got = FindListener(listeners, row.port, row.address);
    if (row.want_inode == 0) {
      CHECK(got == nullptr);
    } else {
      REQUIRE(got != nullptr);
      CHECK(got->inode == row.want_inode);
    }
  }
}

TEST_CASE("FindListener on an empty list and FindUnixListener", "[kernel][unit]") {
  CHECK(FindListener({}, 6380, "127.0.0.1") == nullptr);
  std::vector<UnixListener> unix_listeners(2);
  unix_listeners[0].path = "/run/redis/redis.sock";
  unix_listeners[0].inode = 11;
  unix_listeners[1].path = "@abstract";
  unix_listeners[1].inode = 12;
  REQUIRE(FindUnixListener(unix_listeners, "/run/redis/redis.sock") != nullptr);
  CHECK(FindUnixListener(unix_listeners, "/run/redis/redis.sock")->inode == 11);
  CHECK(FindUnixListener(unix_listeners, "@abstract")->inode == 12);
  CHECK(FindUnixListener(unix_listeners, "/tmp/other.sock") == nullptr);
}

}  // namespace
}  // namespace rte
