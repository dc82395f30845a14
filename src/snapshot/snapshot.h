// What one poll of one target saw from Redis: plain data, filled by the sources, read by derive.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "parse/redis_text.h"

namespace rte {

// The commands a managed Redis may refuse; each has a fallback.
enum class OptionalCommand { kConfig, kSlowlog, kClient, kLatency };
inline const char* OptionalCommandName(OptionalCommand c) {
  switch (c) {
    case OptionalCommand::kConfig:
      return "config";
    case OptionalCommand::kSlowlog:
      return "slowlog";
    case OptionalCommand::kClient:
      return "client";
    case OptionalCommand::kLatency:
      return "latency";
  }
  return "unknown";
}

// The exporter names every connection it opens with this prefix (CLIENT SETNAME): the poll
// connection is exactly this, the PING probe's adds "-probe". Readers of CLIENT LIST skip them.
inline constexpr std::string_view kExporterClientName = "redis-timeout-exporter";

struct RedisSnapshot {
  Nanos taken_at_mono = 0;
  double taken_at_wall = 0;

  // INFO sections server, clients, memory, persistence, stats, errorstats, commandstats and
  // keyspace, flattened into one map.
  InfoFields info;
  std::map<std::string, CommandStat> commandstats;
  std::optional<std::map<std::string, double>> errorstats;  // absent before Redis 6.2
  // SLOWLOG GET as returned (newest first); absent when refused or not fetched.
  std::optional<std::vector<SlowlogEntry>> slowlog;
  // LATENCY LATEST; absent when refused or not fetched.
  std::optional<std::vector<LatencyEvent>> latency_events;
  // CONFIG GET values, carried forward between the slower CONFIG polls; absent when refused.
  std::optional<std::map<std::string, std::string>> config;
  // CLIENT LIST, carried forward between the slower polls; absent when not wanted or refused.
  std::optional<std::vector<ClientEntry>> clients;
};

}  // namespace rte
