// Sliding window of PING round-trip samples and their quantiles. Pure: time is an argument.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "common/clock.h"

namespace rte {

class LatencyWindow {
 public:
  explicit LatencyWindow(Nanos width) : width_(width) {}

  void Add(Nanos now, Nanos rtt);
  // Drops samples older than the window; call before reading.
  void Prune(Nanos now);
  // Nearest-rank quantile of the samples in the window (q = 1 is the maximum); empty when the
  // window holds no sample.
  std::optional<double> QuantileSeconds(double q) const;
  size_t size() const { return samples_.size(); }

 private:
  struct Sample {
    Nanos at;
    Nanos rtt;
  };
  Nanos width_;
  std::deque<Sample> samples_;
};

// Buckets of redis_timeout_ping_rtt_seconds: 100 µs (loopback) to 10 s (a hung server).
inline const std::vector<double> kPingBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                 0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                 1,      2.5,     5,      10};

}  // namespace rte
