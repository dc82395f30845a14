// Listening sockets as the kernel's sock_diag reports them, and how a target finds its own.
// Header-only and pure so unit_tests (rte_core only) can test FindListener.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sources/kernel/ip_address.h"

namespace rte {

struct TcpListener {
  int family = 0;       // AF_INET or AF_INET6
  std::string address;  // local address as inet_ntop prints it: "127.0.0.1", "0.0.0.0", "::"
  std::uint16_t port = 0;
  std::uint32_t rqueue = 0;  // accept queue now: handshakes completed, not yet accept()ed
  std::uint32_t wqueue = 0;  // effective backlog max = min(listen() backlog, somaxconn)
  std::uint64_t inode = 0;
  std::optional<bool> v6only;  // AF_INET6 only (INET_DIAG_SKV6ONLY): false = also takes IPv4
};

struct UnixListener {
  std::string path;          // filesystem path; "@name" for an abstract socket; "" when unnamed
  std::uint32_t rqueue = 0;  // connections waiting for accept()
  std::uint32_t wqueue = 0;  // backlog max given to listen() (capped by somaxconn)
  std::uint64_t inode = 0;
};

// The listener a connection to address:port lands on, or nullptr. Preference follows the
// kernel's own lookup: an exact address, then the wildcard of the same family (0.0.0.0 or
// ::), then, for an IPv4 address, a dual-stack :: listener (v6only false). "localhost" tries
// 127.0.0.1 then ::1; other hostnames must be resolved by the caller (nullptr here).
inline const TcpListener* FindListener(const std::vector<TcpListener>& listeners,
                                       std::uint16_t port, std::string_view address) {
  std::string lower(address);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "localhost") {
    if (const TcpListener* l = FindListener(listeners, port, "127.0.0.1")) return l;
    return FindListener(listeners, port, "::1");
  }
  std::optional<IpAddress> want = ParseIpAddress(address);
  if (!want) return nullptr;

  const TcpListener* wildcard = nullptr;
  const TcpListener* dual_stack = nullptr;
  for (const TcpListener& l : listeners) {
    if (l.port != port) continue;
    std::optional<IpAddress> have = ParseIpAddress(l.address);
    if (!have) continue;
    if (*have == *want) return &l;
    if (have->family == want->family && have->IsWildcard()) {
      if (!wildcard) wildcard = &l;
    } else if (want->family == AF_INET && have->family == AF_INET6 && have->IsWildcard() &&
               l.v6only == false) {
      if (!dual_stack) dual_stack = &l;
    }
  }
  return wildcard ? wildcard : dual_stack;
}

inline const UnixListener* FindUnixListener(const std::vector<UnixListener>& listeners,
                                            std::string_view path) {
  for (const UnixListener& l : listeners) {
    if (l.path == path) return &l;
  }
  return nullptr;
}

}  // namespace rte
