#include "derive/serving.h"

#include <fmt/format.h>

namespace rte {

const char* NotServingName(NotServing reason) {
  switch (reason) {
    case NotServing::kNone:
      return "";
    case NotServing::kLoading:
      return "loading";
    case NotServing::kBusyScript:
      return "busy_script";
    case NotServing::kMasterDown:
      return "master_down";
    case NotServing::kWritesPaused:
      return "writes_paused";
  }
  return "unknown";
}

ServingState AssessServing(ServerRefusal poll_refusal, const RedisSignals* signals,
                           const ProbeFigures& probe) {
  ServingState out;
  const bool info_loading = signals != nullptr && signals->loading.value_or(0) > 0;
  if (info_loading || poll_refusal == ServerRefusal::kLoading ||
      probe.ping_refusal == ServerRefusal::kLoading) {
    out.reason = NotServing::kLoading;
    std::string progress;
    if (signals != nullptr && signals->loading_progress_ratio) {
      progress = fmt::format(": {:.0f}% done", *signals->loading_progress_ratio * 100);
      if (signals->loading_eta_seconds) {
        progress += fmt::format(", about {:.0f} s left", *signals->loading_eta_seconds);
      }
    }
    out.detail = fmt::format(
        "loading its dataset into memory{}; commands get -LOADING errors until it is done (a "
        "restart, or a replica's full sync). Wait, and look at why it restarted (INFO server "
        "uptime_in_seconds, the Redis log)",
        progress);
    return out;
  }
  if (poll_refusal == ServerRefusal::kBusy || probe.ping_refusal == ServerRefusal::kBusy) {
    out.reason = NotServing::kBusyScript;
    out.detail =
        "a script or function has run past busy-reply-threshold: every other command gets "
        "-BUSY. SCRIPT KILL or FUNCTION KILL stops it if it has not written (SHUTDOWN NOSAVE "
        "otherwise); find the script in SLOWLOG once it ends";
    return out;
  }
  if (poll_refusal == ServerRefusal::kMasterDown ||
      probe.ping_refusal == ServerRefusal::kMasterDown) {
    out.reason = NotServing::kMasterDown;
    out.detail =
        "a replica that lost its master, with replica-serve-stale-data no: commands get "
        "-MASTERDOWN until the link is back (INFO replication master_link_status)";
    return out;
  }
  const bool info_paused = signals != nullptr && signals->paused_actions &&
                           *signals->paused_actions != "none" && !signals->paused_actions->empty();
  if (info_paused || probe.writes_held.value_or(false)) {
    out.reason = NotServing::kWritesPaused;
    out.detail =
        info_paused
            ? fmt::format(
                  "clients are paused (INFO clients paused_actions:{}): every write waits "
                  "until the pause ends; CLIENT UNPAUSE ends it, or wait for the FAILOVER "
                  "or migration that paused it",
                  *signals->paused_actions)
            : "writes are paused (CLIENT PAUSE WRITE, a FAILOVER or a migration tool): a "
              "PUBLISH probe waited past client_timeout while PING answered, so every write "
              "waits and times out until the pause ends; CLIENT UNPAUSE ends it";
  }
  return out;
}

}  // namespace rte
