// --web.config.file against the real daemon, spoken to by curl and openssl s_client: HTTPS with
// the test CA, client certificates by client_auth_type, min_version, basic auth with a bcrypt
// hash, /-/healthy open, extra headers, a broken web config on reload, refused handshakes logged.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>
#include <optional>

#include "exporter_process.h"
#include "redis_server.h"
#include "subprocess.h"
#include "temp_dir.h"
#include "test_pki.h"
#include "wait_until.h"
#include "web_exporter.h"

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

struct SClientResult {
  std::optional<int> exit_code;  // nullopt: still running after 30 s
  std::string output;            // stdout and stderr
};

// One connection with `openssl s_client` to 127.0.0.1:port; stdin is /dev/null, so it closes
// as soon as the handshake is over.
SClientResult SClient(int port, const std::vector<std::string>& args) {
  TempDir out("rte-s-client");
  std::vector<std::string> argv = {"openssl", "s_client", "-connect",
                                   "127.0.0.1:" + std::to_string(port)};
  argv.insert(argv.end(), args.begin(), args.end());
  Subprocess s_client(argv, out.path());
  SClientResult r;
  r.exit_code = s_client.Wait(30s);
  r.output = s_client.ReadStdout() + s_client.ReadStderr();
  return r;
}

// The daemon's log once it holds `text` (a log line is written as the connection closes,
// which the client may see first); the log as it is after 10 s otherwise.
std::string LogWith(ExporterProcess& exporter, const std::string& text) {
  std::string log;
  WaitUntil(
      [&] {
        log = exporter.ReadStderr();
        return log.find(text) != std::string::npos;
      },
      10s);
  return log;
}

}  // namespace

TEST_CASE("web: HTTPS with basic auth; /-/healthy open; a broken web config keeps the old one",
          "[web]") {
  TestPki pki;
  WebConfigText web_config;
  web_config.server = pki.Issue("exporter", "IP:127.0.0.1,DNS:localhost");
  web_config.basic_auth_users = {{kUser, BcryptHash(kPassword)}};
  web_config.headers = {{"X-Frame-Options", "deny"}};
  RedisServer redis;
  WebExporter web_exporter(
      ExporterBinary(),
      "poll_interval: 250ms\ntargets:\n  - name: cache\n    address: " + redis.address() + "\n",
      web_config.Yaml());
  ExporterProcess& exporter = web_exporter.exporter();
  const std::string& web = web_exporter.web_config_path();
  const std::string base = web_exporter.HttpsUrl("");
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
  // The refused handshakes above (curl without the CA, plain HTTP) are logged, once a reason.
  CHECK_THAT(log, Catch::Contains("event=web_tls_handshake_failed remote=127.0.0.1:"));
  CHECK_THAT(log, Catch::Contains("reason=\"http request\""));
  // Many refused requests, one log line (then a summary at most every five minutes).
  const auto first = log.find("event=web_auth_failed");
  REQUIRE(first != std::string::npos);
  CHECK(log.find("event=web_auth_failed", first + 1) == std::string::npos);
}

TEST_CASE("web: a broken web config at start is a startup error", "[web]") {
  TempDir dir;
  const std::string web = dir.WriteFile("web.yml", "tls_server_config: {cert_file: /nope}\n");
  const std::string config = dir.WriteFile("c.yaml", RefusingTargetConfig());
  ExporterRun run = RunExporter(
      {"--config.file=" + config, "--web.config.file=" + web, "--web.listen-address=127.0.0.1:0"});
  INFO(run.stderr_text);
  CHECK(run.exit_code == 1);
  CHECK_THAT(run.stderr_text,
             Catch::Contains("web.yml:1:20: tls_server_config.key_file: is required"));
}

