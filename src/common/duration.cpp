#include "common/duration.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace rte {
namespace {

// "'<text>'<rest>", appended piece by piece: GCC 12 at -O3 (Release) reports a false -Wrestrict on
// `"'" + std::string(text) + ...` (the literal is inserted at position 0 of the temporary).
std::string Quoted(std::string_view text, std::string_view rest) {
  std::string message;
  message.reserve(text.size() + rest.size() + 2);
  message += '\'';
  message += text;
  message += '\'';
  message += rest;
  return message;
}

}  // namespace

Result<Duration> ParseDuration(std::string_view text) {
  if (text.empty()) return Result<Duration>::Error("empty duration");
  size_t unit_pos = 0;
  while (unit_pos < text.size() &&
         ((text[unit_pos] >= '0' && text[unit_pos] <= '9') || text[unit_pos] == '.')) {
    ++unit_pos;
  }
  const std::string_view number = text.substr(0, unit_pos);
  const std::string_view unit = text.substr(unit_pos);
  double value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size()) {
    return Result<Duration>::Error(Quoted(text, " is not a duration (use e.g. 500ms, 5s, 1m)"));
  }
  double ns_per_unit = 0;
  if (unit == "us") {
    ns_per_unit = 1e3;
  } else if (unit == "ms") {
    ns_per_unit = 1e6;
  } else if (unit == "s") {
    ns_per_unit = 1e9;
  } else if (unit == "m") {
    ns_per_unit = 60e9;
  } else if (unit == "h") {
    ns_per_unit = 3600e9;
  } else {
    return Result<Duration>::Error(Quoted(text, " has no unit (use us, ms, s, m or h)"));
  }
  const double ns = value * ns_per_unit;
  if (!std::isfinite(ns) || ns > 1e18) {
    return Result<Duration>::Error(Quoted(text, " is too long"));
  }
  return Duration(static_cast<std::int64_t>(std::llround(ns)));
}

std::string FormatDuration(Duration d) {
  const auto ns = d.count();
  if (ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000) + "s";
  if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
  if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
  return std::to_string(ns) + "ns";
}

}  // namespace rte
