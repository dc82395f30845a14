// INFO, SLOWLOG GET, CLIENT LIST, CONFIG GET and error-reply parsers on replies recorded from
// redis-server 7.0.15 (tests/fixtures/redis/README.md says how they were recorded).
#include <catch2/catch.hpp>

#include "fixtures.h"
#include "parse/redis_text.h"

using namespace rte;
using rte::testing::ReadFixture;

TEST_CASE("INFO fields by section", "[parse][info]") {
  struct Case {
    const char* fixture;
    const char* field;
    double value;
  };
  const Case cases[] = {
      {"redis/info_clients.txt", "connected_clients", 5},
      {"redis/info_clients.txt", "maxclients", 10000},
      {"redis/info_clients.txt", "blocked_clients", 1},  // one BLPOP waiting when recorded
      {"redis/info_memory.txt", "maxmemory", 1048576},
      {"redis/info_stats.txt", "rejected_connections", 0},
  };
  for (const auto& c : cases) {
    INFO(c.fixture << " " << c.field);
    const InfoFields info = ParseInfo(ReadFixture(c.fixture));
    REQUIRE(info.Number(c.field).has_value());
    CHECK(*info.Number(c.field) == c.value);
  }
  const InfoFields memory = ParseInfo(ReadFixture("redis/info_memory.txt"));
  CHECK(memory.Text("maxmemory_policy") == "noeviction");
  CHECK(memory.Number("used_memory").value() > 0);
  CHECK_FALSE(memory.Number("maxmemory_policy").has_value());  // text, not a number
  CHECK_FALSE(memory.Text("# Memory").has_value());
  const InfoFields server = ParseInfo(ReadFixture("redis/info_server.txt"));
  CHECK(server.Text("redis_version") == "7.0.15");
  CHECK(server.Text("run_id").value().size() == 40);
}

TEST_CASE("INFO commandstats and errorstats", "[parse][info]") {
  const auto stats = ParseCommandStats(ParseInfo(ReadFixture("redis/info_commandstats.txt")));
  REQUIRE(stats.contains("keys"));
  CHECK(stats.at("keys").calls == 4);
  CHECK(stats.at("keys").usec == 58);
  CHECK(stats.at("debug").usec == 36877);
  CHECK(stats.at("lpush").failed_calls == 1);
  CHECK(stats.contains("client|setname"));  // 7.0 reports subcommands separately
  const auto errors = ParseErrorStats(ParseInfo(ReadFixture("redis/info_errorstats.txt")));
  CHECK(errors.at("OOM") == 3);
  CHECK(errors.at("WRONGTYPE") == 1);
  CHECK(ParseErrorStats(ParseInfo(ReadFixture("redis/info_clients.txt"))).empty());
}

TEST_CASE("SLOWLOG GET decodes from the raw RESP reply", "[parse][slowlog]") {
  auto replies = DecodeAll(ReadFixture("redis/slowlog_get.resp"));
  REQUIRE(replies.ok());
  REQUIRE(replies.value().size() == 1);
  const auto entries = ParseSlowlog(replies.value()[0]);
  REQUIRE(entries.size() == 10);
  CHECK(entries.front().id == 9);  // newest first
  CHECK(entries.front().command == "set");
  CHECK(entries.back().id == 0);
  CHECK(entries.back().command == "debug");
  CHECK(entries.back().duration_us == 21253);
  CHECK(entries.back().unix_time == 1795687097);

  auto empty = DecodeAll(ReadFixture("redis/slowlog_get_empty.resp"));
  REQUIRE(empty.ok());
  CHECK(ParseSlowlog(empty.value()[0]).empty());
  // Not an array (an error reply): nothing, no crash.
  CHECK(ParseSlowlog(Reply::Error("NOPERM")).empty());
}

