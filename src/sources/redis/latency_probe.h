// Network-latency probes for one target (cause 2): a persistent connection that PINGs every
// probe_interval, and a fresh connection per poll that times connect plus first reply and then
// checks that a write-like command is not held (CLIENT PAUSE).
#pragma once

#include <event2/event.h>

#include <map>
#include <optional>
#include <string>

#include "config/config.h"
#include "snapshot/probe_figures.h"
#include "sources/redis/resp_connection.h"
#include "sources/redis/secret_cache.h"
#include "sources/redis/tcp_quality.h"

namespace rte {

inline constexpr size_t kMaxPendingRtts = 4096;
// Every this many probe ticks, the probe sends ECHO with kLargePayloadBytes instead of PING:
// more than one segment on a 1500-byte path, so an MTU black hole stalls it.
inline constexpr std::uint64_t kLargePayloadEvery = 10;
// Slots per probe_interval the targets' probe ticks are spread over.
inline constexpr std::uint64_t kProbeSlots = 10;
inline constexpr size_t kLargePayloadBytes = 4096;
// The write-pause probe publishes an empty message here: nobody subscribes, so it changes no
// data, and CLIENT PAUSE WRITE holds it like any write. An ACL user needs `+publish` and this
// channel (`&redis-timeout-exporter:*`) for it; without them the probe switches itself off.
inline constexpr char kWriteProbeChannel[] = "redis-timeout-exporter:write-probe";

class LatencyProbe {
 public:
  LatencyProbe(event_base* base, evdns_base* dns, const Clock& clock, const SecretCache& secrets,
               const TargetConfig& config, TlsContextLoader* tls_loader = nullptr);
  ~LatencyProbe();
  LatencyProbe(const LatencyProbe&) = delete;
  LatencyProbe& operator=(const LatencyProbe&) = delete;

  // Ticks every probe_interval in one of kProbeSlots slots of it, chosen by the target's name
  // and aligned to a common grid: a fleet's probes (and every tenth second's 4 KiB ECHO, also
  // spread by name) leave in ten batches per interval, not in one millisecond where they
  // queue behind each other in Redis, nor in a wakeup of the loop per target.
  void Start();
  // Starts one fresh-connect probe unless one is still running.
  void ProbeFreshConnect();
  // The figures so far; the round trips since the previous call are handed over once.
  ProbeFigures TakeFigures();

 private:
  static void OnTick(evutil_socket_t, short, void* self);
  void ScheduleNextTick();
  void Ping();
  // After connecting: AUTH (when configured) and CLIENT SETNAME, untimed; PINGs start when
  // their replies are in, so no round trip includes them.
  void Handshake(std::uint64_t seq);
  void OnHandshakeReply(std::uint64_t seq, bool last, CommandOutcome outcome);
  void FailConnection(bool timed_out);
  void OnPong(std::uint64_t seq, CommandOutcome outcome);
  void Record(std::vector<RttSample>& into, const RttSample& sample);
  // Ends the fresh-connect probe after a failure before any reply.
  void FinishConnectProbe(const char* refusal);
  void RecordConnectFigures(const char* refusal);
  void EndConnectProbe();
  void ReadTcpRtt();
  void BackOff();
  // The TLS figures of a connection just made (rediss:// targets).
  void RecordTls(const ConnectTimings& timings, bool fresh);

  const Clock& clock_;
  const SecretCache& secrets_;  // the password files, read off the loop thread
  const TargetConfig& config_;
  event* tick_ = nullptr;
  Nanos next_tick_ = 0;
  RespConnection conn_;
  RespConnection fresh_;
  bool in_flight_ = false;   // a connect, handshake or PING is under way
  bool handshaken_ = false;  // the connection is authenticated and named
  // After a failed connect the probe waits before reconnecting, so a full or dead server is
  // not hit (and its rejected_connections counter not inflated) every probe_interval.
  Nanos next_connect_ = 0;
  Nanos connect_backoff_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t ticks_ = 0;
  std::uint64_t connections_ = 0;  // connections made, for the retransmit total
  bool large_in_flight_ = false;   // the request in flight is the large-payload ECHO
  TcpQuality tcp_quality_;
  Nanos sent_at_ = 0;
  bool fresh_running_ = false;
  bool fresh_write_pending_ = false;  // the PING answered; the PUBLISH behind it has not
  bool write_probe_ = true;           // false once PUBLISH is refused (ACL, renamed)
  Nanos fresh_started_ = 0;
  ProbeFigures figures_;
};

}  // namespace rte
