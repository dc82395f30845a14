// Reading the target_info series of discovered targets (issue 12) from a /metrics scrape.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "metrics_text.h"

namespace rte::testing {

// The refresh_interval and poll_interval the discovery tests configure, and how long the
// exporter may take to follow a change Redis has made: the two refreshes the issue allows, the
// poll that reads the role, and room for a loaded machine.
constexpr std::chrono::milliseconds kDiscoveryRefresh{500};
constexpr std::chrono::milliseconds kDiscoveryPoll{1000};
constexpr std::chrono::milliseconds kFollowBound =
    2 * kDiscoveryRefresh + kDiscoveryPoll + std::chrono::seconds(3);

// The name a cluster or sentinel discovery gives the target at `address` (host:port):
// "<discovery>-<host>:<port>".
std::string DiscoveredTargetName(const std::string& discovery, const std::string& address);

// target -> role label ("master", "replica", "" before its first poll) of every
// redis_timeout_target_info sample with cluster="<cluster>".
std::map<std::string, std::string> TargetRoles(const MetricsText& m, const std::string& cluster);

// A label of the target's redis_timeout_target_info sample ("" when the sample lacks it, as
// Prometheus reads an empty label); nullopt when the target has no sample. Throws
// std::logic_error when it has several (one target listed twice).
std::optional<std::string> TargetInfoLabel(const MetricsText& m, const std::string& target,
                                           const std::string& label);
inline std::optional<std::string> TargetRole(const MetricsText& m, const std::string& target) {
  return TargetInfoLabel(m, target, "role");
}

}  // namespace rte::testing