TEST_CASE("RESP decoder handles replies split across reads", "[parse]") {
  const std::string wire = ReadFixture("redis/slowlog_get.resp");
  RespDecoder decoder(1 << 20);
  Reply reply;
  for (size_t i = 0; i + 1 < wire.size(); ++i) {
    decoder.Feed(wire.substr(i, 1));
    auto next = decoder.Next(reply);
    REQUIRE(next.ok());
    REQUIRE_FALSE(next.value());
    CHECK_FALSE(decoder.idle());  // a reply is in progress: the connection keeps its decoder
  }
  decoder.Feed(wire.substr(wire.size() - 1));
  auto next = decoder.Next(reply);
  REQUIRE(next.ok());
  CHECK(next.value());
  CHECK(ParseSlowlog(reply).size() == 10);
  CHECK(decoder.idle());

  // Two replies and the start of a third in one read: idle only once every byte was a reply.
  RespDecoder pipelined(1 << 20);
  pipelined.Feed("+PONG\r\n:7\r\n$5\r\nhel");
  REQUIRE(pipelined.Next(reply).value());
  CHECK_FALSE(pipelined.idle());
  REQUIRE(pipelined.Next(reply).value());
  CHECK(reply.integer == 7);
  CHECK_FALSE(pipelined.Next(reply).value());
  CHECK_FALSE(pipelined.idle());
  pipelined.Feed("lo\r\n");
  REQUIRE(pipelined.Next(reply).value());
  CHECK(reply.str == "hello");
  CHECK(pipelined.idle());

  RespDecoder broken(1 << 20);
  broken.Feed("?garbage\r\n");
  CHECK_FALSE(broken.Next(reply).ok());
  CHECK(EncodeCommand({"CONFIG", "GET", "maxclients"}) ==
        "*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$10\r\nmaxclients\r\n");
}

TEST_CASE("RESP decoder bounds a reply's bytes and array elements", "[parse][limits]") {
  struct Row {
    std::string name;
    std::vector<std::string> reads;  // fed one after another, Next() after each
    size_t max_bytes;
    int replies;        // whole replies taken out before the error (or in all)
    std::string error;  // empty: no error
  };
  const std::string big_bulk = "$100\r\n" + std::string(100, 'x') + "\r\n";
  const std::vector<Row> rows = {
      {"a reply at the limit", {big_bulk}, big_bulk.size(), 1, ""},
      {"a bulk string announced past the limit, streamed",
       {"$1000000000\r\n", std::string(600, 'x'), std::string(600, 'x')},
       1024,
       0,
       "larger than max_reply_bytes (1024 bytes)"},
      {"the limit is per reply: two replies of 600 bytes each under 1024",
       {big_bulk + big_bulk + big_bulk + big_bulk + big_bulk, big_bulk + big_bulk + big_bulk},
       1024,
       8,
       ""},
      // 19 bytes that would allocate 16 GB of pointers, then take seconds to free.
      {"an array of two billion elements",
       {"*2000000000\r\n:1\r\n"},
       1024,
       0,
       "more than 1048576 array elements"},
      {"nested arrays whose elements add up past the budget",
       {"*2\r\n*1000000\r\n", "*100000\r\n"},
       1 << 20,
       0,
       "more than 1048576 array elements"},
      {"the element budget is per reply", {"*3\r\n:1\r\n:2\r\n:3\r\n*1\r\n:4\r\n"}, 1024, 2, ""},
  };
  for (const Row& row : rows) {
    INFO(row.name);
    RespDecoder decoder(row.max_bytes);
    int replies = 0;
    std::string error;
    for (const std::string& bytes : row.reads) {
      decoder.Feed(bytes);
      Reply reply;
      while (error.empty()) {
        auto next = decoder.Next(reply);
        if (!next.ok()) {
          error = next.error();
        } else if (next.value()) {
          ++replies;
        } else {
          break;
        }
      }
    }
    CHECK(replies == row.replies);
    if (row.error.empty()) {
      CHECK(error.empty());
    } else {
      CHECK_THAT(error, Catch::Contains(row.error));
    }
  }
}

