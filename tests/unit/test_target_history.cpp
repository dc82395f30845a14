// TargetHistory over simulated time, fed snapshots that InterpretBatch made of batches recorded
// from redis-server 7.0.15 (tests/fixtures/redis/README.md): error counting, the slowlog cursor
// and recent entries, the latency window, the listen queue and memory risk that persists.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>

#include "derive/target_history.h"
#include "recorded_polls.h"

using namespace rte;
using namespace rte::testing;
using Catch::Matchers::Contains;

namespace {

constexpr Nanos kSecond = 1'000'000'000;
constexpr double kWallStart = 1'796'000'000;

const BatchShape kHandshake{.auth = true, .set_name = true, .config = true, .client_list = true};
const BatchShape kSteady{};  // INFO, SLOWLOG GET and LATENCY LATEST on an open connection
const BatchShape kRestarted{.auth = true, .set_name = true, .config = true};

TargetConfig Target(Duration risk_window = std::chrono::seconds(60)) {
  TargetConfig config;
  config.name = "cache";
  config.pools = {{"api", "api-*", 4}};
  config.thresholds.risk_window = risk_window;
  return config;
}

// The first poll of a connection, with CONFIG values and clients as the poller attaches them.
RedisSnapshot Handshake() {
  BatchInterpretation got = InterpretRecorded("handshake_full.resp", kHandshake).at(0);
  RedisSnapshot snap = *got.snapshot;
  snap.config = got.config;
  snap.clients = got.clients;
  return snap;
}

// A later poll on the same connection: the poller carries CONFIG values and clients forward.
RedisSnapshot Steady() {
  RedisSnapshot snap = RecordedSnapshots("steady.resp", kSteady).at(0);
  const RedisSnapshot first = Handshake();
  snap.config = first.config;
  snap.clients = first.clients;
  return snap;
}

RedisSnapshot Restarted() { return RecordedSnapshots("restarted.resp", kRestarted).at(0); }

PollResult Up(double at_seconds, RedisSnapshot snap) {
  PollResult poll;
  poll.at_mono = static_cast<Nanos>(at_seconds * kSecond);
  poll.at_wall = kWallStart + at_seconds;
  poll.duration_seconds = 0.002;
  poll.redis = std::move(snap);
  return poll;
}

PollResult Down(double at_seconds, PollError error, bool repeated = false) {
  PollResult poll;
  poll.at_mono = static_cast<Nanos>(at_seconds * kSecond);
  poll.at_wall = kWallStart + at_seconds;
  if (!repeated) poll.duration_seconds = 0.001;  // a skipped poll took no time
  poll.error = std::move(error);
  poll.repeated_error = repeated;
  return poll;
}

std::vector<std::int64_t> Ids(const std::vector<SlowlogEntry>& entries) {
  std::vector<std::int64_t> ids;
  for (const auto& e : entries) ids.push_back(e.id);
  return ids;
}

double Fill(const RedisSnapshot& snap) {
  return *snap.info.Number("used_memory") / *snap.info.Number("maxmemory");
}

}  // namespace

