// Sliding window of PING round-trip samples and their quantiles. Pure: time is an argument.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

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

}  // namespace rte
