// Five faults, one per cause, on five targets of one exporter; Prometheus (1 s scrape and
// evaluation, our rules with `for:` shortened) and Alertmanager (our routing) must deliver the
// matching alert for each target to the webhook, and no other cause's alert for it. Then every
// panel query of both dashboards must return data from that Prometheus.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "connect_burst.h"
#include "delay_proxy.h"
#include "exporter_process.h"
#include "loopback.h"
#include "prometheus_query.h"
#include "redis_server.h"
#include "repeating_command.h"
#include "subprocess.h"
#include "temp_dir.h"
#include "test_pki.h"
#include "wait_until.h"
#include "web_exporter.h"

using namespace rte::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Alertmanager's webhook receiver: stores every alert of every notification it is sent.
class WebhookReceiver {
 public:
  WebhookReceiver() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd_, 16) != 0) {
      throw std::runtime_error("webhook receiver cannot listen");
    }
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~WebhookReceiver() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  int port() const { return port_; }
  std::vector<json> Alerts() const {
    std::lock_guard lock(mu_);
    return alerts_;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      timeval tv{2, 0};
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      std::string request;
      char buf[8192];
      size_t body_at = std::string::npos, length = 0;
      while (true) {
        const ssize_t n = read(c, buf, sizeof(buf));
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
        if (body_at == std::string::npos &&
            (body_at = request.find("\r\n\r\n")) != std::string::npos) {
          body_at += 4;
          std::smatch m;
          const std::string headers = request.substr(0, body_at);
          if (std::regex_search(headers, m, std::regex("[Cc]ontent-[Ll]ength: *([0-9]+)"))) {
            length = std::stoul(m[1]);
          }
        }
        if (body_at != std::string::npos && request.size() >= body_at + length) break;
      }
      const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)!write(c, reply.data(), reply.size());
      close(c);
      if (body_at == std::string::npos) continue;
      try {
        const json doc = json::parse(request.substr(body_at));
        std::lock_guard lock(mu_);
        for (const auto& a : doc.at("alerts")) alerts_.push_back(a);
      } catch (const std::exception&) {
      }
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<json> alerts_;
};

// The alert rules with every `for:` shortened so the test does not wait minutes.
std::string ShortenedRules() {
  const std::string rules =
      ReadText(std::string(RTE_SOURCE_DIR) + "/deploy/prometheus/redis-timeout-rules.yml");
  return std::regex_replace(rules, std::regex(R"(for:\s*\S+)"), "for: 2s");
}

// Our Alertmanager example with every receiver pointed at the test's webhook and short timers.
std::string TestAlertmanagerConfig(int webhook_port) {
  std::string cfg = ReadText(std::string(RTE_SOURCE_DIR) + "/deploy/alertmanager/alertmanager.yml");
  cfg = std::regex_replace(cfg, std::regex(R"(url:\s*\S+)"),
                           "url: http://127.0.0.1:" + std::to_string(webhook_port) + "/hook");
  cfg = std::regex_replace(cfg, std::regex(R"(group_wait:\s*\S+)"), "group_wait: 1s");
  cfg = std::regex_replace(cfg, std::regex(R"(group_interval:\s*\S+)"), "group_interval: 1s");
  cfg = std::regex_replace(cfg, std::regex(R"(repeat_interval:\s*\S+)"), "repeat_interval: 1m");
  return cfg;
}

}  // namespace