TEST_CASE("TargetHistory counts each failed attempt once and carries the last error",
          "[target_history]") {
  const PollError refused{PollStage::kConnect, "connection refused: nothing listens on x"};
  const PollError wrong_password{PollStage::kAuth, "authentication failed: WRONGPASS"};
  enum class Kind { kUp, kFailed, kRepeated };
  struct Step {
    double at;
    Kind kind;
    PollError error;                        // kFailed, kRepeated
    std::vector<PollStage> command_errors;  // kUp
    // Expected after the step.
    bool up;
    double connect, auth, slowlog;
    std::optional<PollStage> last_error;
  };
  const Step steps[] = {
      {0, Kind::kUp, {}, {}, true, 0, 0, 0, {}},
      {5, Kind::kFailed, refused, {}, false, 1, 0, 0, PollStage::kConnect},
      // Backing off: the poller repeats the last error without trying; not counted again.
      {10, Kind::kRepeated, refused, {}, false, 1, 0, 0, PollStage::kConnect},
      {15, Kind::kRepeated, refused, {}, false, 1, 0, 0, PollStage::kConnect},
      {20, Kind::kFailed, refused, {}, false, 2, 0, 0, PollStage::kConnect},
      {25, Kind::kFailed, wrong_password, {}, false, 2, 1, 0, PollStage::kAuth},
      {30, Kind::kRepeated, wrong_password, {}, false, 2, 1, 0, PollStage::kAuth},
      // Back: the error is cleared; an optional command's failure counts, the poll is good.
      {35, Kind::kUp, {}, {PollStage::kSlowlog}, true, 2, 1, 1, {}},
      {40, Kind::kUp, {}, {PollStage::kSlowlog}, true, 2, 1, 2, {}},
      {45, Kind::kUp, {}, {}, true, 2, 1, 2, {}},
  };
  TargetHistory history(Target(), /*local=*/false);
  std::optional<double> last_duration;
  for (const Step& step : steps) {
    CAPTURE(step.at);
    PollResult poll;
    switch (step.kind) {
      case Kind::kUp:
        poll = Up(step.at, step.at == 0 ? Handshake() : Steady());
        poll.command_errors = step.command_errors;
        break;
      case Kind::kFailed:
        poll = Down(step.at, step.error);
        break;
      case Kind::kRepeated:
        poll = Down(step.at, step.error, /*repeated=*/true);
        break;
    }
    if (poll.duration_seconds) last_duration = poll.duration_seconds;
    const TargetReport& r = history.Advance(poll, nullptr);
    CHECK(r.up == step.up);
    CHECK(r.poll_errors.at(PollStage::kConnect) == step.connect);
    CHECK(r.poll_errors.at(PollStage::kAuth) == step.auth);
    CHECK(r.poll_errors.at(PollStage::kSlowlog) == step.slowlog);
    CHECK(r.poll_errors.size() == kPollStages.size());
    CHECK(r.last_error.has_value() == step.last_error.has_value());
    if (step.last_error) {
      CHECK(r.last_error->stage == *step.last_error);
      CHECK(*r.last_error == step.error);
    }
    // Signals describe the newest poll only; the success time and duration stay.
    CHECK(r.signals.has_value() == step.up);
    CHECK(r.poll_duration_seconds == last_duration);
    CHECK(r.last_success_wall == kWallStart + (step.up ? step.at : 0));
    CHECK(r.risk.reachable == step.up);
    if (!step.up) {
      CHECK(r.risk.Get(Cause::kMemory).missing_reason == MissingReason::kTargetDown);
    }
  }
}

TEST_CASE("TargetHistory follows the slowlog across polls and a restart", "[target_history]") {
  const RedisSnapshot handshake = Handshake();
  const RedisSnapshot steady = Steady();
  const RedisSnapshot restarted = Restarted();
  // What the recordings hold: ids 2..0, then 4..0 on the same server, then 0 after a restart.
  REQUIRE(Ids(*handshake.slowlog) == std::vector<std::int64_t>{2, 1, 0});
  REQUIRE(Ids(*steady.slowlog) == std::vector<std::int64_t>{4, 3, 2, 1, 0});
  REQUIRE(Ids(*restarted.slowlog) == std::vector<std::int64_t>{0});
  REQUIRE(handshake.info.Text("run_id") == steady.info.Text("run_id"));
  REQUIRE(handshake.info.Text("run_id") != restarted.info.Text("run_id"));
  const double seconds_3_4 =
      static_cast<double>((*steady.slowlog)[0].duration_us + (*steady.slowlog)[1].duration_us) /
      1e6;
  const double seconds_restart = static_cast<double>((*restarted.slowlog)[0].duration_us) / 1e6;

  struct Step {
    double at;
    const RedisSnapshot& snap;
    double entries;  // slowlog_entries_total{command="debug"}
    double seconds;
    std::vector<std::int64_t> recent;  // newest first
  };
  const Step steps[] = {
      // The first poll finds three entries: history from before the exporter, not news.
      {0, handshake, 0, 0, {}},
      {5, steady, 2, seconds_3_4, {4, 3}},
      // Polled again with nothing new.
      {10, steady, 2, seconds_3_4, {4, 3}},
      // Restarted: ids begin at 0 again, and that entry is new.
      {15, restarted, 3, seconds_3_4 + seconds_restart, {0, 4, 3}},
      {20, restarted, 3, seconds_3_4 + seconds_restart, {0, 4, 3}},
  };
  TargetHistory history(Target(), /*local=*/false);
  for (const Step& step : steps) {
    CAPTURE(step.at);
    const TargetReport& r = history.Advance(Up(step.at, step.snap), nullptr);
    REQUIRE(r.slowlog.has_value());
    const auto& by_command = r.slowlog->entries_by_command;
    CHECK((by_command.contains("debug") ? by_command.at("debug") : 0) == step.entries);
    CHECK(by_command.size() == (step.entries > 0 ? 1u : 0u));
    CHECK(r.slowlog->durations.count() == step.entries);
    CHECK(r.slowlog->durations.sum() == Approx(step.seconds));
    CHECK(r.slowlog->lost == 0);
    CHECK(r.slowlog_lost_this_poll == 0);
    CHECK(Ids(r.recent_slowlog) == step.recent);
    REQUIRE(r.risk.Get(Cause::kSlowlog).risk.has_value());
  }
  // The newest of the recent entries is the one after the restart.
  CHECK(history.report().recent_slowlog.front().duration_us == (*restarted.slowlog)[0].duration_us);
}

