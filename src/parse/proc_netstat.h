// Pure parser for /proc/net/netstat: "Prefix: names" / "Prefix: values" line pairs, read by field
// name because columns move between kernel versions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace rte {

struct ProcNetstat {
  // Prefix without the colon ("TcpExt", "IpExt", "MPTcpExt") → field name → value.
  std::map<std::string, std::map<std::string, std::uint64_t, std::less<>>, std::less<>> sections;
  // Lines that could not be (fully) used: no "Prefix:", a header without its value line, a
  // value line without its header or with a different number of columns (the pair is dropped),
  // a value line with a non-numeric value (that column is left out, the others are kept).
  int malformed_lines = 0;

  std::optional<std::uint64_t> Get(std::string_view prefix, std::string_view field) const;
};

// Blank lines and lines starting with '#' (fixture provenance) are skipped. Never fails: what
// cannot be read is left out and counted in malformed_lines.
ProcNetstat ParseProcNetstat(std::string_view text);

}  // namespace rte
