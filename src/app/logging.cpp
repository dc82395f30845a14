#include "app/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

namespace rte {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// key=value pairs separated by spaces; a value is bare (up to the next space) or quoted with
// \" and \\ escapes. nullopt as soon as something else is met.
std::optional<Pairs> ParseLogfmt(std::string_view text) {
  Pairs out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    const size_t eq = text.find('=', i);
    if (eq == std::string_view::npos || eq == i) return std::nullopt;
    std::string key(text.substr(i, eq - i));
    if (key.find_first_of(" \"") != std::string::npos) return std::nullopt;
    i = eq + 1;
    std::string value;
    if (i < text.size() && text[i] == '"') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        const char c = text[i++];
        if (c == '\\' && i < text.size()) {
          value += text[i++];
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          value += c;
        }
      }
      if (!closed || (i < text.size() && text[i] != ' ')) return std::nullopt;
    } else {
      const size_t end = std::min(text.find(' ', i), text.size());
      value = std::string(text.substr(i, end - i));
      if (value.find('"') != std::string::npos) return std::nullopt;
      i = end;
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

class JsonFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto since_epoch = msg.time.time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
    const std::time_t t = seconds.count();
    std::tm tm{};
    gmtime_r(&t, &tm);
    char ts[40];
    const size_t n = std::strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(ts + n, sizeof(ts) - n, ".%03dZ", static_cast<int>(millis));
    const auto level = spdlog::level::to_string_view(msg.level);
    const std::string line = LogLineJson(ts, std::string_view(level.data(), level.size()),
                                         std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

Status CheckLogFlags(const std::string& level, const std::string& format) {
  if (level != "debug" && level != "info" && level != "warn" && level != "error") {
    return Status::Error("--log.level must be debug, info, warn or error");
  }
  if (format != "logfmt" && format != "json") {
    return Status::Error("--log.format must be logfmt or json");
  }
  return Status::Ok();
}

void SetUpLogging(const std::string& level, const std::string& format) {
  auto logger = spdlog::stderr_logger_mt("rte");
  spdlog::set_default_logger(logger);
  if (format == "json") {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    spdlog::set_pattern("ts=%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  }
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::flush_on(spdlog::level::debug);
}

std::string LogLineJson(std::string_view ts, std::string_view level, std::string_view message) {
  nlohmann::ordered_json line;
  line["ts"] = std::string(ts);
  line["level"] = std::string(level);
  if (auto pairs = ParseLogfmt(message)) {
    for (auto& [key, value] : *pairs) line[key] = std::move(value);
  } else {
    line["msg"] = std::string(message);
  }
  // Invalid UTF-8 (a byte from a Redis reply) is replaced instead of throwing.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace rte
