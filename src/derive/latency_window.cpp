#include "derive/latency_window.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace rte {

void LatencyWindow::Add(Nanos now, Nanos rtt) {
  // Grown one sample at a time: the window holds about the same number once full, which a
  // doubling vector (or a deque's 512-byte blocks) would round up for every target.
  if (samples_.size() == samples_.capacity()) samples_.reserve(samples_.size() + 1);
  samples_.push_back({now, rtt});
  Prune(now);
}

void LatencyWindow::Prune(Nanos now) {
  auto first_kept = samples_.begin();
  while (first_kept != samples_.end() && first_kept->at <= now - width_) ++first_kept;
  samples_.erase(samples_.begin(), first_kept);
}

size_t P99RankFromTop(size_t n) {
  const size_t p99_rank = (99 * n + 99) / 100;  // ceil(0.99 n) without rounding error
  return n - std::min(n, p99_rank) + 1;
}

size_t TailRankFromTop(size_t n) { return std::max(P99RankFromTop(n), kTailMinSamples); }

std::optional<double> LatencyWindow::TailSeconds() const {
  const size_t from_top = TailRankFromTop(samples_.size());
  if (samples_.size() < from_top) return std::nullopt;
  return AtIndexSeconds(samples_.size() - from_top);
}

std::optional<double> LatencyWindow::AtIndexSeconds(size_t index) const {
  if (index >= samples_.size()) return std::nullopt;
  std::vector<Nanos> values;
  values.reserve(samples_.size());
  for (const auto& s : samples_) values.push_back(s.rtt);
  std::nth_element(values.begin(), values.begin() + static_cast<long>(index), values.end());
  return static_cast<double>(values[index]) / 1e9;
}

std::optional<double> LatencyWindow::QuantileSeconds(double q) const {
  if (samples_.empty()) return std::nullopt;
  // Nearest rank: the smallest value with at least q of the samples at or below it.
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(samples_.size())));
  return AtIndexSeconds(std::min(samples_.size() - 1, rank == 0 ? 0 : rank - 1));
}

}  // namespace rte
