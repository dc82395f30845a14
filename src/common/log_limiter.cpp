#include "common/log_limiter.h"

namespace rte {

LogLimiter::Decision LogLimiter::Occurred(const std::string& key, Nanos now) {
  auto [it, inserted] = state_.try_emplace(key);
  if (inserted || now - it->second.last_logged >= interval_) {
    Decision d{true, it->second.suppressed};
    it->second.last_logged = now;
    it->second.suppressed = 0;
    return d;
  }
  ++it->second.suppressed;
  return Decision{false, it->second.suppressed};
}

bool LogLimiter::Cleared(const std::string& key) { return state_.erase(key) > 0; }

}  // namespace rte
