#include "sources/redis/tls_context_loader.h"

#include <algorithm>

namespace rte {

TlsContextLoader::TlsContextLoader(event_base* base) {
  finished_event_ = event_new(base, -1, 0, &TlsContextLoader::OnFinished, this);
  worker_ = std::thread([this] { Work(); });
}

TlsContextLoader::~TlsContextLoader() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  worker_.join();
  event_free(finished_event_);
}

std::uint64_t TlsContextLoader::Load(const TlsConfig& config, Done done) {
  const std::uint64_t ticket = ++next_ticket_;
  waiting_[ticket] = std::move(done);
  {
    std::lock_guard lock(mu_);
    requests_.push_back({ticket, config});
  }
  wake_.notify_one();
  return ticket;
}

void TlsContextLoader::Cancel(std::uint64_t ticket) { waiting_.erase(ticket); }

void TlsContextLoader::Work() {
  for (;;) {
    Request request;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !requests_.empty(); });
      if (stopping_) return;
      request = std::move(requests_.front());
      requests_.pop_front();
    }
    Result<SslCtxPtr> context = Build(request.config);
    {
      std::lock_guard lock(mu_);
      finished_.push_back({request.ticket, std::move(context)});
    }
    event_active(finished_event_, EV_READ, 0);
  }
}

Result<SslCtxPtr> TlsContextLoader::Build(const TlsConfig& config) {
  auto material = ReadTlsMaterial(config);
  if (!material.ok()) return Result<SslCtxPtr>::Error(material.error());
  for (const Cached& c : cache_) {
    if (c.config == config && c.material == material.value()) return c.context;
  }
  auto context = BuildTlsContext(config, material.value());
  if (!context.ok()) return context;
  // One entry per target settings: the newest bytes replace the older ones.
  std::erase_if(cache_, [&](const Cached& c) { return c.config == config; });
  if (cache_.size() >= kMaxCached) cache_.erase(cache_.begin());
  cache_.push_back({config, std::move(material.value()), context.value()});
  return context;
}

void TlsContextLoader::OnFinished(evutil_socket_t, short, void* self) {
  auto* loader = static_cast<TlsContextLoader*>(self);
  std::deque<Finished> finished;
  {
    std::lock_guard lock(loader->mu_);
    finished.swap(loader->finished_);
  }
  for (Finished& f : finished) {
    auto it = loader->waiting_.find(f.ticket);
    if (it == loader->waiting_.end()) continue;  // cancelled
    Done done = std::move(it->second);
    loader->waiting_.erase(it);
    done(std::move(f.context));
  }
}

}  // namespace rte