TEST_CASE("TargetHistory shows recent slowlog entries only within the risk window",
          "[target_history]") {
  const RedisSnapshot handshake = Handshake();
  const RedisSnapshot steady = Steady();
  const RedisSnapshot restarted = Restarted();
  struct Step {
    double at;
    const RedisSnapshot& snap;
    std::vector<std::int64_t> recent;
  };
  // risk_window 20 s: entries 3 and 4 are first seen at 5 s, entry 0 of the restarted server
  // at 15 s; each is shown until 20 s after it was first seen.
  const Step steps[] = {
      {0, handshake, {}},         {5, steady, {4, 3}},  {15, restarted, {0, 4, 3}},
      {25, restarted, {0, 4, 3}},  // 5 s is exactly at the window's edge: still inside
      {26, restarted, {0}},       {35, restarted, {0}}, {36, restarted, {}},
      {60, restarted, {}},
  };
  TargetHistory history(Target(std::chrono::seconds(20)), /*local=*/false);
  for (const Step& step : steps) {
    CAPTURE(step.at);
    const TargetReport& r = history.Advance(Up(step.at, step.snap), nullptr);
    CHECK(Ids(r.recent_slowlog) == step.recent);
    // The totals keep counting what aged out of the window.
    CHECK(r.slowlog->durations.count() == (step.at >= 15 ? 3u : step.at >= 5 ? 2u : 0u));
  }
}

TEST_CASE("TargetHistory keeps the PING window and histogram from the probe's samples",
          "[target_history]") {
  auto rtt = [](double at, double ms, bool timed_out = false) {
    return RttSample{static_cast<Nanos>(at * kSecond), static_cast<Nanos>(ms * 1e6), timed_out};
  };
  struct Step {
    double at;
    bool up;
    std::vector<RttSample> rtts;
    double failures;  // cumulative, as the probe hands them over
    // Expected after the step, in milliseconds.
    std::optional<double> p50, p99, max;
    std::uint64_t count;
    double sum_ms;
  };
  const Step steps[] = {
      {1,
       true,
       {rtt(0.5, 0.2), rtt(0.6, 0.3), rtt(0.7, 0.4), rtt(0.8, 0.5), rtt(0.9, 40)},
       0,
       0.4,
       40,
       40,
       5,
       41.4},
      // The poll failed, the probe did not: its samples count all the same. A PING that timed
      // out is a sample of the time waited.
      {6,
       false,
       {rtt(5.1, 1), rtt(5.2, 1), rtt(5.3, 1), rtt(5.9, 1000, true)},
       1,
       1,
       1000,
       1000,
       9,
       1044.4},
      // latency_window 10 s: the samples up to 2 s have left it.
      {12, true, {}, 1, 1, 1000, 1000, 9, 1044.4},
      // Everything has left it: no quantiles, the histogram keeps counting.
      {20, true, {}, 1, {}, {}, {}, 9, 1044.4},
  };
  TargetConfig config = Target();
  config.latency_window = std::chrono::seconds(10);
  TargetHistory history(config, /*local=*/false);
  auto same_ms = [](std::optional<double> seconds, std::optional<double> ms) {
    if (!seconds || !ms) return seconds.has_value() == ms.has_value();
    return *seconds * 1e3 == Approx(*ms);
  };
  for (const Step& step : steps) {
    CAPTURE(step.at);
    PollResult poll =
        step.up ? Up(step.at, Steady()) : Down(step.at, {PollStage::kTimeout, "poll timed out"});
    poll.probe.rtts = step.rtts;
    poll.probe.ping_failures = step.failures;
    poll.probe.ping_timeouts = step.failures;
    const TargetReport& r = history.Advance(poll, nullptr);
    CHECK(same_ms(r.latency.window_p50, step.p50));
    CHECK(same_ms(r.latency.window_p99, step.p99));
    CHECK(same_ms(r.latency.window_max, step.max));
    CHECK(r.latency.ping_rtt.count() == step.count);
    CHECK(r.latency.ping_rtt.sum() * 1e3 == Approx(step.sum_ms));
    CHECK(r.probe.rtts.empty());  // each sample is counted once, then dropped
    CHECK(r.probe.ping_failures == step.failures);
  }
  // Buckets (not cumulative): 0.2 ms ≤ 250 µs; 0.3–0.5 ms ≤ 500 µs; 1 ms ×3 ≤ 1 ms; 40 ms ≤
  // 50 ms; the 1 s timeout ≤ 1 s.
  const Histogram& h = history.report().latency.ping_rtt;
  std::map<double, std::uint64_t> buckets;
  for (size_t i = 0; i < h.bounds().size(); ++i) {
    if (h.bucket_counts()[i] > 0) buckets[h.bounds()[i]] = h.bucket_counts()[i];
  }
  CHECK(buckets ==
        std::map<double, std::uint64_t>{{0.00025, 1}, {0.0005, 3}, {0.001, 3}, {0.05, 1}, {1, 1}});
}

