// Network-latency probes for one target (cause 2): a persistent connection that PINGs every
// probe_interval, and a fresh connection per poll that times connect plus first reply.
#pragma once

#include <event2/event.h>

#include <map>
#include <optional>
#include <string>

#include "config/config.h"
#include "derive/latency_window.h"
#include "snapshot/probe_figures.h"
#include "sources/redis/resp_connection.h"

namespace rte {

class LatencyProbe {
 public:
  LatencyProbe(event_base* base, evdns_base* dns, const Clock& clock, const TargetConfig& config);
  ~LatencyProbe();
  LatencyProbe(const LatencyProbe&) = delete;
  LatencyProbe& operator=(const LatencyProbe&) = delete;

  void Start();
  // Starts one fresh-connect probe unless one is still running.
  void ProbeFreshConnect();
  ProbeFigures Figures();

 private:
  static void OnTick(evutil_socket_t, short, void* self);
  void Ping();
  void OnPong(std::uint64_t seq, CommandOutcome outcome);
  void FinishConnectProbe(const char* refusal);
  void ReadTcpRtt();
  void BackOff();

  const Clock& clock_;
  const TargetConfig& config_;
  event* tick_ = nullptr;
  RespConnection conn_;
  RespConnection fresh_;
  bool in_flight_ = false;
  // After a failed connect the probe waits before reconnecting, so a full or dead server is
  // not hit (and its rejected_connections counter not inflated) every probe_interval.
  Nanos next_connect_ = 0;
  bool refused_max_clients_ = false;  // this connection was greeted with "max number of clients"
  Nanos connect_backoff_ = 0;
  std::uint64_t seq_ = 0;
  Nanos sent_at_ = 0;
  bool fresh_running_ = false;
  Nanos fresh_started_ = 0;
  LatencyWindow window_;
  ProbeFigures figures_;
};

}  // namespace rte