TEST_CASE("full stack: each fault pages with its cause, and every dashboard query has data",
          "[stack]") {
  REQUIRE(access("/usr/bin/prometheus", X_OK) == 0);
  REQUIRE(access("/usr/bin/prometheus-alertmanager", X_OK) == 0);
  TempDir dir("rte-stack");

  // Redis: one server per cause, a healthy one and an address where nothing listens.
  RedisServer pool({"--maxclients", "20"});
  RedisServer network;
  RedisServer memory({"--maxmemory", "3mb", "--maxmemory-policy", "noeviction"});
  // The latency monitor on, so its events reach Prometheus and the dashboard panel has data.
  RedisServer slowlog({"--enable-debug-command", "local", "--latency-monitor-threshold", "100"});
  RedisServer backlog({"--tcp-backlog", "4", "--maxclients", "10000"});
  // The healthy one keeps its latency monitor on with one small, old event (20 ms, before the
  // exporter starts), so the latency-monitor dashboard panel has data for it too; AOF on, so
  // INFO persistence reports aof_delayed_fsync for the delayed-fsync panel.
  RedisServer healthy({"--enable-debug-command", "local", "--latency-monitor-threshold", "10",
                       "--appendonly", "yes"});
  REQUIRE(healthy.Command({"DEBUG", "SLEEP", "0.02"}).str == "OK");
  DelayProxy proxy("127.0.0.1", static_cast<std::uint16_t>(network.port()), 0ms);
  REQUIRE(proxy.Start().ok());
  const int down_port = FreeLoopbackPort();

  ExporterProcess exporter = StartExporter(
      "poll_interval: 250ms\n"
      "probe_interval: 100ms\n"
      "thresholds: {risk_window: 30s}\n"
      "targets:\n"
      "  - {name: pool-1, address: '" +
          pool.address() +
          "'}\n"
          "  - {name: network-1, address: '127.0.0.1:" +
          std::to_string(proxy.port()) +
          "', client_timeout: 100ms}\n"
          "  - {name: memory-1, address: '" +
          memory.address() +
          "'}\n"
          "  - {name: slowlog-1, address: '" +
          slowlog.address() +
          "', client_timeout: 500ms, poll_interval: 1s}\n"
          "  - {name: backlog-1, address: '" +
          backlog.address() +
          "'}\n"
          "  - name: healthy-1\n"
          "    address: '" +
          healthy.address() +
          "'\n"
          "    client_list_interval: 1s\n"
          "    pools: [{name: api, client_name: 'api-*', size: 10}]\n"
          "  - {name: down-1, address: '127.0.0.1:" +
          std::to_string(down_port) + "'}\n",
      ExporterOptions{.log_level = "info", .extra_args = {}, .env = {}});
  RedisClients api_clients = healthy.OpenClients(2, "api-");

  WebhookReceiver webhook;
  const int am_port = FreeLoopbackPort();
  WriteText(dir.path() + "/alertmanager.yml", TestAlertmanagerConfig(webhook.port()));
  Subprocess alertmanager(
      {"/usr/bin/prometheus-alertmanager", "--config.file=" + dir.path() + "/alertmanager.yml",
       "--storage.path=" + dir.path() + "/am-data",
       "--web.listen-address=127.0.0.1:" + std::to_string(am_port), "--cluster.listen-address="},
      dir.path());
  const int prom_port = FreeLoopbackPort();
  WriteText(dir.path() + "/rules.yml", ShortenedRules());
  WriteText(dir.path() + "/prometheus.yml",
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "rule_files: ['" +
                dir.path() +
                "/rules.yml']\n"
                "alerting:\n  alertmanagers:\n    - static_configs: [{targets: ['127.0.0.1:" +
                std::to_string(am_port) +
                "']}]\n"
                "scrape_configs:\n  - job_name: redis-timeout-exporter\n"
                "    static_configs: [{targets: ['127.0.0.1:" +
                std::to_string(exporter.port()) + "']}]\n");
  Subprocess prometheus(PrometheusArgv(dir.path(), prom_port), dir.path());
  INFO("prometheus stderr: " << prometheus.ReadStderr().substr(0, 4000));
  INFO("alertmanager stderr: " << alertmanager.ReadStderr().substr(0, 4000));
  REQUIRE(WaitUntil([&] { return HttpGet(am_port, "/-/ready").status == 200; }, 20s, 200ms));
  REQUIRE(WaitUntil(
      [&] {
        const json r =
            PromQuery(prom_port, "redis_timeout_risk{target=\"healthy-1\",cause=\"pool\"}");
        return r.value("status", "") == "success" && !r["data"]["result"].empty();
      },
      30s, 250ms));

  // The faults.
  RedisClients idle = pool.OpenClients(25);
  proxy.SetDelay(40ms);
  const std::string value(10000, 'x');
  for (int i = 0; i < 2000; ++i) {
    if (memory.Command({"SET", "key:" + std::to_string(i), value}).is_error()) break;
  }
  RepeatingCommand sleeper(slowlog, {"DEBUG", "SLEEP", "0.3"}, 1s);
  ConnectBurst burst(backlog.port(), 2000);
  REQUIRE(burst.size() == 2000);

  const std::map<std::string, std::string> expected = {{"pool-1", "pool"},
                                                       {"network-1", "network"},
                                                       {"memory-1", "memory"},
                                                       {"slowlog-1", "slowlog"},
                                                       {"backlog-1", "backlog"}};
  const std::set<std::string> causes = {"pool", "network", "memory", "slowlog", "backlog"};
  auto received = [&](const std::string& target, const std::string& cause) {
    for (const auto& a : webhook.Alerts()) {
      const auto& l = a["labels"];
      if (a.value("status", "") == "firing" && l.value("target", "") == target &&
          l.value("cause", "") == cause) {
        return true;
      }
    }
    return false;
  };
  const bool all_arrived = WaitUntil(
      [&] {
        for (const auto& [target, cause] : expected) {
          if (!received(target, cause)) return false;
        }
        return true;
      },
      90s, 500ms);
  std::string delivered;
  for (const auto& a : webhook.Alerts()) delivered += a["labels"].dump() + "\n";
  INFO("alerts delivered:\n" << delivered);
  INFO("/metrics risk:\n"
       << [&] {
            std::string out;
            for (const auto& s : exporter.ScrapeMetrics().Samples("redis_timeout_risk")) {
              out += s.labels.at("target") + " " + s.labels.at("cause") + " " +
                     std::to_string(s.value) + "\n";
            }
            return out;
          }());
  CHECK(all_arrived);
  for (const auto& [target, cause] : expected) {
    INFO("target " << target);
    CHECK(received(target, cause));
    for (const auto& other : causes) {
      if (other == cause) continue;
      INFO("unexpected cause " << other);
      CHECK_FALSE(received(target, other));
    }
  }
  for (const auto& a : webhook.Alerts()) {
    INFO(a.dump());
    CHECK(a["labels"].value("target", "") != "healthy-1");
  }
  for (const auto& a : webhook.Alerts()) {
    const auto& ann = a["annotations"];
    INFO(a.dump());
    CHECK_THAT(ann.value("runbook_url", ""), Catch::Contains("docs/runbooks/"));
    CHECK_FALSE(ann.value("summary", "").empty());
  }

  // Every panel query of both dashboards, with the variables substituted, returns data.
  Subprocess lister({"python3", std::string(RTE_SOURCE_DIR) + "/tests/dashboards/panel_queries.py",
                     "--datasource", "prometheus", "--target", "healthy-1", "--rate-interval",
                     "15s", "--interval", "1s"},
                    dir.path());
  REQUIRE(lister.Wait(30s) == 0);
  std::istringstream lines(lister.ReadStdout());
  int queries = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const json q = json::parse(line);
    const std::string expr = q.at("expr");
    const json r = PromQuery(prom_port, expr);
    INFO(q.dump() << "\n-> " << r.dump().substr(0, 500));
    CHECK(r.value("status", "") == "success");
    CHECK(r.contains("data"));
    if (r.contains("data")) {
      const auto& result = r["data"]["result"];
      CHECK((result.is_array() ? !result.empty() : !result.is_null()));
    }
    ++queries;
  }
  CHECK(queries >= 20);
}

