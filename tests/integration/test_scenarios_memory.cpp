// The memory shapes of issue 16 against real redis-servers, each beside a healthy target polled
// by the same exporter: a container's memory limit with no maxmemory, volatile-* with few or
// many keys carrying a TTL, and a replica's full sync under noeviction.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "exporter_process.h"
#include "parse/cgroup.h"
#include "parse/redis_text.h"
#include "redis_server.h"
#include "scenario.h"
#include "wait_until.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr double kMiB = 1048576;

rte::InfoFields Info(RedisServer& redis, const std::string& section) {
  const RedisValue v = redis.Command({"INFO", section});
  REQUIRE_FALSE(v.is_error());
  return rte::ParseInfo(v.str);
}

// used_memory as Redis counts it against maxmemory: without replica and AOF buffers.
double CountedFill(RedisServer& redis, double maxmemory) {
  const rte::InfoFields m = Info(redis, "memory");
  return (m.Number("used_memory").value_or(0) - m.Number("mem_not_counted_for_evict").value_or(0)) /
         maxmemory;
}

// Writes `count` keys "<prefix><first>"… of `value`, with a one-hour TTL or without, in one
// command (MSET, or a script for SET … EX). Fails the test on an error reply (OOM).
void WriteKeys(RedisServer& redis, const std::string& prefix, int first, int count,
               const std::string& value, bool ttl) {
  std::vector<std::string> args;
  if (ttl) {
    args = {"EVAL",
            "for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[1], 'EX', 3600) end return 1",
            std::to_string(count)};
  } else {
    args = {"MSET"};
  }
  for (int i = first; i < first + count; ++i) {
    args.push_back(prefix + std::to_string(i));
    if (!ttl) args.push_back(value);
  }
  if (ttl) args.push_back(value);
  const RedisValue reply = redis.Command(args);
  INFO(reply.ToString());
  REQUIRE_FALSE(reply.is_error());
}

