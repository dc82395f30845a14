// Targets that cannot be polled, for real: nothing listening, a handshake that gets no answer, a
// wrong password, a password variable that is not set. `triage` and the daemon's /triage page
// (in headless Chromium) must both say why, and never show a secret.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "chromium.h"
#include "connect_burst.h"
#include "exporter_process.h"
#include "loopback.h"
#include "redis_server.h"
#include "temp_dir.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr char kRightPassword[] = "rte-right-Pa55word";
constexpr char kWrongPassword[] = "rte-wrong-Pa55word";
// Must not be set in the test's environment: the poller reads it and finds nothing.
constexpr char kUnsetVariable[] = "RTE_TEST_UNSET_REDIS_PASSWORD";

// A redis-server whose accept queue is full and stays full: paused (SIGSTOP) with a backlog of
// 4, then a burst of connects fills the queue, so the kernel drops every further SYN and a new
// connect times out. Resumed (SIGCONT) before it is stopped.
class UnansweredHandshake {
 public:
  UnansweredHandshake() : redis_({"--tcp-backlog", "4"}) {
    redis_.Pause();
    burst_ = std::make_unique<ConnectBurst>(redis_.port(), 20);
  }
  ~UnansweredHandshake() {
    burst_.reset();
    redis_.Resume();
  }
  std::string address() const { return redis_.address(); }

 private:
  RedisServer redis_;
  std::unique_ptr<ConnectBurst> burst_;
};

ExporterRun Triage(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"triage", "--duration=2s"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunExporter(argv, 20s);
}

// A one-target config file for `triage --config.file`.
std::string TriageConfig(const TempDir& dir, const std::string& target_yaml) {
  return dir.WriteFile("triage.yaml", "targets:\n  - " + target_yaml + "\n");
}

void CheckNoSecret(const std::string& text) {
  for (const char* secret : {kRightPassword, kWrongPassword}) {
    INFO("secret " << secret);
    CHECK_THAT(text, !Catch::Contains(secret));
  }
}

// `triage --output=json` of one target that no poll reached: exit code 3 and the reason.
void CheckTriageUnreachable(const ExporterRun& run, const std::string& stage,
                            const std::string& words) {
  INFO("stdout:\n" << run.stdout_text << "\nstderr:\n" << run.stderr_text);
  CHECK(run.exit_code == 3);
  CheckNoSecret(run.stdout_text + run.stderr_text);
  const auto doc = nlohmann::json::parse(run.stdout_text);
  CHECK(doc["exit_code"] == 3);
  REQUIRE(doc["targets"].size() == 1);
  const auto& target = doc["targets"][0];
  CHECK(target["state"] == "down");
  CHECK(target["reachable"] == false);
  REQUIRE(target["error"].is_object());
  CHECK(target["error"]["stage"] == stage);
  CHECK_THAT(target["error"]["message"].get<std::string>(), Catch::Contains(words));
  // Memory and slowlog need Redis's answers, so they cannot be judged.
  CHECK_THAT(target["not_judged_while_down"].dump(),
             Catch::Contains("\"memory\"") && Catch::Contains("\"slowlog\""));
}

// The <section> of one target in the DOM Chromium serialised.
std::string CardOf(const std::string& dom, const std::string& target) {
  const size_t begin = dom.find("<section class=\"target\" data-target=\"" + target + "\"");
  if (begin == std::string::npos) return "";
  return dom.substr(begin, dom.find("</section>", begin) - begin);
}

std::vector<std::string> Captures(const std::string& text, const std::string& pattern) {
  std::vector<std::string> out;
  const std::regex re(pattern);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it) {
    out.push_back((*it)[1].str());
  }
  return out;
}

}  // namespace

TEST_CASE("unreachable: triage says the connection was refused", "[unreachable][triage]") {
  const std::string address = "127.0.0.1:" + std::to_string(FreeLoopbackPort());
  CheckTriageUnreachable(Triage({"--address=" + address, "--output=json"}), "connect",
                         "connection refused: nothing listens on " + address);

  const ExporterRun text = Triage({"--address=" + address});
  INFO(text.stdout_text << text.stderr_text);
  CHECK(text.exit_code == 3);
  CHECK_THAT(text.stdout_text, Catch::Contains("target (" + address + ") - UNREACHABLE\n" +
                                               "  unreachable (connect): connection refused"));
}

