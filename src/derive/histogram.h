// A cumulative-on-export histogram with fixed bucket bounds, as Prometheus exposes it.
#pragma once

#include <cstdint>
#include <vector>

namespace rte {

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds)
      : bounds_(std::move(upper_bounds)), counts_(bounds_.size(), 0) {}

  void Observe(double value) {
    ++count_;
    sum_ += value;
    for (size_t i = 0; i < bounds_.size(); ++i) {
      if (value <= bounds_[i]) {
        ++counts_[i];
        return;
      }
    }
  }
  const std::vector<double>& bounds() const { return bounds_; }
  // Observations in bucket i alone (not cumulative); +Inf holds count() minus their sum.
  const std::vector<std::uint64_t>& bucket_counts() const { return counts_; }
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace rte
