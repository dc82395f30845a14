// A Redis Cluster of throw-away redis-server nodes on free loopback ports, created and grown with
// `redis-cli --cluster`, whose nodes tests can SIGKILL (cluster discovery, issue 12).
#include "redis_cluster.h"

#include <signal.h>

#include <map>
#include <sstream>
#include <stdexcept>

#include "loopback.h"
#include "parse/redis_text.h"
#include "redis_cli.h"
#include "wait_until.h"

namespace rte::testing {
namespace {

constexpr std::chrono::milliseconds kCommandTimeout = std::chrono::seconds(2);

std::string JoinFlags(const std::set<std::string>& flags) {
  std::string s;
  for (const auto& f : flags) s += (s.empty() ? "" : ",") + f;
  return s;
}

// The "field:value" lines of INFO or CLUSTER INFO.
rte::InfoFields Fields(RedisServer& node, const std::vector<std::string>& command) {
  const RedisValue reply = node.Command(command, kCommandTimeout);
  if (reply.is_error()) throw std::runtime_error(command[0] + ": " + reply.str);
  return rte::ParseInfo(reply.str);
}

}  // namespace

std::vector<ClusterNode> ParseClusterNodes(const std::string& text) {
  std::vector<ClusterNode> nodes;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    ClusterNode node;
    std::string address, flags, ping_sent, pong_received, epoch, link, slot;
    if (!(fields >> node.id >> address >> flags >> node.master_id >> ping_sent >> pong_received >>
          epoch >> link)) {
      continue;
    }
    node.address = address.substr(0, address.find_first_of("@,"));
    std::istringstream flag_list(flags);
    std::string flag;
    while (std::getline(flag_list, flag, ',')) node.flags.insert(flag);
    node.serves_slots = static_cast<bool>(fields >> slot);
    nodes.push_back(std::move(node));
  }
  return nodes;
}

RedisCluster::RedisCluster(int masters, std::chrono::milliseconds node_timeout,
                           std::chrono::milliseconds settle_timeout)
    : masters_(static_cast<size_t>(masters)), node_timeout_(node_timeout) {
  std::vector<std::string> args = {"--cluster", "create"};
  for (int i = 0; i < 2 * masters; ++i) {
    nodes_.push_back(StartNode());
    killed_.push_back(false);
    args.push_back(nodes_.back()->address());
  }
  args.insert(args.end(), {"--cluster-replicas", "1", "--cluster-yes"});
  const ExporterRun run = RunRedisCli(args);
  if (run.exit_code != 0) {
    throw std::runtime_error("redis-cli --cluster create: exit " + std::to_string(run.exit_code) +
                             "\n" + run.stdout_text + run.stderr_text);
  }
  WaitUntilSettled(settle_timeout);
}

std::unique_ptr<RedisServer> RedisCluster::StartNode() {
  std::string error;
  // The bus port is chosen here, RedisServer's port inside it: either can be taken meanwhile.
  for (int attempt = 0; attempt < 3; ++attempt) {
    try {
      return std::make_unique<RedisServer>(std::vector<std::string>{
          "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
          "--cluster-node-timeout", std::to_string(node_timeout_.count()), "--cluster-port",
          std::to_string(FreeLoopbackPort()),
          // A replica promotes itself however long ago it last heard from its master.
          "--cluster-replica-validity-factor", "0",
          // Replicas sync at once instead of 5 s later (the default for diskless sync).
          "--repl-diskless-sync-delay", "0"});
    } catch (const std::runtime_error& e) {
      error = e.what();
    }
  }
  throw std::runtime_error("cluster node did not start: " + error);
}

std::vector<std::string> RedisCluster::addresses() const {
  std::vector<std::string> all;
  for (const auto& n : nodes_) all.push_back(n->address());
  return all;
}

std::optional<size_t> RedisCluster::IndexOf(const std::string& address) const {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->address() == address) return i;
  }
  return std::nullopt;
}

std::vector<ClusterNode> RedisCluster::Nodes() {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (killed_[i]) continue;
    const RedisValue reply = nodes_[i]->Command({"CLUSTER", "NODES"}, kCommandTimeout);
    if (reply.is_error()) throw std::runtime_error("CLUSTER NODES: " + reply.str);
    return ParseClusterNodes(reply.str);
  }
  throw std::runtime_error("every cluster node is killed");
}

std::vector<size_t> RedisCluster::Masters() {
  std::vector<size_t> masters;
  for (const auto& n : Nodes()) {
    const auto i = IndexOf(n.address);
    if (i && !killed_[*i] && n.Has("master") && n.serves_slots) masters.push_back(*i);
  }
  return masters;
}

