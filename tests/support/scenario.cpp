#include "scenario.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <optional>
#include <thread>

namespace rte::testing {

std::string Config(const std::string& faulty_address, const std::string& healthy_address,
                   const std::string& extra_faulty, const std::string& poll) {
  return "poll_interval: " + poll +
         "\n"
         "probe_interval: 100ms\n"
         "thresholds: {risk_window: 20s}\n"
         "targets:\n"
         "  - name: faulty\n"
         "    address: " +
         faulty_address + "\n" + extra_faulty +
         "  - name: healthy\n"
         "    address: " +
         healthy_address + "\n";
}

double Risk(const MetricsText& m, const std::string& target, const std::string& cause) {
  auto v = m.Value("redis_timeout_risk", {{"target", target}, {"cause", cause}});
  return v.value_or(-1);  // -1: absent
}

void RequireOthersLow(const MetricsText& m, const std::string& cause) {
  for (const char* other : kCauseNames) {
    if (other == cause) continue;
    INFO("faulty target, cause " << other);
    REQUIRE(Risk(m, "faulty", other) < 0.5);
  }
  for (const char* any : kCauseNames) {
    INFO("healthy target, cause " << any);
    const double r = Risk(m, "healthy", any);
    REQUIRE(r < 0.2);
  }
}

double ExpectRisk(ExporterProcess& exporter, const std::string& cause, double level,
                  std::chrono::milliseconds timeout, std::chrono::milliseconds settle) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::optional<std::chrono::steady_clock::time_point> reached;
  MetricsText last;
  double highest = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    last = exporter.ScrapeMetrics();
    INFO(last.text());
    RequireOthersLow(last, cause);
    highest = std::max(highest, Risk(last, "faulty", cause));
    if (!reached && Risk(last, "faulty", cause) >= level)
      reached = std::chrono::steady_clock::now();
    if (reached && std::chrono::steady_clock::now() - *reached >= settle) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(last.text());
  REQUIRE(reached.has_value());
  CHECK(Risk(last, "faulty", cause) >= level);
  return highest;
}

void ExpectDiagnosis(ExporterProcess& exporter, const std::string& cause,
                     std::chrono::milliseconds timeout, std::chrono::milliseconds settle) {
  ExpectRisk(exporter, cause, 0.8, timeout, settle);
}

void WaitJudged(ExporterProcess& exporter) {
  REQUIRE(exporter.WaitForMetric("redis_timeout_risk", {{"target", "faulty"}, {"cause", "network"}},
                                 Present(), std::chrono::seconds(10)));
  REQUIRE(exporter.WaitForMetric("redis_timeout_risk",
                                 {{"target", "healthy"}, {"cause", "network"}}, Present(),
                                 std::chrono::seconds(10)));
}

}  // namespace rte::testing
