// Pure: a discovery refresh → the targets it yields and the health of the cluster or sentinel
// group behind them (the evidence for a failover in progress).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "snapshot/discovery.h"

namespace rte {

struct ClusterHealth {
  bool state_ok = false;  // cluster_state:ok as the node asked sees it
  int slots_uncovered = kClusterSlots;
  int nodes_ok = 0;
  int nodes_pfail = 0;
  int nodes_fail = 0;
  // A master flagged fail or fail? still holds slots, or the cluster is down: clients wait
  // for cluster-node-timeout or get CLUSTERDOWN.
  bool failover_in_progress = false;
  std::vector<std::string> failing_masters;  // host:port of those masters
};
ClusterHealth AssessCluster(const std::vector<ClusterNode>& nodes,
                            const std::string& cluster_state);

struct SentinelHealth {
  int agree = 0;     // name the majority's master
  int disagree = 0;  // name another master
  int unreachable = 0;
  std::optional<HostPort> master;  // the majority's (ties: the first sentinel's of them)
};
SentinelHealth AssessSentinels(const std::vector<SentinelAnswer>& answers);

// The addresses a refresh finds: a cluster's nodes with an address (failed ones included: they
// are the news), or the sentinels' master and its replicas. `tls` follows the seeds' scheme.
std::vector<Endpoint> DiscoveredEndpoints(const DiscoveryConfig& config,
                                          const DiscoveryRefresh& refresh);

// A discovery as /metrics and the triage page show it.
struct DiscoveryStatus {
  std::string name;
  std::string type;  // cluster, sentinel, file
  int targets = 0;
  double last_success_wall = 0;  // 0 before the first success
  double errors_total = 0;
  double failovers_total = 0;
  std::string last_error;  // empty after a success
  std::optional<ClusterHealth> cluster;
  std::optional<SentinelHealth> sentinel;
};

// Masters that were replicas (cluster, by node id) or a master address that changed
// (sentinel) between two successful refreshes.
int CountFailovers(const DiscoveryRefresh& before, const DiscoveryRefresh& after);

}  // namespace rte
