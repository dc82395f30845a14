// LatencyWindow: samples age out of the window; nearest-rank quantiles; time is injected.
#include <catch2/catch.hpp>

#include "common/clock.h"
#include "derive/histogram.h"
#include "derive/latency_window.h"
#include "derive/target_report.h"

using namespace rte;

namespace {
constexpr Nanos kMs = 1'000'000;
constexpr Nanos kSec = 1'000'000'000;
}  // namespace

TEST_CASE("quantiles over the samples in the window", "[latency]") {
  struct Case {
    const char* what;
    std::vector<Nanos> rtts_ms;  // one per second
    double q;
    double expected_ms;
  };
  const Case cases[] = {
      {"median of odd count", {1, 2, 3, 4, 5}, 0.5, 3},
      {"median of even count takes the lower", {1, 2, 3, 4}, 0.5, 2},
      {"p99 of 100 samples is the 99th", {}, 0.99, 99},
      {"max", {5, 1, 9, 2}, 1.0, 9},
      {"single sample is every quantile", {7}, 0.5, 7},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      ManualClock clock;
      LatencyWindow window(60 * kSec);
      std::vector<Nanos> rtts = c.rtts_ms;
      if (rtts.empty()) {
        for (Nanos i = 100; i >= 1; --i) rtts.push_back(i);  // 1..100 in any order
      }
      for (Nanos rtt : rtts) {
        window.Add(clock.MonotonicNanos(), rtt * kMs);
        clock.Advance(kSec / 2);
      }
      REQUIRE(window.QuantileSeconds(c.q).has_value());
      CHECK(*window.QuantileSeconds(c.q) == Approx(c.expected_ms / 1000.0));
    }
  }
}

TEST_CASE("old samples leave the window", "[latency]") {
  ManualClock clock;
  LatencyWindow window(10 * kSec);
  CHECK_FALSE(window.QuantileSeconds(0.5).has_value());
  window.Add(clock.MonotonicNanos(), 500 * kMs);  // a spike
  for (int i = 0; i < 5; ++i) {
    clock.Advance(kSec);
    window.Add(clock.MonotonicNanos(), 1 * kMs);
  }
  CHECK(*window.QuantileSeconds(1.0) == Approx(0.5));
  clock.Advance(5 * kSec + kSec / 2);  // the spike is now 10.5 s old, the rest younger
  window.Prune(clock.MonotonicNanos());
  CHECK(*window.QuantileSeconds(1.0) == Approx(0.001));
  CHECK(window.size() == 5);
  clock.Advance(20 * kSec);
  window.Prune(clock.MonotonicNanos());
  CHECK(window.size() == 0);
  CHECK_FALSE(window.QuantileSeconds(0.99).has_value());
}

TEST_CASE("histogram buckets are upper-inclusive and +Inf takes the rest", "[latency]") {
  Histogram h(kPingBuckets);
  h.Observe(0.0001);  // exactly the first bound
  h.Observe(0.0003);
  h.Observe(11);  // above the last bound
  CHECK(h.count() == 3);
  CHECK(h.bucket_counts()[0] == 1);
  CHECK(h.bucket_counts()[2] == 1);
  std::uint64_t in_buckets = 0;
  for (auto n : h.bucket_counts()) in_buckets += n;
  CHECK(in_buckets == 2);
  CHECK(h.sum() == Approx(11.0004));
}

TEST_CASE("the risk model's tail never hinges on a single sample", "[latency]") {
  struct Case {
    const char* what;
    size_t samples;
    std::vector<Nanos> slow_ms;  // replaces the last samples (the rest take 1 ms)
    std::optional<double> expected_ms;
  };
  const std::vector<Case> cases = {
      {"one slow PING among 60 is not the tail", 60, {500}, 1},
      {"two slow PINGs among 60 are", 60, {500, 400}, 400},
      {"a single sample has no tail yet", 1, {}, std::nullopt},
      {"with 1,000 samples the tail is the p99 (the 11th slowest)",
       1000,
       {900, 800, 700, 600, 500, 400, 300, 200, 100, 90, 80},
       80},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      LatencyWindow window(3600 * kSec);
      for (size_t i = 0; i < c.samples; ++i) {
        const size_t from_end = c.samples - 1 - i;
        const Nanos rtt = from_end < c.slow_ms.size() ? c.slow_ms[from_end] : 1;
        window.Add(static_cast<Nanos>(i + 1) * kSec, rtt * kMs);
      }
      const auto tail = window.TailSeconds();
      REQUIRE(tail.has_value() == c.expected_ms.has_value());
      if (tail) CHECK(*tail * 1000 == Approx(*c.expected_ms));
    }
  }
  CHECK(TailRankFromTop(60) == 2);
  CHECK(TailRankFromTop(1000) == P99RankFromTop(1000));
  CHECK(P99RankFromTop(1000) == 11);  // rank 990 of 1,000 from the bottom
  CHECK(P99RankFromTop(100) == 2);    // rank 99 of 100
}
