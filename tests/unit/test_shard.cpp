// Sharding: the hash is a fixed contract (published FNV-1a vectors), shares cover every
// target exactly once, and the flags are validated before the daemon starts.
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "app/shard.h"

using namespace rte;

TEST_CASE("Fnv1a64 matches the published FNV-1a 64-bit test vectors", "[shard]") {
  struct Case {
    const char* text;
    uint64_t hash;
  };
  // From the FNV reference test suite (isthe.com/chongo/tech/comp/fnv); also pinned so a
  // change of the hash, which would move targets between replicas, fails here.
  const std::vector<Case> cases = {
      {"", 0xcbf29ce484222325ULL},         {"a", 0xaf63dc4c8601ec8cULL},
      {"foobar", 0x85944171f73967e8ULL},   {"cache-0", 0x999c3d8fcd069218ULL},
      {"sessions", 0xacebadbd2040ebacULL},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(Fnv1a64(c.text) == c.hash);
  }
}

TEST_CASE("ShardOf is the hash mod the shard count", "[shard]") {
  struct Case {
    const char* name;
    int count;
    int shard;
  };
  const std::vector<Case> cases = {
      {"a", 1, 0}, {"a", 2, 0}, {"a", 3, 1}, {"", 3, 2}, {"foobar", 3, 0}, {"foobar", 7, 6},
  };
  for (const auto& c : cases) {
    INFO(c.name << " of " << c.count);
    CHECK(ShardOf(c.name, c.count) == c.shard);
    CHECK(ShardOf(c.name, c.count) == static_cast<int>(Fnv1a64(c.name) % c.count));
  }
}

TEST_CASE("the shares of all replicas cover every target exactly once", "[shard]") {
  Config config;
  for (int i = 0; i < 30; ++i) {
    TargetConfig t;
    t.name = "redis-" + std::to_string(i);
    config.targets.push_back(t);
  }
  std::multiset<std::string> seen;
  int total = 0;
  for (int index = 0; index < 3; ++index) {
    Config share = config;
    const int kept = KeepShardTargets(share, {3, index});
    CHECK(kept == static_cast<int>(share.targets.size()));
    CHECK(kept > 0);  // 30 names over 3 shards: none is empty
    total += kept;
    for (const auto& t : share.targets) {
      CHECK(ShardOf(t.name, 3) == index);
      seen.insert(t.name);
    }
  }
  CHECK(total == 30);
  CHECK(seen.size() == 30);
  CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 30);

  Config unsharded = config;
  CHECK(KeepShardTargets(unsharded, {}) == 30);
}

TEST_CASE("shard flags become a spec or a clear error", "[shard]") {
  struct Case {
    const char* count;
    const char* index;
    bool from_hostname;
    const char* hostname;
    int want_count;  // -1: an error mentioning `error`
    int want_index;
    const char* error;
  };
  const std::vector<Case> cases = {
      {"", "", false, "", 1, 0, ""},
      {"3", "2", false, "", 3, 2, ""},
      {"3", "", false, "", 3, 0, ""},
      {"3", "", true, "redis-timeout-exporter-2", 3, 2, ""},
      {"12", "", true, "exporter-11", 12, 11, ""},
      {"3", "", true, "redis-timeout-exporter-3", -1, 0, "not below --shard.count=3"},
      {"3", "", true, "exporter", -1, 0, "does not end in -<ordinal>"},
      {"3", "", true, "exporter-", -1, 0, "does not end in -<ordinal>"},
      {"3", "", true, "exporter-2a", -1, 0, "does not end in -<ordinal>"},
      {"3", "1", true, "exporter-2", -1, 0, "exclude each other"},
      {"3", "3", false, "", -1, 0, "not below --shard.count=3"},
      {"3", "-1", false, "", -1, 0, "--shard.index must be a whole number"},
      {"0", "", false, "", -1, 0, "between 1 and 1000"},
      {"1001", "", false, "", -1, 0, "between 1 and 1000"},
      {"three", "", false, "", -1, 0, "--shard.count must be a whole number, got 'three'"},
      {"3 ", "", false, "", -1, 0, "--shard.count must be a whole number"},
  };
  for (const auto& c : cases) {
    INFO("count=" << c.count << " index=" << c.index << " hostname=" << c.hostname);
    const auto spec = ParseShardSpec(c.count, c.index, c.from_hostname, c.hostname);
    if (c.want_count < 0) {
      REQUIRE_FALSE(spec.ok());
      CHECK_THAT(spec.error(), Catch::Contains(c.error));
    } else {
      REQUIRE(spec.ok());
      CHECK(spec.value() == ShardSpec{c.want_count, c.want_index});
    }
  }
}