TEST_CASE("TargetHistory keeps the large-payload ECHOs apart from the PINGs", "[target_history]") {
  // Values as a lossy path produces them: PINGs fast, the 4 KiB ECHO slow, then its samples
  // leave the latency window.
  auto rtt = [](double at, double ms) {
    return RttSample{static_cast<Nanos>(at * kSecond), static_cast<Nanos>(ms * 1e6), false};
  };
  TargetConfig config = Target();
  config.latency_window = std::chrono::seconds(10);
  TargetHistory history(config, /*local=*/false);
  PollResult first = Up(1, Steady());
  first.probe.rtts = {rtt(0.2, 0.3), rtt(0.4, 0.3), rtt(0.6, 0.4)};
  first.probe.large_rtts = {rtt(0.5, 80), rtt(0.9, 120), rtt(0.95, 90)};
  const TargetReport& r = history.Advance(first, nullptr);
  CHECK(*r.latency.large_payload_p50 * 1e3 == Approx(90));
  CHECK(*r.latency.window_p50 * 1e3 == Approx(0.3));
  CHECK(r.latency.ping_rtt.count() == 3);  // the ECHOs are not PING samples
  CHECK(r.probe.large_rtts.empty());       // each sample is taken once
  PollResult later = Up(12, Steady());
  later.probe.large_payload_timeouts = 2;
  const TargetReport& after = history.Advance(later, nullptr);
  CHECK_FALSE(after.latency.large_payload_p50.has_value());
  CHECK(after.probe.large_payload_timeouts == 2);
}

TEST_CASE("TargetHistory takes the listen queue from the kernel reading for local targets only",
          "[target_history]") {
  KernelSnapshot with_queue;
  with_queue.listen_queue_read = with_queue.listen_queue_ok = true;
  with_queue.queues["cache"] = ListenQueue{3, 511};
  with_queue.queues["other"] = ListenQueue{100, 128};
  KernelSnapshot other_only = with_queue;
  other_only.queues.erase("cache");

  struct Row {
    const char* what;
    bool local;
    const KernelSnapshot* kernel;
    std::optional<double> length, max;
    MissingReason backlog_missing;
  };
  const Row rows[] = {
      {"local, queue read", true, &with_queue, 3, 511, MissingReason::kNone},
      {"local, no kernel reading yet",
       true,
       nullptr,
       {},
       {},
       MissingReason::kListenQueueUnavailable},
      {"local, listener not found",
       true,
       &other_only,
       {},
       {},
       MissingReason::kListenQueueUnavailable},
      {"remote, even with a queue of that name",
       false,
       &with_queue,
       {},
       {},
       MissingReason::kNotLocal},
  };
  for (const Row& row : rows) {
    SECTION(row.what) {
      TargetHistory history(Target(), row.local);
      const TargetReport& r = history.Advance(Up(0, Handshake()), row.kernel);
      CHECK(r.listen_queue.has_value() == row.length.has_value());
      if (r.listen_queue) {
        CHECK(r.listen_queue->length == *row.length);
        CHECK(r.listen_queue->max == *row.max);
      }
      const CauseRisk& backlog = r.risk.Get(Cause::kBacklog);
      CHECK(backlog.missing_reason == row.backlog_missing);
      CHECK(backlog.risk.has_value() == (row.backlog_missing == MissingReason::kNone));
    }
  }
  SECTION("a later poll without a reading shows no queue, not the old one") {
    TargetHistory history(Target(), /*local=*/true);
    REQUIRE(history.Advance(Up(0, Handshake()), &with_queue).listen_queue.has_value());
    CHECK_FALSE(history.Advance(Up(5, Steady()), nullptr).listen_queue.has_value());
    CHECK_FALSE(history.Advance(Up(10, Steady()), &other_only).listen_queue.has_value());
  }
}

