// The risk model, cause by cause, on hand-built windows of per-poll samples.
#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>

#include "derive/risk.h"

using namespace rte;

namespace {

constexpr Nanos kSec = 1'000'000'000;

// A healthy local target: nothing near any limit.
RiskSample Healthy(Nanos at) {
  RiskSample s;
  s.at = at;
  s.up = true;
  s.connected_clients = 10;
  s.maxclients = 10000;
  s.rejected_connections_total = 0;
  s.connections_received_total = 100 + static_cast<double>(at / kSec);
  s.ping_p50 = 0.0002;
  s.ping_tail = 0.0005;
  s.ping_samples = 60;
  s.tcp_rtt = 0.00005;
  s.used_memory = 10e6;
  s.maxmemory = 100e6;
  s.system_memory = 16e9;
  s.oom_errors_total = 0;
  s.evicted_keys_total = 0;
  s.keys_with_expiry = 0;
  s.policy = "noeviction";
  s.slowlog_seconds_total = 0;
  s.slowlog_longest_new = 0;
  s.local = true;
  s.queue_length = 0;
  s.queue_max = 511;
  s.tcp_backlog = 511;
  s.listen_overflows_total = 1000;
  return s;
}

TargetConfig Target(std::chrono::milliseconds client_timeout = std::chrono::milliseconds(1000)) {
  TargetConfig t;
  t.name = std::string("t");  // `t.name = "t"` trips a false -Wrestrict in GCC 12 at -O3
  t.client_timeout = client_timeout;
  return t;
}

// Two samples 10 s apart: `change` edits the newer one.
std::vector<RiskSample> Window(const std::function<void(RiskSample&, RiskSample&)>& change) {
  std::vector<RiskSample> w = {Healthy(100 * kSec), Healthy(110 * kSec)};
  change(w[0], w[1]);
  return w;
}

double RiskOf(const RiskAssessment& a, Cause c) {
  INFO(CauseName(c) << " missing: " << MissingReasonName(a.Get(c).missing_reason));
  REQUIRE(a.Get(c).risk.has_value());
  return *a.Get(c).risk;
}

}  // namespace

TEST_CASE("ramp maps warn to 0.5 and crit to 0.8", "[risk]") {
  CHECK(Ramp(0, 0.8, 0.95) == 0);
  CHECK(Ramp(0.4, 0.8, 0.95) == 0);
  CHECK(Ramp(0.6, 0.8, 0.95) == Approx(0.25));
  CHECK(Ramp(0.8, 0.8, 0.95) == Approx(0.5));
  CHECK(Ramp(0.95, 0.8, 0.95) == Approx(0.8));
  CHECK(Ramp(1.10, 0.8, 0.95) == Approx(1.0));
  CHECK(Ramp(5, 0.8, 0.95) == 1.0);
}

