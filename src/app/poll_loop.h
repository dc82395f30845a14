// The one thread that does all Redis I/O: a libevent loop running every target's poller and
// every cluster and sentinel discovery. The thread count does not grow with the number of
// targets. Each poll result meets the newest kernel reading (taken on the kernel sampler's own
// thread) in the target's derive history, and the report goes to the store. The targets polled
// are the static ones plus what the discoveries find now (file discoveries are read on a
// thread of their own).
#pragma once

#include <event2/event.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "common/clock.h"
#include "config/config.h"
#include "derive/discovery_health.h"
#include "derive/target_history.h"
#include "exposition/report_store.h"
#include "sources/files/target_files.h"
#include "sources/kernel/kernel_sampler.h"
#include "sources/redis/discoverer.h"
#include "sources/redis/secret_cache.h"
#include "sources/redis/target_poller.h"
#include "sources/redis/tls_context_loader.h"

struct evdns_base;

namespace rte {

class PollLoop {
 public:
  PollLoop(const Clock& clock, ReportStore& store, std::string procfs_root = "/proc",
           std::string sysfs_root = "/sys");
  ~PollLoop();
  PollLoop(const PollLoop&) = delete;
  PollLoop& operator=(const PollLoop&) = delete;

  void Start();
  void Stop();
  // Thread-safe, but never on the loop thread: it reads the targets' password files first.
  // Targets whose settings did not change keep their poller and history.
  void Apply(Config config);
  // Before Start: a change every discovered target gets (the triage run samples faster).
  void SetTargetAdjuster(std::function<void(TargetConfig&)> adjust) { adjust_ = std::move(adjust); }
  // Before Start: called on the loop thread with the number of targets polled (static and
  // discovered, after sharding) whenever that set changes.
  void SetTargetsChanged(std::function<void(size_t targets)> changed) {
    targets_changed_ = std::move(changed);
  }

 private:
  // A target's source and its derive state, both used on the loop thread only.
  struct Target {
    std::unique_ptr<TargetHistory> history;
    std::unique_ptr<TargetPoller> poller;
  };

  // A discovery and what it yields now; loop thread only.
  struct Discovery {
    DiscoveryConfig config;
    std::unique_ptr<Discoverer> discoverer;  // cluster and sentinel
    std::vector<TargetConfig> targets;
    DiscoveryRefresh last_ok;  // the last refresh that succeeded
    DiscoveryStatus status;
    std::set<std::string> clashes;  // names dropped for clashing with another target
    std::string last_logged_error;
  };

  static void OnWake(evutil_socket_t, short, void* self);
  void ApplyPending();
  void ApplyConfig(Config config);
  void OnPollResult(TargetHistory& history, const PollResult& result);
  void OnRefresh(const std::string& name, DiscoveryRefresh refresh);
  void OnFileResult(FileDiscoveryResult result);
  void DiscoveryFailed(Discovery& d, const std::string& error);
  // Brings the pollers in line with the static targets and what the discoveries yield.
  void Reconcile();
  void PublishDiscoveries();

  const Clock& clock_;
  ReportStore& store_;
  event_base* base_ = nullptr;
  evdns_base* dns_ = nullptr;
  event* wake_ = nullptr;
  SecretCache secrets_;                           // outlives the pollers
  std::unique_ptr<TlsContextLoader> tls_loader_;  // outlives the pollers, dies before base_
  KernelSampler kernel_;
  std::thread thread_;
  std::mutex mu_;
  std::optional<Config> pending_;                   // guarded by mu_
  std::vector<FileDiscoveryResult> pending_files_;  // guarded by mu_
  std::map<std::string, Target> targets_;           // loop thread only
  // Loop thread only: the config in force, without its targets' pollers.
  std::vector<TargetConfig> static_targets_;
  int shard_count_ = 1;
  int shard_index_ = 0;
  Duration kernel_interval_ = std::chrono::seconds(5);
  bool kernel_stale_ = true;  // a config was applied: tell the sampler even if no target changed
  std::map<std::string, Discovery> discoveries_;
  std::function<void(TargetConfig&)> adjust_;
  std::function<void(size_t)> targets_changed_;
  std::unique_ptr<TargetFileWatcher> files_;  // stopped right after the loop
};

}  // namespace rte