size_t RedisCluster::ReplicaOf(size_t master) {
  const std::vector<ClusterNode> view = Nodes();
  std::string master_id;
  for (const auto& n : view) {
    if (n.address == nodes_[master]->address()) master_id = n.id;
  }
  for (const auto& n : view) {
    const auto i = IndexOf(n.address);
    if (i && !master_id.empty() && n.master_id == master_id && n.Has("slave")) return *i;
  }
  throw std::runtime_error("no replica of " + nodes_[master]->address());
}

std::string RedisCluster::Role(size_t i) {
  return Fields(*nodes_[i], {"INFO", "replication"}).Text("role").value_or("");
}

void RedisCluster::Kill(size_t i) {
  kill(nodes_[i]->pid(), SIGKILL);
  killed_[i] = true;
  // RedisServer reaps it when it is destroyed; until then its port is closed, which is the news.
  const bool gone = WaitUntil(
      [&] {
        try {
          nodes_[i]->CommandOnNewConnection({"PING"}, "", std::chrono::milliseconds(200));
          return false;
        } catch (const std::runtime_error&) {
          return true;
        }
      },
      std::chrono::seconds(10));
  if (!gone) throw std::runtime_error("node " + nodes_[i]->address() + " still answers");
}

size_t RedisCluster::AddNode(std::chrono::milliseconds settle_timeout) {
  std::string existing;
  for (size_t i = 0; i < nodes_.size() && existing.empty(); ++i) {
    if (!killed_[i]) existing = nodes_[i]->address();
  }
  nodes_.push_back(StartNode());
  killed_.push_back(false);
  const ExporterRun run =
      RunRedisCli({"--cluster", "add-node", nodes_.back()->address(), existing});
  if (run.exit_code != 0) {
    throw std::runtime_error("redis-cli --cluster add-node: exit " + std::to_string(run.exit_code) +
                             "\n" + run.stdout_text + run.stderr_text);
  }
  WaitUntilSettled(settle_timeout);
  return nodes_.size() - 1;
}

std::string RedisCluster::Unsettled() {
  size_t dead = 0;
  for (bool k : killed_) dead += k ? 1 : 0;
  std::map<std::string, std::string> first_roles;  // address -> master/slave, first live view
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (killed_[i]) continue;
    const std::string who = nodes_[i]->address() + ": ";
    try {
      const rte::InfoFields info = Fields(*nodes_[i], {"CLUSTER", "INFO"});
      const std::string state = info.Text("cluster_state").value_or("?");
      if (state != "ok") return who + "cluster_state:" + state;
      const double known = info.Number("cluster_known_nodes").value_or(0);
      if (known != static_cast<double>(nodes_.size())) {
        return who + "knows " + std::to_string(static_cast<int>(known)) + " of " +
               std::to_string(nodes_.size()) + " nodes";
      }
      std::map<std::string, std::string> roles;
      size_t serving = 0, live_slaves = 0;
      std::string own_role;
      for (const auto& n :
           ParseClusterNodes(nodes_[i]->Command({"CLUSTER", "NODES"}, kCommandTimeout).str)) {
        const auto index = IndexOf(n.address);
        if (!index) return who + "sees an unknown node " + n.address;
        const bool bad = n.Has("fail") || n.Has("fail?") || n.Has("handshake") || n.Has("noaddr");
        if (killed_[*index] ? !n.Has("fail") : bad) {
          return who + "sees " + n.address + " flagged " + JoinFlags(n.flags);
        }
        roles[n.address] = n.Has("master") ? "master" : "slave";
        if (n.Has("myself")) own_role = roles[n.address];
        if (!killed_[*index] && n.Has("master") && n.serves_slots) ++serving;
        if (!killed_[*index] && n.Has("slave")) ++live_slaves;
      }
      if (serving != masters_) return who + std::to_string(serving) + " masters serve slots";
      if (live_slaves + dead != masters_) return who + std::to_string(live_slaves) + " replicas";
      if (first_roles.empty()) first_roles = roles;
      if (roles != first_roles) return who + "sees other roles than the first live node";
      const rte::InfoFields replication = Fields(*nodes_[i], {"INFO", "replication"});
      const std::string role = replication.Text("role").value_or("?");
      if (role != own_role) return who + "INFO says role:" + role + ", CLUSTER NODES " + own_role;
      if (role == "slave" && replication.Text("master_link_status") != "up") {
        return who + "replication link down";
      }
    } catch (const std::runtime_error& e) {
      return who + e.what();
    }
  }
  return "";
}

void RedisCluster::WaitUntilSettled(std::chrono::milliseconds timeout) {
  std::string why;
  if (!WaitUntil([&] { return (why = Unsettled()).empty(); }, timeout,
                 std::chrono::milliseconds(100))) {
    throw std::runtime_error("cluster not settled after " + std::to_string(timeout.count()) +
                             " ms: " + why);
  }
}

}  // namespace rte::testing
