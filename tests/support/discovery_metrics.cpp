// Reading the target_info series of discovered targets (issue 12) from a /metrics scrape.
#include "discovery_metrics.h"

#include <stdexcept>

namespace rte::testing {
namespace {

constexpr char kTargetInfo[] = "redis_timeout_target_info";

std::string Label(const Sample& s, const std::string& name) {
  const auto it = s.labels.find(name);
  return it == s.labels.end() ? "" : it->second;
}

}  // namespace

std::string DiscoveredTargetName(const std::string& discovery, const std::string& address) {
  return discovery + "-" + address;
}

std::map<std::string, std::string> TargetRoles(const MetricsText& m, const std::string& cluster) {
  std::map<std::string, std::string> roles;
  for (const Sample& s : m.Samples(kTargetInfo, {{"cluster", cluster}})) {
    roles[Label(s, "target")] = Label(s, "role");
  }
  return roles;
}

std::optional<std::string> TargetInfoLabel(const MetricsText& m, const std::string& target,
                                           const std::string& label) {
  const std::vector<Sample> samples = m.Samples(kTargetInfo, {{"target", target}});
  if (samples.empty()) return std::nullopt;
  if (samples.size() > 1) {
    throw std::logic_error(std::string(kTargetInfo) + " lists target " + target + " " +
                           std::to_string(samples.size()) + " times");
  }
  return Label(samples[0], label);
}

}  // namespace rte::testing