TEST_CASE("TargetHistory keeps memory risk at 1 while the target stays over maxmemory",
          "[target_history][memory]") {
  // Recorded over maxmemory under noeviction, polled every 10 s of simulated time: writes
  // keep being refused in one recording; in the other a burst before polls 1-3 and none after,
  // so from 90 s on the risk window holds no new OOM error at all.
  struct Scenario {
    const char* fixture;
    size_t polls;
    size_t last_refusal_poll;  // OOM errors rise up to this poll and stay flat after it
  };
  // Two minutes of refusals, and two minutes after the last one.
  const Scenario scenarios[] = {{"memory_over_writing.resp", 13, 12},
                                {"memory_over_idle.resp", 16, 3}};
  for (const Scenario& scenario : scenarios) {
    SECTION(scenario.fixture) {
      const std::vector<RedisSnapshot> polls = RecordedSnapshots(scenario.fixture, kSteady);
      REQUIRE(polls.size() == scenario.polls);
      TargetHistory history(Target(), /*local=*/false);
      double previous_ooms = -1;
      for (size_t i = 0; i < polls.size(); ++i) {
        const double at = 10.0 * static_cast<double>(i);
        CAPTURE(at);
        const RedisSnapshot& snap = polls[i];
        // What the recording holds: just over the limit, under noeviction, where the fill
        // alone ramps to less than 1 (0.93 at 103%), and OOM errors as described.
        REQUIRE(snap.info.Text("maxmemory_policy") == "noeviction");
        REQUIRE(Fill(snap) > 1.0);
        REQUIRE(Ramp(Fill(snap), 0.9, 0.98) < 0.99);
        const double ooms = snap.errorstats->at("OOM");
        if (i > 0 && i <= scenario.last_refusal_poll) REQUIRE(ooms > previous_ooms);
        if (i > scenario.last_refusal_poll) REQUIRE(ooms == previous_ooms);
        previous_ooms = ooms;

        const TargetReport& r = history.Advance(Up(at, snap), nullptr);
        const CauseRisk& memory = r.risk.Get(Cause::kMemory);
        INFO(memory.evidence.size()
             << " evidence lines; first: " << (memory.evidence.empty() ? "" : memory.evidence[0]));
        REQUIRE(memory.risk.has_value());
        CHECK(*memory.risk == 1.0);
        CHECK_THAT(memory.evidence.at(0), Contains("policy noeviction"));
        CHECK_THAT(memory.fix, Contains("maxmemory-policy"));
        // Evidence of refused writes only while some came within the 60 s window.
        const bool refusals_in_window =
            i > 0 && at - 10.0 * static_cast<double>(scenario.last_refusal_poll) < 60;
        bool oom_evidence = false;
        for (const auto& line : memory.evidence)
          oom_evidence |= line.find("OOM") != std::string::npos;
        CHECK(oom_evidence == refusals_in_window);
      }
    }
  }
}

TEST_CASE("TargetHistory holds the Redis start time still across one-second steps",
          "[target_history]") {
  TargetHistory history(Target(), /*local=*/false);
  // Poll time minus uptime (whole seconds): the phase of the polls within a second decides
  // whether it rounds to 1000 or 1001; a restart moves it by far more.
  struct Step {
    double taken_at, uptime, shown;
  };
  const Step steps[] = {{1100.4, 100, 1000}, {1101.6, 101, 1000}, {1102.4, 101, 1000},
                        {1103.6, 103, 1000}, {1110.2, 2, 1108},   {1111.7, 3, 1108}};
  double at = 1;
  for (const Step& s : steps) {
    INFO(s.taken_at);
    RedisSnapshot snap = Steady();
    snap.taken_at_wall = s.taken_at;
    snap.info.fields["uptime_in_seconds"] = std::to_string(static_cast<int>(s.uptime));
    const TargetReport& report = history.Advance(Up(at++, snap), nullptr);
    REQUIRE(report.signals);
    CHECK(report.signals->redis_start_time_seconds == s.shown);
  }
}
