// File discovery (issue 12): targets appear, change and disappear with the files a glob matches;
// a broken file keeps its previous targets; a name clash never replaces a static target.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>

#include "discovery_metrics.h"
#include "exporter_process.h"
#include "redis_server.h"
#include "temp_dir.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr char kDiscovery[] = "fleet";
// Several refreshes (500 ms) and polls (1 s), with room for a loaded machine.
constexpr auto kBound = 15s;

constexpr char kConfig[] = R"(
poll_interval: 1s
targets:
  - name: static-a
    address: ${static}
discovery:
  - type: file
    name: fleet
    files: [${dir}/*.yaml]
    refresh_interval: 500ms
    poll_interval: 1s
)";

// A file of the discovery: a YAML list of targets in the static-target format.
std::string TargetFile(const std::string& address, const std::string& name = "") {
  std::string text = "- address: " + address + "\n";
  if (!name.empty()) text += "  name: " + name + "\n";
  return text;
}

}  // namespace

TEST_CASE("file discovery: add, change, break and remove a file; no clash with a static target",
          "[discovery][file_discovery]") {
  RedisServer fixed;
  RedisServer first;
  RedisServer second;
  RedisServer third;
  TempDir files("rte-targets.d");
  files.WriteFile("a.yaml", TargetFile(first.address()));
  ExporterProcess exporter =
      StartExporter(Substitute(kConfig, {{"static", fixed.address()}, {"dir", files.path()}}));
  const Labels discovery{{"discovery", kDiscovery}};
  // Without a name, a file target is named like a discovered node.
  const std::string first_name = DiscoveredTargetName(kDiscovery, first.address());

  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", {{"target", first_name}}, Equals(1),
                                 kBound));
  {
    const MetricsText m = exporter.ScrapeMetrics();
    INFO(m.text());
    CHECK(TargetInfoLabel(m, first_name, "address") == first.address());
    CHECK(TargetInfoLabel(m, first_name, "cluster") == kDiscovery);
    CHECK(TargetInfoLabel(m, "static-a", "address") == fixed.address());
    CHECK(TargetInfoLabel(m, "static-a", "cluster") == "");
    CHECK(m.Value("redis_timeout_discovery_targets", discovery) == 1.0);
    // The targets polled: the static one and the discovered one.
    CHECK(m.Value("redis_timeout_shard_targets", {}) == 2.0);
  }

  // A new file: its targets appear.
  files.WriteFile("b.yaml", TargetFile(second.address(), "cache-b"));
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", {{"target", "cache-b"}}, Equals(1),
                                 kBound));
  CHECK(exporter.WaitForMetric("redis_timeout_discovery_targets", discovery, Equals(2), kBound));
  CHECK(exporter.WaitForMetric("redis_timeout_shard_targets", {}, Equals(3), kBound));

  // The file changed: the set follows it.
  files.WriteFile("b.yaml", TargetFile(third.address(), "cache-c"));
  REQUIRE(exporter.WaitForScrape(
      [](const MetricsText& m) {
        return !TargetRole(m, "cache-b").has_value() &&
               m.Value("redis_timeout_target_up", {{"target", "cache-c"}}) == 1.0;
      },
      kBound, "cache-b gone, cache-c up"));
  CHECK(TargetInfoLabel(exporter.ScrapeMetrics(), "cache-c", "address") == third.address());

  // Broken: the previous targets stay, polled on (two more polls, i.e. several refreshes, so
  // that staying is not luck).
  const double errors_before =
      exporter.Metric("redis_timeout_discovery_errors_total", discovery).value_or(0);
  files.WriteFile("b.yaml", "- address: " + second.address() + "\n  name: [unclosed\n");
  REQUIRE(exporter.WaitForMetric("redis_timeout_discovery_errors_total", discovery,
                                 Above(errors_before), kBound));
  REQUIRE(exporter.WaitForPolls("cache-c", 2, kBound));
  {
    const MetricsText m = exporter.ScrapeMetrics();
    INFO(m.text());
    CHECK(m.Value("redis_timeout_target_up", {{"target", "cache-c"}}) == 1.0);
    CHECK(m.Value("redis_timeout_target_up", {{"target", first_name}}) == 1.0);
    CHECK_FALSE(TargetRole(m, "cache-b").has_value());
    CHECK(m.Value("redis_timeout_discovery_targets", discovery) == 2.0);
  }

  // Removed: its targets disappear, the other file's stay.
  std::filesystem::remove(files.File("b.yaml"));
  REQUIRE(exporter.WaitForScrape(
      [](const MetricsText& m) { return !TargetRole(m, "cache-c").has_value(); }, kBound,
      "cache-c gone with its file"));
  CHECK(exporter.WaitForMetric("redis_timeout_discovery_targets", discovery, Equals(1), kBound));
  CHECK(exporter.WaitForMetric("redis_timeout_shard_targets", {}, Equals(2), kBound));
  CHECK(exporter.Metric("redis_timeout_target_up", {{"target", first_name}}) == 1.0);

  // A file target named like the static one: an error, and the static target stays as it is.
  const double errors_at_clash =
      exporter.Metric("redis_timeout_discovery_errors_total", discovery).value_or(0);
  files.WriteFile("c.yaml", TargetFile(second.address(), "static-a"));
  REQUIRE(exporter.WaitForMetric("redis_timeout_discovery_errors_total", discovery,
                                 Above(errors_at_clash), kBound));
  const MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text());
  // TargetInfoLabel throws if static-a were listed twice.
  CHECK(TargetInfoLabel(m, "static-a", "address") == fixed.address());
  CHECK(TargetInfoLabel(m, "static-a", "cluster") == "");
  CHECK(m.Value("redis_timeout_target_up", {{"target", "static-a"}}) == 1.0);
}
