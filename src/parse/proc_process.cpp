#include "parse/proc_process.h"

#include <charconv>

namespace rte {

std::optional<double> ParseStatusSwapBytes(std::string_view status) {
  constexpr std::string_view kKey = "VmSwap:";
  size_t pos = 0;
  while (pos < status.size()) {
    size_t end = status.find('\n', pos);
    if (end == std::string_view::npos) end = status.size();
    std::string_view line = status.substr(pos, end - pos);
    pos = end + 1;
    if (line.substr(0, kKey.size()) != kKey) continue;
    line.remove_prefix(kKey.size());
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos) return std::nullopt;
    line.remove_prefix(first);
    std::uint64_t kib = 0;
    auto [rest, ec] = std::from_chars(line.data(), line.data() + line.size(), kib);
    if (ec != std::errc()) return std::nullopt;
    std::string_view unit(rest, static_cast<size_t>(line.data() + line.size() - rest));
    if (unit.find("kB") == std::string_view::npos) return std::nullopt;
    return static_cast<double>(kib) * 1024;
  }
  return std::nullopt;
}

std::optional<std::string> ParseThpMode(std::string_view text) {
  const size_t open = text.find('[');
  if (open == std::string_view::npos) return std::nullopt;
  const size_t close = text.find(']', open);
  if (close == std::string_view::npos || close == open + 1) return std::nullopt;
  return std::string(text.substr(open + 1, close - open - 1));
}

}  // namespace rte
