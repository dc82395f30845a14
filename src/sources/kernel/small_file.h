// Reads a small kernel file (procfs, sysfs) whole, with a size bound. Blocking: call it only
// off the event loop.
#pragma once

#include <optional>
#include <string>

namespace rte {

// The files read this way are a few KiB; anything larger is not the file we expect.
inline constexpr size_t kMaxSmallFileBytes = 1 << 20;

// The whole file, or nullopt with `error` (when given) set to why: missing, unreadable, or
// larger than kMaxSmallFileBytes. procfs files report size 0, so it reads until EOF.
std::optional<std::string> ReadSmallFile(const std::string& path, std::string* error = nullptr);

}  // namespace rte
