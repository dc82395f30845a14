#include "parse/discovery_replies.h"

#include <charconv>

namespace rte {
namespace {

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && line[pos] == ' ') ++pos;
    const size_t end = line.find(' ', pos);
    const size_t stop = end == std::string_view::npos ? line.size() : end;
    if (stop > pos) out.push_back(line.substr(pos, stop - pos));
    pos = stop;
  }
  return out;
}

bool ToInt(std::string_view text, int& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool ValidPort(int port) { return port >= 0 && port <= 65535; }

// "ip:port@cport[,hostname]"; the ip may be IPv6 (the port follows the last ':').
bool ParseNodeAddress(std::string_view text, ClusterNode& node) {
  const size_t at = text.find('@');
  std::string_view host_port = text.substr(0, at);
  const size_t colon = host_port.rfind(':');
  if (colon == std::string_view::npos) return false;
  if (!ToInt(host_port.substr(colon + 1), node.port) || !ValidPort(node.port)) return false;
  node.host = std::string(host_port.substr(0, colon));
  return true;
}

// "0-5460", "5461", or "[5461->-<id>]" / "[5461-<-<id>]" (a slot migrating: not counted).
bool CountSlots(std::string_view text, int& slots) {
  if (!text.empty() && text.front() == '[') return true;
  const size_t dash = text.find('-');
  int first = 0;
  int last = 0;
  if (dash == std::string_view::npos) {
    if (!ToInt(text, first)) return false;
    last = first;
  } else if (!ToInt(text.substr(0, dash), first) || !ToInt(text.substr(dash + 1), last)) {
    return false;
  }
  if (first < 0 || last < first || last >= kClusterSlots) return false;
  slots += last - first + 1;
  return true;
}

}  // namespace

Result<std::vector<ClusterNode>> ParseClusterNodes(std::string_view text) {
  using Out = Result<std::vector<ClusterNode>>;
  std::vector<ClusterNode> nodes;
  size_t pos = 0;
  int line_number = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const auto fields = Fields(line);
    const std::string where = "CLUSTER NODES line " + std::to_string(line_number);
    if (fields.size() < 8) return Out::Error(where + ": fewer than 8 fields");
    ClusterNode node;
    node.id = std::string(fields[0]);
    if (!ParseNodeAddress(fields[1], node)) return Out::Error(where + ": bad address");
    std::string_view flags = fields[2];
    while (!flags.empty()) {
      const size_t comma = flags.find(',');
      const std::string_view flag = flags.substr(0, comma);
      node.myself |= flag == "myself";
      node.master |= flag == "master";
      node.replica |= flag == "slave";
      node.pfail |= flag == "fail?";
      node.fail |= flag == "fail";
      node.handshake |= flag == "handshake";
      node.noaddr |= flag == "noaddr";
      flags = comma == std::string_view::npos ? std::string_view() : flags.substr(comma + 1);
    }
    if (fields[3] != "-") node.master_id = std::string(fields[3]);
    node.connected = fields[7] == "connected";
    for (size_t i = 8; i < fields.size(); ++i) {
      if (!CountSlots(fields[i], node.slots)) return Out::Error(where + ": bad slot range");
    }
    if (node.slots > kClusterSlots) return Out::Error(where + ": more slots than a cluster has");
    nodes.push_back(std::move(node));
  }
  return nodes;
}

Result<HostPort> ParseSentinelMasterAddress(const Reply& reply) {
  if (reply.is_error()) return Result<HostPort>::Error("the sentinel answered: " + reply.str);
  if (reply.type == Reply::Type::kNil) {
    return Result<HostPort>::Error("the sentinel does not monitor a master of that name");
  }
  if (reply.type != Reply::Type::kArray || reply.elements.size() != 2) {
    return Result<HostPort>::Error("expected [ip, port]");
  }
  HostPort out;
  out.host = reply.elements[0].str;
  if (out.host.empty() || !ToInt(reply.elements[1].str, out.port) || out.port <= 0 ||
      out.port > 65535) {
    return Result<HostPort>::Error("expected [ip, port]");
  }
  return out;
}

bool SentinelReplica::down() const {
  return flags.find("s_down") != std::string::npos || flags.find("o_down") != std::string::npos ||
         flags.find("disconnected") != std::string::npos;
}

Result<std::vector<SentinelReplica>> ParseSentinelReplicas(const Reply& reply) {
  using Out = Result<std::vector<SentinelReplica>>;
  if (reply.is_error()) return Out::Error("the sentinel answered: " + reply.str);
  if (reply.type != Reply::Type::kArray) return Out::Error("expected a list of replicas");
  std::vector<SentinelReplica> out;
  for (const Reply& item : reply.elements) {
    if (item.type != Reply::Type::kArray || item.elements.size() % 2 != 0) {
      return Out::Error("expected field/value pairs per replica");
    }
    SentinelReplica replica;
    bool has_ip = false;
    bool has_port = false;
    for (size_t i = 0; i + 1 < item.elements.size(); i += 2) {
      const std::string& field = item.elements[i].str;
      const std::string& value = item.elements[i + 1].str;
      if (field == "ip") {
        replica.address.host = value;
        has_ip = !value.empty();
      } else if (field == "port") {
        has_port = ToInt(value, replica.address.port) && replica.address.port > 0 &&
                   replica.address.port <= 65535;
      } else if (field == "flags") {
        replica.flags = value;
      }
    }
    if (!has_ip || !has_port) return Out::Error("a replica without ip or port");
    out.push_back(std::move(replica));
  }
  return out;
}

}  // namespace rte
