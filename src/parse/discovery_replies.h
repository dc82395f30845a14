// Pure parsers for what discovery asks: CLUSTER NODES (a Redis Cluster's members and their
// health) and SENTINEL GET-MASTER-ADDR-BY-NAME / SENTINEL REPLICAS (a Sentinel's view).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "parse/reply.h"

namespace rte {

inline constexpr int kClusterSlots = 16384;

// One line of CLUSTER NODES:
// <id> <ip:port@cport[,hostname]> <flags> <master-id|-> <ping> <pong> <epoch> <link> <slot>...
struct ClusterNode {
  std::string id;
  std::string host;  // empty for a node without an address (noaddr, or still in handshake)
  int port = 0;
  bool myself = false;
  bool master = false;
  bool replica = false;
  bool pfail = false;  // "fail?": this node suspects it
  bool fail = false;   // the cluster agreed it failed
  bool handshake = false;
  bool noaddr = false;
  bool connected = false;  // link-state
  std::string master_id;   // a replica's master; empty for a master
  int slots = 0;           // slots served (ranges counted; migrating/importing markers not)
};
Result<std::vector<ClusterNode>> ParseClusterNodes(std::string_view text);

// SENTINEL GET-MASTER-ADDR-BY-NAME: [ip, port]. A nil reply (an unknown master name) is an
// error naming it.
struct HostPort {
  std::string host;
  int port = 0;
  bool operator==(const HostPort&) const = default;
};
Result<HostPort> ParseSentinelMasterAddress(const Reply& reply);

// SENTINEL REPLICAS <name>: one flat field/value array per replica.
struct SentinelReplica {
  HostPort address;
  std::string flags;  // e.g. "slave", "slave,s_down,disconnected"
  bool down() const;  // s_down, o_down or disconnected
};
Result<std::vector<SentinelReplica>> ParseSentinelReplicas(const Reply& reply);

}  // namespace rte
