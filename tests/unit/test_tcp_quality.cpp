// TCP_INFO figures of the probe socket on values read from real sockets on this machine's
// loopback (rtt 75 µs, pmtu 65535, mss 32768; no retransmits there) and on values a lossy path
// produces (retransmits rising, a reconnect starting the socket's count at 0 again).
#include <catch2/catch.hpp>

#include "sources/redis/tcp_quality.h"

using namespace rte;

TEST_CASE("TCP_INFO values become the probe's figures", "[probe][tcp]") {
  struct Step {
    TcpInfoReading reading;
    std::uint64_t connection;
    double rtt_seconds;
    double retransmits_total;
  };
  // One probe's life: a loopback socket, a lossy stretch, a reconnect, a stale read.
  const std::vector<Step> steps = {
      {{75, 0, 65535, 32768}, 1, 0.000075, 0},
      {{2100, 3, 1500, 1448}, 1, 0.0021, 3},
      {{2400, 5, 1500, 1448}, 1, 0.0024, 5},
      {{900, 1, 1500, 1448}, 2, 0.0009, 6},   // new socket: its count starts again
      {{950, 0, 1500, 1448}, 2, 0.00095, 6},  // a stale (lower) read never takes it back
      {{1000, 4, 1500, 1448}, 2, 0.001, 9},
  };
  TcpQuality quality;
  ProbeFigures figures;
  for (size_t i = 0; i < steps.size(); ++i) {
    INFO("step " << i);
    quality.Observe(steps[i].reading, steps[i].connection, figures);
    CHECK(figures.tcp_rtt_seconds == Approx(steps[i].rtt_seconds));
    CHECK(figures.tcp_retransmits_total == steps[i].retransmits_total);
    CHECK(figures.tcp_path_mtu_bytes == static_cast<double>(steps[i].reading.pmtu));
    CHECK(figures.tcp_mss_bytes == static_cast<double>(steps[i].reading.snd_mss));
  }
}

TEST_CASE("a zero path MTU or MSS (not reported) leaves the figure out", "[probe][tcp]") {
  TcpQuality quality;
  ProbeFigures figures;
  quality.Observe({120, 0, 0, 0}, 1, figures);
  CHECK(figures.tcp_rtt_seconds == Approx(0.00012));
  CHECK_FALSE(figures.tcp_path_mtu_bytes.has_value());
  CHECK_FALSE(figures.tcp_mss_bytes.has_value());
}
