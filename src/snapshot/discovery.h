// One refresh of one cluster or sentinel discovery as the sources hand it over: what the
// servers asked answered, or why nothing did. Judging it is derive's (discovery_health).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "parse/discovery_replies.h"

namespace rte {

// One sentinel's answer (every sentinel is asked, so disagreement shows).
struct SentinelAnswer {
  std::string sentinel;            // its address as configured
  std::optional<HostPort> master;  // absent: unreachable or no answer (see error)
  std::vector<SentinelReplica> replicas;
  std::string error;
};

struct DiscoveryRefresh {
  bool ok = false;
  std::string error;  // why no server answered; never a secret
  // cluster: CLUSTER NODES and the cluster_state of CLUSTER INFO, from the node that answered.
  std::string asked;  // that node's address
  std::vector<ClusterNode> cluster_nodes;
  std::string cluster_state;
  // sentinel: every sentinel's answer.
  std::vector<SentinelAnswer> sentinels;
};

}  // namespace rte