TEST_CASE("each fault raises its own cause and leaves the others low", "[risk]") {
  using Change = std::function<void(RiskSample&, RiskSample&)>;
  struct Case {
    const char* what;
    Change change;
    std::chrono::milliseconds client_timeout;
    Cause cause;
    double at_least;
  };
  const std::vector<Case> cases = {
      {"clients at 96% of maxclients",
       [](RiskSample&, RiskSample& n) { n.connected_clients = 9600; },
       std::chrono::milliseconds(1000), Cause::kPool, 0.8},
      {"a rejected connection with the clients at maxclients",
       [](RiskSample&, RiskSample& n) {
         n.rejected_connections_total = 3;
         n.connected_clients = 10000;
       },
       std::chrono::milliseconds(1000), Cause::kPool, 1.0},
      {"fresh connects refused at maxclients",
       [](RiskSample& o, RiskSample& n) {
         o.connect_max_clients_total = 1;
         n.connect_max_clients_total = 4;
       },
       std::chrono::milliseconds(1000), Cause::kPool, 1.0},
      {"PING p99 at 80% of client_timeout, server idle",
       [](RiskSample&, RiskSample& n) {
         n.ping_p50 = 0.081;
         n.ping_tail = 0.085;
       },
       std::chrono::milliseconds(100), Cause::kNetwork, 0.8},
      {"PING timeouts without server evidence",
       [](RiskSample&, RiskSample& n) { n.ping_timeouts_total = 2; },
       std::chrono::milliseconds(1000), Cause::kNetwork, 1.0},
      {"memory at 99% under noeviction", [](RiskSample&, RiskSample& n) { n.used_memory = 99e6; },
       std::chrono::milliseconds(1000), Cause::kMemory, 0.8},
      {"new OOM errors", [](RiskSample&, RiskSample& n) { n.oom_errors_total = 5; },
       std::chrono::milliseconds(1000), Cause::kMemory, 1.0},
      {"volatile-lru with nothing volatile is noeviction",
       [](RiskSample&, RiskSample& n) {
         n.policy = "volatile-lru";
         n.used_memory = 99e6;
       },
       std::chrono::milliseconds(1000), Cause::kMemory, 0.8},
      {"a 300 ms command against a 500 ms timeout",
       [](RiskSample&, RiskSample& n) {
         n.slowlog_seconds_total = 0.3;
         n.slowlog_longest_new = 0.3;
         n.slowlog_seconds_by_command["debug"] = 0.3;
         // The PINGs queued behind it saw the stall too.
         n.ping_tail = 0.3;
       },
       std::chrono::milliseconds(500), Cause::kSlowlog, 0.8},
      {"slow commands 30% of the window",
       [](RiskSample&, RiskSample& n) {
         n.slowlog_seconds_total = 3;
         n.slowlog_longest_new = 0.05;
         n.slowlog_seconds_by_command["keys"] = 3;
       },
       std::chrono::milliseconds(1000), Cause::kSlowlog, 0.8},
      // Stalls SLOWLOG never records: each witness alone names the blocking cause.
      {"a busy loop with SLOWLOG off: commandstats average 300 ms",
       [](RiskSample& o, RiskSample& n) {
         o.slowlog_threshold = n.slowlog_threshold = -1;
         o.command_seconds_total = 1;
         n.command_seconds_total = 4;  // 30% of the 10 s window
         n.command_longest_mean = 0.3;
         n.command_longest_name = "eval";
         n.ping_tail = 0.29;  // the PINGs queued behind it
       },
       std::chrono::milliseconds(400), Cause::kSlowlog, 0.8},
      {"a saturated server: 85% of the window executing commands",
       [](RiskSample& o, RiskSample& n) {
         o.command_seconds_total = 10;
         n.command_seconds_total = 18.5;
         n.command_longest_mean = 0.00002;
         n.command_longest_name = "get";
       },
       std::chrono::milliseconds(1000), Cause::kSlowlog, 0.8},
      {"a fork of 450 ms for BGSAVE",
       [](RiskSample& o, RiskSample& n) {
         o.forks_total = 3;
         n.forks_total = 4;
         n.fork_duration = 0.45;
         n.ping_tail = 0.45;
       },
       std::chrono::milliseconds(500), Cause::kSlowlog, 0.8},
      {"a latency-monitor spike (aof-fsync-always, 400 ms)",
       [](RiskSample&, RiskSample& n) {
         n.latency_spike_new = 0.4;
         n.latency_spike_event = "aof-fsync-always";
         n.ping_tail = 0.4;
       },
       std::chrono::milliseconds(500), Cause::kSlowlog, 0.8},
      {"TCP retransmits on the probe connection",
       [](RiskSample& o, RiskSample& n) {
         o.tcp_retransmits_total = 4;
         n.tcp_retransmits_total = 16;
       },
       std::chrono::milliseconds(1000), Cause::kNetwork, 0.8},
      {"large-payload ECHOs lost while PINGs answer (MTU black hole)",
       [](RiskSample& o, RiskSample& n) {
         o.large_payload_timeouts_total = 1;
         n.large_payload_timeouts_total = 3;
       },
       std::chrono::milliseconds(1000), Cause::kNetwork, 1.0},
      {"accept queue full", [](RiskSample&, RiskSample& n) { n.queue_length = 512; },
       std::chrono::milliseconds(1000), Cause::kBacklog, 0.8},
      {"host overflows while this queue's sampled peak was full",
       [](RiskSample& o, RiskSample& n) {
         n.listen_overflows_total = 1500;
         n.connections_received_total = *o.connections_received_total + 2000;
         n.queue_peak = 480;
       },
       std::chrono::milliseconds(1000), Cause::kBacklog, 1.0},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      const auto window = Window(c.change);
      const RiskAssessment a = AssessRisk(window, Target(c.client_timeout));
      CHECK(RiskOf(a, c.cause) >= c.at_least);
      for (Cause other : kCauses) {
        if (other == c.cause) continue;
        INFO("other cause " << CauseName(other));
        CHECK(RiskOf(a, other) < 0.5);
      }
      CHECK_FALSE(a.Get(c.cause).evidence.empty());
      CHECK_FALSE(a.Get(c.cause).fix.empty());
    }
  }
}

TEST_CASE("a healthy target is below 0.2 on every cause", "[risk]") {
  const auto window = Window([](RiskSample&, RiskSample&) {});
  const RiskAssessment a = AssessRisk(window, Target());
  for (Cause c : kCauses) CHECK(RiskOf(a, c) < 0.2);
  CHECK(a.reachable);
}

TEST_CASE("host-wide overflows are not blamed on a target whose queue had room", "[risk]") {
  const auto window = Window([](RiskSample&, RiskSample& n) { n.listen_overflows_total = 5000; });
  const RiskAssessment a = AssessRisk(window, Target());
  CHECK(RiskOf(a, Cause::kBacklog) < 0.2);
  CHECK_THAT(a.Get(Cause::kBacklog).evidence.back(), Catch::Contains("not attributed"));
}

