// InterpretBatch and FatalReply on whole poll batches recorded from redis-server 7.0.15, and the
// unreachable reasons of DescribeConnectFailure / DescribeReplyFailure
// (tests/fixtures/redis/README.md says how the batches were recorded).
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>
#include <set>

#include "recorded_polls.h"

using namespace rte;
using namespace rte::testing;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

using OC = OptionalCommand;

constexpr const char* kPassword = "fixture-secret";  // what the recorder authenticated with
constexpr const char* kWrongPassword = "not-the-fixture-secret";

const BatchShape kHandshake{.auth = true, .set_name = true, .config = true, .client_list = true};
// A new connection without a password or pools.
const BatchShape kFirstPoll{.set_name = true, .config = true};
const BatchShape kSteady{};  // INFO, SLOWLOG GET and LATENCY LATEST on an open connection

// What the poller ends up believing about each optional command: `answered`, then `refusals`
// on top (a refusal wins for its family, as TargetPoller::CompleteBatch applies them).
std::map<OC, bool> Supported(const BatchInterpretation& got) {
  std::map<OC, bool> out = got.answered;
  for (const auto& [command, text] : got.refusals) out[command] = false;
  return out;
}

std::set<OC> Refused(const BatchInterpretation& got) {
  std::set<OC> out;
  for (const auto& [command, text] : got.refusals) out.insert(command);
  return out;
}

struct Expected {
  std::optional<PollStage> error;
  std::string message;  // part of the error message
  bool info_single_section = false;
  std::map<OC, bool> supported;
  std::set<OC> refused;
  std::vector<PollStage> command_errors;
  bool config_replied = false;
  bool config = false;
  bool clients = false;
  bool slowlog = false;
  bool latency = false;  // LATENCY LATEST answered: the snapshot holds its events
};

Expected Failed(PollStage stage, std::string message) {
  Expected e;
  e.error = stage;
  e.message = std::move(message);
  return e;
}

void Check(const BatchInterpretation& got, const Expected& want) {
  if (want.error) {
    REQUIRE(got.error.has_value());
    CHECK(got.error->stage == *want.error);
    CHECK_THAT(got.error->message, Contains(want.message));
    // Nothing else of a failed poll is kept.
    CHECK_FALSE(got.snapshot.has_value());
    CHECK(got.refusals.empty());
    CHECK(got.answered.empty());
    CHECK(got.command_errors.empty());
  } else {
    INFO((got.error ? got.error->message : std::string("no error")));
    REQUIRE_FALSE(got.error.has_value());
    REQUIRE(got.snapshot.has_value());
    CHECK(got.snapshot->info.Text("redis_version") == "7.0.15");
    CHECK(got.snapshot->slowlog.has_value() == want.slowlog);
    CHECK(got.snapshot->latency_events.has_value() == want.latency);
    // INFO persistence is asked with the other sections.
    CHECK(got.snapshot->info.Number("aof_rewrite_in_progress").has_value());
    // CONFIG values and clients are the poller's to carry between its slower polls.
    CHECK_FALSE(got.snapshot->config.has_value());
    CHECK_FALSE(got.snapshot->clients.has_value());
  }
  CHECK(got.info_single_section == want.info_single_section);
  CHECK(Supported(got) == want.supported);
  CHECK(Refused(got) == want.refused);
  CHECK(got.command_errors == want.command_errors);
  CHECK(got.config_replied == want.config_replied);
  CHECK(got.config.has_value() == want.config);
  CHECK(got.clients.has_value() == want.clients);
  for (const auto& [command, text] : got.refusals) {
    CHECK(IsRefusal(ClassifyError(text)));
  }
  const std::string message = got.error ? got.error->message : "";
  CHECK(message.find(kPassword) == std::string::npos);
  CHECK(message.find(kWrongPassword) == std::string::npos);
}

}  // namespace

