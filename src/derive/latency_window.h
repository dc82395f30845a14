// Sliding window of PING round-trip samples and their quantiles. Pure: time is an argument.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/clock.h"

namespace rte {

// The risk model's latency tail is reached by at least this many round trips, so it never
// hinges on a single sample.
inline constexpr size_t kTailMinSamples = 2;

// Nearest rank (1 = the slowest) of the risk model's tail among `n` samples: the p99's rank,
// or kTailMinSamples when the p99 would be slower than that (fewer than 200 samples).
size_t TailRankFromTop(size_t n);
// Nearest rank (1 = the slowest) of the p99 among `n` samples.
size_t P99RankFromTop(size_t n);

class LatencyWindow {
 public:
  explicit LatencyWindow(Nanos width) : width_(width) {}

  void Add(Nanos now, Nanos rtt);
  // Drops samples older than the window; call before reading.
  void Prune(Nanos now);
  // Nearest-rank quantile of the samples in the window (q = 1 is the maximum); empty when the
  // window holds no sample.
  std::optional<double> QuantileSeconds(double q) const;
  // The value at TailRankFromTop(size()); empty when the window holds fewer samples than that.
  std::optional<double> TailSeconds() const;
  size_t size() const { return samples_.size(); }

 private:
  struct Sample {
    Nanos at;
    Nanos rtt;
  };
  std::optional<double> AtIndexSeconds(size_t index) const;  // ascending order
  Nanos width_;
  std::vector<Sample> samples_;  // oldest first
};

}  // namespace rte