TEST_CASE("edge cases", "[risk]") {
  SECTION("first poll: one sample, counters cannot rise yet") {
    const std::vector<RiskSample> one = {Healthy(kSec)};
    const RiskAssessment a = AssessRisk(one, Target());
    for (Cause c : kCauses) CHECK(RiskOf(a, c) < 0.2);
  }
  SECTION("maxclients unknown and no pools: pool cannot be judged from gauges alone") {
    auto w = Window([](RiskSample& o, RiskSample& n) {
      o.maxclients.reset();
      n.maxclients.reset();
      o.rejected_connections_total.reset();
      n.rejected_connections_total.reset();
    });
    CHECK(AssessRisk(w, Target()).Get(Cause::kPool).missing_reason ==
          MissingReason::kMaxclientsUnknown);
  }
  SECTION("maxmemory 0 compares against system memory") {
    auto w = Window([](RiskSample&, RiskSample& n) {
      n.maxmemory = 0;
      n.used_memory = 15.5e9;
    });
    CHECK(RiskOf(AssessRisk(w, Target()), Cause::kMemory) >= 0.8);
  }
  SECTION("eviction policies cap memory risk below warn") {
    auto w = Window([](RiskSample&, RiskSample& n) {
      n.policy = "allkeys-lru";
      n.used_memory = 100e6;
      n.evicted_keys_total = 50;
    });
    CHECK(RiskOf(AssessRisk(w, Target()), Cause::kMemory) < 0.5);
  }
  SECTION("slowlog reset or restart: the cumulative total never goes backwards here") {
    // The exporter's own totals survive SLOWLOG RESET; a restart of the exporter starts them
    // at 0, which Increase() reads as a reset.
    auto w = Window([](RiskSample& o, RiskSample& n) {
      o.slowlog_seconds_total = 50;
      n.slowlog_seconds_total = 0.01;
    });
    CHECK(RiskOf(AssessRisk(w, Target()), Cause::kSlowlog) < 0.2);
  }
  SECTION("slowlog refused: the cause is absent, not 0") {
    auto w = Window([](RiskSample& o, RiskSample& n) {
      o.slowlog_seconds_total.reset();
      n.slowlog_seconds_total.reset();
    });
    const auto a = AssessRisk(w, Target());
    CHECK_FALSE(a.Get(Cause::kSlowlog).risk.has_value());
    CHECK(a.Get(Cause::kSlowlog).missing_reason == MissingReason::kSlowlogRefused);
  }
  SECTION("remote target: backlog cannot be measured") {
    auto w = Window([](RiskSample& o, RiskSample& n) { o.local = n.local = false; });
    CHECK(AssessRisk(w, Target()).Get(Cause::kBacklog).missing_reason == MissingReason::kNotLocal);
  }
  SECTION("unreachable: probe timeouts are network 1, kernel backlog still judged") {
    auto w = Window([](RiskSample&, RiskSample& n) {
      n = RiskSample{};
      n.at = 110 * kSec;
      n.local = true;
      n.queue_length = 0;
      n.queue_max = 511;
      n.listen_overflows_total = 1000;
      n.ping_timeouts_total = 3;
      n.poll_timed_out = true;
    });
    const auto a = AssessRisk(w, Target());
    CHECK_FALSE(a.reachable);
    CHECK(RiskOf(a, Cause::kNetwork) == 1.0);
    CHECK(a.Get(Cause::kMemory).missing_reason == MissingReason::kTargetDown);
    CHECK(RiskOf(a, Cause::kBacklog) < 0.2);
  }
  SECTION("unreachable at maxclients: pool 1") {
    auto w = Window([](RiskSample&, RiskSample& n) {
      n.up = false;
      n.connect_max_clients_total = 2;
    });
    CHECK(RiskOf(AssessRisk(w, Target()), Cause::kPool) == 1.0);
  }
  SECTION("a blocked server's PING timeouts are the slowlog's, not the network's") {
    auto w = Window([](RiskSample&, RiskSample& n) {
      n.ping_timeouts_total = 2;
      n.ping_tail = 1.0;
      n.slowlog_seconds_total = 2;
      n.slowlog_longest_new = 2;
      n.slowlog_seconds_by_command["debug"] = 2;
    });
    const auto a = AssessRisk(w, Target());
    CHECK(RiskOf(a, Cause::kNetwork) < 0.5);
    CHECK(RiskOf(a, Cause::kSlowlog) >= 0.8);
  }
  SECTION("an effective backlog below the expected burst warns") {
    auto w = Window([](RiskSample& o, RiskSample& n) { o.queue_max = n.queue_max = 128; });
    TargetConfig t = Target();
    t.thresholds.expected_connection_burst = 1000;
    CHECK(RiskOf(AssessRisk(w, t), Cause::kBacklog) == Approx(0.5));
  }
  SECTION("empty window: nothing can be judged") {
    const auto a = AssessRisk({}, Target());
    for (Cause c : kCauses) CHECK(a.Get(c).missing_reason == MissingReason::kNoSamples);
  }
}

TEST_CASE("ranking puts the highest risk first and unjudged causes last", "[risk]") {
  RiskAssessment a;
  for (size_t i = 0; i < kCauses.size(); ++i) a.causes[i].cause = kCauses[i];
  a.causes[0].risk = 0.1;
  a.causes[1].missing_reason = MissingReason::kNoSamples;
  a.causes[2].risk = 0.9;
  a.causes[3].risk = 0.5;
  a.causes[4].risk = 0.1;
  const auto ranked = RankCauses(a);
  CHECK(ranked[0]->cause == Cause::kMemory);
  CHECK(ranked[1]->cause == Cause::kSlowlog);
  CHECK(ranked[2]->cause == Cause::kPool);  // ties keep the fixed cause order
  CHECK(ranked[3]->cause == Cause::kBacklog);
  CHECK(ranked[4]->cause == Cause::kNetwork);
  CHECK(LevelOf(0.8) == RiskLevel::kCritical);
  CHECK(LevelOf(0.79) == RiskLevel::kWarn);
  CHECK(LevelOf(0.49) == RiskLevel::kOk);
  CHECK(LevelOf(std::nullopt) == RiskLevel::kUnknown);
}

