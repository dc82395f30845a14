// The memory cause's inputs from recorded INFO replies (tests/fixtures/redis/README.md): Redis'
// own count of used memory during a replica's full sync, and the keys with a TTL.
#include <catch2/catch.hpp>

#include "derive/risk.h"
#include "derive/signals.h"
#include "fixtures.h"

using namespace rte;
using rte::testing::ReadFixture;

namespace {

RedisSnapshot FullSyncSnapshot() {
  RedisSnapshot snap;
  snap.info = ParseInfo(ReadFixture("redis/info_server.txt") +
                        ReadFixture("redis/info_memory_full_sync.txt") +
                        ReadFixture("redis/info_keyspace_full_sync.txt"));
  return snap;
}

TargetConfig Target() {
  TargetConfig t;
  t.name = std::string("t");
  return t;
}

RiskSample MemorySample(const RedisSignals& s, Nanos at) {
  RiskSample out;
  out.at = at;
  out.up = true;
  out.used_memory = s.memory_used_bytes;
  out.used_memory_rss = s.memory_rss_bytes;
  out.mem_not_counted_for_evict = s.memory_not_counted_for_evict_bytes;
  out.maxmemory = s.maxmemory_bytes;
  out.system_memory = s.system_memory_bytes;
  out.policy = s.maxmemory_policy;
  out.keys = s.keys;
  out.keys_with_expiry = s.keys_with_expiry;
  return out;
}

}  // namespace

TEST_CASE("memory signals: buffers Redis does not count, keys and keys with a TTL",
          "[signals][memory]") {
  const RedisSignals s = DeriveSignals(FullSyncSnapshot(), Target());
  CHECK(s.memory_used_bytes == 68306248);
  CHECK(s.maxmemory_bytes == 67108864);
  CHECK(s.memory_not_counted_for_evict_bytes == 15741784);
  CHECK(s.memory_rss_bytes == 71356416);
  CHECK(s.maxmemory_policy == "noeviction");
  CHECK(s.keys == 79);
  CHECK(s.keys_with_expiry == 3);
}

TEST_CASE("keys are summed over the databases INFO keyspace lists", "[signals][memory]") {
  const auto [keyspace, keys, expires] = GENERATE(table<std::string, double, double>({
      {"db0:keys=10,expires=2,avg_ttl=5\r\ndb3:keys=5,expires=5,avg_ttl=9\r\n", 15, 7},
      {"", 0, 0},  // an empty server lists no database
  }));
  RedisSnapshot snap;
  snap.info = ParseInfo(ReadFixture("redis/info_server.txt") + "# Keyspace\r\n" + keyspace);
  const RedisSignals s = DeriveSignals(snap, Target());
  CHECK(s.keys == keys);
  CHECK(s.keys_with_expiry == expires);
}

TEST_CASE("a full sync above maxmemory in raw used_memory is no OOM risk", "[risk][memory]") {
  const RedisSignals s = DeriveSignals(FullSyncSnapshot(), Target());
  REQUIRE(*s.memory_used_bytes / *s.maxmemory_bytes > 1);  // the raw figure is over the limit
  const std::vector<RiskSample> w = {MemorySample(s, 1'000'000'000),
                                     MemorySample(s, 11'000'000'000)};
  const CauseRisk memory = AssessRisk(w, Target()).Get(Cause::kMemory);
  REQUIRE(memory.risk.has_value());
  CHECK(*memory.risk < kWarnRisk);
  REQUIRE_FALSE(memory.evidence.empty());
  CHECK_THAT(memory.evidence.front(),
             Catch::Contains("15.0 MiB replica and AOF buffers") && Catch::Contains("(78%)"));
}