TEST_CASE("InterpretBatch on recorded batches", "[poll_batch]") {
  const std::map<OC, bool> all_answered = {
      {OC::kConfig, true}, {OC::kSlowlog, true}, {OC::kClient, true}, {OC::kLatency, true}};
  Expected full;
  full.supported = all_answered;
  full.config_replied = full.config = full.clients = full.slowlog = full.latency = true;

  Expected restarted = full;
  restarted.clients = false;  // no pools: no CLIENT LIST

  Expected steady;
  steady.supported = {{OC::kSlowlog, true}, {OC::kLatency, true}};
  steady.slowlog = steady.latency = true;

  Expected loading = restarted;  // INFO, SLOWLOG, LATENCY, CONFIG and CLIENT answer while loading

  Expected renamed;
  renamed.supported = {
      {OC::kConfig, false}, {OC::kSlowlog, false}, {OC::kClient, false}, {OC::kLatency, true}};
  renamed.refused = {OC::kConfig, OC::kSlowlog, OC::kClient};
  renamed.config_replied = true;  // asked, so the next CONFIG poll waits config_interval
  renamed.latency = true;

  // LATENCY renamed away: the poll goes on without latency-monitor events, and the poller
  // stops asking (the refusal), as for CONFIG and SLOWLOG.
  Expected latency_refused = restarted;
  latency_refused.supported[OC::kLatency] = false;
  latency_refused.refused = {OC::kLatency};
  latency_refused.latency = false;

  // CLIENT SETNAME allowed, CLIENT LIST denied: the refusal wins for the CLIENT family.
  Expected acl = renamed;

  Expected slowlog_error;
  slowlog_error.command_errors = {PollStage::kSlowlog};
  slowlog_error.supported = {{OC::kLatency, true}};
  slowlog_error.latency = true;

  struct Row {
    const char* fixture;
    BatchShape shape;
    Expected want;
  };
  const Row rows[] = {
      {"handshake_full.resp", kHandshake, full},
      {"steady.resp", kSteady, steady},
      {"restarted.resp", {.auth = true, .set_name = true, .config = true}, restarted},
      {"noauth.resp", kFirstPoll,
       Failed(PollStage::kAuth,
              "the server requires a password (set password_file or password_env)")},
      {"wrongpass.resp",
       {.auth = true, .set_name = true, .config = true},
       Failed(PollStage::kAuth, "refused the username/password (WRONGPASS)")},
      {"maxclients_info_only.resp",
       {.slowlog_count = "", .latency = false},
       Failed(PollStage::kConnect, "max number of clients reached (maxclients)")},
      // Redis answers the first command at maxclients and closes: the rest never come.
      {"maxclients.resp", kFirstPoll,
       Failed(PollStage::kProtocol, "the server sent fewer replies than commands")},
      {"refused_renamed.resp", {.set_name = true, .config = true, .client_list = true}, renamed},
      {"refused_latency.resp", kFirstPoll, latency_refused},
      {"refused_acl.resp",
       {.auth = true, .username = "monitor", .set_name = true, .config = true, .client_list = true},
       acl},
      {"slowlog_error.resp", {.slowlog_count = "-5"}, slowlog_error},
      {"loading.resp", kFirstPoll, loading},
  };
  for (const Row& row : rows) {
    SECTION(row.fixture) {
      const std::vector<BatchInterpretation> polls = InterpretRecorded(row.fixture, row.shape);
      REQUIRE(polls.size() == 1);
      Check(polls[0], row.want);
    }
  }
}