TEST_CASE("the evidence names the witness that spoke, and the fix follows it", "[risk]") {
  SECTION("commandstats while SLOWLOG is off") {
    auto w = Window([](RiskSample& o, RiskSample& n) {
      o.slowlog_threshold = n.slowlog_threshold = -1;
      o.command_seconds_total = 0;
      // 7.4 s of it in the window besides the longest call (0.3 s): 74% busy.
      n.command_seconds_total = 7.7;
      n.command_longest_mean = 0.3;
      n.command_longest_name = "eval";
      n.latency_monitor_threshold = 0;
    });
    const RiskAssessment a = AssessRisk(w, Target(std::chrono::milliseconds(400)));
    const CauseRisk& c = a.Get(Cause::kSlowlog);
    REQUIRE(c.risk >= 0.8);
    CHECK_THAT(c.evidence[0], Catch::Contains("Redis spent 74% of the last 10 s executing "
                                              "commands (commandstats) though SLOWLOG is off"));
    CHECK_THAT(c.evidence[1],
               Catch::Contains("eval took 300.0 ms per call on average between two polls"));
    CHECK_THAT(c.fix, Catch::Contains("INFO commandstats") &&
                          Catch::Contains("CONFIG SET latency-monitor-threshold"));
  }
  SECTION("a fork, with the latency monitor's fork event") {
    auto w = Window([](RiskSample& o, RiskSample& n) {
      o.forks_total = 0;
      n.forks_total = 1;
      n.fork_duration = 0.412;
      n.latency_spike_new = 0.412;
      n.latency_spike_event = "fork";
      n.latency_monitor_threshold = 0.1;
    });
    const RiskAssessment a = AssessRisk(w, Target());
    const CauseRisk& c = a.Get(Cause::kSlowlog);
    REQUIRE(c.risk >= 0.5);
    CHECK_THAT(c.evidence[0], Catch::Equals("fork for BGSAVE / AOF rewrite took 412.0 ms "
                                            "(latest_fork_usec), LATENCY LATEST fork 412.0 ms"));
    CHECK_THAT(c.fix, Catch::Contains("transparent huge pages") && Catch::Contains("replica") &&
                          !Catch::Contains("latency-monitor-threshold"));
  }
  SECTION("a fork before the window is history") {
    auto w = Window([](RiskSample& o, RiskSample& n) {
      o.forks_total = n.forks_total = 7;
      o.fork_duration = n.fork_duration = 2.0;
    });
    CHECK(RiskOf(AssessRisk(w, Target()), Cause::kSlowlog) < 0.2);
  }
  SECTION("slow PINGs the server cannot account for stay the network's") {
    auto w = Window([](RiskSample& o, RiskSample& n) {
      o.command_seconds_total = 1;
      n.command_seconds_total = 1.01;  // idle server
      n.ping_p50 = 0.24;
      n.ping_tail = 0.25;
      n.tcp_rtt = 0.00005;
    });
    const RiskAssessment a = AssessRisk(w, Target(std::chrono::milliseconds(400)));
    CHECK(RiskOf(a, Cause::kNetwork) >= 0.8);
    CHECK(RiskOf(a, Cause::kSlowlog) < 0.2);
    CHECK_THAT(
        a.Get(Cause::kNetwork).evidence,
        Catch::VectorContains(std::string(
            "kernel TCP RTT 50 µs while the PING tail is 250.0 ms: the delay is not on the TCP "
            "path itself (a busy server, or a proxy in between)")));
  }
  SECTION("a large payload ten times slower than PING warns network") {
    auto w = Window([](RiskSample&, RiskSample& n) { n.large_payload_p50 = 0.08; });
    const RiskAssessment a = AssessRisk(w, Target());
    CHECK(RiskOf(a, Cause::kNetwork) >= 0.5);
    CHECK_THAT(a.Get(Cause::kNetwork).evidence.back(), Catch::Contains("few-KB ECHO"));
  }
  SECTION("blocking is judged from commandstats when SLOWLOG is refused") {
    auto w = Window([](RiskSample& o, RiskSample& n) {
      o.slowlog_seconds_total.reset();
      n.slowlog_seconds_total.reset();
      o.slowlog_refused = n.slowlog_refused = true;
      o.command_seconds_total = 2;
      n.command_seconds_total = 2.1;
    });
    const RiskAssessment a = AssessRisk(w, Target());
    CHECK(RiskOf(a, Cause::kSlowlog) < 0.2);
  }
}

namespace {

// `n` polls one second apart; `change(sample, i)` edits the i-th (0 = oldest).
std::vector<RiskSample> Polls(int n, const std::function<void(RiskSample&, int)>& change) {
  std::vector<RiskSample> w;
  for (int i = 0; i < n; ++i) {
    w.push_back(Healthy((100 + i) * kSec));
    change(w.back(), i);
  }
  return w;
}

RiskSample::Pool ApiPool(double instances, double largest, double busy) {
  return {.size = 10,
          .connections = instances * largest,
          .instances = instances,
          .largest_instance = largest,
          .busy = busy};
}

}  // namespace

