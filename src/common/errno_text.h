// The words for an errno value, safe on any thread (strerror's buffer is shared between them).
#pragma once

#include <cerrno>
#include <cstring>
#include <string>

namespace rte {

inline std::string ErrnoText(int error = errno) {
  char buf[128];
  // GNU strerror_r: returns the text, in `buf` or a static string.
  return ::strerror_r(error, buf, sizeof buf);
}

}  // namespace rte
