// Poll batches as TargetPoller builds them, and what InterpretBatch makes of the replies
// recorded for them (tests/fixtures/redis/batches/, written by record_batches.py).
#pragma once

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "fixtures.h"
#include "sources/redis/poll_batch.h"

namespace rte::testing {

// Which commands one poll sends, in TargetPoller::SendBatch's order: AUTH, CLIENT SETNAME,
// INFO, SLOWLOG GET, LATENCY LATEST, CONFIG GET (one per key), CLIENT LIST.
struct BatchShape {
  bool auth = false;
  std::string username = "";  // AUTH <username> <password> when set
  bool set_name = false;
  bool multi_section_info = true;
  std::string slowlog_count = "128";  // empty: no SLOWLOG GET
  bool latency = true;                // LATENCY LATEST (false once refused)
  bool config = false;
  bool client_list = false;
};

inline std::vector<BatchCommand> MakeBatch(const BatchShape& shape) {
  std::vector<BatchCommand> batch;
  if (shape.auth) {
    std::vector<std::string> argv = {"AUTH"};
    if (!shape.username.empty()) argv.push_back(shape.username);
    argv.push_back("<password>");  // as the recorder writes it; InterpretBatch never reads argv
    batch.push_back({BatchStep::kAuth, argv});
  }
  if (shape.set_name) {
    batch.push_back({BatchStep::kSetName, {"CLIENT", "SETNAME", "redis-timeout-exporter"}});
  }
  // As kInfoSections and kConfigKeys in src/sources/redis/target_poller.cpp.
  const std::vector<std::string> sections = {"server", "clients",    "memory",       "persistence",
                                             "stats",  "errorstats", "commandstats", "keyspace"};
  if (shape.multi_section_info) {
    std::vector<std::string> argv = {"INFO"};
    argv.insert(argv.end(), sections.begin(), sections.end());
    batch.push_back({BatchStep::kInfo, argv});
  } else {
    for (const auto& section : sections) batch.push_back({BatchStep::kInfo, {"INFO", section}});
  }
  if (!shape.slowlog_count.empty()) {
    batch.push_back({BatchStep::kSlowlog, {"SLOWLOG", "GET", shape.slowlog_count}});
  }
  if (shape.latency) batch.push_back({BatchStep::kLatencyLatest, {"LATENCY", "LATEST"}});
  if (shape.config) {
    for (const char* key :
         {"maxclients", "maxmemory", "maxmemory-policy", "slowlog-log-slower-than",
          "slowlog-max-len", "tcp-backlog", "latency-monitor-threshold"}) {
      batch.push_back({BatchStep::kConfigGet, {"CONFIG", "GET", key}});
    }
  }
  if (shape.client_list) batch.push_back({BatchStep::kClientList, {"CLIENT", "LIST"}});
  return batch;
}

// The commands as the recorder lists them in a fixture's first line.
inline std::string Render(const std::vector<BatchCommand>& batch) {
  std::string out;
  for (const auto& command : batch) {
    if (!out.empty()) out += " | ";
    for (size_t i = 0; i < command.argv.size(); ++i) out += (i ? " " : "") + command.argv[i];
  }
  return out;
}

// One interpretation per poll of a recorded file that holds one or more polls of `shape`.
// Throws when the file's first line shows it was recorded for other commands.
inline std::vector<BatchInterpretation> InterpretRecorded(const std::string& fixture,
                                                          const BatchShape& shape) {
  const std::vector<BatchCommand> batch = MakeBatch(shape);
  const RecordedReplies recorded = ReadRecordedReplies("redis/batches/" + fixture);
  if (recorded.header.find(Render(batch)) == std::string::npos) {
    throw std::runtime_error(fixture + " was not recorded for " + Render(batch));
  }
  // The last poll may be short: the server closed the connection before answering it all.
  std::vector<BatchInterpretation> polls;
  for (size_t at = 0; at < recorded.replies.size(); at += batch.size()) {
    const size_t end = std::min(recorded.replies.size(), at + batch.size());
    const std::vector<Reply> replies(recorded.replies.begin() + static_cast<long>(at),
                                     recorded.replies.begin() + static_cast<long>(end));
    polls.push_back(InterpretBatch(batch, replies, shape.multi_section_info));
  }
  return polls;
}

// The snapshots of a recorded file of successful polls.
inline std::vector<RedisSnapshot> RecordedSnapshots(const std::string& fixture,
                                                    const BatchShape& shape) {
  std::vector<RedisSnapshot> out;
  for (auto& poll : InterpretRecorded(fixture, shape)) {
    if (!poll.snapshot)
      throw std::runtime_error(fixture + ": a poll failed: " + poll.error->message);
    out.push_back(std::move(*poll.snapshot));
  }
  return out;
}

}  // namespace rte::testing