// Writes keys of 600 bytes "<prefix><n>" in batches until Redis counts `fill` of `maxmemory`
// (used_memory without the buffers it leaves out): big batches first, then small steps, so the
// fill stops just past `fill` and below 100% (where an evicting policy would start evicting).
// `ttl(n)` says whether the batch starting at key n gets a one-hour TTL. Returns the fill
// reached and sets `*keys` to the number of keys written.
double FillTo(RedisServer& redis, double maxmemory, double fill, const std::string& prefix,
              const std::function<bool(int)>& ttl, int* keys) {
  const std::string value(600, 'v');
  int next = 0;
  double now = CountedFill(redis, maxmemory);
  while (now < fill && next < 200000) {
    const int batch = now < fill - 0.04 ? 500 : now < fill - 0.01 ? 50 : 5;
    WriteKeys(redis, prefix, next, batch, value, ttl(next));
    next += batch;
    now = CountedFill(redis, maxmemory);
  }
  *keys = next;
  return now;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  return static_cast<bool>(out);
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// A memory cgroup of its own for one process, made by the test: cgroup v2 (memory.max, a child
// of the v2 root, where the memory controller can be enabled) or v1 (memory.limit_in_bytes, a
// child of the test's own memory cgroup). Removed when the process has gone.
class MemoryCgroup {
 public:
  // Empty `dir()` and a reason in `why()` when this machine does not allow it.
  explicit MemoryCgroup(double limit_bytes) {
    const std::string name = "rte-test-" + std::to_string(::getpid());
    const std::string limit = std::to_string(static_cast<long long>(limit_bytes));
    const rte::CgroupPaths self = rte::ParseProcCgroup(ReadText("/proc/self/cgroup"));
    std::string v2_root;
    for (const char* mount : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
      if (Exists(std::string(mount) + "/cgroup.subtree_control")) v2_root = mount;
      if (!v2_root.empty()) break;
    }
    if (self.unified && !v2_root.empty()) {
      // Only where the memory controller is already delegated: the test changes nothing
      // machine-wide.
      const std::string control = v2_root + "/cgroup.subtree_control";
      if (ReadText(control).find("memory") != std::string::npos &&
          Make(v2_root + "/" + name, "memory.max", limit)) {
        parent_ = v2_root;
        return;
      }
      why_ += "cgroup v2 at " + v2_root + ": no memory controller to delegate; ";
    }
    if (self.v1_memory) {
      const std::string parent =
          "/sys/fs/cgroup/memory" + (*self.v1_memory == "/" ? std::string() : *self.v1_memory);
      if (Make(parent + "/" + name, "memory.limit_in_bytes", limit)) {
        parent_ = parent;
        return;
      }
      why_ += "cgroup v1 memory at " + parent + ": cannot make a child with a limit; ";
    }
    if (why_.empty()) why_ = "no memory cgroup hierarchy in /proc/self/cgroup";
  }
  ~MemoryCgroup() {
    if (dir_.empty()) return;
    // The process may have been stopped already; otherwise hand it back to the parent.
    for (const std::string& pid : Lines(ReadText(dir_ + "/cgroup.procs"))) {
      WriteText(parent_ + "/cgroup.procs", pid);
    }
    WaitUntil([this] { return ::rmdir(dir_.c_str()) == 0 || errno == ENOENT; }, 5s, 50ms);
  }
  MemoryCgroup(const MemoryCgroup&) = delete;
  MemoryCgroup& operator=(const MemoryCgroup&) = delete;

  const std::string& dir() const { return dir_; }
  const std::string& why() const { return why_; }
  bool Move(pid_t pid) {
    return WriteText(dir_ + "/cgroup.procs", std::to_string(pid)) &&
           ReadText("/proc/" + std::to_string(pid) + "/cgroup").find(Name()) != std::string::npos;
  }

 private:
  bool Make(const std::string& dir, const char* file, const std::string& limit) {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return false;
    if (WriteText(dir + "/" + file, limit + "\n") &&
        rte::ParseCgroupMemoryLimit(ReadText(dir + "/" + file)).has_value()) {
      dir_ = dir;
      return true;
    }
    ::rmdir(dir.c_str());
    return false;
  }
  std::string Name() const { return dir_.substr(dir_.rfind('/')); }
  static std::vector<std::string> Lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) out.push_back(line);
    }
    return out;
  }

  std::string parent_;
  std::string dir_;
  std::string why_;
};

const Labels kFaulty{{"target", "faulty"}};

}  // namespace

TEST_CASE("scenario memory: no maxmemory at 88% of a container's memory limit",
          "[scenario][memory16]") {
  constexpr double kLimit = 160 * kMiB;
  MemoryCgroup cgroup(kLimit);
  if (cgroup.dir().empty()) {
    WARN("SKIPPED: this machine does not let the test make a memory cgroup (" << cgroup.why()
                                                                              << ")");
    return;
  }
  RedisServer faulty({"--maxmemory", "0", "--maxmemory-policy", "noeviction"});
  if (!cgroup.Move(faulty.pid())) {
    WARN("SKIPPED: made " << cgroup.dir() << " but cannot move redis-server into it");
    return;
  }
  RedisServer healthy;
  ExporterProcess exporter = StartExporter(Config(faulty.address(), healthy.address()));
  WaitJudged(exporter);
  // The kernel sampler finds the process (PID from INFO) and its cgroup's limit.
  REQUIRE(exporter.WaitForMetric("redis_timeout_cgroup_memory_limit_bytes", kFaulty, Equals(kLimit),
                                 15s));
  REQUIRE(exporter.WaitForMetric("redis_timeout_memory_limit_info",
                                 {{"target", "faulty"}, {"source", "cgroup"}}, Equals(1)));
  CHECK(exporter.Metric("redis_timeout_memory_limit_bytes", kFaulty) == kLimit);
  CHECK(exporter.Metric("redis_timeout_maxmemory_bytes", kFaulty) == 0);
  CHECK(Risk(exporter.ScrapeMetrics(), "faulty", "memory") < 0.2);

  // Fill until the kernel charges ~88% of the limit (resident memory, which it counts).
  const std::string value(256 * 1024, 'x');
  double resident = 0;
  for (int i = 0; i < 1000; ++i) {
    const rte::InfoFields m = Info(faulty, "memory");
    resident =
        std::max(m.Number("used_memory").value_or(0), m.Number("used_memory_rss").value_or(0));
    if (resident >= 0.87 * kLimit) break;
    REQUIRE(faulty.Command({"SET", "fill:" + std::to_string(i), value}).str == "OK");
  }
  INFO("resident " << resident / kMiB << " MiB of " << kLimit / kMiB << " MiB");
  REQUIRE(resident >= 0.87 * kLimit);
  REQUIRE(resident < 0.93 * kLimit);
  const double highest = ExpectRisk(exporter, "memory", 0.5, 20s, 1500ms);
  CHECK(highest < 1.0);
  const std::string triage = exporter.Get("/triage").body;
  CHECK_THAT(triage, Catch::Contains("of the cgroup memory limit 160.0 MiB") &&
                         Catch::Contains("Set maxmemory below the cgroup memory limit"));
}

