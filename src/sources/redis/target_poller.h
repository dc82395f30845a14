// Polls one Redis target on its own schedule over one persistent connection and publishes a
// TargetReport after every poll. Runs entirely on the poll loop's thread.
#pragma once

#include <event2/event.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/log_limiter.h"
#include "config/config.h"
#include "derive/risk.h"
#include "derive/signals.h"
#include "snapshot/report.h"
#include "sources/redis/latency_probe.h"
#include "sources/redis/resp_connection.h"

namespace rte {

class TargetPoller {
 public:
  TargetPoller(event_base* base, evdns_base* dns, const Clock& clock, ReportStore& store,
               TargetConfig config);
  ~TargetPoller();
  TargetPoller(const TargetPoller&) = delete;
  TargetPoller& operator=(const TargetPoller&) = delete;

  // Schedules the first poll after `first_delay`, then one every poll_interval.
  void Start(Duration first_delay);
  const TargetConfig& config() const { return config_; }
  // Whether the target listens on this host (its accept queue can be read).
  bool local() const { return local_; }
  // The latest accept-queue reading for this target, from the loop's kernel tick.
  void SetListenQueue(std::optional<TargetReport::ListenQueue> queue) {
    report_.listen_queue = queue;
  }
  // The latest host-wide kernel counters, for the backlog judgement.
  void SetKernelCounters(const KernelCounters& counters) { kernel_ = counters; }

 private:
  // One command of a poll's pipelined batch, and what to do with its reply.
  enum class Step { kAuth, kSetName, kInfo, kSlowlog, kConfigGet, kClientList };
  struct BatchItem {
    Step step;
    const char* stage;
    std::vector<std::string> argv;
  };

  static void OnTick(evutil_socket_t, short, void* self);
  void ScheduleNextTick();
  void BeginPoll();
  void SendBatch();
  void OnReply(std::uint64_t poll_id, size_t index, CommandOutcome outcome);
  void CompleteBatch();
  bool Wanted(OptionalCommand command) const;
  void Refused(OptionalCommand command, const Reply& error);
  // An optional command's error reply: a refusal switches the command off (its fallback takes
  // over), anything else counts against its stage. False when `reply` is not an error.
  bool OptionalCommandFailed(OptionalCommand command, const char* stage, const Reply& reply);
  void FailPoll(const std::string& stage, const std::string& detail, bool close_connection);
  void FinishPoll(bool success);
  void Publish();
  RiskSample MakeRiskSample(Nanos now) const;
  // Adds this poll to the risk window and judges the five causes again.
  void AssessRiskNow(Nanos now);

  event_base* base_;
  const Clock& clock_;
  ReportStore& store_;
  TargetConfig config_;
  RespConnection conn_;
  LatencyProbe probe_;
  bool local_ = false;
  event* tick_ = nullptr;
  Nanos next_tick_ = 0;

  // Poll in flight.
  bool polling_ = false;
  std::uint64_t poll_id_ = 0;
  Nanos poll_started_ = 0;
  bool needs_handshake_ = true;
  std::vector<BatchItem> batch_;
  std::vector<CommandOutcome> outcomes_;
  size_t outstanding_ = 0;

  // Connection health.
  Nanos next_connect_ = 0;
  Duration backoff_{0};
  bool multi_section_info_ = true;

  // Slower cadences and managed-Redis fallbacks.
  Nanos next_config_ = 0;
  Nanos next_client_list_ = 0;
  std::map<OptionalCommand, bool> supported_;
  std::map<OptionalCommand, Nanos> retry_refused_at_;
  std::optional<std::map<std::string, std::string>> config_values_;
  std::optional<std::vector<ClientEntry>> clients_;

  // Slowlog across polls.
  SlowlogCursor cursor_;
  std::optional<SlowlogTotals> slowlog_totals_;

  TargetReport report_;
  LogLimiter log_limiter_;

  // Risk model inputs.
  std::vector<RiskSample> risk_window_;  // oldest first
  double slowlog_longest_new_ = 0;  // longest entry first seen since the last sample
  std::optional<double> commands_usec_total_;
  bool last_poll_timed_out_ = false;
  std::optional<KernelCounters> kernel_;
};

}  // namespace rte