TEST_CASE("web: client_auth_type admits client certificates as exporter-toolkit does", "[web]") {
  TestPki pki;  // signs the server's certificate and the clients it trusts
  TestPki other("another CA");
  const CertificateFiles server = pki.Issue("exporter", "IP:127.0.0.1,DNS:localhost");
  const CertificateFiles trusted = pki.Issue("scraper", "DNS:scraper", 30, true);
  const CertificateFiles stranger = other.Issue("stranger", "DNS:stranger", 30, true);
  // Go's tls.ClientAuthType, which exporter-toolkit maps these names onto: whether a client
  // without a certificate, and one with a certificate of another CA, is served.
  struct Case {
    const char* type;
    bool without_cert;
    bool other_ca;
  };
  const Case cases[] = {
      {"NoClientCert", true, true},
      {"RequestClientCert", true, true},
      {"RequireAnyClientCert", false, true},
      {"VerifyClientCertIfGiven", true, false},
      {"RequireAndVerifyClientCert", false, false},
  };
  const std::vector<std::string> ca = {"--cacert", pki.ca_file()};
  auto with_cert = [&](const CertificateFiles& cert) {
    std::vector<std::string> args = ca;
    args.insert(args.end(), {"--cert", cert.cert, "--key", cert.key});
    return args;
  };
  for (const Case& c : cases) {
    INFO("client_auth_type: " << c.type);
    WebConfigText web;
    web.server = server;
    web.client_auth_type = c.type;
    if (std::string(c.type) != "NoClientCert") web.client_ca_file = pki.ca_file();
    WebExporter exporter(ExporterBinary(), RefusingTargetConfig(), web.Yaml());
    const std::string url = exporter.HttpsUrl("/metrics");
    // Every type serves a client whose certificate client_ca_file signed.
    REQUIRE(WaitUntil([&] { return Curl(url, with_cert(trusted)).status == 200; }, 20s));
    CHECK((Curl(url, ca).status == 200) == c.without_cert);
    CHECK((Curl(url, with_cert(stranger)).status == 200) == c.other_ca);

    std::string log = exporter.exporter().ReadStderr();
    if (!c.without_cert) {
      log = LogWith(exporter.exporter(), "reason=\"peer did not return a certificate\"");
      CHECK_THAT(log, Catch::Contains("event=web_tls_handshake_failed remote=127.0.0.1:"));
      CHECK_THAT(log, Catch::Contains("reason=\"peer did not return a certificate\""));
    }
    if (!c.other_ca) {
      log = LogWith(exporter.exporter(), "reason=\"certificate verify failed");
      CHECK_THAT(log, Catch::Contains("reason=\"certificate verify failed: unable to get local "
                                      "issuer certificate\""));
    }
    const int refused = (c.without_cert ? 0 : 1) + (c.other_ca ? 0 : 1);
    CurlResult metrics = Curl(url, with_cert(trusted));
    CHECK_THAT(metrics.body, Catch::Contains("redis_timeout_web_tls_handshake_failures_total " +
                                             std::to_string(refused) + "\n"));
    if (refused == 0) CHECK_THAT(log, !Catch::Contains("event=web_tls_handshake_failed"));
  }
}

TEST_CASE("web: a TLS 1.2 session with a client certificate is resumed", "[web]") {
  // OpenSSL refuses to resume any session ("session id context uninitialized") when the server
  // asks for certificates and has no session id context; curl and browsers resume sessions.
  TestPki pki;
  WebConfigText web;
  web.server = pki.Issue("exporter", "IP:127.0.0.1,DNS:localhost");
  web.client_auth_type = "RequireAndVerifyClientCert";
  web.client_ca_file = pki.ca_file();
  const CertificateFiles client = pki.Issue("scraper", "DNS:scraper", 30, true);
  WebExporter exporter(ExporterBinary(), RefusingTargetConfig(), web.Yaml());
  TempDir dir("rte-session");
  const std::string session = dir.File("session.pem");
  const std::vector<std::string> args = {"-tls1_2",   "-CAfile", pki.ca_file(), "-cert",
                                         client.cert, "-key",    client.key};
  auto with = [&](std::vector<std::string> more) {
    more.insert(more.begin(), args.begin(), args.end());
    return more;
  };
  SClientResult first;
  REQUIRE(WaitUntil(
      [&] {
        first = SClient(exporter.port(), with({"-sess_out", session}));
        return first.exit_code == 0;
      },
      20s));
  CHECK_THAT(first.output, Catch::Contains("New, TLSv1.2"));
  const SClientResult resumed = SClient(exporter.port(), with({"-sess_in", session}));
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  CHECK_THAT(resumed.output, Catch::Contains("Reused, TLSv1.2"));
  CHECK_THAT(exporter.exporter().ReadStderr(), !Catch::Contains("event=web_tls_handshake_failed"));
}

TEST_CASE("web: min_version TLS13 refuses TLS 1.2 clients; plain HTTP to HTTPS is logged",
          "[web]") {
  TestPki pki;
  WebConfigText web;
  web.server = pki.Issue("exporter", "IP:127.0.0.1,DNS:localhost");
  web.min_version = "TLS13";
  WebExporter exporter(ExporterBinary(), RefusingTargetConfig(), web.Yaml());
  const std::string url = exporter.HttpsUrl("/metrics");
  const std::vector<std::string> tls13 = {"--cacert", pki.ca_file(), "--tlsv1.3"};
  REQUIRE(WaitUntil([&] { return Curl(url, tls13).status == 200; }, 20s));

  CHECK(Curl(url, {"--cacert", pki.ca_file(), "--tls-max", "1.2"}).status == 0);
  const SClientResult tls12 = SClient(exporter.port(), {"-tls1_2", "-CAfile", pki.ca_file()});
  INFO("openssl s_client: " << tls12.output);
  CHECK((tls12.exit_code.has_value() && *tls12.exit_code != 0));
  std::string log = LogWith(exporter.exporter(), "reason=\"unsupported protocol\"");
  CHECK_THAT(log, Catch::Contains("event=web_tls_handshake_failed remote=127.0.0.1:"));
  CHECK_THAT(log, Catch::Contains("reason=\"unsupported protocol\""));

  CHECK(exporter.exporter().Get("/metrics").status != 200);
  log = LogWith(exporter.exporter(), "reason=\"http request\"");
  CHECK_THAT(log, Catch::Contains("reason=\"http request\""));
  // The TLS 1.3 client is still served, and the refusals (curl, s_client, plain HTTP) counted.
  CurlResult metrics = Curl(url, tls13);
  CHECK(metrics.status == 200);
  CHECK_THAT(metrics.body, Catch::Contains("redis_timeout_web_tls_handshake_failures_total 3\n"));
}
