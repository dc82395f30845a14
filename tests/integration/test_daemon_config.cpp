// Black-box tests of configuration: --config.check, errors that name file/line/key, reloads.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "exporter_process.h"
#include "loopback.h"
#include "redis_server.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

std::string RegexEscape(const std::string& s) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(s, special, R"(\$&)");
}

ExporterRun Check(const std::string& config_path) {
  return RunExporter({"--config.file=" + config_path, "--config.check"});
}

// stderr has "<file>:<line>:<column>: <key path>: ..." for the given line and key path.
void CheckErrorNames(const ExporterRun& run, const std::string& file, int line,
                     const std::string& key_path) {
  INFO("exit code " << run.exit_code << "\nstderr: " << run.stderr_text
                    << "\nstdout: " << run.stdout_text);
  CHECK(run.exit_code != 0);
  CHECK(run.exit_code != -1);  // it exited by itself
  const std::regex located(RegexEscape(file) + ":" + std::to_string(line) + R"(:\d+: )" +
                           RegexEscape(key_path) + ": ");
  CHECK(std::regex_search(run.stderr_text, located));
}

constexpr char kOnlyAlpha[] = R"(
poll_interval: 250ms
targets:
  - name: alpha
    address: ${a}
)";

// A second entry for the list above.
constexpr char kBetaEntry[] = R"(  - name: beta
    address: ${b}
)";

constexpr char kOnlyBeta[] = R"(
poll_interval: 250ms
targets:
  - name: beta
    address: ${b}
)";

