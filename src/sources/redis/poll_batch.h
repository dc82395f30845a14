// One poll's pipelined batch of commands, and what its replies mean. Pure: the poller sends
// the batch and applies the interpretation; the table tests feed recorded replies.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/duration.h"
#include "parse/redis_text.h"
#include "parse/reply.h"
#include "snapshot/poll.h"
#include "snapshot/snapshot.h"
#include "sources/redis/resp_connection.h"

namespace rte {

enum class BatchStep { kAuth, kSetName, kInfo, kSlowlog, kLatencyLatest, kConfigGet, kClientList };

struct BatchCommand {
  BatchStep step;
  std::vector<std::string> argv;
};

// The stage a command's failure is counted under: the command's own, connect for CLIENT
// SETNAME (a lost reply to it is a handshake that did not complete; its error replies are not
// counted), client_list only for CLIENT LIST.
PollStage StageOf(BatchStep step);

// The not-serving state an error reply (to INFO or PING) says the server is in; kNone for any
// other error.
ServerRefusal RefusalOf(ErrorKind kind);

// What the replies of one batch say.
struct BatchInterpretation {
  std::optional<PollError> error;  // the poll failed; nothing else below but `refusal` is set
  ServerRefusal refusal = ServerRefusal::kNone;  // INFO refused because Redis does not serve
  // INFO with several sections was rejected (Redis before 7.0): ask one section per call.
  bool info_single_section = false;
  // Present when the poll worked: INFO, command and error stats, and the slowlog if fetched.
  // `config` and `clients` are left for the poller, which carries them between slower polls.
  std::optional<RedisSnapshot> snapshot;
  std::vector<PollStage> command_errors;     // optional commands that failed
  std::map<OptionalCommand, bool> answered;  // optional commands that worked (true)
  // Refused for good → the error text. Wins over `answered` for the same command family.
  std::map<OptionalCommand, std::string> refusals;
  bool config_replied = false;                               // the batch asked CONFIG GET
  std::optional<std::map<std::string, std::string>> config;  // every CONFIG GET answered
  std::optional<std::vector<ClientEntry>> clients;           // CLIENT LIST answered
};

// Why a connection could not be made, for the unreachable verdict. `detail` is the system's
// error text; `address` is the target's address as configured (never holds a secret).
PollError DescribeConnectFailure(TransportError error, const std::string& detail,
                                 const std::string& address, Duration timeout);
// Why a command of the batch got no reply; `step` is the command whose reply was awaited, or
// being decoded, when it failed. `first_reply`: the connection is new and has answered nothing
// yet (a close there is how Redis at maxclients often looks: stage connect). Bytes that are not
// RESP are stage protocol whatever was awaited; a close after some replies is the awaited
// command's stage.
PollError DescribeReplyFailure(TransportError error, const std::string& detail, BatchStep step,
                               Duration poll_timeout, bool first_reply = false);

// A reply that fails the whole poll whatever else the batch answers: authentication refused,
// or the server at maxclients, which answers the first command with that error and closes the
// connection, so the rest of the replies never come. The poller ends the poll on it at once.
std::optional<PollError> FatalReply(BatchStep step, const Reply& reply);

// `replies[i]` answers `batch[i]`; error replies are values here, transport failures are the
// poller's. `multi_section_info`: the batch asked INFO for several sections in one call.
BatchInterpretation InterpretBatch(const std::vector<BatchCommand>& batch,
                                   const std::vector<Reply>& replies, bool multi_section_info);

}  // namespace rte
