// Time as an injected dependency: monotonic for intervals, wall clock only for timestamps.
#pragma once

#include <sys/time.h>

#include <chrono>
#include <cstdint>

namespace rte {

using Nanos = std::int64_t;

// For libevent timers, which take a timeval.
inline timeval NanosToTimeval(Nanos ns) {
  return timeval{static_cast<time_t>(ns / 1'000'000'000),
                 static_cast<suseconds_t>((ns % 1'000'000'000) / 1000)};
}

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Nanos MonotonicNanos() const = 0;
  virtual double WallSeconds() const = 0;
};

class SystemClock final : public Clock {
 public:
  Nanos MonotonicNanos() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  double WallSeconds() const override {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that only moves when a test says so.
class ManualClock final : public Clock {
 public:
  Nanos MonotonicNanos() const override { return mono_; }
  double WallSeconds() const override { return wall_; }
  void Advance(Nanos delta) {
    mono_ += delta;
    wall_ += static_cast<double>(delta) / 1e9;
  }

 private:
  Nanos mono_ = 1'000'000'000;
  double wall_ = 1'700'000'000.0;
};

}  // namespace rte
