// One poll of one target as the sources hand it to derive: the Redis snapshot when the poll
// worked, why it failed when it did not, and what the probes measured meanwhile.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "snapshot/probe_figures.h"
#include "snapshot/snapshot.h"

namespace rte {

// Where a poll can fail; `poll_errors_total{stage}` has one series per stage. The last three
// are optional commands: their failure does not fail the poll.
enum class PollStage {
  kConnect,     // no connection: refused, connect timed out, at maxclients, closed
  kDns,         // the host name did not resolve
  kAuth,        // AUTH failed, the server wants a password, or the password source is missing
  kTimeout,     // connected, but the batch got no reply within poll_timeout
  kProtocol,    // the reply could not be decoded
  kInfo,        // INFO answered with an error
  kSlowlog,     // SLOWLOG GET failed (not a refusal)
  kConfig,      // CONFIG GET failed (not a refusal)
  kClientList,  // CLIENT LIST failed (not a refusal)
  kLatency,     // LATENCY LATEST failed (not a refusal)
};
inline constexpr std::array<PollStage, 10> kPollStages = {
    PollStage::kConnect,    PollStage::kDns,    PollStage::kAuth,    PollStage::kTimeout,
    PollStage::kProtocol,   PollStage::kInfo,   PollStage::kSlowlog, PollStage::kConfig,
    PollStage::kClientList, PollStage::kLatency};
inline const char* PollStageName(PollStage s) {
  switch (s) {
    case PollStage::kConnect:
      return "connect";
    case PollStage::kDns:
      return "dns";
    case PollStage::kAuth:
      return "auth";
    case PollStage::kTimeout:
      return "timeout";
    case PollStage::kProtocol:
      return "protocol";
    case PollStage::kInfo:
      return "info";
    case PollStage::kSlowlog:
      return "slowlog";
    case PollStage::kConfig:
      return "config";
    case PollStage::kClientList:
      return "client_list";
    case PollStage::kLatency:
      return "latency";
  }
  return "unknown";
}

// Why a poll failed, in words an on-call engineer acts on. Never holds a secret.
struct PollError {
  PollStage stage = PollStage::kConnect;
  std::string message;
  bool operator==(const PollError&) const = default;
};

struct PollResult {
  Nanos at_mono = 0;  // when the poll ended
  double at_wall = 0;
  std::optional<double> duration_seconds;  // absent when no attempt was made (backing off)
  std::optional<RedisSnapshot> redis;      // present when the poll succeeded
  std::optional<PollError> error;          // present when it failed
  // The poll was skipped while backing off; `error` repeats the last attempt's and is not
  // counted again.
  bool repeated_error = false;
  bool timed_out = false;                        // connected, but Redis did not answer in time
  ServerRefusal refusal = ServerRefusal::kNone;  // INFO refused: loading, busy, master down
  std::vector<PollStage> command_errors;         // optional commands that failed in a good poll
  std::map<OptionalCommand, bool> supported;     // known after the first successful contact
  ProbeFigures probe;
  bool up() const { return redis.has_value(); }
};

}  // namespace rte
