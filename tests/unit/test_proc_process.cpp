// The blocking cause's process evidence: VmSwap from /proc/<pid>/status and the transparent
// huge pages mode, on files recorded from a real redis-server and VM
// (tests/fixtures/proc/README.md).
#include <catch2/catch.hpp>

#include "fixtures.h"
#include "parse/proc_process.h"

using namespace rte;
using rte::testing::ReadFixture;

TEST_CASE("VmSwap of a process, in bytes", "[proc]") {
  CHECK(ParseStatusSwapBytes(ReadFixture("proc/process/status_redis.txt")) == 0.0);
  const auto [text, expected] = GENERATE(table<std::string, std::optional<double>>({
      {"Name:\tredis-server\nVmSwap:\t    2048 kB\nThreads:\t5\n", 2048.0 * 1024},
      {"VmSwap:\t0 kB", 0.0},
      {"Name:\tkthreadd\nThreads:\t1\n", std::nullopt},  // kernel threads have no Vm lines
      {"VmSwap:\tlots kB\n", std::nullopt},
      {"VmSwap:\t12 MB\n", std::nullopt},  // not the unit the kernel writes
      {"", std::nullopt},
  }));
  INFO(text);
  CHECK(ParseStatusSwapBytes(text) == expected);
}

TEST_CASE("transparent huge pages mode is the bracketed word", "[proc]") {
  CHECK(ParseThpMode(ReadFixture("sys/kernel/mm/transparent_hugepage/enabled")) == "madvise");
  CHECK(ParseThpMode("[always] madvise never\n") == "always");
  CHECK(ParseThpMode("always madvise [never]") == "never");
  CHECK_FALSE(ParseThpMode("always madvise never").has_value());
  CHECK_FALSE(ParseThpMode("[]").has_value());
}

TEST_CASE("the exporter's own /proc/self/stat", "[proc]") {
  // Recorded from a running redis-timeout-exporter (tests/fixtures/proc/README.md).
  const auto recorded = ParseProcStat(ReadFixture("proc/process/stat_exporter.txt"));
  REQUIRE(recorded);
  CHECK(recorded->utime_ticks == 0);
  CHECK(recorded->stime_ticks == 0);
  CHECK(recorded->start_ticks == 1195385);
  CHECK(recorded->vsize_bytes == 167899136);
  CHECK(recorded->rss_pages == 1603);

  // A command name with spaces and parentheses; fields counted from the last ')'.
  const auto odd = ParseProcStat(
      "42 (a b) (c)) S 1 42 42 0 -1 4194304 10 0 0 0 250 75 0 0 20 0 3 0 9000 1048576 300 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n");
  REQUIRE(odd);
  CHECK(odd->utime_ticks == 250);
  CHECK(odd->stime_ticks == 75);
  CHECK(odd->start_ticks == 9000);
  CHECK(odd->vsize_bytes == 1048576);
  CHECK(odd->rss_pages == 300);

  for (const char* bad : {"", "42 (x) S 1 2 3", "42 x S 1 42 42 0 -1 4194304",
                          "42 (x) S 1 42 42 0 -1 4194304 10 0 0 0 lots 75 0 0 20 0 3 0 9000 1 2"}) {
    INFO(bad);
    CHECK_FALSE(ParseProcStat(bad).has_value());
  }
}

TEST_CASE("the soft open-files limit of /proc/self/limits", "[proc]") {
  CHECK(ParseMaxOpenFiles(ReadFixture("proc/process/limits_exporter.txt")) == 20000u);
  CHECK(ParseMaxOpenFiles(
            "Max open files            1024                 524288               files\n") ==
        1024u);
  CHECK_FALSE(ParseMaxOpenFiles("Max open files  unlimited  unlimited  files\n").has_value());
  CHECK_FALSE(ParseMaxOpenFiles("Max processes  100  100  processes\n").has_value());
  CHECK_FALSE(ParseMaxOpenFiles("").has_value());
}

TEST_CASE("the boot time of /proc/stat", "[proc]") {
  CHECK(ParseBootTime(ReadFixture("proc/process/stat_host.txt")) == 1796011085u);
  CHECK(ParseBootTime("cpu  1 2 3\nbtime 1700000000\nprocesses 5\n") == 1700000000u);
  CHECK_FALSE(ParseBootTime("cpu  1 2 3\n").has_value());
  CHECK_FALSE(ParseBootTime("btime soon\n").has_value());
}
