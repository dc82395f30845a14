// Unit tests of the pure /proc parsers on recorded and hand-written fixtures (cause 5).
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "parse/proc_netstat.h"
#include "parse/proc_sys.h"

namespace rte {
namespace {

std::string ReadFixture(const std::string& relative) {
  std::ifstream in(std::string(RTE_FIXTURES_DIR) + "/proc/" + relative);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_CASE("ParseProcNetstat reads fields by name in both kernel layouts", "[kernel][unit]") {
  struct Row {
    const char* fixture;
    const char* prefix;
    const char* field;
    std::uint64_t want;
  };
  // The same names sit in different columns: ListenOverflows is column 20 on 4.9, 23 on 6.18.
  const Row rows[] = {
      {"linux-6.18/net/netstat", "TcpExt", "ListenOverflows", 8},
      {"linux-6.18/net/netstat", "TcpExt", "ListenDrops", 8},
      {"linux-6.18/net/netstat", "TcpExt", "TW", 29},
      {"linux-6.18/net/netstat", "TcpExt", "TCPPureAcks", 92},
      {"linux-6.18/net/netstat", "TcpExt", "TCPDelivered", 424},
      {"linux-6.18/net/netstat", "TcpExt", "TCPAODroppedIcmps", 0},  // last column
      {"linux-6.18/net/netstat", "IpExt", "InOctets", 19582271},
      {"linux-6.18/net/netstat", "IpExt", "ReasmOverlaps", 0},
      {"linux-6.18/net/netstat", "MPTcpExt", "MPCapableSYNRX", 0},
      {"linux-4.9/net/netstat", "TcpExt", "ListenOverflows", 1713},
      {"linux-4.9/net/netstat", "TcpExt", "ListenDrops", 1719},
      {"linux-4.9/net/netstat", "TcpExt", "SyncookiesSent", 12},
      {"linux-4.9/net/netstat", "TcpExt", "TW", 480213},
      {"linux-4.9/net/netstat", "TcpExt", "TCPPrequeued", 33},
      {"linux-4.9/net/netstat", "TcpExt", "TCPKeepAlive", 90121},
      {"linux-4.9/net/netstat", "IpExt", "InOctets", 91853302117},
      {"linux-4.9/net/netstat", "IpExt", "InECT0Pkts", 3012},
  };
  for (const Row& row : rows) {
    CAPTURE(row.fixture, row.prefix, row.field);
    ProcNetstat parsed = ParseProcNetstat(ReadFixture(row.fixture));
    CHECK(parsed.malformed_lines == 0);
    REQUIRE(parsed.Get(row.prefix, row.field).has_value());
    CHECK(*parsed.Get(row.prefix, row.field) == row.want);
  }
}

TEST_CASE("ParseProcNetstat knows which fields a layout lacks", "[kernel][unit]") {
  ProcNetstat v49 = ParseProcNetstat(ReadFixture("linux-4.9/net/netstat"));
  ProcNetstat v618 = ParseProcNetstat(ReadFixture("linux-6.18/net/netstat"));
  CHECK(v49.sections.size() == 2);
  CHECK(v618.sections.size() == 3);
  CHECK(v49.sections.at("TcpExt").size() == 118);
  CHECK(v618.sections.at("TcpExt").size() == 135);
  // Removed after 4.9 (prequeue, tw_recycle) and added later (PAWS split, MPTCP).
  CHECK_FALSE(v618.Get("TcpExt", "TCPPrequeued"));
  CHECK_FALSE(v618.Get("TcpExt", "PAWSPassive"));
  CHECK_FALSE(v49.Get("TcpExt", "TCPDelivered"));
  CHECK_FALSE(v49.Get("MPTcpExt", "MPCapableSYNRX"));
  CHECK_FALSE(v49.Get("IpExt", "ReasmOverlaps"));
  CHECK_FALSE(v49.Get("NoSuchPrefix", "TW"));
}

TEST_CASE("ParseProcNetstat does not confuse TcpExt with MPTcpExt", "[kernel][unit]") {
  ProcNetstat parsed = ParseProcNetstat(
      "MPTcpExt: ListenOverflows\n"
      "MPTcpExt: 99\n"
      "TcpExt: ListenOverflows\n"
      "TcpExt: 7\n");
  CHECK(parsed.malformed_lines == 0);
  CHECK(parsed.Get("TcpExt", "ListenOverflows") == 7u);
  CHECK(parsed.Get("MPTcpExt", "ListenOverflows") == 99u);
}

TEST_CASE("ParseProcNetstat skips malformed lines and counts them", "[kernel][unit]") {
  struct Row {
    const char* name;
    const char* text;
    int malformed;
    std::optional<std::uint64_t> listen_overflows;
  };
  const Row rows[] = {
      {"clean", "TcpExt: A ListenOverflows\nTcpExt: 1 2\n", 0, 2},
      {"comments and blank lines", "# provenance\n\nTcpExt: ListenOverflows\n\nTcpExt: 3\n", 0, 3},
      {"CRLF and tabs", "TcpExt:\tListenOverflows B\r\nTcpExt:\t4 5\r\n", 0, 4},
      {"no trailing newline", "TcpExt: ListenOverflows\nTcpExt: 6", 0, 6},
      {"line without prefix", "garbage\nTcpExt: ListenOverflows\nTcpExt: 7\n", 1, 7},
      {"value line shorter than header", "TcpExt: A ListenOverflows\nTcpExt: 1\n", 1, std::nullopt},
      {"value line longer than header", "TcpExt: ListenOverflows\nTcpExt: 1 2\n", 1, std::nullopt},
      {"non-numeric value keeps the others", "TcpExt: A ListenOverflows\nTcpExt: x 8\n", 1, 8},
      {"negative value", "TcpExt: ListenOverflows B\nTcpExt: -1 2\n", 1, std::nullopt},
      {"header without values", "TcpExt: ListenOverflows\nIpExt: A\nIpExt: 1\n", 1, std::nullopt},
      {"header at end of text", "IpExt: A\nIpExt: 1\nTcpExt: ListenOverflows\n", 1, std::nullopt},
      {"values without header", "TcpExt: 1 2\nTcpExt: ListenOverflows\nTcpExt: 9\n", 1, 9},
      {"values under another prefix", "TcpExt: ListenOverflows\nIpExt: 1\n", 2, std::nullopt},
      {"empty prefix", ": 1 2\nTcpExt: ListenOverflows\nTcpExt: 10\n", 1, 10},
      {"empty text", "", 0, std::nullopt},
      {"overflowing value", "TcpExt: ListenOverflows\nTcpExt: 99999999999999999999\n", 1,
       std::nullopt},
      {"max uint64", "TcpExt: ListenOverflows\nTcpExt: 18446744073709551615\n", 0,
       18446744073709551615ull},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    ProcNetstat parsed = ParseProcNetstat(row.text);
    CHECK(parsed.malformed_lines == row.malformed);
    CHECK(parsed.Get("TcpExt", "ListenOverflows") == row.listen_overflows);
  }
}

TEST_CASE("ParseProcNetstat on the missing-fields fixture", "[kernel][unit]") {
  ProcNetstat parsed = ParseProcNetstat(ReadFixture("missing-fields/net/netstat"));
  CHECK(parsed.malformed_lines == 2);
  CHECK_FALSE(parsed.Get("TcpExt", "ListenOverflows"));
  CHECK_FALSE(parsed.Get("TcpExt", "ListenDrops"));
  CHECK(parsed.Get("TcpExt", "TW") == 30u);
  CHECK(parsed.Get("IpExt", "InNoRoutes") == 5u);
  CHECK_FALSE(parsed.Get("IpExt", "InOctets"));
}

TEST_CASE("ParseProcSysInteger", "[kernel][unit]") {
  struct Row {
    const char* text;
    std::optional<std::uint64_t> want;
  };
  const Row rows[] = {
      {"4096\n", 4096},
      {"128", 128},
      {"  1 \n", 1},
      {"0\n", 0},
      {"18446744073709551615\n", 18446744073709551615ull},
      {"", std::nullopt},
      {"\n", std::nullopt},
      {"-1\n", std::nullopt},
      {"4096 16384\n", std::nullopt},  // several values, as in tcp_rmem
      {"4096\t87380\t6291456\n", std::nullopt},
      {"abc\n", std::nullopt},
      {"12abc\n", std::nullopt},
      {"0x10\n", std::nullopt},
      {"18446744073709551616\n", std::nullopt},
  };
  for (const Row& row : rows) {
    CAPTURE(row.text);
    Result<std::uint64_t> got = ParseProcSysInteger(row.text);
    CHECK(got.ok() == row.want.has_value());
    if (got.ok() && row.want) CHECK(got.value() == *row.want);
    if (!got.ok()) CHECK_FALSE(got.error().empty());
  }
}

TEST_CASE("ParseProcSysInteger on the fixture trees", "[kernel][unit]") {
  struct Row {
    const char* fixture;
    std::uint64_t want;
  };
  const Row rows[] = {
      {"linux-6.18/sys/net/core/somaxconn", 4096},
      {"linux-6.18/sys/net/ipv4/tcp_max_syn_backlog", 2048},
      {"linux-6.18/sys/net/ipv4/tcp_syncookies", 1},
      {"linux-4.9/sys/net/core/somaxconn", 128},
      {"linux-4.9/sys/net/ipv4/tcp_max_syn_backlog", 512},
      {"linux-4.9/sys/net/ipv4/tcp_syncookies", 1},
  };
  for (const Row& row : rows) {
    CAPTURE(row.fixture);
    Result<std::uint64_t> got = ParseProcSysInteger(ReadFixture(row.fixture));
    REQUIRE(got.ok());
    CHECK(got.value() == row.want);
  }
  CHECK_FALSE(
      ParseProcSysInteger(ReadFixture("missing-fields/sys/net/ipv4/tcp_max_syn_backlog")).ok());
  CHECK_FALSE(ParseProcSysInteger(ReadFixture("missing-fields/sys/net/ipv4/tcp_syncookies")).ok());
}

}  // namespace
}  // namespace rte
