// The process's log: stderr, as logfmt (the default) or JSON lines (--log.format=json), the
// two formats of the Prometheus exporters' --log.format.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace rte {

// Checks --log.level (debug, info, warn, error) and --log.format (logfmt, json).
Status CheckLogFlags(const std::string& level, const std::string& format);

// Installs the stderr logger; call once, after CheckLogFlags() passed.
void SetUpLogging(const std::string& level, const std::string& format);

// One JSON log line (without the newline) for a message written as logfmt pairs
// ("event=x key=\"a b\""): each pair becomes a string field after "ts" and "level". A message
// that is not logfmt becomes a "msg" field, so every line stays valid JSON.
std::string LogLineJson(std::string_view ts, std::string_view level, std::string_view message);

}  // namespace rte
