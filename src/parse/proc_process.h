// Pure parsers for the process and memory-management files the blocking cause reads as
// evidence: /proc/<pid>/status (VmSwap), /proc/<pid>/comm and the transparent-huge-pages mode.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rte {

// "VmSwap:\t    1234 kB" in /proc/<pid>/status → bytes; absent when the line is missing or
// malformed (kernel threads, other kernels).
std::optional<double> ParseStatusSwapBytes(std::string_view status);

// /sys/kernel/mm/transparent_hugepage/enabled holds "always [madvise] never": the bracketed
// word is the mode in force; absent when none is bracketed.
std::optional<std::string> ParseThpMode(std::string_view text);

}  // namespace rte
