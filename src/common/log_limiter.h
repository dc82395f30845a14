// Keeps a repeated error from flooding the log: the first occurrence is logged, repeats are
// counted and summarised at most once per interval, and recovery is reported once.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/clock.h"

namespace rte {

class LogLimiter {
 public:
  explicit LogLimiter(Nanos interval = 300'000'000'000) : interval_(interval) {}

  struct Decision {
    bool log = false;
    std::uint64_t suppressed = 0;  // repeats not logged since the last logged line
  };
  // Call on every occurrence of `key` (an event kind, not its free text).
  Decision Occurred(const std::string& key, Nanos now);
  // Call when the condition is over; true when `key` had been reported (so log the recovery).
  bool Cleared(const std::string& key);

 private:
  struct State {
    Nanos last_logged = 0;
    std::uint64_t suppressed = 0;
  };
  Nanos interval_;
  std::map<std::string, State> state_;
};

}  // namespace rte
