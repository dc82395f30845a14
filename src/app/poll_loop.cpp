#include "app/poll_loop.h"

#include <event2/dns.h>
#include <event2/thread.h>
#include <spdlog/spdlog.h>

#include <functional>

namespace rte {

PollLoop::PollLoop(const Clock& clock, ReportStore& store) : clock_(clock), store_(store) {
  evthread_use_pthreads();
  base_ = event_base_new();
  dns_ = evdns_base_new(base_, EVDNS_BASE_INITIALIZE_NAMESERVERS);
  if (dns_ == nullptr) {
    // No resolv.conf (minimal containers): host names then fail to resolve; IPs still work.
    dns_ = evdns_base_new(base_, 0);
  }
  wake_ = event_new(base_, -1, EV_PERSIST, &PollLoop::OnWake, this);
  event_add(wake_, nullptr);
}

PollLoop::~PollLoop() {
  Stop();
  pollers_.clear();
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
  spdlog::info("event=targets_applied targets={} kept={} replaced_or_removed={}", pollers_.size(),
               kept, removed);
}

}  // namespace rte