TEST_CASE("pool: full is not exhausted; busy all the time, over size and churn are",
          "[risk][pool]") {
  struct Case {
    const char* what;
    std::function<void(RiskSample&, int)> change;  // on each of 40 polls, one second apart
    double at_least;
    double below;
    const char* evidence;  // in some evidence line
  };
  const std::vector<Case> cases = {
      {"a pre-warmed pool at its size, all idle",
       [](RiskSample& s, int) { s.pools["api"] = ApiPool(1, 10, 0); }, 0, 0.2,
       "pool api: full but idle"},
      {"three instances, each full and idle",
       [](RiskSample& s, int) { s.pools["api"] = ApiPool(3, 10, 0); }, 0, 0.2,
       "pool api: 3 instances, 30 connections; the largest instance holds 10 of size 10"},
      {"new idle connections look busy for their first second",
       [](RiskSample& s, int i) { s.pools["api"] = ApiPool(1, 10, i == 38 ? 10 : 0); }, 0, 0.2,
       "full but idle"},
      {"every connection of one instance busy in every sample",
       [](RiskSample& s, int) { s.pools["api"] = ApiPool(2, 10, 10); }, 0.8, 1.01,
       "an instance had 10 of its 10 connections busy"},
      {"9 of 10 busy in every sample warns",
       [](RiskSample& s, int) { s.pools["api"] = ApiPool(1, 10, 9); }, 0.5, 0.8,
       "Redis cannot see requests waiting for a free pool connection"},
      {"all busy in half the samples: bursts, not exhaustion",
       [](RiskSample& s, int i) { s.pools["api"] = ApiPool(1, 10, i % 2 == 0 ? 10 : 2); }, 0, 0.2,
       "the busiest has"},
      {"a pool that is not full but busy can still grow",
       [](RiskSample& s, int) { s.pools["api"] = ApiPool(1, 4, 4); }, 0, 0.2,
       "the largest instance holds 4 of size 10"},
      {"one instance holding 1.5 times its size",
       [](RiskSample& s, int) { s.pools["api"] = ApiPool(1, 15, 0); }, 0.5, 0.8,
       "one instance holds 15 connections, 150% of its declared size 10"},
      {"a deploy: old and new connections of one host for two polls",
       [](RiskSample& s, int i) { s.pools["api"] = ApiPool(1, i >= 37 ? 20 : 10, 0); }, 0, 0.2,
       "pool api"},
      {"300 new connections a second that do not stay",
       [](RiskSample& s, int i) {
         s.connections_received_total = 1000 + 300.0 * i;
         s.median_client_age = 0;
       },
       0.5, 0.8,
       "300 new connections/s that did not stay open, in at least half of the last "
       "39 s, median client age 0 s"},
      {"a pool growing by 300 connections a second is not churn",
       [](RiskSample& s, int i) {
         s.connections_received_total = 1000 + 300.0 * i;
         s.connected_clients = 10 + 300.0 * i;
         s.maxclients = 100000;
       },
       0, 0.2, "connected_clients"},
      {"busy in two polls is a moment, not a state",
       [](RiskSample& s, int i) {
         if (i >= 38) s.pools["api"] = ApiPool(1, 10, 10);
       },
       0, 0.2,
       "pool api: 1 instance, 10 connections; the largest instance holds 10 of size 10, "
       "the busiest has 10 busy"},
      {"one reconnect burst of 2,000 (a deploy) is not sustained churn",
       [](RiskSample& s, int i) { s.connections_received_total = i >= 20 ? 3000 : 1000; }, 0, 0.2,
       "connected_clients"},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      const auto window = Polls(40, c.change);
      const RiskAssessment a = AssessRisk(window, Target());
      const CauseRisk& pool = a.Get(Cause::kPool);
      INFO(Catch::Detail::stringify(pool.evidence));
      CHECK(RiskOf(a, Cause::kPool) >= c.at_least);
      CHECK(RiskOf(a, Cause::kPool) < c.below);
      for (Cause other : kCauses) {
        if (other == Cause::kPool) continue;
        INFO("other cause " << CauseName(other));
        CHECK(RiskOf(a, other) < 0.5);
      }
      bool found = false;
      for (const auto& line : pool.evidence) found |= line.find(c.evidence) != std::string::npos;
      CHECK(found);
      CHECK_FALSE(pool.fix.empty());
    }
  }
}

