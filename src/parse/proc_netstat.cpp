// Parses /proc/net/netstat header/value line pairs by field name.
#include "parse/proc_netstat.h"

#include <charconv>
#include <vector>

namespace rte {
namespace {

std::vector<std::string_view> SplitWords(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

std::optional<std::uint64_t> ParseU64(std::string_view word) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (ec != std::errc() || end != word.data() + word.size()) return std::nullopt;
  return value;
}

// One usable line: "Prefix:" and the words after it.
struct Line {
  std::string_view prefix;
  std::vector<std::string_view> words;
  // Field names never start with a digit, so a line with any number in it is a value line.
  bool is_values = false;
};

std::optional<Line> SplitLine(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  Line line;
  line.prefix = text.substr(0, colon);
  if (line.prefix.find_first_of(" \t") != std::string_view::npos) return std::nullopt;
  line.words = SplitWords(text.substr(colon + 1));
  if (line.words.empty()) return std::nullopt;
  for (std::string_view w : line.words) {
    if ((w[0] >= '0' && w[0] <= '9') || w[0] == '-') {
      line.is_values = true;
      break;
    }
  }
  return line;
}

}  // namespace

std::optional<std::uint64_t> ProcNetstat::Get(std::string_view prefix,
                                              std::string_view field) const {
  auto section = sections.find(prefix);
  if (section == sections.end()) return std::nullopt;
  auto value = section->second.find(field);
  if (value == section->second.end()) return std::nullopt;
  return value->second;
}

ProcNetstat ParseProcNetstat(std::string_view text) {
  ProcNetstat out;
  std::optional<Line> header;  // waiting for its value line

  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view raw = text.substr(pos, eol - pos);
    pos = eol + 1;

    if (SplitWords(raw).empty() || raw.front() == '#') continue;
    std::optional<Line> line = SplitLine(raw);
    if (!line) {
      ++out.malformed_lines;
      continue;
    }
    if (header && line->is_values && header->prefix == line->prefix) {
      if (line->words.size() != header->words.size()) {
        // Columns cannot be matched to names safely: drop the pair rather than guess.
        ++out.malformed_lines;
      } else {
        auto& section = out.sections[std::string(line->prefix)];
        bool bad_value = false;
        for (size_t i = 0; i < line->words.size(); ++i) {
          if (std::optional<std::uint64_t> v = ParseU64(line->words[i])) {
            section[std::string(header->words[i])] = *v;
          } else {
            bad_value = true;  // keep the other columns; this one is left out
          }
        }
        if (bad_value) ++out.malformed_lines;
      }
      header.reset();
      continue;
    }
    if (header) ++out.malformed_lines;  // a header whose value line never came
    header.reset();
    if (line->is_values) {
      ++out.malformed_lines;  // values without a header
      continue;
    }
    header = std::move(line);
  }
  if (header) ++out.malformed_lines;
  return out;
}

}  // namespace rte
