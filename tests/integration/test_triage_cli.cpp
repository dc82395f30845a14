// `redis-timeout-exporter triage` end to end: real faults, text and JSON output, exit codes.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "exporter_process.h"
#include "loopback.h"
#include "redis_server.h"
#include "temp_dir.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

ExporterRun Triage(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"triage", "--duration=2s"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunExporter(argv, 20s);
}

}  // namespace

TEST_CASE("triage names pool at maxclients, as text and JSON", "[triage]") {
  RedisServer redis({"--maxclients", "20"});
  RedisClients idle = redis.OpenClients(25);
  const ExporterRun text = Triage({"--address=" + redis.address()});
  INFO(text.stdout_text << text.stderr_text);
  CHECK(text.exit_code == 2);
  CHECK_THAT(text.stdout_text, Catch::Contains("CRITICAL: pool"));
  CHECK_THAT(text.stdout_text, Catch::Contains("1. pool"));
  CHECK_THAT(text.stdout_text, Catch::Contains("fix: Raise maxclients"));
  CHECK_THAT(text.stdout_text, Catch::Contains("exit code 2"));

  const ExporterRun json = Triage({"--address=" + redis.address(), "--output=json"});
  INFO(json.stdout_text << json.stderr_text);
  CHECK(json.exit_code == 2);
  const auto doc = nlohmann::json::parse(json.stdout_text);
  REQUIRE(doc["targets"].size() == 1);
  const auto& target = doc["targets"][0];
  CHECK(target["reachable"] == true);
  CHECK(target["state"] == "critical");
  // The poller's own connection is refused too: said, but the diagnosis stays pool.
  CHECK(target["error"].is_object());
  CHECK(target["causes"][0]["cause"] == "pool");
  CHECK(target["causes"][0]["level"] == "critical");
  CHECK(target["causes"][0]["risk"].get<double>() >= 0.8);
  CHECK_FALSE(target["causes"][0]["evidence"].empty());
  CHECK(doc["exit_code"] == 2);
}

TEST_CASE("triage names memory under noeviction, and reads targets from a config file",
          "[triage]") {
  RedisServer full({"--maxmemory", "3mb", "--maxmemory-policy", "noeviction"});
  RedisServer fine;
  const std::string value(10000, 'x');
  bool oom = false;
  for (int i = 0; i < 2000 && !oom; ++i) {
    oom = full.Command({"SET", "key:" + std::to_string(i), value}).is_error();
  }
  REQUIRE(oom);
  TempDir dir;
  const std::string config = dir.path() + "/triage.yaml";
  {
    std::ofstream out(config);
    out << "targets:\n  - {name: full, address: '" << full.address() << "'}\n"
        << "  - {name: fine, address: '" << fine.address() << "'}\n";
  }
  const ExporterRun json = Triage({"--config.file=" + config, "--output=json"});
  INFO(json.stdout_text << json.stderr_text);
  CHECK(json.exit_code == 2);
  const auto doc = nlohmann::json::parse(json.stdout_text);
  REQUIRE(doc["targets"].size() == 2);
  for (const auto& t : doc["targets"]) {
    if (t["name"] == "full") {
      CHECK(t["causes"][0]["cause"] == "memory");
      CHECK(t["causes"][0]["level"] == "critical");
      CHECK_THAT(t["causes"][0]["fix"].get<std::string>(), Catch::Contains("allkeys-lfu"));
    } else {
      CHECK(t["state"] == "ok");
      CHECK(t["error"].is_null());
    }
  }
}

TEST_CASE("triage exit codes: healthy 0, unreachable 3, bad flags 64", "[triage]") {
  RedisServer redis;
  const ExporterRun ok = Triage({"--address=" + redis.address()});
  INFO(ok.stdout_text << ok.stderr_text);
  CHECK(ok.exit_code == 0);
  CHECK_THAT(ok.stdout_text, Catch::Contains("OK: no cause near a timeout"));

  const ExporterRun down = Triage({"--address=127.0.0.1:" + std::to_string(FreeLoopbackPort())});
  INFO(down.stdout_text << down.stderr_text);
  CHECK(down.exit_code == 3);
  CHECK_THAT(down.stdout_text, Catch::Contains("UNREACHABLE"));

  CHECK(RunExporter({"triage", "--output=yaml", "--address=127.0.0.1:1"}).exit_code == 64);
  CHECK(RunExporter({"triage"}).exit_code == 64);
}

TEST_CASE("triage covers discovered targets, grouped by cluster", "[triage][discovery]") {
  RedisServer fixed;
  RedisServer found_a;
  RedisServer found_b;
  TempDir dir;
  {
    std::ofstream out(dir.path() + "/fleet-1.yaml");
    out << "- address: '" << found_a.address() << "'\n"
        << "- {name: named, address: '" << found_b.address() << "'}\n";
  }
  const std::string config = dir.path() + "/triage.yaml";
  {
    std::ofstream out(config);
    out << "targets:\n  - {name: fixed, address: '" << fixed.address() << "'}\n"
        << "discovery:\n  - {type: file, name: fleet, files: ['fleet-*.yaml']}\n";
  }
  const ExporterRun text = Triage({"--config.file=" + config});
  INFO(text.stdout_text << text.stderr_text);
  CHECK(text.exit_code == 0);
  // The static target first, under no heading; then the discovery's heading and its targets.
  const auto fixed_at = text.stdout_text.find("\nfixed (");
  const auto heading_at = text.stdout_text.find("\n== fleet ==\nfile discovery\n");
  const auto found_at = text.stdout_text.find("\nfleet-" + found_a.address() + " (");
  const auto named_at = text.stdout_text.find("\nnamed (");
  REQUIRE(fixed_at != std::string::npos);
  REQUIRE(heading_at != std::string::npos);
  REQUIRE(found_at != std::string::npos);
  REQUIRE(named_at != std::string::npos);
  CHECK(fixed_at < heading_at);
  CHECK(heading_at < found_at);
  CHECK(heading_at < named_at);
  CHECK_THAT(text.stdout_text, Catch::Contains("2 target(s) found, last refresh"));

  const ExporterRun json = Triage({"--config.file=" + config, "--output=json"});
  INFO(json.stdout_text << json.stderr_text);
  const auto doc = nlohmann::json::parse(json.stdout_text);
  REQUIRE(doc["targets"].size() == 3);
  for (const auto& t : doc["targets"]) {
    CHECK(t["cluster"] == (t["name"] == "fixed" ? "" : "fleet"));
    CHECK(t["role"] == "master");
  }
  REQUIRE(doc["clusters"].size() == 1);
  CHECK(doc["clusters"][0]["name"] == "fleet");
  CHECK(doc["clusters"][0]["type"] == "file");
  CHECK(doc["clusters"][0]["failover_in_progress"] == false);
}
