#include "derive/latency_window.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace rte {

void LatencyWindow::Add(Nanos now, Nanos rtt) {
  samples_.push_back({now, rtt});
  Prune(now);
}

void LatencyWindow::Prune(Nanos now) {
  while (!samples_.empty() && samples_.front().at <= now - width_) samples_.pop_front();
}

std::optional<double> LatencyWindow::QuantileSeconds(double q) const {
  if (samples_.empty()) return std::nullopt;
  std::vector<Nanos> values;
  values.reserve(samples_.size());
  for (const auto& s : samples_) values.push_back(s.rtt);
  // Nearest rank: the smallest value with at least q of the samples at or below it.
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
  const size_t index = std::min(values.size() - 1, rank == 0 ? 0 : rank - 1);
  std::nth_element(values.begin(), values.begin() + static_cast<long>(index), values.end());
  return static_cast<double>(values[index]) / 1e9;
}

}  // namespace rte
