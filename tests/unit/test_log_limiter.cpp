// LogLimiter: first occurrence logged, repeats summarised once per interval, recovery once.
#include <catch2/catch.hpp>

#include "common/log_limiter.h"

using namespace rte;

TEST_CASE("repeated errors are logged once per interval", "[log]") {
  LogLimiter limiter(10);
  CHECK(limiter.Occurred("connect", 0).log);
  CHECK_FALSE(limiter.Occurred("connect", 3).log);
  CHECK_FALSE(limiter.Occurred("connect", 6).log);
  const auto d = limiter.Occurred("connect", 10);
  CHECK(d.log);
  CHECK(d.suppressed == 2);
  CHECK(limiter.Occurred("auth", 11).log);  // another kind is its own stream
  CHECK(limiter.Cleared("connect"));
  CHECK_FALSE(limiter.Cleared("connect"));
  CHECK(limiter.Occurred("connect", 12).log);  // a new outage is news again
}
