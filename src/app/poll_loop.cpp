#include "app/poll_loop.h"

#include <event2/dns.h>
#include <event2/thread.h>
#include <spdlog/spdlog.h>

#include <functional>

#include "app/shard.h"
#include "sources/kernel/local_address.h"

namespace rte {
namespace {

// First polls are spread over at most this much (or one poll interval, if shorter), so a
// large fleet does not poll in lockstep.
constexpr Duration kMaxStartSpread = std::chrono::seconds(1);

Duration StartOffset(const TargetConfig& target) {
  const Duration spread = std::min<Duration>(target.poll_interval, kMaxStartSpread);
  const auto slot = std::hash<std::string>{}(target.name) % static_cast<size_t>(spread.count() + 1);
  return Duration(static_cast<Nanos>(slot));
}

bool IsLocal(const TargetConfig& target) {
  return target.local.value_or(target.endpoint.kind == Endpoint::Kind::kUnix ||
                               IsLocalAddress(target.endpoint.host));
}

}  // namespace

PollLoop::PollLoop(const Clock& clock, ReportStore& store, std::string procfs_root,
                   std::string sysfs_root)
    : clock_(clock),
      store_(store),
      kernel_(std::move(procfs_root), std::move(sysfs_root),
              [&store](std::shared_ptr<const KernelSnapshot> reading) {
                store.PublishKernel(std::move(reading));
              }) {
  evthread_use_pthreads();
  base_ = event_base_new();
  dns_ = evdns_base_new(base_, EVDNS_BASE_INITIALIZE_NAMESERVERS);
  if (dns_ == nullptr) {
    // No resolv.conf (minimal containers): host names then fail to resolve; IPs still work.
    dns_ = evdns_base_new(base_, 0);
  }
  wake_ = event_new(base_, -1, EV_PERSIST, &PollLoop::OnWake, this);
  event_add(wake_, nullptr);
  tls_loader_ = std::make_unique<TlsContextLoader>(base_);
  files_ = std::make_unique<TargetFileWatcher>(
      [this](FileDiscoveryResult result) { OnFileResult(std::move(result)); });
}

PollLoop::~PollLoop() {
  // The loop first (it may be configuring the watcher), then the watcher: a result it hands
  // over meanwhile only activates wake_, still alive.
  Stop();
  files_.reset();
  discoveries_.clear();
  targets_.clear();
  tls_loader_.reset();
  event_free(wake_);
  evdns_base_free(dns_, 0);
  event_base_free(base_);
}

void PollLoop::Start() {
  thread_ = std::thread([this] { event_base_loop(base_, EVLOOP_NO_EXIT_ON_EMPTY); });
}

void PollLoop::Stop() {
  if (!thread_.joinable()) return;
  event_base_loopbreak(base_);
  thread_.join();
}

void PollLoop::Apply(Config config) {
  // Here, on the caller's thread: the loop only looks the secrets up when it connects. A
  // discovery's targets use the password of its entry; a sentinel discovery has its own.
  std::vector<SecretSource> secrets;
  for (const TargetConfig& t : config.targets) secrets.push_back(t.password);
  for (const DiscoveryConfig& d : config.discovery) {
    secrets.push_back(d.base.password);
    secrets.push_back(d.sentinel_auth);
  }
  secrets_.Prime(secrets);
  {
    std::lock_guard lock(mu_);
    pending_ = std::move(config);
  }
  event_active(wake_, EV_READ, 0);
}

void PollLoop::OnWake(evutil_socket_t, short, void* self) {
  static_cast<PollLoop*>(self)->ApplyPending();
}

void PollLoop::OnPollResult(TargetHistory& history, const PollResult& result) {
  if (history.local() && result.redis) {
    // The sampler reads the Redis process's swap; its PID changes only with a restart.
    if (auto pid = result.redis->info.Number("process_id"); pid && *pid != history.pid()) {
      history.set_pid(*pid);
      kernel_.SetProcess(history.report().config.name, static_cast<long>(*pid));
    }
  }
  const auto kernel = kernel_.Latest();
  const TargetReport& report = history.Advance(result, kernel.get());
  if (report.slowlog_lost_this_poll > 0) {
    spdlog::info("event=slowlog_entries_lost target={} lost={} hint=\"{}\"", report.config.name,
                 report.slowlog_lost_this_poll, "raise slowlog-max-len or slowlog_fetch");
  }
  store_.Publish(history.Shared());
}

void PollLoop::OnFileResult(FileDiscoveryResult result) {
  // On the watcher's thread: the secrets of the files' targets are read here, off the loop.
  std::vector<SecretSource> sources;
  for (const TargetConfig& t : result.targets) {
    if (!t.password.file.empty()) sources.push_back(t.password);
  }
  secrets_.Add(sources);
  {
    std::lock_guard lock(mu_);
    pending_files_.push_back(std::move(result));
  }
  event_active(wake_, EV_READ, 0);
}

void PollLoop::ApplyPending() {
  std::optional<Config> config;
  std::vector<FileDiscoveryResult> files;
  {
    std::lock_guard lock(mu_);
    config.swap(pending_);
    files.swap(pending_files_);
  }
  if (config) ApplyConfig(std::move(*config));
  if (files.empty()) {
    if (config) Reconcile();
    return;
  }
  const double now = clock_.WallSeconds();
  for (FileDiscoveryResult& result : files) {
    auto it = discoveries_.find(result.discovery);
    if (it == discoveries_.end() || it->second.config.type != DiscoveryConfig::Type::kFile) {
      continue;  // removed by a reload meanwhile
    }
    Discovery& d = it->second;
    d.targets = std::move(result.targets);
    if (adjust_) {
      for (TargetConfig& t : d.targets) adjust_(t);
    }
    if (result.errors.empty()) {
      d.status.last_success_wall = now;
      d.status.last_error.clear();
      d.last_logged_error.clear();
    } else {
      for (const std::string& error : result.errors) DiscoveryFailed(d, error);
    }
  }
  Reconcile();
}

void PollLoop::ApplyConfig(Config config) {
  static_targets_ = std::move(config.targets);
  shard_count_ = config.shard_count;
  shard_index_ = config.shard_index;
  kernel_interval_ = config.kernel_interval;
  kernel_stale_ = true;
  std::map<std::string, Discovery> next;
  std::vector<std::string> to_start;
  for (DiscoveryConfig& dc : config.discovery) {
    auto it = discoveries_.find(dc.name);
    if (it != discoveries_.end() && it->second.config == dc) {
      next.emplace(dc.name, std::move(it->second));
      continue;
    }
    Discovery d;
    if (it != discoveries_.end() && it->second.config.type == dc.type) {
      // Settings changed: what it found stays, with the new settings, until it looks again.
      d = std::move(it->second);
      d.discoverer.reset();
      if (dc.type != DiscoveryConfig::Type::kFile) {
        for (TargetConfig& t : d.targets) {
          t = DiscoveredTarget(dc, t.endpoint);
          if (adjust_) adjust_(t);
        }
      }
    } else {
      d.status.name = dc.name;
      d.status.type = DiscoveryTypeName(dc.type);
    }
    d.config = dc;
    if (dc.type != DiscoveryConfig::Type::kFile) {
      d.discoverer =
          std::make_unique<Discoverer>(base_, dns_, clock_, secrets_, tls_loader_.get(), dc,
                                       [this, name = dc.name](DiscoveryRefresh refresh) {
                                         OnRefresh(name, std::move(refresh));
                                       });
      std::vector<Endpoint> known;
      for (const TargetConfig& t : d.targets) known.push_back(t.endpoint);
      d.discoverer->SetKnown(std::move(known));
      to_start.push_back(dc.name);
    }
    next.emplace(dc.name, std::move(d));
  }
  discoveries_ = std::move(next);
  files_->Configure(config.discovery);
  // Started once in the map: a refresh may end at once (a missing password) and look it up.
  for (const std::string& name : to_start) {
    auto it = discoveries_.find(name);
    if (it != discoveries_.end() && it->second.discoverer) it->second.discoverer->Start();
  }
}

void PollLoop::DiscoveryFailed(Discovery& d, const std::string& error) {
  ++d.status.errors_total;
  d.status.last_error = error;
  if (error == d.last_logged_error) return;  // the same failure again: logged already
  d.last_logged_error = error;
  spdlog::warn("event=discovery_failed discovery={} type={} error=\"{}\"", d.config.name,
               d.status.type, error);
}

void PollLoop::OnRefresh(const std::string& name, DiscoveryRefresh refresh) {
  auto it = discoveries_.find(name);
  if (it == discoveries_.end()) return;
  Discovery& d = it->second;
  if (!refresh.ok) {
    DiscoveryFailed(d, refresh.error);
    PublishDiscoveries();
    return;
  }
  const int failovers = CountFailovers(d.last_ok, refresh);
  if (failovers > 0) {
    d.status.failovers_total += failovers;
    spdlog::warn("event=failover_seen discovery={} type={} failovers={}", d.config.name,
                 d.status.type, failovers);
  }
  for (const SentinelAnswer& a : refresh.sentinels) {
    if (!a.master) DiscoveryFailed(d, a.sentinel + ": " + a.error);
  }
  if (d.config.type == DiscoveryConfig::Type::kCluster) {
    d.status.cluster = AssessCluster(refresh.cluster_nodes, refresh.cluster_state);
  } else {
    d.status.sentinel = AssessSentinels(refresh.sentinels);
  }
  d.status.last_success_wall = clock_.WallSeconds();
  if (d.status.sentinel && d.status.sentinel->unreachable > 0) {
    // Still a success (a majority answered); the unreachable ones are counted above.
  } else {
    d.status.last_error.clear();
    d.last_logged_error.clear();
  }
  std::vector<Endpoint> endpoints = DiscoveredEndpoints(d.config, refresh);
  d.targets.clear();
  for (const Endpoint& e : endpoints) {
    d.targets.push_back(DiscoveredTarget(d.config, e));
    if (adjust_) adjust_(d.targets.back());
  }
  d.discoverer->SetKnown(std::move(endpoints));
  d.last_ok = std::move(refresh);
  Reconcile();
}

void PollLoop::PublishDiscoveries() {
  std::vector<DiscoveryStatus> list;
  for (auto& [name, d] : discoveries_) {
    d.status.targets = static_cast<int>(d.targets.size());
    list.push_back(d.status);
  }
  store_.PublishDiscoveries(std::move(list));
}

void PollLoop::Reconcile() {
  std::vector<const TargetConfig*> wanted;
  std::set<std::string> names;
  for (const TargetConfig& t : static_targets_) {
    names.insert(t.name);
    wanted.push_back(&t);
  }
  for (auto& [dname, d] : discoveries_) {
    std::set<std::string> clashes;
    for (const TargetConfig& t : d.targets) {
      if (shard_count_ > 1 && ShardOf(t.name, shard_count_) != shard_index_) continue;
      if (!names.insert(t.name).second) {
        clashes.insert(t.name);
        continue;
      }
      wanted.push_back(&t);
    }
    for (const std::string& name : clashes) {
      if (!d.clashes.contains(name)) {
        DiscoveryFailed(d, "target '" + name +
                               "' is already a static target or another discovery's; "
                               "the discovered one is not polled");
      }
    }
    d.clashes = std::move(clashes);
  }
  PublishDiscoveries();

  std::map<std::string, Target> next;
  std::vector<LocalListener> local;
  size_t kept = 0;
  for (const TargetConfig* wanted_target : wanted) {
    const TargetConfig& target = *wanted_target;
    auto it = targets_.find(target.name);
    if (it != targets_.end() && it->second.poller->config() == target) {
      // Whether it is local was decided when its poller was made (IsLocal lists interfaces).
      if (it->second.history->local()) local.push_back({target.name, target.endpoint});
      next[target.name] = std::move(it->second);
      targets_.erase(it);
      ++kept;
      continue;
    }
    Target t;
    const bool is_local = IsLocal(target);
    if (is_local) local.push_back({target.name, target.endpoint});
    t.history = std::make_unique<TargetHistory>(target, is_local);
    TargetHistory* history = t.history.get();
    t.poller = std::make_unique<TargetPoller>(
        base_, dns_, clock_, secrets_, target,
        [this, history](PollResult result) { OnPollResult(*history, result); }, tls_loader_.get());
    store_.Publish(history->Shared());
    t.poller->Start(StartOffset(target));
    next[target.name] = std::move(t);
  }
  for (const auto& [name, target] : targets_) {
    if (!next.contains(name)) store_.Remove(name);
  }
  const size_t removed = targets_.size();
  targets_ = std::move(next);
  const bool changed = kept != targets_.size() || removed != 0;
  if (changed || kernel_stale_) kernel_.Configure(std::move(local), kernel_interval_);
  kernel_stale_ = false;
  if (!changed) return;
  spdlog::info("event=targets_applied targets={} kept={} replaced_or_removed={}", targets_.size(),
               kept, removed);
  if (targets_changed_) targets_changed_(targets_.size());
}

}  // namespace rte