TEST_CASE("unreachable: triage says the TCP handshake got no answer", "[unreachable][triage]") {
  UnansweredHandshake server;
  CheckTriageUnreachable(Triage({"--address=" + server.address(), "--output=json"}), "connect",
                         "connect timed out");
}

TEST_CASE("unreachable: triage says authentication failed, without the password",
          "[unreachable][triage]") {
  RedisServer redis({"--requirepass", kRightPassword});
  TempDir dir;
  const std::string password_file = dir.WriteFile("password", std::string(kWrongPassword) + "\n");
  const std::string config = TriageConfig(dir, "{name: target, address: '" + redis.address() +
                                                   "', password_file: '" + password_file + "'}");
  CheckTriageUnreachable(Triage({"--config.file=" + config, "--output=json"}), "auth",
                         "authentication failed");
}

TEST_CASE("unreachable: triage says the password variable is not set", "[unreachable][triage]") {
  REQUIRE(std::getenv(kUnsetVariable) == nullptr);
  RedisServer redis({"--requirepass", kRightPassword});
  TempDir dir;
  const std::string config = TriageConfig(dir, "{name: target, address: '" + redis.address() +
                                                   "', password_env: " + kUnsetVariable + "}");
  CheckTriageUnreachable(
      Triage({"--config.file=" + config, "--output=json"}), "auth",
      std::string("password source missing: environment variable ") + kUnsetVariable);
}

TEST_CASE("unreachable: /triage in headless Chromium shows why each target is down",
          "[unreachable][chromium]") {
  RequireChromium();
  REQUIRE(std::getenv(kUnsetVariable) == nullptr);
  const std::string refused_address = "127.0.0.1:" + std::to_string(FreeLoopbackPort());
  UnansweredHandshake unanswered;
  RedisServer protected_redis({"--requirepass", kRightPassword});
  TempDir dir;
  const std::string password_file = dir.WriteFile("password", kWrongPassword);
  ExporterProcess exporter = StartExporter(Substitute(R"(
poll_interval: 250ms
targets:
  - name: refused
    address: ${refused}
  - name: unanswered
    address: ${unanswered}
  - name: wrong-password
    address: ${protected}
    password_file: ${password_file}
  - name: unset-password
    address: ${protected}
    password_env: ${unset}
)",
                                                      {{"refused", refused_address},
                                                       {"unanswered", unanswered.address()},
                                                       {"protected", protected_redis.address()},
                                                       {"password_file", password_file},
                                                       {"unset", kUnsetVariable}}));
  struct Expected {
    std::string target, stage, words;
  };
  const std::vector<Expected> expected = {
      {"refused", "connect", "connection refused: nothing listens on " + refused_address},
      {"unanswered", "connect", "connect timed out after 250ms"},
      {"wrong-password", "auth", "authentication failed"},
      {"unset-password", "auth", "password source missing"},
  };
  for (const Expected& e : expected) {
    REQUIRE(exporter.WaitForMetric("redis_timeout_poll_errors_total",
                                   {{"target", e.target}, {"stage", e.stage}}, AtLeast(1), 15s));
  }

  const std::string dom = DumpDom(exporter.port(), "/triage");
  INFO(dom);
  REQUIRE_THAT(dom, Catch::Contains("<title>Redis timeout triage</title>"));
  CHECK_THAT(dom, Catch::Contains("4 targets: 4 unreachable"));
  CheckNoSecret(dom);
  for (const Expected& e : expected) {
    INFO("target " << e.target);
    const std::string card = CardOf(dom, e.target);
    REQUIRE_FALSE(card.empty());
    CHECK_THAT(card, Catch::Contains(R"(data-state="down" data-up="false")"));
    CHECK_THAT(card, Catch::Contains("<p class=\"down-banner\" data-stage=\"" + e.stage +
                                     "\">UNREACHABLE: " + e.words));
    // The causes a down target leaves unjudged are one line, not one item each.
    const std::vector<std::string> folded = Captures(
        card, R"re(<p class="not-judged" data-reason="target_down" data-causes="([^"]*)")re");
    REQUIRE(folded.size() == 1);
    CHECK_THAT(folded[0], Catch::Contains("memory") && Catch::Contains("slowlog"));
    CHECK_THAT(card, !Catch::Contains(R"(class="missing" data-reason="target_down")"));
  }
  CheckNoSecret(exporter.ReadStderr() + exporter.ReadStdout());
}
