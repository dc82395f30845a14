// Pure parser for single-integer /proc/sys files such as net/core/somaxconn.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace rte {

// "4096\n" → 4096. Surrounding whitespace is ignored; anything else (several numbers as in
// tcp_rmem, a sign, text, an empty file) is an error naming what was found.
Result<std::uint64_t> ParseProcSysInteger(std::string_view text);

}  // namespace rte