TEST_CASE("CLIENT LIST", "[parse][clients]") {
  const auto clients = ParseClientList(ReadFixture("redis/client_list.txt"));
  REQUIRE(clients.size() >= 4);
  CHECK(clients[0].name == "redis-timeout-exporter");
  CHECK(clients[1].name == "api-1");
  CHECK(clients[1].cmd == "keys");
  CHECK(clients[3].flags == "x");
  CHECK(clients[1].host == "127.0.0.1");
  CHECK(clients[1].age_seconds == 0);
}

TEST_CASE("CLIENT LIST from several client hosts", "[parse][clients]") {
  const auto clients = ParseClientList(ReadFixture("redis/client_list_pools.txt"));
  REQUIRE(clients.size() == 11);
  struct Row {
    size_t index;
    const char* name;
    const char* host;
    double idle;
    const char* flags;
  };
  const Row rows[] = {
      {0, "api-0", "127.0.0.3", 0, "N"},    {2, "api-2", "127.0.0.3", 2, "N"},
      {3, "worker-0", "127.0.0.3", 2, "b"}, {4, "api-0", "::1", 2, "N"},
      {5, "", "127.0.0.4", 2, "N"},         {6, "redis-timeout-exporter", "127.0.0.1", 0, "N"},
      {8, "api-0", "127.0.0.2", 2, "N"},
  };
  for (const Row& r : rows) {
    INFO("client " << r.index);
    CHECK(clients[r.index].name == r.name);
    CHECK(clients[r.index].host == r.host);
    CHECK(clients[r.index].idle_seconds == r.idle);
    CHECK(clients[r.index].flags == r.flags);
    CHECK(clients[r.index].age_seconds == 2);
  }
}

TEST_CASE("CLIENT LIST addr: the host without the port", "[parse][clients]") {
  const std::pair<const char*, const char*> cases[] = {
      {"10.0.0.7:51234", "10.0.0.7"},
      {"[::1]:48886", "::1"},
      {"[2001:db8::5]:6000", "2001:db8::5"},
      {"/run/redis/redis.sock:0", "/run/redis/redis.sock"},
      {"", ""},
  };
  for (const auto& [addr, host] : cases) CHECK(ClientAddrHost(addr) == host);
}

TEST_CASE("CONFIG GET", "[parse][config]") {
  auto replies = DecodeAll(ReadFixture("redis/config_get_maxclients.resp"));
  REQUIRE(replies.ok());
  const auto values = ParseConfigGet(replies.value()[0]);
  REQUIRE(values.contains("maxclients"));
  CHECK(values.at("maxclients") == "10000");
}

TEST_CASE("error replies are classified", "[parse][errors]") {
  const std::string text = ReadFixture("redis/error_replies.txt");
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  }
  REQUIRE(lines.size() == 5);
  const ErrorKind expected[] = {ErrorKind::kUnknownCommand, ErrorKind::kNoPermission,
                                ErrorKind::kWrongPass, ErrorKind::kOutOfMemory, ErrorKind::kNoAuth};
  for (size_t i = 0; i < lines.size(); ++i) {
    INFO(lines[i]);
    CHECK(ClassifyError(lines[i]) == expected[i]);
  }
  CHECK(IsRefusal(ClassifyError(lines[0])));
  CHECK(IsRefusal(ClassifyError(lines[1])));
  CHECK_FALSE(IsRefusal(ClassifyError(lines[3])));
  CHECK(ClassifyError("ERR max number of clients reached") == ErrorKind::kMaxClients);
  CHECK(ClassifyError("LOADING Redis is loading the dataset in memory") == ErrorKind::kLoading);
  CHECK(ClassifyError("BUSY Redis is busy running a script.") == ErrorKind::kBusy);
  CHECK(ClassifyError("ERR syntax error") == ErrorKind::kOther);
}
