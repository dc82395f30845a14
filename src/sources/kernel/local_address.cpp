// Loopback check plus a getifaddrs scan of the local interfaces.
#include "sources/kernel/local_address.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <string>

#include "sources/kernel/ip_address.h"

namespace rte {

bool IsLocalAddress(std::string_view host) {
  std::string lower(host);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "localhost" || lower == "localhost.") return true;

  std::optional<IpAddress> want = ParseIpAddress(host);
  if (!want) return false;
  if (want->IsLoopback()) return true;

  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return false;
  bool found = false;
  for (ifaddrs* ifa = list; ifa != nullptr && !found; ifa = ifa->ifa_next) {
    if (ifa->ifa_addr == nullptr) continue;
    IpAddress have;
    if (ifa->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(ifa->ifa_addr);
      have.family = AF_INET;
      std::memcpy(have.bytes.data(), &sin->sin_addr, 4);
    } else if (ifa->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ifa->ifa_addr);
      have.family = AF_INET6;
      std::memcpy(have.bytes.data(), &sin6->sin6_addr, 16);
    } else {
      continue;
    }
    found = have == *want;
  }
  freeifaddrs(list);
  return found;
}

}  // namespace rte
