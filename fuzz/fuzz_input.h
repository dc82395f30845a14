// Helpers shared by the libFuzzer targets: the input as a string_view, and a split point
// taken from the input itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace rte::fuzz {

inline std::string_view Text(const std::uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Recorded fixtures start with a "# fixture: ..." line; the targets that decode RESP skip it so
// that the seeds reach the decoder as they reach the unit tests.
inline std::string_view SkipFixtureHeader(std::string_view bytes) {
  if (bytes.rfind("# fixture: ", 0) != 0) return bytes;
  size_t eol = bytes.find("\r\n");
  return eol == std::string_view::npos ? std::string_view() : bytes.substr(eol + 2);
}

}  // namespace rte::fuzz
