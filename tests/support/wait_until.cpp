// Polling with a deadline: tests wait for a state, never for a fixed time.
#include "wait_until.h"

#include <thread>

namespace rte::testing {

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
               std::chrono::milliseconds poll_every) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    std::this_thread::sleep_for(left < poll_every ? left : poll_every);
  }
}

}  // namespace rte::testing
