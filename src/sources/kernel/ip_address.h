// Numeric IP addresses compared by value ("::ffff:127.0.0.1" is 127.0.0.1, "0::1" is "::1").
// Header-only and pure so unit_tests, which link only rte_core, can test it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace rte {

struct IpAddress {
  int family = AF_INET;                  // AF_INET or AF_INET6
  std::array<std::uint8_t, 16> bytes{};  // AF_INET uses the first 4, network order

  bool operator==(const IpAddress&) const = default;

  bool IsWildcard() const {
    size_t n = family == AF_INET ? 4 : 16;
    for (size_t i = 0; i < n; ++i) {
      if (bytes[i] != 0) return false;
    }
    return true;
  }
  bool IsLoopback() const {
    if (family == AF_INET) return bytes[0] == 127;
    for (size_t i = 0; i < 15; ++i) {
      if (bytes[i] != 0) return false;
    }
    return bytes[15] == 1;
  }
  std::string ToString() const {
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(family, bytes.data(), text, sizeof(text));
    return text;
  }
};

// Accepts dotted IPv4, IPv6 with or without brackets, and an IPv6 zone ("fe80::1%eth0", the
// zone is ignored). IPv4-mapped IPv6 is returned as IPv4, because that is the socket a
// connection to it reaches. Hostnames (including "localhost") are not resolved: nullopt.
inline std::optional<IpAddress> ParseIpAddress(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (size_t zone = text.find('%'); zone != std::string_view::npos) text = text.substr(0, zone);
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string copy(text);  // inet_pton wants a NUL-terminated string

  IpAddress out;
  if (inet_pton(AF_INET, copy.c_str(), out.bytes.data()) == 1) {
    out.family = AF_INET;
    return out;
  }
  if (inet_pton(AF_INET6, copy.c_str(), out.bytes.data()) == 1) {
    out.family = AF_INET6;
    static constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(out.bytes.data(), kMappedPrefix, sizeof(kMappedPrefix)) == 0) {
      IpAddress v4;
      v4.family = AF_INET;
      std::memcpy(v4.bytes.data(), out.bytes.data() + 12, 4);
      return v4;
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace rte
