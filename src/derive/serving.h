// Whether a target that answers is serving its clients: loading its dataset, blocked in a
// script, a replica without its master, or with writes paused answers the exporter but fails
// or holds the application's commands. Pure: the newest poll's and probes' figures in.
#pragma once

#include <array>
#include <string>

#include "derive/signals.h"
#include "snapshot/probe_figures.h"

namespace rte {

enum class NotServing {
  kNone,          // serving
  kLoading,       // -LOADING: the dataset is loading (start, restart, full sync of a replica)
  kBusyScript,    // -BUSY: a script or function runs past busy-reply-threshold
  kMasterDown,    // -MASTERDOWN: a replica without its master, replica-serve-stale-data no
  kWritesPaused,  // CLIENT PAUSE WRITE (FAILOVER, migration tools): writes wait
};
inline constexpr std::array<NotServing, 4> kNotServingReasons = {
    NotServing::kLoading, NotServing::kBusyScript, NotServing::kMasterDown,
    NotServing::kWritesPaused};
// The `reason` label of redis_timeout_target_not_serving_info.
const char* NotServingName(NotServing reason);

struct ServingState {
  NotServing reason = NotServing::kNone;
  std::string detail;  // what the triage output says: the state, its evidence, what to do
  bool serving() const { return reason == NotServing::kNone; }
};

// `poll_refusal`: the newest poll's INFO refusal; `signals`: the newest poll's signals, null
// when it failed; `probe`: the probes' newest figures.
ServingState AssessServing(ServerRefusal poll_refusal, const RedisSignals* signals,
                           const ProbeFigures& probe);

}  // namespace rte
