// KernelCountersReader against the real /proc and against fixture procfs trees: values by name,
// missing files and fields as empty optionals, each warning logged once.
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>

#include "sources/kernel/kernel_counters_reader.h"
#include "temp_dir.h"

namespace rte {
namespace {

const std::string kProcFixtures = std::string(RTE_FIXTURES_DIR) + "/proc";

// Sends spdlog's default logger to a string for the lifetime of the object.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%l %v");
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }
  int Count(const std::string& needle) const {
    const std::string all = out_.str();
    int n = 0;
    for (size_t at = all.find(needle); at != std::string::npos; at = all.find(needle, at + 1)) ++n;
    return n;
  }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

TEST_CASE("KernelCountersReader reads this machine's /proc", "[kernel]") {
  CapturedLog log;
  KernelCountersReader reader;  // default root /proc
  CHECK(reader.procfs_root() == "/proc");
  KernelCounters c = reader.Read();
  REQUIRE(c.listen_overflows.has_value());
  REQUIRE(c.listen_drops.has_value());
  REQUIRE(c.somaxconn.has_value());
  REQUIRE(c.tcp_max_syn_backlog.has_value());
  REQUIRE(c.tcp_syncookies.has_value());
  CHECK(*c.somaxconn > 0);
  CHECK(*c.tcp_syncookies <= 2);
  // Every overflow is also counted as a drop.
  CHECK(*c.listen_drops >= *c.listen_overflows);
  CHECK(log.Count("event=kernel_counter_missing") == 0);
  CHECK(log.Count("event=kernel_netstat_malformed") == 0);
}

TEST_CASE("KernelCountersReader on fixture procfs trees", "[kernel]") {
  using U = std::optional<std::uint64_t>;
  struct Row {
    const char* tree;
    U overflows, drops, somaxconn, syn_backlog, syncookies;
    int missing_warnings;
  };
  const Row rows[] = {
      {"linux-6.18", 8, 8, 4096, 2048, 1, 0},
      {"linux-4.9", 1713, 1719, 128, 512, 1, 0},
      // no net/netstat, no ipv4 sysctls: 1 + 2 warnings
      {"missing-files", {}, {}, 4096, {}, {}, 3},
      // TcpExt without the two fields, a garbage and an empty sysctl: 2 + 2 warnings
      {"missing-fields", {}, {}, 4096, {}, {}, 4},
      // a root that does not exist at all (non-Linux, wrong flag): 4 warnings
      {"no-such-tree", {}, {}, {}, {}, {}, 4},
  };
  for (const Row& row : rows) {
    CAPTURE(row.tree);
    CapturedLog log;
    KernelCountersReader reader(kProcFixtures + "/" + row.tree);
    for (int poll = 0; poll < 3; ++poll) {  // warnings must not repeat on later polls
      KernelCounters c = reader.Read();
      CHECK(c.listen_overflows == row.overflows);
      CHECK(c.listen_drops == row.drops);
      CHECK(c.somaxconn == row.somaxconn);
      CHECK(c.tcp_max_syn_backlog == row.syn_backlog);
      CHECK(c.tcp_syncookies == row.syncookies);
    }
    CHECK(log.Count("event=kernel_counter_missing") == row.missing_warnings);
    INFO(log.text());
    CHECK(log.Count("warning ") == log.Count("\n"));  // every line logged is a warning
  }
}

TEST_CASE("KernelCountersReader warns once about malformed netstat lines", "[kernel]") {
  CapturedLog log;
  KernelCountersReader reader(kProcFixtures + "/missing-fields");
  reader.Read();
  reader.Read();
  CHECK(log.Count("event=kernel_netstat_malformed") == 1);
  CHECK(log.Count("malformed_lines=2") == 1);
  CHECK(log.Count("field=TcpExt.ListenOverflows") == 1);
  CHECK(log.Count("field=TcpExt.ListenDrops") == 1);
}

TEST_CASE("KernelCountersReader follows files that appear and change", "[kernel]") {
  CapturedLog log;
  testing::TempDir root("rte-procfs");
  KernelCountersReader reader(root.path() + "/");  // trailing slash is tolerated
  CHECK(reader.procfs_root() == root.path());
  CHECK_FALSE(reader.Read().somaxconn.has_value());

  std::filesystem::create_directories(root.path() + "/sys/net/core");
  root.WriteFile("sys/net/core/somaxconn", "64\n");
  CHECK(reader.Read().somaxconn == 64u);
  root.WriteFile("sys/net/core/somaxconn", "256\n");
  CHECK(reader.Read().somaxconn == 256u);
  std::filesystem::create_directories(root.path() + "/net");
  root.WriteFile("net/netstat", "TcpExt: ListenDrops ListenOverflows\nTcpExt: 5 3\n");
  KernelCounters c = reader.Read();
  CHECK(c.listen_overflows == 3u);
  CHECK(c.listen_drops == 5u);
  CHECK(log.Count("path=" + root.path() + "/sys/net/core/somaxconn") == 1);
}

}  // namespace
}  // namespace rte
