// --web.config.file against the real daemon, spoken to by curl: HTTPS with the test CA, basic
// auth with a bcrypt hash, /-/healthy open, extra headers, and a broken web config on reload.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>

#include "exporter_process.h"
#include "redis_server.h"
#include "subprocess.h"
#include "temp_dir.h"
#include "test_pki.h"
#include "wait_until.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr char kUser[] = "prometheus";
constexpr char kPassword[] = "rte-web-Pa55word";

struct CurlResult {
  int status = 0;  // 0: no HTTP response (TLS or connection failure)
  std::string headers;
  std::string body;
};

// One request with curl; `args` adds options such as -u or -X POST.
CurlResult Curl(const std::string& url, const std::vector<std::string>& args) {
  TempDir out("rte-curl");
  std::vector<std::string> argv = {
      "curl",         "-s",         "-o", out.File("body"), "-D", out.File("headers"), "-w",
      "%{http_code}", "--max-time", "10"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(url);
  Subprocess curl(argv, out.path());
  curl.Wait(30s);
  CurlResult r;
  const std::string code = curl.ReadStdout();
  r.status = code.empty() ? 0 : std::atoi(code.c_str());
  r.headers = ReadFile(out.File("headers"));
  r.body = ReadFile(out.File("body"));
  return r;
}

std::string WebConfig(const CertificateFiles& cert, const std::string& hash) {
  return "tls_server_config:\n  cert_file: " + cert.cert + "\n  key_file: " + cert.key +
         "\nbasic_auth_users:\n  " + kUser + ": '" + hash +
         "'\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n";
}

}  // namespace

TEST_CASE("web: HTTPS with basic auth; /-/healthy open; a broken web config keeps the old one",
          "[web]") {
  TestPki pki;
  const CertificateFiles cert = pki.Issue("exporter", "IP:127.0.0.1,DNS:localhost");
  TempDir dir;
  const std::string web = dir.WriteFile("web.yml", WebConfig(cert, BcryptHash(kPassword)));
  RedisServer redis;
  ExporterOptions options;
  options.wait_healthy = false;
  options.extra_args = {"--web.config.file=" + web};
  ExporterProcess exporter = StartExporter(
      "poll_interval: 250ms\ntargets:\n  - name: cache\n    address: " + redis.address() + "\n",
      options);
  const std::string base = "https://127.0.0.1:" + std::to_string(exporter.port());
  const std::vector<std::string> ca = {"--cacert", pki.ca_file()};
  auto with = [&](std::vector<std::string> more) {
    more.insert(more.begin(), ca.begin(), ca.end());
    return more;
  };
  const std::string credentials = std::string(kUser) + ":" + kPassword;

  REQUIRE(WaitUntil([&] { return Curl(base + "/-/healthy", ca).status == 200; }, 20s));
  CurlResult metrics;
  REQUIRE(WaitUntil(
      [&] {
        metrics = Curl(base + "/metrics", with({"-u", credentials}));
        return metrics.body.find("redis_timeout_target_up{target=\"cache\"} 1") !=
               std::string::npos;
      },
      20s));
  CHECK(metrics.status == 200);
  CHECK_THAT(metrics.headers, Catch::Contains("X-Frame-Options: deny"));

  CurlResult missing = Curl(base + "/metrics", ca);
  CHECK(missing.status == 401);
  CHECK_THAT(missing.headers, Catch::Contains("WWW-Authenticate: Basic"));
  CHECK(Curl(base + "/metrics", with({"-u", std::string(kUser) + ":wrong"})).status == 401);
  CHECK(Curl(base + "/triage", with({"-u", std::string(kUser) + ":wrong"})).status == 401);
  CHECK(Curl(base + "/", ca).status == 401);
  CHECK(Curl(base + "/triage", with({"-u", credentials})).status == 200);
  CHECK(Curl(base + "/-/reload", with({"-u", credentials})).status == 405);
  // Without the CA curl refuses the certificate; plain HTTP to the TLS port gets no answer.
  CHECK(Curl(base + "/-/healthy", {}).status == 0);
  CHECK(exporter.Get("/-/healthy").status != 200);
  CHECK(Curl(base + "/-/healthy", ca).status == 200);

  // A broken web config: the reload fails, the old one (TLS and auth) stays in force.
  WriteFile(web, "basic_auth_users: {prometheus: not-a-hash}\n");
  CurlResult reload = Curl(base + "/-/reload", with({"-u", credentials, "-X", "POST"}));
  CHECK(reload.status == 500);
  CHECK_THAT(reload.body, Catch::Contains("basic_auth_users.prometheus: expected a bcrypt hash"));
  metrics = Curl(base + "/metrics", with({"-u", credentials}));
  CHECK(metrics.status == 200);
  CHECK_THAT(metrics.body, Catch::Contains("redis_timeout_config_last_reload_successful 0"));
  CHECK(Curl(base + "/metrics", ca).status == 401);

  // Fixed again: a reload applies it; without TLS the port speaks plain HTTP.
  WriteFile(web,
            std::string("basic_auth_users:\n  ") + kUser + ": '" + BcryptHash(kPassword) + "'\n");
  CHECK(Curl(base + "/-/reload", with({"-u", credentials, "-X", "POST"})).status == 200);
  const std::string plain = "http://127.0.0.1:" + std::to_string(exporter.port());
  CHECK(Curl(plain + "/metrics", {"-u", credentials}).status == 200);
  CHECK(Curl(plain + "/metrics", {}).status == 401);
  CHECK(Curl(plain + "/-/healthy", {}).status == 200);
  const std::string log = exporter.ReadStderr();
  CHECK_THAT(log, !Catch::Contains(kPassword));
  // Many refused requests, one log line (then a summary at most every five minutes).
  const auto first = log.find("event=web_auth_failed");
  REQUIRE(first != std::string::npos);
  CHECK(log.find("event=web_auth_failed", first + 1) == std::string::npos);
}

TEST_CASE("web: a broken web config at start is a startup error", "[web]") {
  TempDir dir;
  const std::string web = dir.WriteFile("web.yml", "tls_server_config: {cert_file: /nope}\n");
  const std::string config = dir.WriteFile("c.yaml", "targets: []\n");
  ExporterRun run = RunExporter(
      {"--config.file=" + config, "--web.config.file=" + web, "--web.listen-address=127.0.0.1:0"});
  INFO(run.stderr_text);
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.stderr_text,
             Catch::Contains("web.yml:1:20: tls_server_config.key_file: is required"));
}
