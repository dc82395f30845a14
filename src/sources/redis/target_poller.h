// Polls one Redis target on its own schedule over one persistent connection and hands a
// PollResult (the snapshot, or why the poll failed, plus the probe figures) to its consumer
// after every poll. Only fetches: judging is derive's. Runs entirely on the poll loop's thread.
#pragma once

#include <event2/event.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/log_limiter.h"
#include "config/config.h"
#include "snapshot/poll.h"
#include "sources/redis/latency_probe.h"
#include "sources/redis/poll_batch.h"
#include "sources/redis/resp_connection.h"
#include "sources/redis/secret_cache.h"

namespace rte {

class TargetPoller {
 public:
  // Called on the loop thread after every poll, successful or not.
  using ResultCallback = std::function<void(PollResult)>;

  // `secrets` holds the password files, read off the loop thread; it outlives the poller.
  // `tls_loader` reads the TLS files of rediss:// targets off the loop thread (may be null for
  // plain targets).
  TargetPoller(event_base* base, evdns_base* dns, const Clock& clock, const SecretCache& secrets,
               TargetConfig config, ResultCallback on_result,
               TlsContextLoader* tls_loader = nullptr);
  ~TargetPoller();
  TargetPoller(const TargetPoller&) = delete;
  TargetPoller& operator=(const TargetPoller&) = delete;

  // Schedules the first poll after `first_delay`, then one every poll_interval.
  void Start(Duration first_delay);
  const TargetConfig& config() const { return config_; }

 private:
  static void OnTick(evutil_socket_t, short, void* self);
  void ScheduleNextTick();
  void BeginPoll();
  void SendBatch();
  void OnReply(std::uint64_t poll_id, size_t index, CommandOutcome outcome);
  void CompleteBatch();
  bool Wanted(OptionalCommand command) const;
  void Refused(OptionalCommand command, const std::string& error_text);
  void FailPoll(PollError error, bool close_connection);
  void FinishPoll(std::optional<RedisSnapshot> snapshot);

  event_base* base_;
  const Clock& clock_;
  const SecretCache& secrets_;
  TargetConfig config_;
  ResultCallback on_result_;
  RespConnection conn_;
  LatencyProbe probe_;
  event* tick_ = nullptr;
  Nanos next_tick_ = 0;

  // Poll in flight.
  bool polling_ = false;
  std::uint64_t poll_id_ = 0;
  Nanos poll_started_ = 0;
  bool needs_handshake_ = true;
  // The connection has given a reply: a close after it is not the maxclients kind of refusal.
  bool connection_answered_ = false;
  std::vector<BatchCommand> batch_;
  std::vector<Reply> replies_;
  size_t outstanding_ = 0;
  PollResult result_;  // filled while the poll runs, handed over at its end

  // Connection health.
  Nanos next_connect_ = 0;
  Duration backoff_{0};
  bool multi_section_info_ = true;

  // Slower cadences and managed-Redis fallbacks.
  Nanos next_config_ = 0;
  Nanos next_client_list_ = 0;
  bool client_list_backed_off_ = false;  // many clients: CLIENT LIST less often than each poll
  std::map<OptionalCommand, bool> supported_;
  std::map<OptionalCommand, Nanos> retry_refused_at_;
  std::optional<std::map<std::string, std::string>> config_values_;
  std::optional<std::vector<ClientEntry>> clients_;

  std::optional<PollError> last_error_;  // of the newest failed attempt, while failing

  LogLimiter log_limiter_;
};

}  // namespace rte