TEST_CASE("pool fixes follow what drove the risk", "[risk][pool]") {
  SECTION("exhausted: fewer round trips, an L1 cache, then a bigger pool") {
    const auto w = Polls(10, [](RiskSample& s, int) { s.pools["api"] = ApiPool(1, 10, 10); });
    const std::string fix = AssessRisk(w, Target()).Get(Cause::kPool).fix;
    const auto mget = fix.find("MGET");
    const auto l1 = fix.find("local (L1) cache");
    const auto bigger = fix.find("bigger pool");
    REQUIRE(mget != std::string::npos);
    REQUIRE(l1 != std::string::npos);
    REQUIRE(bigger != std::string::npos);
    CHECK((mget < l1 && l1 < bigger));
    CHECK_THAT(fix, !Catch::Contains("Raise maxclients"));
  }
  SECTION("churn: use a pool and pre-warm it") {
    const auto w =
        Polls(10, [](RiskSample& s, int i) { s.connections_received_total = 1000 + 500.0 * i; });
    CHECK_THAT(AssessRisk(w, Target()).Get(Cause::kPool).fix,
               Catch::Contains("Use a connection pool and pre-warm it"));
  }
  SECTION("the churn threshold comes from the config") {
    const auto w =
        Polls(10, [](RiskSample& s, int i) { s.connections_received_total = 1000 + 30.0 * i; });
    TargetConfig t = Target();
    CHECK(RiskOf(AssessRisk(w, t), Cause::kPool) < 0.2);
    t.thresholds.connection_churn_warn_rate = 20;
    CHECK(RiskOf(AssessRisk(w, t), Cause::kPool) >= 0.5);
  }
  SECTION("churn never pages on its own") {
    const auto w =
        Polls(10, [](RiskSample& s, int i) { s.connections_received_total = 1000 + 50000.0 * i; });
    CHECK(RiskOf(AssessRisk(w, Target()), Cause::kPool) == Approx(kChurnRiskCap));
  }
  SECTION("the backlog evidence mentions churn when both happen") {
    const auto w = Polls(10, [](RiskSample& s, int i) {
      s.connections_received_total = 1000 + 400.0 * i;
      s.queue_length = 300;
    });
    const RiskAssessment a = AssessRisk(w, Target());
    CHECK(RiskOf(a, Cause::kBacklog) >= 0.5);
    CHECK_THAT(a.Get(Cause::kBacklog).evidence,
               Catch::VectorContains(std::string(
                   "clients also open 400 new connections/s that do not stay (see pool): each "
                   "one passes through this queue")));
  }
}

TEST_CASE("the latency budget needs enough PINGs to mean a slow path", "[risk]") {
  // Three slow PINGs at startup on a loaded host are not a slow path; sixty are.
  for (const auto& [samples, warns] : {std::pair<size_t, bool>{3, false}, {60, true}}) {
    auto w = Window([samples = samples](RiskSample&, RiskSample& n) {
      n.ping_p50 = 0.005;
      n.ping_tail = 0.006;
      n.ping_samples = samples;
    });
    INFO(samples << " samples");
    CHECK((RiskOf(AssessRisk(w, Target()), Cause::kNetwork) >= 0.5) == warns);
  }
}

TEST_CASE("rejections far below maxclients are denied connections, not a full pool",
          "[risk][pool]") {
  // Redis counts protected-mode -DENIED in rejected_connections too.
  const auto denied = AssessRisk(
      Window([](RiskSample&, RiskSample& n) { n.rejected_connections_total = 1; }), Target());
  CHECK(RiskOf(denied, Cause::kPool) == 0);
  const auto& evidence = denied.Get(Cause::kPool).evidence;
  CHECK(std::any_of(evidence.begin(), evidence.end(), [](const std::string& e) {
    return e.find("1 connections denied") != std::string::npos &&
           e.find("protected mode") != std::string::npos;
  }));
  // The same rejection, with the exporter's own fresh connect refused at maxclients: the pool.
  const auto full = AssessRisk(Window([](RiskSample& o, RiskSample& n) {
                                 n.rejected_connections_total = 1;
                                 o.connect_max_clients_total = 0;
                                 n.connect_max_clients_total = 1;
                               }),
                               Target());
  CHECK(RiskOf(full, Cause::kPool) == 1);
  // Clients seen at the warn level earlier in the window: the pool, too.
  const auto earlier = AssessRisk(Window([](RiskSample& o, RiskSample& n) {
                                    o.connected_clients = 9000;
                                    n.rejected_connections_total = 2;
                                  }),
                                  Target());
  CHECK(RiskOf(earlier, Cause::kPool) == 1);
}

TEST_CASE("backlog: host-wide overflows need this queue's own evidence", "[risk][backlog]") {
  struct Case {
    const char* what;
    std::function<void(RiskSample&, RiskSample&)> change;
    double expected;
  };
  const std::vector<Case> cases = {
      // 150 connections/s of churn (1,500 in the 10 s between the polls) while another
      // listener overflows: at a 10 ms turn of the event loop, 1.5 connections wait.
      {"churn of 150/s and another listener full",
       [](RiskSample& o, RiskSample& n) {
         n.listen_overflows_total = 1200;
         n.connections_received_total = *o.connections_received_total + 1500;
         n.other_full_ports = {8080};
       },
       0},
      {"the queue's sampled peak reached it",
       [](RiskSample&, RiskSample& n) {
         n.listen_overflows_total = 1200;
         n.queue_peak = 500;
       },
       1},
      // 20,000 connections/s while the loop is away 30 ms (a slow command): 600 wait > 511.
      {"a burst fast enough to fill it while the loop was away",
       [](RiskSample& o, RiskSample& n) {
         n.listen_overflows_total = 1200;
         n.connections_received_total = *o.connections_received_total + 200000;
         n.slowlog_longest_new = 0.03;
         n.slowlog_seconds_total = 0.03;
       },
       1},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      const auto a = AssessRisk(Window(c.change), Target());
      const auto& evidence = a.Get(Cause::kBacklog).evidence;
      INFO((evidence.empty() ? std::string() : evidence.back()));
      CHECK(RiskOf(a, Cause::kBacklog) == Approx(c.expected));
    }
  }
  const auto other = AssessRisk(Window(cases[0].change), Target());
  const auto& evidence = other.Get(Cause::kBacklog).evidence;
  CHECK(std::any_of(evidence.begin(), evidence.end(), [](const std::string& e) {
    return e.find("not attributed to this target") != std::string::npos &&
           e.find("port 8080") != std::string::npos;
  }));
}

