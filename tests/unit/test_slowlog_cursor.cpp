// SlowlogCursor: every entry counted once across polls, resets, restarts and wraps.
#include <catch2/catch.hpp>

#include "derive/signals.h"

using namespace rte;

namespace {

// Builds a SLOWLOG GET reply (newest first) from ids given oldest first.
std::vector<SlowlogEntry> Log(std::initializer_list<std::int64_t> ids_oldest_first) {
  std::vector<SlowlogEntry> out;
  for (auto id : ids_oldest_first)
    out.insert(out.begin(), SlowlogEntry{id, 1700000000, 20000, "keys"});
  return out;
}

std::vector<std::int64_t> Ids(const SlowlogAdvance& a) {
  std::vector<std::int64_t> ids;
  for (const auto& e : a.fresh) ids.push_back(e.id);
  return ids;
}

}  // namespace

TEST_CASE("slowlog cursor across poll sequences", "[slowlog]") {
  struct Poll {
    const char* run_id;
    std::vector<SlowlogEntry> log;
    std::vector<std::int64_t> fresh;
    std::int64_t lost;
    bool restarted;
  };
  struct Case {
    const char* what;
    std::vector<Poll> polls;
  };
  const std::vector<Case> cases = {
      {"first poll is history, later entries count once",
       {{"r1", Log({3, 4}), {}, 0, false},
        {"r1", Log({3, 4, 5}), {5}, 0, false},
        {"r1", Log({3, 4, 5}), {}, 0, false},
        {"r1", Log({4, 5, 6, 7}), {6, 7}, 0, false}}},
      {"SLOWLOG RESET keeps ids rising",
       {{"r1", Log({0, 1}), {}, 0, false},
        {"r1", Log({}), {}, 0, false},
        {"r1", Log({2}), {2}, 0, false}}},
      {"entries written and reset between polls are lost, not double counted",
       {{"r1", Log({0}), {}, 0, false}, {"r1", Log({4}), {4}, 3, false}}},
      {"a log that wrapped past max-len counts what it could not see as lost",
       {{"r1", Log({10, 11}), {}, 0, false}, {"r1", Log({20, 21, 22}), {20, 21, 22}, 8, false}}},
      {"restart (run_id change) starts ids again from zero",
       {{"r1", Log({40, 41}), {}, 0, false},
        {"r2", Log({0, 1}), {0, 1}, 0, true},
        {"r2", Log({0, 1, 2}), {2}, 0, false}}},
      {"restart seen with an empty log: the next entries are all new",
       {{"r1", Log({7}), {}, 0, false},
        {"r2", Log({}), {}, 0, true},
        {"r2", Log({0}), {0}, 0, false}}},
      {"restart where early entries were already pushed out",
       {{"r1", Log({7}), {}, 0, false}, {"r2", Log({3, 4}), {3, 4}, 3, true}}},
      {"empty log at first contact: later entries count, whatever their id",
       {{"r1", Log({}), {}, 0, false}, {"r1", Log({12}), {12}, 0, false}}},
      {"ids going backwards on the same run_id are treated as a restart",
       {{"r1", Log({50}), {}, 0, false}, {"r1", Log({0, 1}), {0, 1}, 0, true}}},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      SlowlogCursor cursor;
      for (size_t i = 0; i < c.polls.size(); ++i) {
        INFO("poll " << i);
        const auto& p = c.polls[i];
        const SlowlogAdvance a = cursor.Advance(p.run_id, p.log);
        CHECK(Ids(a) == p.fresh);
        CHECK(a.lost == p.lost);
        CHECK(a.restarted == p.restarted);
      }
    }
  }
}

TEST_CASE("slowlog totals: per-command counts, histogram buckets, label cap", "[slowlog]") {
  SlowlogTotals totals;
  SlowlogAdvance a;
  a.fresh = {{1, 0, 200'000, "debug"}, {2, 0, 12'000, "keys"}, {3, 0, 12'000'000, "keys"}};
  a.lost = 2;
  totals.Add(a);
  CHECK(totals.entries_by_command["debug"] == 1);
  CHECK(totals.entries_by_command["keys"] == 2);
  CHECK(totals.lost == 2);
  CHECK(totals.durations.count() == 3);
  CHECK(totals.durations.sum() == Approx(12.212));
  CHECK(totals.durations.bucket_counts()[3] == 1);  // 0.012 s ≤ 0.025
  CHECK(totals.durations.bucket_counts()[6] == 1);  // 0.2 s ≤ 0.25
  std::uint64_t in_buckets = 0;
  for (auto n : totals.durations.bucket_counts()) in_buckets += n;
  CHECK(in_buckets == 2);  // 12 s is above the last bucket: only in +Inf

  SlowlogTotals many;
  SlowlogAdvance b;
  for (int i = 0; i < 100; ++i) b.fresh.push_back({i, 0, 10'000, "cmd" + std::to_string(i)});
  many.Add(b);
  CHECK(many.entries_by_command.size() == kMaxSlowlogCommandLabels + 1);
  CHECK(many.entries_by_command["other"] == 100 - kMaxSlowlogCommandLabels);
}
