// Durations as written in the config file: "250us", "500ms", "5s", "1m", "1h".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/status.h"

namespace rte {

using Duration = std::chrono::nanoseconds;

Result<Duration> ParseDuration(std::string_view text);
std::string FormatDuration(Duration d);
inline double ToSeconds(Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace rte
