#include "sources/redis/poll_batch.h"

#include "parse/redis_text.h"

namespace rte {
namespace {

std::optional<OptionalCommand> OptionalOf(BatchStep step) {
  switch (step) {
    case BatchStep::kSlowlog:
      return OptionalCommand::kSlowlog;
    case BatchStep::kLatencyLatest:
      return OptionalCommand::kLatency;
    case BatchStep::kConfigGet:
      return OptionalCommand::kConfig;
    case BatchStep::kSetName:
    case BatchStep::kClientList:
      return OptionalCommand::kClient;
    default:
      return std::nullopt;
  }
}

// Why INFO was refused by a server that is up but not serving.
std::string NotServingText(ServerRefusal refusal) {
  switch (refusal) {
    case ServerRefusal::kLoading:
      return "Redis is loading its dataset into memory and does not serve yet (LOADING)";
    case ServerRefusal::kBusy:
      return "Redis is running a script or function past busy-reply-threshold and answers every "
             "other command with BUSY (SCRIPT KILL or FUNCTION KILL ends it if it has not "
             "written)";
    case ServerRefusal::kMasterDown:
      return "the replica lost its master and replica-serve-stale-data is no (MASTERDOWN)";
    case ServerRefusal::kNone:
      break;
  }
  return "Redis does not serve";
}

PollError AuthError(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNoAuth:
      return {PollStage::kAuth,
              "authentication failed: the server requires a password (set password_file or "
              "password_env)"};
    case ErrorKind::kWrongPass:
      return {PollStage::kAuth,
              "authentication failed: the server refused the username/password (WRONGPASS)"};
    default:
      return {PollStage::kAuth, std::string("authentication failed: AUTH answered an error (") +
                                    ErrorKindName(kind) + ")"};
  }
}

bool MaxClientsText(const std::string& text) {
  return text.find("max number of clients") != std::string::npos;
}

// The command of a step, for messages.
const char* StepCommandName(BatchStep step) {
  switch (step) {
    case BatchStep::kAuth:
      return "AUTH";
    case BatchStep::kSetName:
      return "CLIENT SETNAME";
    case BatchStep::kInfo:
      return "INFO";
    case BatchStep::kSlowlog:
      return "SLOWLOG GET";
    case BatchStep::kLatencyLatest:
      return "LATENCY LATEST";
    case BatchStep::kConfigGet:
      return "CONFIG GET";
    case BatchStep::kClientList:
      return "CLIENT LIST";
  }
  return "a command";
}

const char kMaxClientsMessage[] =
    "connection refused by Redis: max number of clients reached (maxclients)";

}  // namespace

PollError DescribeConnectFailure(TransportError error, const std::string& detail,
                                 const std::string& address, Duration timeout) {
  if (MaxClientsText(detail)) return {PollStage::kConnect, kMaxClientsMessage};
  switch (error) {
    case TransportError::kRefused:
      return {PollStage::kConnect, "connection refused: nothing listens on " + address +
                                       " (Redis stopped, wrong port, or bound to another address)"};
    case TransportError::kTimeout:
      return {PollStage::kConnect,
              "connect timed out after " + FormatDuration(timeout) + ": the TCP handshake to " +
                  address +
                  " got no answer (a firewall dropping packets, the host down, or the accept "
                  "queue full)"};
    case TransportError::kDnsFailed:
      return {PollStage::kDns, "DNS lookup failed for " + address + ": " + detail};
    case TransportError::kTls:
      return {PollStage::kTls, "TLS to " + address + " failed: " + detail};
    case TransportError::kFdExhausted:
      return {PollStage::kConnect, "the exporter is out of file descriptors (" + detail +
                                       "): it could not open a "
                                       "connection to " +
                                       address +
                                       "; not the target's fault: raise LimitNOFILE= (ulimit "
                                       "-n) or lower --web.max-connections"};
    default:
      return {PollStage::kConnect, "cannot connect to " + address + ": " + detail};
  }
}

PollError DescribeReplyFailure(TransportError error, const std::string& detail, BatchStep step,
                               Duration poll_timeout, bool first_reply) {
  if (MaxClientsText(detail)) return {PollStage::kConnect, kMaxClientsMessage};
  if (error == TransportError::kTls) {
    // TLS 1.3 servers check the client certificate after the client's handshake is done: the
    // refusal arrives with the first reply.
    return {PollStage::kTls, "TLS failed after the handshake: " + detail};
  }
  if (first_reply && error == TransportError::kClosed) {
    // Redis at maxclients writes its error and closes; with our batch still unread the close
    // becomes a reset and the error reply is lost with it.
    return {PollStage::kConnect,
            "the server accepted the connection and closed it before answering (" + detail +
                "): Redis at maxclients does this, so do proxies and firewalls that drop it"};
  }
  switch (error) {
    case TransportError::kTimeout:
      return {PollStage::kTimeout,
              "poll timed out: Redis accepted the connection but did not answer within "
              "poll_timeout " +
                  FormatDuration(poll_timeout) +
                  " (blocked by a slow command, a fork or AOF fsync, or the process is stopped)"};
    case TransportError::kProtocol:
      // RespDecoder's bounds ("the reply is larger than max_reply_bytes ...", "... array
      // elements") or hiredis' own parse error.
      if (detail.rfind("the reply ", 0) == 0) {
        return {PollStage::kProtocol,
                "protocol error: " + detail +
                    "; the connection was closed (a broken or hostile server, or raise "
                    "max_reply_bytes if a real reply is this large)"};
      }
      return {PollStage::kProtocol, "protocol error: the reply is not valid RESP (" + detail +
                                        "); is this port really Redis?"};
    default:
      return {StageOf(step), std::string("connection lost during the poll, awaiting the reply "
                                         "to ") +
                                 StepCommandName(step) + ": " + detail};
  }
}

