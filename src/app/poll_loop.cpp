#include "app/poll_loop.h"

#include <event2/dns.h>
#include <event2/thread.h>
#include <spdlog/spdlog.h>

#include <functional>

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
}

PollLoop::~PollLoop() {
  Stop();
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
  // Here, on the caller's thread: the loop only looks the secrets up when it connects.
  secrets_.Prime(config.targets);
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
  store_.Publish(std::make_shared<const TargetReport>(report));
}

void PollLoop::ApplyPending() {
  std::optional<Config> config;
  {
    std::lock_guard lock(mu_);
    config.swap(pending_);
  }
  if (!config) return;
  std::map<std::string, Target> next;
  std::vector<LocalListener> local;
  size_t kept = 0;
  for (const auto& target : config->targets) {
    if (IsLocal(target)) local.push_back({target.name, target.endpoint});
    auto it = targets_.find(target.name);
    if (it != targets_.end() && it->second.poller->config() == target) {
      next[target.name] = std::move(it->second);
      targets_.erase(it);
      ++kept;
      continue;
    }
    Target t;
    t.history = std::make_unique<TargetHistory>(target, IsLocal(target));
    TargetHistory* history = t.history.get();
    t.poller = std::make_unique<TargetPoller>(
        base_, dns_, clock_, secrets_, target,
        [this, history](PollResult result) { OnPollResult(*history, result); }, tls_loader_.get());
    store_.Publish(std::make_shared<const TargetReport>(history->report()));
    t.poller->Start(StartOffset(target));
    next[target.name] = std::move(t);
  }
  for (const auto& [name, target] : targets_) {
    if (!next.contains(name)) store_.Remove(name);
  }
  const size_t removed = targets_.size();
  targets_ = std::move(next);
  kernel_.Configure(std::move(local), config->kernel_interval);
  spdlog::info("event=targets_applied targets={} kept={} replaced_or_removed={}", targets_.size(),
               kept, removed);
}

}  // namespace rte
