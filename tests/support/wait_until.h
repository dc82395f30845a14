// Polling with a deadline: tests wait for a state, never for a fixed time.
#pragma once

#include <chrono>
#include <functional>

namespace rte::testing {

// Calls `condition` every `poll_every` until it returns true (-> true) or `timeout` has passed
// (-> false). The condition is always evaluated at least once, and once more at the deadline.
bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
               std::chrono::milliseconds poll_every = std::chrono::milliseconds(50));

}  // namespace rte::testing