TEST_CASE("one slow command gives the same busy verdict over 3 s and over a minute",
          "[risk][slowlog]") {
  // One 150 ms entry, seen by a 3 s triage run and by the daemon's 60 s window.
  for (const Nanos span : {3 * kSec, 60 * kSec}) {
    INFO("window " << span / kSec << " s");
    std::vector<RiskSample> w = {Healthy(100 * kSec), Healthy(100 * kSec + span)};
    w[1].slowlog_seconds_total = 0.15;
    w[1].slowlog_longest_new = 0.15;
    const auto a = AssessRisk(w, Target());
    CHECK(RiskOf(a, Cause::kSlowlog) < 0.5);
  }
  // Several of them in 3 s are a busy server, wherever they are seen.
  std::vector<RiskSample> w = {Healthy(100 * kSec), Healthy(103 * kSec)};
  w[1].slowlog_seconds_total = 0.9;
  w[1].slowlog_longest_new = 0.15;
  CHECK(RiskOf(AssessRisk(w, Target()), Cause::kSlowlog) >= 0.5);
}

TEST_CASE("the memory limit that binds first, and its source", "[risk][memory]") {
  using Opt = std::optional<double>;
  using Limit = std::optional<MemoryLimit>;
  const auto M = MemoryLimitSource::kMaxmemory;
  const auto C = MemoryLimitSource::kCgroup;
  const auto S = MemoryLimitSource::kSystem;
  const auto [maxmemory, cgroup, system, expected] = GENERATE_COPY(table<Opt, Opt, Opt, Limit>({
      {100, 200, 1000, MemoryLimit{100, M}},
      {200, 200, 1000, MemoryLimit{200, M}},             // at the limit, still reached
      {0, 200, 1000, MemoryLimit{200, C}},               // no maxmemory in a container
      {300, 200, 1000, MemoryLimit{200, C}},             // above the cgroup limit: never reached
      {2000, std::nullopt, 1000, MemoryLimit{1000, S}},  // above the host's memory
      {std::nullopt, 2000, 1000, MemoryLimit{1000, S}},  // a cgroup limit above the host's
      {100, 2000, 1000, MemoryLimit{100, M}},
      {100, std::nullopt, std::nullopt, MemoryLimit{100, M}},
      {0, std::nullopt, std::nullopt, std::nullopt},
  }));
  INFO("maxmemory " << maxmemory.value_or(-1) << " cgroup " << cgroup.value_or(-1) << " system "
                    << system.value_or(-1));
  const Limit got = EffectiveMemoryLimit(maxmemory, cgroup, system);
  REQUIRE(got.has_value() == expected.has_value());
  if (got) {
    CHECK(got->bytes == expected->bytes);
    CHECK(MemoryLimitSourceName(got->source) ==
          std::string(MemoryLimitSourceName(expected->source)));
  }
}

