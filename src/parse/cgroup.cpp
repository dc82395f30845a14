#include "parse/cgroup.h"

#include <charconv>

namespace rte {
namespace {

std::string_view Trim(std::string_view s) {
  const size_t first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const size_t last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

bool HasController(std::string_view controllers, std::string_view wanted) {
  size_t pos = 0;
  while (pos <= controllers.size()) {
    size_t end = controllers.find(',', pos);
    if (end == std::string_view::npos) end = controllers.size();
    if (controllers.substr(pos, end - pos) == wanted) return true;
    pos = end + 1;
  }
  return false;
}

bool Reachable(std::string_view path) {
  return !path.empty() && path.front() == '/' && path.find("/..") == std::string_view::npos;
}

}  // namespace

CgroupPaths ParseProcCgroup(std::string_view text) {
  CgroupPaths out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = Trim(text.substr(pos, end - pos));
    pos = end + 1;
    const size_t first = line.find(':');
    if (first == std::string_view::npos) continue;
    const size_t second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const std::string_view id = line.substr(0, first);
    const std::string_view controllers = line.substr(first + 1, second - first - 1);
    const std::string_view path = line.substr(second + 1);
    if (!Reachable(path)) continue;
    if (id == "0" && controllers.empty()) {
      out.unified = std::string(path);
    } else if (HasController(controllers, "memory")) {
      out.v1_memory = std::string(path);
    }
  }
  return out;
}

std::vector<std::string> CgroupAncestors(const std::string& path) {
  std::vector<std::string> out;
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  while (!p.empty() && p != "/") {
    out.push_back(p);
    const size_t slash = p.rfind('/');
    p = slash == 0 || slash == std::string::npos ? "/" : p.substr(0, slash);
  }
  out.emplace_back("/");
  return out;
}

std::optional<std::uint64_t> ParseCgroupMemoryLimit(std::string_view text) {
  const std::string_view value = Trim(text);
  if (value.empty() || value == "max") return std::nullopt;
  std::uint64_t bytes = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), bytes);
  if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
  if (bytes >= kCgroupUnlimitedFloor) return std::nullopt;
  return bytes;
}

}  // namespace rte
