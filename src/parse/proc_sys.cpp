// Parses the single unsigned integer a /proc/sys file holds.
#include "parse/proc_sys.h"

#include <charconv>
#include <string>

namespace rte {

Result<std::uint64_t> ParseProcSysInteger(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return Result<std::uint64_t>::Error("empty");
  size_t last = text.find_last_not_of(kSpace);
  std::string_view word = text.substr(first, last - first + 1);

  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (ec == std::errc::result_out_of_range) {
    return Result<std::uint64_t>::Error("out of range: " + std::string(word.substr(0, 40)));
  }
  if (ec != std::errc() || end != word.data() + word.size()) {
    return Result<std::uint64_t>::Error("not a single unsigned integer: " +
                                        std::string(word.substr(0, 40)));
  }
  return value;
}

}  // namespace rte
