#include "parse/redis_text.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace rte {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' '))
    s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\r')) s.remove_prefix(1);
  return s;
}

std::optional<double> ToNumber(std::string_view s) {
  s = Trim(s);
  double value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Calls `fn(line)` for each line, without the line ending.
template <typename Fn>
void ForEachLine(std::string_view text, Fn fn) {
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fn(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

// "a=1,b=2" → value of key, if present.
std::optional<double> SubField(std::string_view list, std::string_view key) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    const auto eq = item.find('=');
    if (eq != std::string_view::npos && item.substr(0, eq) == key) {
      return ToNumber(item.substr(eq + 1));
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return std::nullopt;
}

}  // namespace

std::optional<double> InfoFields::Number(std::string_view field) const {
  auto it = fields.find(field);
  if (it == fields.end()) return std::nullopt;
  return ToNumber(it->second);
}

std::optional<std::string> InfoFields::Text(std::string_view field) const {
  auto it = fields.find(field);
  if (it == fields.end()) return std::nullopt;
  return it->second;
}

InfoFields ParseInfo(std::string_view text) {
  InfoFields info;
  ForEachLine(text, [&](std::string_view line) {
    if (line.empty() || line[0] == '#') return;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return;
    info.fields.insert_or_assign(std::string(line.substr(0, colon)),
                                 std::string(line.substr(colon + 1)));
  });
  return info;
}

std::map<std::string, CommandStat> ParseCommandStats(const InfoFields& info) {
  constexpr std::string_view kPrefix = "cmdstat_";
  std::map<std::string, CommandStat> out;
  for (auto it = info.fields.lower_bound(kPrefix);
       it != info.fields.end() && it->first.compare(0, kPrefix.size(), kPrefix) == 0; ++it) {
    CommandStat stat;
    stat.calls = SubField(it->second, "calls").value_or(0);
    stat.usec = SubField(it->second, "usec").value_or(0);
    stat.rejected_calls = SubField(it->second, "rejected_calls").value_or(0);
    stat.failed_calls = SubField(it->second, "failed_calls").value_or(0);
    out.emplace(Lower(std::string_view(it->first).substr(kPrefix.size())), stat);
  }
  return out;
}

std::map<std::string, double> ParseErrorStats(const InfoFields& info) {
  constexpr std::string_view kPrefix = "errorstat_";
  std::map<std::string, double> out;
  for (auto it = info.fields.lower_bound(kPrefix);
       it != info.fields.end() && it->first.compare(0, kPrefix.size(), kPrefix) == 0; ++it) {
    out.emplace(it->first.substr(kPrefix.size()), SubField(it->second, "count").value_or(0));
  }
  return out;
}

std::vector<SlowlogEntry> ParseSlowlog(const Reply& reply) {
  std::vector<SlowlogEntry> out;
  if (reply.type != Reply::Type::kArray) return out;
  for (const Reply& e : reply.elements) {
    // id, timestamp, duration (us), argv, [client addr, client name] (4.0+)
    if (e.type != Reply::Type::kArray || e.elements.size() < 4) continue;
    if (e.elements[0].type != Reply::Type::kInteger ||
        e.elements[1].type != Reply::Type::kInteger ||
        e.elements[2].type != Reply::Type::kInteger || e.elements[3].type != Reply::Type::kArray) {
      continue;
    }
    SlowlogEntry entry;
    entry.id = e.elements[0].integer;
    entry.unix_time = e.elements[1].integer;
    entry.duration_us = e.elements[2].integer;
    const auto& argv = e.elements[3].elements;
    entry.command = argv.empty() ? "unknown" : Lower(argv[0].str);
    out.push_back(std::move(entry));
  }
  return out;
}

std::vector<LatencyEvent> ParseLatencyLatest(const Reply& reply) {
  std::vector<LatencyEvent> out;
  if (reply.type != Reply::Type::kArray) return out;
  for (const Reply& row : reply.elements) {
    if (row.type != Reply::Type::kArray || row.elements.size() < 4) continue;
    const auto& e = row.elements;
    if (e[0].type != Reply::Type::kString || e[1].type != Reply::Type::kInteger ||
        e[2].type != Reply::Type::kInteger || e[3].type != Reply::Type::kInteger) {
      continue;
    }
    out.push_back({Lower(e[0].str), e[1].integer, static_cast<double>(e[2].integer) / 1e3,
                   static_cast<double>(e[3].integer) / 1e3});
  }
  return out;
}

std::vector<ClientEntry> ParseClientList(std::string_view text) {
  std::vector<ClientEntry> out;
  ForEachLine(text, [&](std::string_view line) {
    if (line.empty() || line[0] == '#') return;
    ClientEntry client;
    bool any = false;
    while (!line.empty()) {
      const auto space = line.find(' ');
      std::string_view field = line.substr(0, space);
      const auto eq = field.find('=');
      if (eq != std::string_view::npos) {
        any = true;
        const std::string_view key = field.substr(0, eq);
        const std::string_view value = field.substr(eq + 1);
        if (key == "name") {
          client.name = std::string(value);
        } else if (key == "cmd") {
          client.cmd = std::string(value);
        } else if (key == "flags") {
          client.flags = std::string(value);
        } else if (key == "idle") {
          client.idle_seconds = ToNumber(value).value_or(0);
        } else if (key == "age") {
          client.age_seconds = ToNumber(value).value_or(0);
        } else if (key == "addr") {
          client.host = ClientAddrHost(value);
        }
      }
      if (space == std::string_view::npos) break;
      line.remove_prefix(space + 1);
    }
    if (any) out.push_back(std::move(client));
  });
  return out;
}

std::string ClientAddrHost(std::string_view addr) {
  const auto colon = addr.rfind(':');
  std::string_view host = colon == std::string_view::npos ? addr : addr.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return std::string(host);
}

std::map<std::string, std::string> ParseConfigGet(const Reply& reply) {
  std::map<std::string, std::string> out;
  if (reply.type != Reply::Type::kArray) return out;
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    out[Lower(reply.elements[i].str)] = reply.elements[i + 1].str;
  }
  return out;
}

ErrorKind ClassifyError(std::string_view error_text) {
  const std::string text = Lower(error_text);
  auto starts = [&](std::string_view p) { return text.compare(0, p.size(), p) == 0; };
  auto has = [&](std::string_view p) { return text.find(p) != std::string::npos; };
  if (starts("noperm")) return ErrorKind::kNoPermission;
  if (starts("noauth")) return ErrorKind::kNoAuth;
  if (starts("wrongpass") || has("invalid password") || has("invalid username-password")) {
    return ErrorKind::kWrongPass;
  }
  if (starts("oom")) return ErrorKind::kOutOfMemory;
  if (starts("loading")) return ErrorKind::kLoading;
  if (starts("busy")) return ErrorKind::kBusy;
  if (starts("masterdown")) return ErrorKind::kMasterDown;
  if (has("max number of clients reached")) return ErrorKind::kMaxClients;
  if (has("unknown command") || has("unknown subcommand")) return ErrorKind::kUnknownCommand;
  // Some managed offerings answer "ERR command is not allowed" or similar.
  if (has("not allowed") || has("disabled")) return ErrorKind::kNoPermission;
  return ErrorKind::kOther;
}

bool IsRefusal(ErrorKind kind) {
  return kind == ErrorKind::kUnknownCommand || kind == ErrorKind::kNoPermission;
}

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUnknownCommand:
      return "unknown_command";
    case ErrorKind::kNoPermission:
      return "no_permission";
    case ErrorKind::kNoAuth:
      return "no_auth";
    case ErrorKind::kWrongPass:
      return "wrong_password";
    case ErrorKind::kOutOfMemory:
      return "out_of_memory";
    case ErrorKind::kLoading:
      return "loading";
    case ErrorKind::kBusy:
      return "busy";
    case ErrorKind::kMasterDown:
      return "master_down";
    case ErrorKind::kMaxClients:
      return "max_clients";
    case ErrorKind::kOther:
      return "other";
  }
  return "other";
}

}  // namespace rte