std::optional<PollError> FatalReply(BatchStep step, const Reply& reply) {
  if (!reply.is_error()) return std::nullopt;
  const ErrorKind kind = ClassifyError(reply.str);
  if (kind == ErrorKind::kMaxClients) return PollError{PollStage::kConnect, kMaxClientsMessage};
  if (kind == ErrorKind::kNoAuth || kind == ErrorKind::kWrongPass || step == BatchStep::kAuth) {
    return AuthError(kind);
  }
  return std::nullopt;
}

PollStage StageOf(BatchStep step) {
  switch (step) {
    case BatchStep::kAuth:
      return PollStage::kAuth;
    case BatchStep::kInfo:
      return PollStage::kInfo;
    case BatchStep::kSlowlog:
      return PollStage::kSlowlog;
    case BatchStep::kLatencyLatest:
      return PollStage::kLatency;
    case BatchStep::kConfigGet:
      return PollStage::kConfig;
    case BatchStep::kSetName:
      return PollStage::kConnect;
    case BatchStep::kClientList:
      return PollStage::kClientList;
  }
  return PollStage::kInfo;
}

ServerRefusal RefusalOf(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kLoading:
      return ServerRefusal::kLoading;
    case ErrorKind::kBusy:
      return ServerRefusal::kBusy;
    case ErrorKind::kMasterDown:
      return ServerRefusal::kMasterDown;
    default:
      return ServerRefusal::kNone;
  }
}

BatchInterpretation InterpretBatch(const std::vector<BatchCommand>& batch,
                                   const std::vector<Reply>& replies, bool multi_section_info) {
  BatchInterpretation out;
  RedisSnapshot snap;
  bool info_ok = false;
  bool has_errorstats = false;
  std::map<std::string, std::string> config;
  bool config_complete = true;
  auto fail = [&out](PollError error) {
    out = BatchInterpretation{};
    out.error = std::move(error);
    return out;
  };
  if (replies.size() != batch.size()) {
    return fail({PollStage::kProtocol, "the server sent fewer replies than commands"});
  }

  for (size_t i = 0; i < batch.size(); ++i) {
    const BatchStep step = batch[i].step;
    const Reply& reply = replies[i];
    if (auto fatal = FatalReply(step, reply)) return fail(std::move(*fatal));
    const ErrorKind kind = reply.is_error() ? ClassifyError(reply.str) : ErrorKind::kOther;
    const std::optional<OptionalCommand> optional = OptionalOf(step);
    // An optional command's error: a refusal switches it off (its fallback takes over),
    // anything else counts against its stage.
    if (optional && reply.is_error()) {
      if (IsRefusal(kind)) {
        out.refusals[*optional] = reply.str;
      } else if (step != BatchStep::kSetName) {
        out.command_errors.push_back(StageOf(step));
      }
      if (step == BatchStep::kConfigGet) {
        out.config_replied = true;
        config_complete = false;
      }
      continue;
    }
    switch (step) {
      case BatchStep::kAuth:
        break;  // an error reply was fatal above
      case BatchStep::kSetName:
        out.answered[OptionalCommand::kClient] = true;
        break;
      case BatchStep::kInfo:
        if (reply.is_error()) {
          if (multi_section_info && kind == ErrorKind::kOther) {
            BatchInterpretation failed = fail({PollStage::kInfo, "INFO answered: " + reply.str});
            failed.info_single_section = true;
            return failed;
          }
          if (const ServerRefusal refusal = RefusalOf(kind); refusal != ServerRefusal::kNone) {
            BatchInterpretation failed = fail({PollStage::kInfo, NotServingText(refusal)});
            failed.refusal = refusal;
            return failed;
          }
          return fail({PollStage::kInfo, "INFO answered: " + reply.str});
        }
        if (reply.type != Reply::Type::kString && reply.type != Reply::Type::kStatus) {
          return fail({PollStage::kProtocol, "INFO did not answer with text"});
        }
        // The section header tells "no errors yet" apart from a server without errorstats.
        has_errorstats |= reply.str.find("# Errorstats") != std::string::npos;
        if (InfoFields parsed = ParseInfo(reply.str); snap.info.fields.empty()) {
          snap.info.fields = std::move(parsed.fields);
        } else {  // one INFO per section (before 7.0): a later section's field wins
          for (auto& [k, v] : parsed.fields) snap.info.fields.insert_or_assign(k, std::move(v));
        }
        info_ok = true;
        break;
      case BatchStep::kSlowlog:
        out.answered[OptionalCommand::kSlowlog] = true;
        snap.slowlog = ParseSlowlog(reply);
        break;
      case BatchStep::kLatencyLatest:
        out.answered[OptionalCommand::kLatency] = true;
        snap.latency_events = ParseLatencyLatest(reply);
        break;
      case BatchStep::kConfigGet:
        out.config_replied = true;
        for (auto& [k, v] : ParseConfigGet(reply)) config[k] = v;
        break;
      case BatchStep::kClientList:
        out.answered[OptionalCommand::kClient] = true;
        out.clients = ParseClientList(reply.str);
        break;
    }
  }
  if (!info_ok) return fail({PollStage::kInfo, "INFO returned nothing"});
  if (out.config_replied && config_complete) {
    out.answered[OptionalCommand::kConfig] = true;
    out.config = std::move(config);
  }
  snap.commandstats = ParseCommandStats(snap.info);
  if (has_errorstats) snap.errorstats = ParseErrorStats(snap.info);
  out.snapshot = std::move(snap);
  return out;
}

}  // namespace rte
