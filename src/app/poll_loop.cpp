#include "app/poll_loop.h"

#include <event2/dns.h>
#include <event2/thread.h>
#include <spdlog/spdlog.h>

#include <functional>

namespace rte {

PollLoop::PollLoop(const Clock& clock, ReportStore& store, std::string procfs_root)
    : clock_(clock), store_(store), kernel_counters_(std::move(procfs_root)) {
  evthread_use_pthreads();
  base_ = event_base_new();
  dns_ = evdns_base_new(base_, EVDNS_BASE_INITIALIZE_NAMESERVERS);
  if (dns_ == nullptr) {
    // No resolv.conf (minimal containers): host names then fail to resolve; IPs still work.
    dns_ = evdns_base_new(base_, 0);
  }
  wake_ = event_new(base_, -1, EV_PERSIST, &PollLoop::OnWake, this);
  event_add(wake_, nullptr);
  kernel_tick_ = event_new(base_, -1, EV_PERSIST, &PollLoop::OnKernelTick, this);
}

PollLoop::~PollLoop() {
  Stop();
  pollers_.clear();
  event_free(wake_);
  event_free(kernel_tick_);
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
  {
    std::lock_guard lock(mu_);
    pending_ = std::move(config);
  }
  event_active(wake_, EV_READ, 0);
}

void PollLoop::OnWake(evutil_socket_t, short, void* self) {
  static_cast<PollLoop*>(self)->ApplyPending();
}

void PollLoop::ApplyPending() {
  std::optional<Config> config;
  {
    std::lock_guard lock(mu_);
    config.swap(pending_);
  }
  if (!config) return;
  std::map<std::string, std::unique_ptr<TargetPoller>> next;
  size_t kept = 0;
  for (const auto& target : config->targets) {
    auto it = pollers_.find(target.name);
    if (it != pollers_.end() && it->second->config() == target) {
      next[target.name] = std::move(it->second);
      pollers_.erase(it);
      ++kept;
      continue;
    }
    auto poller = std::make_unique<TargetPoller>(base_, dns_, clock_, store_, target);
    // Spread first polls over up to a second so a large fleet does not start in lockstep.
    const auto spread = std::min<Duration>(target.poll_interval, std::chrono::seconds(1));
    const auto offset = Duration(static_cast<Nanos>(std::hash<std::string>{}(target.name) %
                                                    static_cast<size_t>(spread.count() / 10 + 1)));
    poller->Start(offset);
    next[target.name] = std::move(poller);
  }
  for (const auto& [name, poller] : pollers_) {
    if (!next.contains(name)) store_.Remove(name);
  }
  const size_t removed = pollers_.size();
  pollers_ = std::move(next);
  const Nanos ns = config->kernel_interval.count();
  timeval tv = NanosToTimeval(ns);
  event_add(kernel_tick_, &tv);
  ReadKernel();
  spdlog::info("event=targets_applied targets={} kept={} replaced_or_removed={}", pollers_.size(),
               kept, removed);
}

void PollLoop::OnKernelTick(evutil_socket_t, short, void* self) {
  static_cast<PollLoop*>(self)->ReadKernel();
}

void PollLoop::ReadKernel() {
  auto report = std::make_shared<KernelReport>();
  Nanos started = clock_.MonotonicNanos();
  report->counters = kernel_counters_.Read();
  report->counters_duration_seconds = static_cast<double>(clock_.MonotonicNanos() - started) / 1e9;

  bool any_local = false, any_unix = false;
  for (const auto& [name, poller] : pollers_) {
    poller->SetKernelCounters(report->counters);
    any_local |= poller->local();
    any_unix |= poller->local() && poller->config().endpoint.kind == Endpoint::Kind::kUnix;
  }
  if (any_local) {
    started = clock_.MonotonicNanos();
    auto tcp = listen_queues_.ReadTcp();
    Result<std::vector<UnixListener>> unix_listeners = std::vector<UnixListener>{};
    if (any_unix) unix_listeners = listen_queues_.ReadUnix();
    report->listen_queue_duration_seconds =
        static_cast<double>(clock_.MonotonicNanos() - started) / 1e9;
    report->listen_queue_read = true;
    report->listen_queue_ok = tcp.ok();
    if (!tcp.ok() && !listen_queue_warned_) {
      listen_queue_warned_ = true;
      spdlog::warn("event=listen_queue_unavailable error=\"{}\" effect=\"listen_queue_* series "
                   "absent\"",
                   tcp.error());
    }
    for (const auto& [name, poller] : pollers_) {
      if (!poller->local()) continue;
      const Endpoint& ep = poller->config().endpoint;
      std::optional<TargetReport::ListenQueue> queue;
      if (ep.kind == Endpoint::Kind::kTcp && tcp.ok()) {
        if (const TcpListener* l =
                FindListener(tcp.value(), static_cast<std::uint16_t>(ep.port), ep.host)) {
          queue = TargetReport::ListenQueue{static_cast<double>(l->rqueue),
                                            static_cast<double>(l->wqueue)};
        }
      } else if (ep.kind == Endpoint::Kind::kUnix && unix_listeners.ok()) {
        if (const UnixListener* l = FindUnixListener(unix_listeners.value(), ep.path)) {
          queue = TargetReport::ListenQueue{static_cast<double>(l->rqueue),
                                            static_cast<double>(l->wqueue)};
        }
      }
      poller->SetListenQueue(queue);
    }
  }
  store_.PublishKernel(std::move(report));
}

}  // namespace rte