TEST_CASE("scenario memory: volatile-lru with 200 keys with a TTL among ~50,000, 99% full",
          "[scenario][memory16]") {
  constexpr double kMax = 32 * kMiB;
  RedisServer faulty({"--maxmemory", "32mb", "--maxmemory-policy", "volatile-lru"});
  RedisServer healthy;
  // Filled before the exporter starts: the fill itself keeps Redis busy (the blocking cause
  // would rightly see it); the shape is the full server that follows.
  WriteKeys(faulty, "session:", 0, 200, std::string(600, 'v'), true);
  // Keys without a TTL up to 99% as Redis counts it.
  int next = 0;
  const double fill = FillTo(
      faulty, kMax, 0.99, "data:", [](int) { return false; }, &next);
  INFO("fill " << fill << " after " << next << " keys without a TTL");
  REQUIRE(fill >= 0.99);
  REQUIRE(fill < 1.0);
  REQUIRE(Info(faulty, "stats").Number("evicted_keys") == 0);  // nothing evicted, no OOM yet
  ExporterProcess exporter = StartExporter(Config(faulty.address(), healthy.address()));
  WaitJudged(exporter);
  ExpectDiagnosis(exporter, "memory", 20s, 1500ms);
  CHECK(Info(faulty, "stats").Number("evicted_keys") == 0);
  CHECK_THAT(exporter.Get("/triage").body,
             Catch::Contains("volatile-lru may evict only keys with a TTL: 200 of"));
}

TEST_CASE("scenario memory: volatile-lru where most keys have a TTL, 99% full, is a cache",
          "[scenario][memory16]") {
  constexpr double kMax = 32 * kMiB;
  RedisServer faulty({"--maxmemory", "32mb", "--maxmemory-policy", "volatile-lru"});
  RedisServer healthy;
  // Nine batches in ten with a TTL; filled before the exporter starts, as above.
  int next = 0;
  const double fill = FillTo(
      faulty, kMax, 0.99, "k:", [](int n) { return (n / 500) % 10 != 0; }, &next);
  INFO("fill " << fill << " after " << next << " keys");
  REQUIRE(fill >= 0.99);
  REQUIRE(fill < 1.0);
  ExporterProcess exporter = StartExporter(Config(faulty.address(), healthy.address()));
  WaitJudged(exporter);
  // The shape: the fill alone reaches the evicting cap, and no more.
  const double highest = ExpectRisk(exporter, "memory", 0.39, 20s, 0ms);
  const auto calm_until = std::chrono::steady_clock::now() + 5s;
  double max_memory = highest;
  while (std::chrono::steady_clock::now() < calm_until) {
    const MetricsText m = exporter.ScrapeMetrics();
    INFO(m.text());
    RequireOthersLow(m, "memory");
    max_memory = std::max(max_memory, Risk(m, "faulty", "memory"));
    std::this_thread::sleep_for(100ms);
  }
  CHECK(max_memory < 0.5);
}

