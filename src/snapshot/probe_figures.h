// What the latency probes measured for one target (cause 2), as published with each poll.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "derive/histogram.h"
#include "derive/latency_window.h"

namespace rte {

// Reasons a fresh connection failed; `connect_refusals_total{reason}` has one series each.
inline constexpr const char* kConnectRefusalReasons[] = {"max_clients", "refused", "timeout",
                                                         "closed"};

// What the probes measured, as published with each poll.
struct ProbeFigures {
  Histogram ping_rtt{kPingBuckets};
  double ping_failures = 0;
  double ping_timeouts = 0;  // the failures that were timeouts (not refusals or resets)
  std::optional<double> window_p50, window_p99, window_max;
  std::optional<double> tcp_rtt_seconds;  // kernel smoothed RTT of the probe socket (TCP_INFO)
  std::optional<double> connect_duration_seconds;
  std::optional<double> connect_tcp_seconds;  // of that: until the TCP handshake completed
  std::map<std::string, double> connect_refusals = {
      {"max_clients", 0}, {"refused", 0}, {"timeout", 0}, {"closed", 0}};  // reason → count
};

}  // namespace rte
