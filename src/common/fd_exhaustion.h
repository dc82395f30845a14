// The exporter's own shortage of file descriptors, kept apart from any target's refusal: a
// connect that fails because this process is out of descriptors says nothing about Redis.
#pragma once

#include <atomic>
#include <cerrno>
#include <cstdint>

namespace rte {

// EMFILE (this process' RLIMIT_NOFILE) or ENFILE (the system's file table).
inline bool IsFdExhaustion(int error) { return error == EMFILE || error == ENFILE; }

// Connections to Redis that could not be opened for want of a descriptor. Process-wide, as the
// limit is.
inline std::atomic<std::uint64_t>& ConnectFdExhaustions() {
  static std::atomic<std::uint64_t> count{0};
  return count;
}

}  // namespace rte
