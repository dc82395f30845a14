// What discovery reads from the network and from target files: ParseClusterNodes and the
// cluster judgement on the input as text, the sentinel parsers on every reply decoded from it,
// and ParseTargetFile on it as a file discovery's target list.
#include "config/config.h"
#include "derive/discovery_health.h"
#include "fuzz_input.h"
#include "parse/discovery_replies.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  const std::string_view text = rte::fuzz::Text(data, size);
  if (auto nodes = rte::ParseClusterNodes(text); nodes.ok()) {
    (void)rte::AssessCluster(nodes.value(), "ok");
    rte::DiscoveryConfig cluster;
    rte::DiscoveryRefresh refresh;
    refresh.ok = true;
    refresh.cluster_nodes = std::move(nodes.value());
    (void)rte::DiscoveredEndpoints(cluster, refresh);
    (void)rte::CountFailovers(refresh, refresh);
  }
  if (auto replies = rte::DecodeAll(text); replies.ok()) {
    for (const rte::Reply& reply : replies.value()) {
      (void)rte::ParseSentinelMasterAddress(reply);
      (void)rte::ParseSentinelReplicas(reply);
    }
  }
  rte::DiscoveryConfig files;
  files.type = rte::DiscoveryConfig::Type::kFile;
  files.name = "fuzz";
  (void)rte::ParseTargetFile(std::string(text), "fuzz.yaml", files);
  return 0;
}
