// The one bounded file reader: secrets, TLS files and procfs/sysfs files are read whole, with a
// byte cap each caller chooses, and a FIFO or a device is refused instead of waited on.
#pragma once

#include <cstddef>
#include <string>

#include "common/status.h"

namespace rte {

// The whole file, or why not: the open or read error, "not a regular file" (a FIFO, a device, a
// socket or a directory: refused before a byte is read, since a FIFO nobody writes would never
// answer and a device may never end), or "larger than <max_bytes>". procfs and sysfs files are
// regular files that report size 0; they are read until EOF. The open is non-blocking, but a
// read from a slow disk or network filesystem can still take long: never call it on an event
// loop.
Result<std::string> ReadSmallFile(const std::string& path, size_t max_bytes);

// A byte count as error texts name a cap: "64 KiB", "1 MiB", "100 bytes".
std::string DescribeBytes(size_t bytes);

}  // namespace rte
