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