TEST_CASE("full stack: Prometheus scrapes the exporter over HTTPS with basic auth",
          "[stack][web]") {
  REQUIRE(access("/usr/bin/prometheus", X_OK) == 0);
  TempDir dir("rte-stack-web");
  TestPki pki;
  const std::string password = "rte-stack-Pa55word";
  WebConfigText web;
  web.server = pki.Issue("exporter", "IP:127.0.0.1");
  web.basic_auth_users = {{"prometheus", BcryptHash(password)}};
  RedisServer redis;
  WebExporter exporter(
      RTE_EXPORTER_BINARY,
      "poll_interval: 250ms\ntargets:\n  - {name: cache-1, address: '" + redis.address() + "'}\n",
      web.Yaml());
  const std::string password_file = dir.WriteFile("password", password);
  const int prom_port = FreeLoopbackPort();
  WriteText(dir.path() + "/prometheus.yml",
            "global: {scrape_interval: 1s}\n"
            "scrape_configs:\n  - job_name: redis-timeout-exporter\n"
            "    scheme: https\n"
            "    tls_config: {ca_file: " +
                pki.ca_file() +
                "}\n"
                "    basic_auth: {username: prometheus, password_file: " +
                password_file +
                "}\n"
                "    static_configs: [{targets: ['127.0.0.1:" +
                std::to_string(exporter.port()) + "']}]\n");
  Subprocess prometheus(PrometheusArgv(dir.path(), prom_port), dir.path());
  INFO("prometheus stderr: " << prometheus.ReadStderr().substr(0, 4000));
  json result;
  const bool scraped = WaitUntil(
      [&] {
        result = PromQuery(prom_port, "redis_timeout_target_up{target=\"cache-1\"} == 1");
        return result.value("status", "") == "success" && !result["data"]["result"].empty();
      },
      60s, 500ms);
  INFO(result.dump());
  CHECK(scraped);
  const json up = PromQuery(prom_port, "up{job=\"redis-timeout-exporter\"}");
  INFO(up.dump());
  REQUIRE(!up["data"]["result"].empty());
  CHECK(up["data"]["result"][0]["value"][1] == "1");
}