TEST_CASE("scenario memory: a replica's full sync under noeviction at 75% is not OOM risk",
          "[scenario][memory16]") {
  constexpr double kMax = 64 * kMiB;
  // A small backlog so the sync's buffer is mostly replica output buffer (not counted); no
  // output-buffer limit so the replica is never dropped; a disk-based sync in which each key
  // written to the RDB waits 50 ms, so the full sync lasts seconds.
  RedisServer master({"--maxmemory", "64mb", "--maxmemory-policy", "noeviction",
                      "--repl-diskless-sync", "no", "--repl-backlog-size", "1mb",
                      "--client-output-buffer-limit", "replica 0 0 0", "--rdb-key-save-delay",
                      "50000"});
  RedisServer healthy;
  const std::string half_mib(512 * 1024, 'd');
  int keys = 0;
  while (CountedFill(master, kMax) < 0.74 && keys < 200) {
    REQUIRE(master.Command({"SET", "data:" + std::to_string(keys++), half_mib}).str == "OK");
  }
  const double before = CountedFill(master, kMax);
  INFO("fill before the sync " << before);
  REQUIRE(before >= 0.74);
  REQUIRE(before < 0.8);
  ExporterProcess exporter = StartExporter(Config(master.address(), healthy.address()));
  WaitJudged(exporter);

  RedisServer replica({"--replicaof", "127.0.0.1", std::to_string(master.port())});
  REQUIRE(WaitUntil(
      [&] { return Info(master, "persistence").Number("rdb_bgsave_in_progress") == 1; }, 15s));
  // Writes during the sync: each one goes to the replica's buffer until the RDB is sent. The
  // same key each time, so the data itself does not grow.
  const std::string one_mib(1024 * 1024, 'w');
  for (int i = 0; i < 16; ++i) {
    REQUIRE(master.Command({"SET", "hot", one_mib}).str == "OK");
  }
  double raw_max = 0;
  double memory_max = 0;
  double not_counted_max = 0;
  auto synced = [&] {
    const auto state = Info(master, "replication").Text("slave0");
    return state && state->find("state=online") != std::string::npos &&
           Info(master, "persistence").Number("rdb_bgsave_in_progress") == 0;
  };
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  bool done = false;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    done = synced();
    const MetricsText m = exporter.ScrapeMetrics();
    INFO(m.text());
    RequireOthersLow(m, "none");  // every cause of both targets, memory included, below 0.5
    const auto used = m.Value("redis_timeout_memory_used_bytes", kFaulty);
    const auto maxmemory = m.Value("redis_timeout_maxmemory_bytes", kFaulty);
    if (used && maxmemory && *maxmemory > 0) raw_max = std::max(raw_max, *used / *maxmemory);
    not_counted_max =
        std::max(not_counted_max,
                 m.Value("redis_timeout_memory_not_counted_for_evict_bytes", kFaulty).value_or(0));
    memory_max = std::max(memory_max, Risk(m, "faulty", "memory"));
    std::this_thread::sleep_for(100ms);
  }
  INFO("raw used_memory/maxmemory peaked at " << raw_max << ", mem_not_counted_for_evict at "
                                              << not_counted_max / kMiB << " MiB, memory risk at "
                                              << memory_max);
  REQUIRE(done);
  // The shape is there: raw used_memory went past the warn ratio (0.9)...
  CHECK(raw_max >= 0.9);
  CHECK(not_counted_max >= 8 * kMiB);
  // ...and the risk, on Redis' own arithmetic, stayed low.
  CHECK(memory_max >= 0);
  CHECK(memory_max < 0.5);
}