bool AnySampleOf(const MetricsText& m, const std::string& target) {
  for (const auto& family : m.Families()) {
    for (const auto& sample : family.samples) {
      auto it = sample.labels.find("target");
      if (it != sample.labels.end() && it->second == target) return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("daemon: --config.check accepts a good config", "[daemon][config]") {
  TempDir dir;
  const std::string path = dir.WriteFile("good.yaml",
                                         "poll_interval: 1s\n"
                                         "client_list_interval: 1s\n"
                                         "config_interval: 1s\n"
                                         "targets:\n"
                                         "  - name: cache-1\n"
                                         "    address: 127.0.0.1:6379\n"
                                         "    client_timeout: 250ms\n"
                                         "    poll_interval: 500ms\n"
                                         "    pools:\n"
                                         "      - {name: api, client_name: \"api-*\", size: 50}\n"
                                         "  - name: cache-2\n"
                                         "    address: unix:///run/redis/redis.sock\n"
                                         "    username: app\n"
                                         "    password_env: REDIS_PASSWORD\n");
  ExporterRun run = Check(path);
  INFO("stderr: " << run.stderr_text << "\nstdout: " << run.stdout_text);
  CHECK(run.exit_code == 0);
}

TEST_CASE("daemon: --config.check names file, line and key of an error", "[daemon][config]") {
  TempDir dir;
  SECTION("unknown key in a target") {
    const std::string path = dir.WriteFile("c.yaml",
                                           "poll_interval: 500ms\n"
                                           "targets:\n"
                                           "  - name: cache-1\n"
                                           "    adress: 127.0.0.1:6379\n");
    ExporterRun run = Check(path);
    CheckErrorNames(run, path, 4, "targets[0].adress");
    // The exact form of the contract's example.
    CHECK(run.stderr_text.find(path + ":4:5: targets[0].adress: unknown key") != std::string::npos);
  }
  SECTION("unknown key at the top level") {
    const std::string path = dir.WriteFile("c.yaml",
                                           "pol_interval: 500ms\n"
                                           "targets:\n"
                                           "  - name: cache-1\n"
                                           "    address: 127.0.0.1:6379\n");
    CheckErrorNames(Check(path), path, 1, "pol_interval");
  }
  SECTION("bad duration") {
    const std::string path = dir.WriteFile("c.yaml",
                                           "poll_interval: 500ms\n"
                                           "targets:\n"
                                           "  - name: cache-1\n"
                                           "    address: 127.0.0.1:6379\n"
                                           "    client_timeout: 10 parsecs\n");
    CheckErrorNames(Check(path), path, 5, "targets[0].client_timeout");
  }
  SECTION("bad global duration") {
    const std::string path = dir.WriteFile("c.yaml",
                                           "poll_interval: soon\n"
                                           "targets:\n"
                                           "  - name: cache-1\n"
                                           "    address: 127.0.0.1:6379\n");
    CheckErrorNames(Check(path), path, 1, "poll_interval");
  }
  SECTION("duplicate target name") {
    const std::string path = dir.WriteFile("c.yaml",
                                           "poll_interval: 500ms\n"
                                           "targets:\n"
                                           "  - name: cache-1\n"
                                           "    address: 127.0.0.1:6379\n"
                                           "  - name: cache-1\n"
                                           "    address: 127.0.0.1:6380\n");
    CheckErrorNames(Check(path), path, 5, "targets[1].name");
  }
  SECTION("no targets") {
    const std::string path = dir.WriteFile("c.yaml",
                                           "poll_interval: 500ms\n"
                                           "client_timeout: 1s\n"
                                           "targets: []\n");
    ExporterRun run = Check(path);
    CheckErrorNames(run, path, 3, "targets");
    CHECK_THAT(
        run.stderr_text,
        Catch::Contains(path + ":3:10: targets: no targets configured: list at least one target"));
  }
  SECTION("no targets key") {
    const std::string path = dir.WriteFile("c.yaml", "poll_interval: 500ms\n");
    CheckErrorNames(Check(path), path, 1, "targets");
  }
  SECTION("a global poll_timeout longer than a target's poll_interval") {
    const std::string path = dir.WriteFile("c.yaml",
                                           "poll_interval: 5s\n"
                                           "poll_timeout: 2s\n"
                                           "targets:\n"
                                           "  - name: cache-1\n"
                                           "    address: 127.0.0.1:6379\n"
                                           "    poll_interval: 1s\n");
    ExporterRun run = Check(path);
    CheckErrorNames(run, path, 2, "poll_timeout");
    CHECK_THAT(run.stderr_text,
               Catch::Contains(path + ":2:15: poll_timeout: must not be longer than poll_interval "
                                      "(1s), set by targets[0]"));
  }
  SECTION("a target's poll_timeout longer than the global poll_interval") {
    const std::string path = dir.WriteFile("c.yaml",
                                           "poll_interval: 500ms\n"
                                           "targets:\n"
                                           "  - name: cache-1\n"
                                           "    address: 127.0.0.1:6379\n"
                                           "    poll_timeout: 1s\n");
    CheckErrorNames(Check(path), path, 5, "targets[0].poll_timeout");
  }
  SECTION("an interval under its minimum") {
    const std::string path = dir.WriteFile("c.yaml",
                                           "poll_interval: 1us\n"
                                           "targets:\n"
                                           "  - name: cache-1\n"
                                           "    address: 127.0.0.1:6379\n");
    ExporterRun run = Check(path);
    CheckErrorNames(run, path, 1, "poll_interval");
    CHECK_THAT(run.stderr_text, Catch::Contains(":1:16: poll_interval: must be at least 100ms"));
  }
  SECTION("missing address") {
    const std::string path = dir.WriteFile("c.yaml",
                                           "poll_interval: 500ms\n"
                                           "targets:\n"
                                           "  - name: cache-1\n"
                                           "    client_timeout: 1s\n");
    CheckErrorNames(Check(path), path, 3, "targets[0].address");
  }
}

TEST_CASE("daemon: a directory, a device or a huge file as the config is refused at once",
          "[daemon][config]") {
  TempDir dir;
  const std::string huge = dir.WriteFile("huge.yaml", std::string(17 << 20, '#'));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {dir.path(), ": is a directory, not a config file"},
      {"/dev/zero", ": not a regular file"},
      {huge, ": larger than 16 MiB, not a config file"},
  };
  for (const auto& [path, error] : cases) {
    INFO(path);
    const ExporterRun run = Check(path);
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.stderr_text, Catch::Contains(path + error));
  }
}

TEST_CASE("daemon: a broken config stops the daemon before it serves", "[daemon][config]") {
  TempDir dir;
  const std::string path = dir.WriteFile("c.yaml",
                                         "poll_interval: 500ms\n"
                                         "targets:\n"
                                         "  - name: cache-1\n"
                                         "    adress: 127.0.0.1:6379\n");
  const int port = FreeLoopbackPort();
  ExporterRun run = RunExporter(
      {"--config.file=" + path, "--web.listen-address=127.0.0.1:" + std::to_string(port)});
  CheckErrorNames(run, path, 4, "targets[0].adress");
  CHECK(HttpGet(port, "/-/healthy", 1s).status == 0);
}

TEST_CASE("daemon: reload adds, keeps and removes targets", "[daemon][config]") {
  RedisServer a;
  RedisServer b;
  const std::map<std::string, std::string> addresses{{"a", a.address()}, {"b", b.address()}};
  const std::string only_alpha = Substitute(kOnlyAlpha, addresses);
  const std::string alpha_and_beta = only_alpha + Substitute(kBetaEntry, addresses);
  const std::string broken = alpha_and_beta + "    adress: 127.0.0.1:1\n";
  const std::string only_beta = Substitute(kOnlyBeta, addresses);

  ExporterProcess exporter = StartExporter(only_alpha);
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", {{"target", "alpha"}}, Equals(1)));
  const auto first_reload =
      exporter.Metric("redis_timeout_config_last_reload_success_timestamp_seconds");
  REQUIRE(first_reload.has_value());

  // SIGHUP picks up a second target.
  exporter.RewriteConfig(alpha_and_beta);
  exporter.Reload();
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", {{"target", "beta"}}, Equals(1)));
  {
    MetricsText m = exporter.ScrapeMetrics();
    INFO(m.text());
    CHECK(m.Value("redis_timeout_config_last_reload_successful") == 1.0);
    CHECK(m.Value("redis_timeout_config_last_reload_success_timestamp_seconds") >= *first_reload);
    CHECK(m.Value("redis_timeout_target_up", {{"target", "alpha"}}) == 1.0);
  }

  // A broken config is refused with 500 and the error; the old one stays in force.
  exporter.RewriteConfig(broken);
  HttpResponse refused = exporter.Post("/-/reload");
  {
    INFO(refused.body << refused.error);
    CHECK(refused.status == 500);
    CHECK(refused.body.find("adress") != std::string::npos);
  }
  REQUIRE(exporter.WaitForMetric("redis_timeout_config_last_reload_successful", {}, Equals(0)));
  REQUIRE(exporter.WaitForPolls("alpha", 2));
  REQUIRE(exporter.WaitForPolls("beta", 2));
  {
    MetricsText m = exporter.ScrapeMetrics();
    INFO(m.text());
    CHECK(m.Value("redis_timeout_target_up", {{"target", "alpha"}}) == 1.0);
    CHECK(m.Value("redis_timeout_target_up", {{"target", "beta"}}) == 1.0);
  }

  // A config that lists no targets is refused too: the exporter keeps polling, not nothing.
  exporter.RewriteConfig("poll_interval: 250ms\ntargets: []\n");
  HttpResponse emptied = exporter.Post("/-/reload");
  {
    INFO(emptied.body << emptied.error);
    CHECK(emptied.status == 500);
    CHECK_THAT(emptied.body, Catch::Contains(":2:10: targets: no targets configured"));
  }
  REQUIRE(exporter.WaitForPolls("alpha", 1));
  CHECK(exporter.Metric("redis_timeout_target_up", {{"target", "alpha"}}) == 1.0);

  // A good config again, without alpha: alpha vanishes from /metrics.
  exporter.RewriteConfig(only_beta);
  HttpResponse accepted = exporter.Post("/-/reload");
  INFO(accepted.body << accepted.error);
  CHECK(accepted.status == 200);
  REQUIRE(exporter.WaitForScrape([](const MetricsText& m) { return !AnySampleOf(m, "alpha"); }, 10s,
                                 "no sample with target=\"alpha\""));
  MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text());
  CHECK(m.Value("redis_timeout_config_last_reload_successful") == 1.0);
  CHECK(m.Value("redis_timeout_target_up", {{"target", "beta"}}) == 1.0);
}
