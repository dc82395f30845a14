// A Redis Cluster of throw-away redis-server nodes on free loopback ports, created and grown with
// `redis-cli --cluster`, whose nodes tests can SIGKILL (cluster discovery, issue 12).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "redis_server.h"

namespace rte::testing {

// One line of CLUSTER NODES.
struct ClusterNode {
  std::string id;
  std::string address;          // host:port, without "@<bus port>" and ",<hostname>"
  std::set<std::string> flags;  // myself, master, slave, fail?, fail, handshake, noaddr, ...
  std::string master_id;        // "-" for a master
  bool serves_slots = false;    // the line ends in slot ranges
  bool Has(const std::string& flag) const { return flags.count(flag) > 0; }
};
std::vector<ClusterNode> ParseClusterNodes(const std::string& text);

class RedisCluster {
 public:
  // Starts 2 * `masters` nodes (RedisServer with `--cluster-enabled yes`, `--cluster-node-timeout
  // <node_timeout>`, `--cluster-replica-validity-factor 0`, a bus port of its own from
  // FreeLoopbackPort(); nodes.conf in each node's temp dir), runs `redis-cli --cluster create
  // <all> --cluster-replicas 1 --cluster-yes`, and returns once Unsettled() is empty. Throws
  // std::runtime_error (with redis-cli's output or the last Unsettled() answer) otherwise.
  explicit RedisCluster(int masters = 3,
                        std::chrono::milliseconds node_timeout = std::chrono::milliseconds(1000),
                        std::chrono::milliseconds settle_timeout = std::chrono::seconds(30));
  RedisCluster(const RedisCluster&) = delete;
  RedisCluster& operator=(const RedisCluster&) = delete;

  // Every node started, killed ones included; indexes never change.
  size_t size() const { return nodes_.size(); }
  RedisServer& node(size_t i) { return *nodes_[i]; }
  bool killed(size_t i) const { return killed_[i]; }
  std::vector<std::string> addresses() const;
  // The index of the node at host:port; nullopt for an address this object did not start.
  std::optional<size_t> IndexOf(const std::string& address) const;

  // CLUSTER NODES as the first live node sees it.
  std::vector<ClusterNode> Nodes();
  // Live masters that serve slots, and the replica of one of them (with --cluster-replicas 1
  // each master has one); throws std::runtime_error if it has none.
  std::vector<size_t> Masters();
  size_t ReplicaOf(size_t master);
  // "master" or "slave", from the node's own INFO replication.
  std::string Role(size_t i);

  // SIGKILL by PID; returns once the node's port refuses connections. It stays in the list.
  void Kill(size_t i);
  // Starts one more node, runs `redis-cli --cluster add-node <new> <a live node>` (it joins as a
  // master without slots) and returns its index once Unsettled() is empty.
  size_t AddNode(std::chrono::milliseconds settle_timeout = std::chrono::seconds(30));

  // Empty when every live node reports cluster_state:ok and knows size() nodes; sees every live
  // node without fail/fail?/handshake/noaddr flags and every killed node flagged fail; sees the
  // same master/slave roles as the others, `masters` masters serving slots, and one slave per
  // master but one for each killed node (so: at most one node killed per shard); and its own
  // INFO replication agrees with that, with the link to its master up. Otherwise what is not
  // yet so, for an error message.
  std::string Unsettled();
  // Waits until Unsettled() is empty; throws std::runtime_error with its last answer.
  void WaitUntilSettled(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  std::unique_ptr<RedisServer> StartNode();

  size_t masters_;
  std::chrono::milliseconds node_timeout_;
  std::vector<std::unique_ptr<RedisServer>> nodes_;
  std::vector<bool> killed_;
};

}  // namespace rte::testing
