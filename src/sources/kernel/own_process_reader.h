// Reads the exporter's own process figures (the standard process_* metrics) from procfs.
// Blocking file reads: the kernel sampler's thread calls it, never an event loop.
#pragma once

#include <optional>
#include <string>

#include "snapshot/process.h"

namespace rte {

// From `<procfs_root>/self/{stat,limits,fd}` and `<procfs_root>/stat`; absent when
// self/stat cannot be read or parsed (then no process_* series is served).
std::optional<ProcessFigures> ReadOwnProcess(const std::string& procfs_root);

}  // namespace rte
