// A cluster or sentinel discovery on the poll loop: every refresh_interval it asks the seeds
// (cluster: CLUSTER NODES and CLUSTER INFO of the first node that answers, the nodes already
// known tried after the seeds) or every sentinel (SENTINEL GET-MASTER-ADDR-BY-NAME and
// SENTINEL REPLICAS) over the same connection code as polling, TLS and AUTH included, and hands
// the answers over. Never blocks the loop; a refresh in flight makes the next tick wait.
#pragma once

#include <event2/event.h>

#include <functional>
#include <memory>
#include <vector>

#include "common/clock.h"
#include "config/config.h"
#include "snapshot/discovery.h"
#include "sources/redis/resp_connection.h"
#include "sources/redis/secret_cache.h"

struct evdns_base;

namespace rte {

class Discoverer {
 public:
  using RefreshCallback = std::function<void(DiscoveryRefresh)>;

  // `config` is a cluster or sentinel discovery. `secrets` and `tls_loader` outlive it.
  Discoverer(event_base* base, evdns_base* dns, const Clock& clock, const SecretCache& secrets,
             TlsContextLoader* tls_loader, DiscoveryConfig config, RefreshCallback on_refresh);
  ~Discoverer();
  Discoverer(const Discoverer&) = delete;
  Discoverer& operator=(const Discoverer&) = delete;

  // The first refresh now, then one every refresh_interval.
  void Start();
  // Cluster: the nodes to ask when no seed answers (the nodes found last).
  void SetKnown(std::vector<Endpoint> known) { known_ = std::move(known); }
  const DiscoveryConfig& config() const { return config_; }

 private:
  static void OnTick(evutil_socket_t, short, void* self);
  void Refresh();
  // Cluster: asks candidate `index`; on failure moves to the next one.
  void AskClusterNode(size_t index);
  void AskSentinel(size_t index);
  void SentinelDone(size_t index);
  void Finish();
  // Connects `conn` to `endpoint`, sends AUTH (when `auth` is given) and `commands`, and calls
  // `done` once with the replies of `commands` or the first failure, in words.
  void Ask(RespConnection& conn, const Endpoint& endpoint,
           std::optional<std::vector<std::string>> auth,
           std::vector<std::vector<std::string>> commands,
           std::function<void(std::string error, std::vector<Reply> replies)> done);
  std::unique_ptr<RespConnection> NewConnection();

  event_base* base_;
  evdns_base* dns_;
  const Clock& clock_;
  const SecretCache& secrets_;
  TlsContextLoader* tls_loader_;
  const DiscoveryConfig config_;
  RefreshCallback on_refresh_;
  event* tick_ = nullptr;
  std::vector<Endpoint> known_;

  // The refresh in flight.
  bool refreshing_ = false;
  std::uint64_t refresh_id_ = 0;
  std::vector<Endpoint> candidates_;
  std::vector<std::unique_ptr<RespConnection>> conns_;  // closed at its end, freed at the next
  DiscoveryRefresh refresh_;
  std::vector<std::string> errors_;
  size_t sentinels_left_ = 0;
};

}  // namespace rte
