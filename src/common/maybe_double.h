// An optional double in 8 bytes instead of std::optional's 16: NaN stands for "no value". For
// records kept by the thousand (a risk window holds a dozen samples of some 40 figures for each
// target), where the figures are never NaN themselves. Reads and converts like
// std::optional<double>.
#pragma once

#include <cmath>
#include <limits>
#include <optional>

namespace rte {

class MaybeDouble {
 public:
  constexpr MaybeDouble() = default;
  constexpr MaybeDouble(std::nullopt_t) {}                // NOLINT(google-explicit-constructor)
  constexpr MaybeDouble(double value) : value_(value) {}  // NOLINT(google-explicit-constructor)
  MaybeDouble(const std::optional<double>& value)         // NOLINT(google-explicit-constructor)
      : value_(value.value_or(kNone)) {}

  bool has_value() const { return !std::isnan(value_); }
  explicit operator bool() const { return has_value(); }
  // Like std::optional: undefined without a value (here: NaN).
  double operator*() const { return value_; }
  double value() const { return value_; }
  double value_or(double fallback) const { return has_value() ? value_ : fallback; }
  void reset() { value_ = kNone; }
  operator std::optional<double>() const {  // NOLINT(google-explicit-constructor)
    return has_value() ? std::optional<double>(value_) : std::nullopt;
  }
  bool operator==(const MaybeDouble& other) const {
    return has_value() == other.has_value() && (!has_value() || value_ == other.value_);
  }

 private:
  static constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
  double value_ = kNone;
};

}  // namespace rte