TEST_CASE(
    "memory is judged by Redis' own arithmetic, what there is to evict and the kernel's "
    "limit",
    "[risk][memory]") {
  constexpr double kMiB = 1048576;
  using Change = std::function<void(RiskSample&)>;
  struct Case {
    const char* what;
    Change change;
    double at_least, below;
    const char* evidence;  // a piece of the memory evidence
  };
  const std::vector<Case> cases = {
      {"a full sync's buffers are not counted: 95% raw, 75% as Redis counts",
       [](RiskSample& n) {
         n.used_memory = 95e6;
         n.mem_not_counted_for_evict = 20e6;
       },
       0, kWarnRisk,
       "Redis does not count against maxmemory (mem_not_counted_for_evict): 71.5 MiB of maxmemory "
       "95.4 MiB (75%)"},
      {"buffers left out, the data alone at 99%",
       [](RiskSample& n) {
         n.used_memory = 129e6;
         n.mem_not_counted_for_evict = 30e6;
       },
       kCritRisk, 1.01, "mem_not_counted_for_evict"},
      {"volatile-lru with 300 of 56,300 keys carrying a TTL at 99.6%",
       [](RiskSample& n) {
         n.policy = "volatile-lru";
         n.used_memory = 99.6e6;
         n.keys = 56300;
         n.keys_with_expiry = 300;
       },
       kCritRisk, 1.01, "300 of 56300 keys have one (<1%)"},
      {"volatile-ttl with 5% of the keys carrying a TTL at 99%",
       [](RiskSample& n) {
         n.policy = "volatile-ttl";
         n.used_memory = 99e6;
         n.keys = 1000;
         n.keys_with_expiry = 50;
       },
       kWarnRisk, kCritRisk, "94% of maxmemory cannot be evicted"},
      {"volatile-lru with most keys carrying a TTL at 99.6% evicts like a cache",
       [](RiskSample& n) {
         n.policy = "volatile-lru";
         n.used_memory = 99.6e6;
         n.keys = 1000;
         n.keys_with_expiry = 900;
       },
       kEvictingMemoryRiskCap - 0.01, kWarnRisk, "900 of 1000 keys have one (90%)"},
      {"volatile-lfu with no key at all is noeviction",
       [](RiskSample& n) {
         n.policy = "volatile-lfu";
         n.used_memory = 99e6;
         n.keys = 0;
       },
       kCritRisk, 1.01, "0 of 0 keys"},
      {"allkeys-lru over the limit stays at the cap",
       [](RiskSample& n) {
         n.policy = "allkeys-lru";
         n.used_memory = 101e6;
       },
       kEvictingMemoryRiskCap, kWarnRisk, "policy allkeys-lru"},
      {"no maxmemory, 88% of a 256 MiB cgroup",
       [kMiB](RiskSample& n) {
         n.maxmemory = 0;
         n.cgroup_memory_limit = 256 * kMiB;
         n.used_memory = 0.85 * 256 * kMiB;
         n.used_memory_rss = 0.88 * 256 * kMiB;
       },
       kWarnRisk, kCritRisk, "no maxmemory: used_memory_rss 225.3 MiB is 88% of the cgroup"},
      {"the kernel charges resident memory: 96% of the cgroup in RSS",
       [kMiB](RiskSample& n) {
         n.maxmemory = 0;
         n.cgroup_memory_limit = 256 * kMiB;
         n.used_memory = 0.7 * 256 * kMiB;
         n.used_memory_rss = 0.96 * 256 * kMiB;
       },
       kCritRisk, 1.01, "96% of the cgroup memory limit 256.0 MiB"},
      {"maxmemory 4 GiB in a 256 MiB container is no limit, whatever the policy",
       [kMiB](RiskSample& n) {
         n.policy = "allkeys-lru";
         n.maxmemory = 4096 * kMiB;
         n.cgroup_memory_limit = 256 * kMiB;
         n.used_memory = 0.97 * 256 * kMiB;
       },
       kCritRisk, 1.01, "maxmemory 4.0 GiB is above the cgroup memory limit 256.0 MiB"},
      {"maxmemory above the host's memory is no limit",
       [](RiskSample& n) {
         n.maxmemory = 32e9;
         n.used_memory = 15.5e9;
       },
       kCritRisk, 1.01, "Redis never reaches it"},
      {"a cgroup limit above maxmemory leaves maxmemory in charge",
       [](RiskSample& n) {
         n.cgroup_memory_limit = 1e9;
         n.used_memory = 50e6;
       },
       0, 0.2, "used_memory 47.7 MiB of maxmemory 95.4 MiB (50%), policy noeviction"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    auto w = Window([&](RiskSample&, RiskSample& n) { c.change(n); });
    const RiskAssessment a = AssessRisk(w, Target());
    const CauseRisk& memory = a.Get(Cause::kMemory);
    std::string evidence;
    for (const auto& e : memory.evidence) evidence += e + "\n";
    INFO(evidence << memory.fix);
    const double r = RiskOf(a, Cause::kMemory);
    CHECK(r >= c.at_least);
    CHECK(r < c.below);
    CHECK_THAT(evidence, Catch::Contains(c.evidence));
    for (Cause other : kCauses) {
      if (other != Cause::kMemory) CHECK(RiskOf(a, other) < 0.2);
    }
  }
}

TEST_CASE("memory fixes follow the limit and the policy", "[risk][memory]") {
  SECTION("a container limit: set maxmemory below it") {
    auto w = Window([](RiskSample&, RiskSample& n) {
      n.maxmemory = 0;
      n.cgroup_memory_limit = 100e6;
      n.used_memory = 90e6;
    });
    CHECK_THAT(AssessRisk(w, Target()).Get(Cause::kMemory).fix,
               Catch::Contains("Set maxmemory below the cgroup memory limit"));
  }
  SECTION("maxmemory set, but resident memory nears the host's: lower maxmemory") {
    auto w = Window([](RiskSample&, RiskSample& n) {
      n.maxmemory = 12e9;
      n.used_memory = 9e9;
      n.used_memory_rss = 15.5e9;  // fragmentation
    });
    const CauseRisk memory = AssessRisk(w, Target()).Get(Cause::kMemory);
    REQUIRE(memory.risk.has_value());
    CHECK(*memory.risk >= kCritRisk);
    CHECK_THAT(memory.fix, Catch::Contains("Set maxmemory below system memory"));
    CHECK_THAT(memory.evidence.at(1),
               Catch::Contains("used_memory_rss 14.4 GiB is 97% of system memory 14.9 GiB"));
  }
  SECTION("few volatile keys: allkeys or TTLs") {
    auto w = Window([](RiskSample&, RiskSample& n) {
      n.policy = "volatile-lru";
      n.used_memory = 99e6;
      n.keys = 10000;
      n.keys_with_expiry = 10;
    });
    CHECK_THAT(AssessRisk(w, Target()).Get(Cause::kMemory).fix,
               Catch::Contains("volatile-* policy has little to evict"));
  }
}
