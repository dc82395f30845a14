// Pure parsers for the text Redis returns: INFO, SLOWLOG GET, CLIENT LIST, CONFIG GET, errors.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parse/reply.h"

namespace rte {

// INFO: every "field:value" line of every section, flattened (field names are unique across
// sections). Lines starting with '#' and blank lines are skipped.
struct InfoFields {
  std::map<std::string, std::string, std::less<>> fields;
  std::optional<double> Number(std::string_view field) const;
  std::optional<std::string> Text(std::string_view field) const;
};
InfoFields ParseInfo(std::string_view text);

// "cmdstat_keys:calls=3,usec=20,..." → per-command figures.
struct CommandStat {
  double calls = 0;
  double usec = 0;
  double rejected_calls = 0;
  double failed_calls = 0;
};
std::map<std::string, CommandStat> ParseCommandStats(const InfoFields& info);
// "errorstat_OOM:count=3" → {"OOM": 3}. Absent section → empty map.
std::map<std::string, double> ParseErrorStats(const InfoFields& info);

struct SlowlogEntry {
  std::int64_t id = 0;
  std::int64_t unix_time = 0;
  std::int64_t duration_us = 0;
  std::string command;  // lowercased first argument, e.g. "debug"
};
// SLOWLOG GET reply (newest first, as Redis returns it). Malformed entries are skipped.
std::vector<SlowlogEntry> ParseSlowlog(const Reply& reply);

// One row of LATENCY LATEST: the latest and the all-time worst spike of one event class
// (command, fork, aof-fsync-always, expire-cycle, ...), as the latency monitor records them.
struct LatencyEvent {
  std::string name;
  std::int64_t unix_time = 0;  // when the latest spike happened
  double latest_seconds = 0;
  double max_seconds = 0;
};
// LATENCY LATEST reply (an array of [event, unix time, latest ms, max ms]); malformed rows
// are skipped.
std::vector<LatencyEvent> ParseLatencyLatest(const Reply& reply);

struct ClientEntry {
  std::string name;
  std::string cmd;
  std::string flags;
  // The client's side of the connection without its port (`addr=10.0.0.7:51234` → 10.0.0.7,
  // `[::1]:51234` → ::1): the host an application instance connects from. A unix socket
  // client has the socket path.
  std::string host;
  double idle_seconds = 0;  // since the last command, whole seconds (0: within the last second)
  double age_seconds = 0;   // since the connection was opened
};
// CLIENT LIST text: one client per line of space-separated key=value fields.
std::vector<ClientEntry> ParseClientList(std::string_view text);
// The host part of a CLIENT LIST `addr` (ip:port, [ipv6]:port, or /path/to/socket:0).
std::string ClientAddrHost(std::string_view addr);

// CONFIG GET reply (flat name, value array) → map.
std::map<std::string, std::string> ParseConfigGet(const Reply& reply);

// What an error reply means for the poller.
enum class ErrorKind {
  kUnknownCommand,  // command renamed away or not offered (managed Redis)
  kNoPermission,    // ACL denies it
  kNoAuth,          // the server wants AUTH
  kWrongPass,       // AUTH failed
  kOutOfMemory,     // OOM command not allowed
  kLoading,         // dataset still loading
  kBusy,            // a script or function is running
  kMasterDown,      // a replica that lost its master and serves no stale data
  kMaxClients,      // connection refused: max number of clients reached
  kOther,
};
ErrorKind ClassifyError(std::string_view error_text);
// True when the command is refused for good on this server (log once, fall back, keep polling).
bool IsRefusal(ErrorKind kind);
const char* ErrorKindName(ErrorKind kind);

}  // namespace rte
