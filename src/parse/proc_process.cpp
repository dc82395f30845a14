#include "parse/proc_process.h"

#include <charconv>
#include <vector>

#include "parse/proc_sys.h"

namespace rte {
namespace {

// Whitespace-separated words of `text`.
std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    pos = text.find_first_not_of(" \t\n", pos);
    if (pos == std::string_view::npos) break;
    size_t end = text.find_first_of(" \t\n", pos);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

// One decimal number, as the /proc/sys parser reads it.
std::optional<std::uint64_t> Number(std::string_view word) {
  auto parsed = ParseProcSysInteger(word);
  if (!parsed.ok()) return std::nullopt;
  return parsed.value();
}

// The rest of the first line of `text` that starts with `key`; absent when none does.
std::optional<std::string_view> LineAfter(std::string_view text, std::string_view key) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.substr(0, key.size()) == key) return line.substr(key.size());
  }
  return std::nullopt;
}

}  // namespace

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

std::optional<ProcStat> ParseProcStat(std::string_view stat) {
  const size_t close = stat.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  // words[0] is field 3 (state), so field N is words[N - 3].
  const auto words = Words(stat.substr(close + 1));
  if (words.size() < 22) return std::nullopt;
  const auto field = [&](size_t n) { return Number(words[n - 3]); };
  const auto utime = field(14), stime = field(15), start = field(22), vsize = field(23),
             rss = field(24);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  return ProcStat{*utime, *stime, *start, *vsize, *rss};
}

std::optional<std::uint64_t> ParseMaxOpenFiles(std::string_view limits) {
  const auto rest = LineAfter(limits, "Max open files");
  if (!rest) return std::nullopt;
  const auto words = Words(*rest);
  if (words.empty()) return std::nullopt;
  return Number(words[0]);  // "unlimited" is not a number: absent
}

std::optional<std::uint64_t> ParseBootTime(std::string_view stat) {
  const auto rest = LineAfter(stat, "btime ");
  if (!rest) return std::nullopt;
  const auto words = Words(*rest);
  if (words.size() != 1) return std::nullopt;
  return Number(words[0]);
}

}  // namespace rte
