#include "derive/discovery_health.h"

#include <map>
#include <set>

namespace rte {

ClusterHealth AssessCluster(const std::vector<ClusterNode>& nodes,
                            const std::string& cluster_state) {
  ClusterHealth h;
  h.state_ok = cluster_state == "ok";
  int served = 0;
  for (const ClusterNode& n : nodes) {
    if (n.handshake || n.noaddr) continue;
    if (n.fail) {
      ++h.nodes_fail;
    } else if (n.pfail) {
      ++h.nodes_pfail;
    } else {
      ++h.nodes_ok;
    }
    if (!n.master) continue;
    if (!n.fail) served += n.slots;
    if ((n.fail || n.pfail) && n.slots > 0) {
      h.failover_in_progress = true;
      h.failing_masters.push_back(n.host + ":" + std::to_string(n.port));
    }
  }
  h.slots_uncovered = std::max(0, kClusterSlots - served);
  if (!h.state_ok) h.failover_in_progress = true;
  return h;
}

SentinelHealth AssessSentinels(const std::vector<SentinelAnswer>& answers) {
  SentinelHealth h;
  std::map<std::pair<std::string, int>, int> votes;
  std::vector<HostPort> order;  // first-seen order, for ties
  for (const SentinelAnswer& a : answers) {
    if (!a.master) continue;
    const auto key = std::make_pair(a.master->host, a.master->port);
    if (votes[key]++ == 0) order.push_back(*a.master);
  }
  int best = 0;
  for (const HostPort& m : order) {
    const int v = votes[{m.host, m.port}];
    if (v > best) {
      best = v;
      h.master = m;
    }
  }
  for (const SentinelAnswer& a : answers) {
    if (!a.master) {
      ++h.unreachable;
    } else if (h.master && *a.master == *h.master) {
      ++h.agree;
    } else {
      ++h.disagree;
    }
  }
  return h;
}

std::vector<Endpoint> DiscoveredEndpoints(const DiscoveryConfig& config,
                                          const DiscoveryRefresh& refresh) {
  bool tls = false;
  for (const Endpoint& seed : config.seeds) tls |= seed.tls;
  std::vector<Endpoint> out;
  std::set<std::pair<std::string, int>> seen;
  const auto add = [&](const std::string& host, int port) {
    if (host.empty() || port <= 0 || !seen.insert({host, port}).second) return;
    Endpoint e;
    e.kind = Endpoint::Kind::kTcp;
    e.host = host;
    e.port = port;
    e.tls = tls;
    out.push_back(std::move(e));
  };
  if (config.type == DiscoveryConfig::Type::kCluster) {
    for (const ClusterNode& n : refresh.cluster_nodes) {
      if (!n.handshake && !n.noaddr) add(n.host, n.port);
    }
  } else if (config.type == DiscoveryConfig::Type::kSentinel) {
    const SentinelHealth health = AssessSentinels(refresh.sentinels);
    if (!health.master) return out;
    add(health.master->host, health.master->port);
    for (const SentinelAnswer& a : refresh.sentinels) {
      if (!a.master || !(*a.master == *health.master)) continue;
      for (const SentinelReplica& r : a.replicas) add(r.address.host, r.address.port);
      break;  // the first sentinel that agrees names the replicas
    }
  }
  return out;
}

int CountFailovers(const DiscoveryRefresh& before, const DiscoveryRefresh& after) {
  if (!before.ok || !after.ok) return 0;
  if (!after.cluster_nodes.empty() || !before.cluster_nodes.empty()) {
    std::set<std::string> replicas_before;
    for (const ClusterNode& n : before.cluster_nodes) {
      if (n.replica) replicas_before.insert(n.id);
    }
    int promoted = 0;
    for (const ClusterNode& n : after.cluster_nodes) {
      if (n.master && replicas_before.contains(n.id)) ++promoted;
    }
    return promoted;
  }
  const SentinelHealth b = AssessSentinels(before.sentinels);
  const SentinelHealth a = AssessSentinels(after.sentinels);
  return b.master && a.master && !(*b.master == *a.master) ? 1 : 0;
}

}  // namespace rte
