// What the latency probes of one target measured (cause 2), handed over with each poll.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"

namespace rte {

// Reasons a fresh connection failed; `connect_refusals_total{reason}` has one series each.
inline constexpr const char* kConnectRefusalReasons[] = {"max_clients", "refused", "timeout",
                                                         "closed"};

// An error reply that says the server is up but not serving commands. The poll (INFO) and the
// probes (PING) each report the newest one they got.
enum class ServerRefusal {
  kNone,
  kLoading,     // -LOADING: loading the dataset after a start, a restart or a full sync
  kBusy,        // -BUSY: a script or function runs past busy-reply-threshold
  kMasterDown,  // -MASTERDOWN: a replica without its master, replica-serve-stale-data no
};

// One PING round trip of the persistent probe connection.
struct RttSample {
  Nanos at = 0;            // monotonic time the reply (or the timeout) came
  Nanos rtt = 0;           // time waited
  bool timed_out = false;  // no reply within client_timeout: `rtt` is the time waited
};

// Counters are cumulative over the probe's life; `rtts` holds only the round trips since the
// previous hand-over, so derive sees each sample once.
struct ProbeFigures {
  std::vector<RttSample> rtts;
  double ping_failures = 0;  // timeouts, error replies, lost or refused connections
  double ping_timeouts = 0;  // the failures that were timeouts (not refusals or resets)
  std::optional<double> tcp_rtt_seconds;  // kernel smoothed RTT of the probe socket (TCP_INFO)
  std::optional<double> tcp_retransmits_total;  // segments the probe socket retransmitted
  std::optional<double> tcp_path_mtu_bytes, tcp_mss_bytes;
  // ECHO round trips of a payload larger than one typical MSS, since the previous hand-over:
  // slow or lost while PINGs are fine is the MTU black hole.
  std::vector<RttSample> large_rtts;
  double large_payload_timeouts = 0;
  std::optional<double> connect_duration_seconds;
  std::optional<double> connect_tcp_seconds;  // of that: until the TCP handshake completed
  // The newest PING answer refused by a server that is not serving; kNone once a PING works.
  ServerRefusal ping_refusal = ServerRefusal::kNone;
  // The write-pause probe of the fresh connection (PUBLISH to an unsubscribed channel, which
  // CLIENT PAUSE WRITE and ALL hold and which changes no data): true when it got no answer
  // within client_timeout while the PING before it did; absent when not (or no longer) probed:
  // refused by ACL, or the connection failed first.
  std::optional<bool> writes_held;
  std::map<std::string, double> connect_refusals = {
      {"max_clients", 0}, {"refused", 0}, {"timeout", 0}, {"closed", 0}};  // reason → count
};

}  // namespace rte