TEST_CASE("InterpretBatch: the full handshake batch fills the snapshot", "[poll_batch]") {
  const BatchInterpretation got = InterpretRecorded("handshake_full.resp", kHandshake).at(0);
  REQUIRE(got.snapshot.has_value());
  const RedisSnapshot& snap = *got.snapshot;
  // One field of each INFO section asked for.
  CHECK(snap.info.Text("run_id").value_or("").size() == 40);
  CHECK(snap.info.Number("connected_clients") == 4.0);  // recorder, api-1, api-2, poller
  CHECK(snap.info.Number("maxclients") == 10000.0);
  CHECK(snap.info.Number("used_memory").value_or(0) > 0);
  CHECK(snap.info.Text("maxmemory_policy") == "noeviction");
  CHECK(snap.info.Number("total_connections_received").value_or(0) >= 4);
  CHECK_THAT(snap.info.Text("db0").value_or(""), StartsWith("keys=11,expires=1,"));
  CHECK(snap.commandstats.at("debug").calls == 3);
  REQUIRE(snap.errorstats.has_value());
  CHECK(snap.errorstats->at("WRONGTYPE") == 1);
  REQUIRE(snap.slowlog.has_value());
  REQUIRE(snap.slowlog->size() == 3);
  CHECK(snap.slowlog->front().id == 2);  // newest first
  CHECK(snap.slowlog->front().command == "debug");
  CHECK(snap.slowlog->front().duration_us >= 22000);
  // INFO persistence: AOF switched on before the poll, its rewrite the one fork so far.
  CHECK(snap.info.Number("aof_enabled") == 1.0);
  CHECK(snap.info.Number("aof_delayed_fsync") == 0.0);
  CHECK(snap.info.Number("aof_rewrite_in_progress") == 0.0);
  CHECK(snap.info.Number("rdb_bgsave_in_progress") == 0.0);
  CHECK(snap.info.Number("total_forks") == 1.0);
  CHECK(snap.info.Number("latest_fork_usec").value_or(0) > 0);
  // LATENCY LATEST: the three DEBUG SLEEPs (20-22 ms) over the 10 ms threshold.
  REQUIRE(snap.latency_events.has_value());
  REQUIRE(snap.latency_events->size() == 1);
  const LatencyEvent& event = snap.latency_events->front();
  CHECK(event.name == "command");
  CHECK(event.latest_seconds == Approx(0.022).margin(0.002));
  CHECK(event.max_seconds >= event.latest_seconds);
  CHECK(event.unix_time > 1'700'000'000);

  REQUIRE(got.config.has_value());
  const std::map<std::string, std::string> config = {{"maxclients", "10000"},
                                                     {"maxmemory", "0"},
                                                     {"maxmemory-policy", "noeviction"},
                                                     {"slowlog-log-slower-than", "10000"},
                                                     {"slowlog-max-len", "128"},
                                                     {"tcp-backlog", "511"},
                                                     {"latency-monitor-threshold", "10"}};
  CHECK(*got.config == config);
  REQUIRE(got.clients.has_value());
  std::set<std::string> names;
  for (const auto& client : *got.clients) names.insert(client.name);
  CHECK(names == std::set<std::string>{"", "api-1", "api-2", "redis-timeout-exporter"});
}

TEST_CASE("InterpretBatch: recorded replies where another reply was expected", "[poll_batch]") {
  auto reply_of = [](const char* fixture, size_t index = 0) {
    return ReadRecordedReplies(std::string("redis/batches/") + fixture).replies.at(index);
  };
  const Reply syntax_error = reply_of("syntax_error.resp");
  const Reply loading_error = reply_of("loading_get.resp");
  const Reply config_array = reply_of("handshake_full.resp", 5);  // CONFIG GET maxclients
  REQUIRE(syntax_error.str == "ERR syntax error");
  REQUIRE(loading_error.str.rfind("LOADING", 0) == 0);
  REQUIRE(config_array.type == Reply::Type::kArray);
  std::vector<Reply> full = ReadRecordedReplies("redis/batches/handshake_full.resp").replies;
  std::vector<Reply> one_short(full.begin(), full.end() - 1);
  const Reply steady_slowlog = reply_of("steady.resp", 1);
  const Reply steady_latency = reply_of("steady.resp", 2);

  Expected single_section = Failed(PollStage::kInfo, "INFO answered: ERR syntax error");
  single_section.info_single_section = true;

  struct Row {
    const char* name;
    BatchShape shape;
    std::vector<Reply> replies;
    Expected want;
  };
  const Row rows[] = {
      // Redis before 7.0 answers INFO with several sections with its syntax error: ask one
      // section per call from then on.
      {"INFO with several sections refused",
       kSteady,
       {syntax_error, steady_slowlog, steady_latency},
       single_section},
      // Already one section per call: the same error is just an INFO failure.
      {"INFO with one section refused",
       {.multi_section_info = false, .slowlog_count = "", .latency = false},
       {syntax_error, syntax_error, syntax_error, syntax_error, syntax_error, syntax_error,
        syntax_error, syntax_error},
       Failed(PollStage::kInfo, "INFO answered: ERR syntax error")},
      // Redis 7.0 answers INFO while loading; a proxy in front of it may not.
      {"LOADING on INFO",
       kSteady,
       {loading_error, steady_slowlog, steady_latency},
       Failed(PollStage::kInfo, "loading its dataset")},
      {"INFO answered with an array",
       kSteady,
       {config_array, steady_slowlog, steady_latency},
       Failed(PollStage::kProtocol, "INFO did not answer with text")},
      {"fewer replies than commands", kHandshake, one_short,
       Failed(PollStage::kProtocol, "fewer replies than commands")},
  };
  for (const Row& row : rows) {
    SECTION(row.name) {
      const std::vector<BatchCommand> batch = MakeBatch(row.shape);
      Check(InterpretBatch(batch, row.replies, row.shape.multi_section_info), row.want);
    }
  }
}

TEST_CASE("DescribeConnectFailure names the reason and the address", "[poll_batch]") {
  struct Row {
    TransportError error;
    const char* detail;
    const char* address;
    PollStage stage;
    std::vector<std::string> says;
  };
  const Row rows[] = {
      {TransportError::kRefused,
       "Connection refused",
       "127.0.0.1:6390",
       PollStage::kConnect,
       {"connection refused: nothing listens on 127.0.0.1:6390", "Redis stopped, wrong port"}},
      {TransportError::kTimeout,
       "timed out",
       "10.0.0.7:6379",
       PollStage::kConnect,
       {"connect timed out after 2s", "TCP handshake to 10.0.0.7:6379", "accept queue full"}},
      {TransportError::kDnsFailed,
       "Name or service not known",
       "cache.invalid:6379",
       PollStage::kDns,
       {"DNS lookup failed for cache.invalid:6379: Name or service not known"}},
      {TransportError::kConnectFailed,
       "Network is unreachable",
       "[::1]:6379",
       PollStage::kConnect,
       {"cannot connect to [::1]:6379: Network is unreachable"}},
      {TransportError::kClosed,
       "ERR max number of clients reached",
       "127.0.0.1:6390",
       PollStage::kConnect,
       {"max number of clients reached (maxclients)"}},
      {TransportError::kConnectFailed,
       "unix socket path too long",
       "unix:///run/redis.sock",
       PollStage::kConnect,
       {"cannot connect to unix:///run/redis.sock: unix socket path too long"}},
      {TransportError::kTls,
       "unknown CA: the server's certificate is not signed by a CA in tls.ca_file",
       "rediss://10.0.0.7:6380",
       PollStage::kTls,
       {"TLS to rediss://10.0.0.7:6380 failed: unknown CA"}},
      {TransportError::kTls,
       "cannot read tls.ca_file /etc/redis/ca.pem: No such file or directory",
       "rediss://cache:6380",
       PollStage::kTls,
       {"TLS to rediss://cache:6380 failed: cannot read tls.ca_file /etc/redis/ca.pem"}},
  };
  for (const Row& row : rows) {
    CAPTURE(TransportErrorName(row.error), row.detail);
    const PollError got =
        DescribeConnectFailure(row.error, row.detail, row.address, std::chrono::seconds(2));
    CHECK(got.stage == row.stage);
    for (const auto& part : row.says) CHECK_THAT(got.message, Contains(part));
    CHECK(got.message.find(kPassword) == std::string::npos);
  }
}

TEST_CASE("DescribeReplyFailure names the reason and the command's stage", "[poll_batch]") {
  struct Row {
    TransportError error;
    const char* detail;
    BatchStep step;  // the command whose reply was awaited
    bool first_reply;
    PollStage stage;
    std::vector<std::string> says;
  };
  const Row rows[] = {
      {TransportError::kTimeout,
       "timed out",
       BatchStep::kInfo,
       false,
       PollStage::kTimeout,
       {"did not answer within poll_timeout 3s", "slow command, a fork or AOF fsync"}},
      {TransportError::kTimeout,
       "timed out",
       BatchStep::kSlowlog,
       false,
       PollStage::kTimeout,
       {"poll_timeout 3s"}},
      {TransportError::kTimeout,
       "timed out",
       BatchStep::kSetName,
       true,
       PollStage::kTimeout,
       {"poll_timeout 3s"}},
      // Bytes that are not RESP: protocol, whichever reply they were read as.
      {TransportError::kProtocol,
       "protocol error: Protocol error, got \"H\" as reply type byte",
       BatchStep::kInfo,
       false,
       PollStage::kProtocol,
       {"not valid RESP", "got \"H\" as reply type byte", "is this port really Redis?"}},
      {TransportError::kProtocol,
       "protocol error: Protocol error, got \"H\" as reply type byte",
       BatchStep::kSetName,
       true,
       PollStage::kProtocol,
       {"not valid RESP"}},
      {TransportError::kProtocol,
       "protocol error: Protocol error, got \"x\" as reply type byte",
       BatchStep::kClientList,
       false,
       PollStage::kProtocol,
       {"not valid RESP"}},
      // A close before the new connection answered anything: Redis at maxclients, or a proxy.
      {TransportError::kClosed,
       "connection closed by peer",
       BatchStep::kAuth,
       true,
       PollStage::kConnect,
       {"closed it before answering (connection closed by peer)", "maxclients"}},
      {TransportError::kClosed,
       "Connection reset by peer",
       BatchStep::kSetName,
       true,
       PollStage::kConnect,
       {"closed it before answering (Connection reset by peer)"}},
      {TransportError::kClosed,
       "connection closed by peer",
       BatchStep::kInfo,
       true,
       PollStage::kConnect,
       {"closed it before answering"}},
      // A close after some replies: the stage of the command whose reply was awaited.
      {TransportError::kClosed,
       "connection closed by peer",
       BatchStep::kAuth,
       false,
       PollStage::kAuth,
       {"connection lost during the poll, awaiting the reply to AUTH: connection closed by peer"}},
      {TransportError::kClosed,
       "Connection reset by peer",
       BatchStep::kSetName,
       false,
       PollStage::kConnect,
       {"awaiting the reply to CLIENT SETNAME: Connection reset by peer"}},
      {TransportError::kClosed,
       "connection closed by peer",
       BatchStep::kInfo,
       false,
       PollStage::kInfo,
       {"connection lost during the poll, awaiting the reply to INFO"}},
      {TransportError::kClosed,
       "connection closed by peer",
       BatchStep::kSlowlog,
       false,
       PollStage::kSlowlog,
       {"awaiting the reply to SLOWLOG GET"}},
      {TransportError::kClosed,
       "connection closed by peer",
       BatchStep::kLatencyLatest,
       false,
       PollStage::kLatency,
       {"awaiting the reply to LATENCY LATEST"}},
      {TransportError::kClosed,
       "connection closed by peer",
       BatchStep::kConfigGet,
       false,
       PollStage::kConfig,
       {"awaiting the reply to CONFIG GET"}},
      // The one way to client_list: CLIENT LIST's own reply was lost.
      {TransportError::kClosed,
       "connection closed by peer",
       BatchStep::kClientList,
       false,
       PollStage::kClientList,
       {"awaiting the reply to CLIENT LIST"}},
      {TransportError::kClosed,
       "ERR max number of clients reached",
       BatchStep::kInfo,
       false,
       PollStage::kConnect,
       {"max number of clients reached (maxclients)"}},
      // TLS 1.3: the server refuses a missing client certificate after the client's handshake.
      {TransportError::kTls,
       "no client certificate: the server requires mutual TLS",
       BatchStep::kAuth,
       true,
       PollStage::kTls,
       {"TLS failed after the handshake: no client certificate"}},
  };
  for (const Row& row : rows) {
    CAPTURE(TransportErrorName(row.error), row.detail, static_cast<int>(row.step), row.first_reply);
    const PollError got = DescribeReplyFailure(row.error, row.detail, row.step,
                                               std::chrono::seconds(3), row.first_reply);
    CHECK(got.stage == row.stage);
    for (const auto& part : row.says) CHECK_THAT(got.message, Contains(part));
    CHECK(got.message.find(kPassword) == std::string::npos);
  }
}

TEST_CASE("StageOf: client_list only for CLIENT LIST", "[poll_batch]") {
  const std::pair<BatchStep, PollStage> rows[] = {
      {BatchStep::kAuth, PollStage::kAuth},
      {BatchStep::kSetName, PollStage::kConnect},
      {BatchStep::kInfo, PollStage::kInfo},
      {BatchStep::kSlowlog, PollStage::kSlowlog},
      {BatchStep::kLatencyLatest, PollStage::kLatency},
      {BatchStep::kConfigGet, PollStage::kConfig},
      {BatchStep::kClientList, PollStage::kClientList},
  };
  for (const auto& [step, stage] : rows) {
    CAPTURE(static_cast<int>(step));
    CHECK(StageOf(step) == stage);
  }
}

TEST_CASE("FatalReply: the replies that end a poll before the rest arrive", "[poll_batch]") {
  auto reply_of = [](const char* fixture, size_t index) {
    return ReadRecordedReplies(std::string("redis/batches/") + fixture).replies.at(index);
  };
  struct Row {
    const char* what;
    BatchStep step;
    Reply reply;
    std::optional<PollStage> stage;  // empty: the poll goes on
    const char* says;
  };
  const Row rows[] = {
      // At maxclients Redis answers whatever came first, then closes the connection.
      {"maxclients on CLIENT SETNAME", BatchStep::kSetName, reply_of("maxclients.resp", 0),
       PollStage::kConnect, "max number of clients reached (maxclients)"},
      {"maxclients on INFO", BatchStep::kInfo, reply_of("maxclients_info_only.resp", 0),
       PollStage::kConnect, "max number of clients reached (maxclients)"},
      {"NOAUTH", BatchStep::kSetName, reply_of("noauth.resp", 0), PollStage::kAuth,
       "requires a password"},
      {"WRONGPASS", BatchStep::kAuth, reply_of("wrongpass.resp", 0), PollStage::kAuth, "WRONGPASS"},
      {"any error to AUTH", BatchStep::kAuth, reply_of("syntax_error.resp", 0), PollStage::kAuth,
       "AUTH answered an error (other)"},
      {"AUTH OK", BatchStep::kAuth, reply_of("handshake_full.resp", 0), {}, ""},
      {"INFO text", BatchStep::kInfo, reply_of("handshake_full.resp", 2), {}, ""},
      {"a refusal", BatchStep::kSlowlog, reply_of("refused_acl.resp", 3), {}, ""},
      {"LATENCY refused", BatchStep::kLatencyLatest, reply_of("refused_latency.resp", 3), {}, ""},
      {"SLOWLOG error", BatchStep::kSlowlog, reply_of("slowlog_error.resp", 1), {}, ""},
      {"LOADING", BatchStep::kInfo, reply_of("loading_get.resp", 0), {}, ""},
      {"INFO refused before 7.0", BatchStep::kInfo, reply_of("syntax_error.resp", 0), {}, ""},
  };
  for (const Row& row : rows) {
    CAPTURE(row.what);
    const std::optional<PollError> got = FatalReply(row.step, row.reply);
    REQUIRE(got.has_value() == row.stage.has_value());
    if (got) {
      CHECK(got->stage == *row.stage);
      CHECK_THAT(got->message, Contains(row.says));
    }
  }
}
