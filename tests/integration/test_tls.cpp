// rediss:// targets against real TLS-only redis-servers (`--port 0 --tls-port N`) with
// certificates made by the openssl command line: trust, names, expiry, mutual TLS, skipping
// verification, rotation on disk, and the TLS figures.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "exporter_process.h"
#include "redis_server.h"
#include "temp_dir.h"
#include "test_pki.h"
#include "wait_until.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr char kLoopbackNames[] = "IP:127.0.0.1,DNS:localhost";

// One TLS target; `tls_yaml` is the body of its tls: mapping (may be empty).
std::string TlsConfig(const std::string& address, const std::string& tls_yaml) {
  std::string out = "poll_interval: 250ms\nprobe_interval: 100ms\ntargets:\n  - name: tls\n";
  out += "    address: " + address + "\n";
  if (!tls_yaml.empty()) out += "    tls: {" + tls_yaml + "}\n";
  return out;
}

const Labels kTarget{{"target", "tls"}};

// The target stays down with at least one failed poll at stage tls, and /triage says why.
void ExpectTlsFailure(ExporterProcess& exporter, const std::string& reason) {
  REQUIRE(exporter.WaitForMetric("redis_timeout_poll_errors_total",
                                 {{"target", "tls"}, {"stage", "tls"}}, AtLeast(1), 20s));
  CHECK(exporter.Metric("redis_timeout_target_up", kTarget) == 0.0);
  CHECK(exporter.Metric("redis_timeout_poll_errors_total",
                        {{"target", "tls"}, {"stage", "connect"}}) == 0.0);
  CHECK(exporter.WaitForMetric("redis_timeout_connect_refusals_total",
                               {{"target", "tls"}, {"reason", "tls"}}, AtLeast(1), 20s));
  const std::string page = exporter.Get("/triage").body;
  INFO(page);
  CHECK_THAT(page, Catch::Contains(reason));
  CHECK_THAT(exporter.ReadStderr(), Catch::Contains("stage=tls") && Catch::Contains(reason));
}

}  // namespace

TEST_CASE("tls: rediss:// with the CA is up, with the certificate's notAfter and a handshake time",
          "[tls]") {
  TestPki pki;
  const CertificateFiles server = pki.Issue("server", kLoopbackNames, 20);
  RedisServer redis({server.cert, server.key, pki.ca_file()}, {});
  ExporterProcess exporter =
      StartExporter(TlsConfig(redis.tls_address(), "ca_file: " + pki.ca_file()));
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", kTarget, Equals(1), 20s));
  CHECK(exporter.Metric("redis_timeout_memory_used_bytes", kTarget) > 0.0);
  REQUIRE(exporter.WaitForMetric("redis_timeout_tls_certificate_expiry_timestamp_seconds", kTarget,
                                 Equals(CertificateNotAfter(server.cert)), 20s));
  REQUIRE(exporter.WaitForMetric("redis_timeout_tls_handshake_duration_seconds", kTarget, Above(0),
                                 20s));
  CHECK(exporter.Metric("redis_timeout_tls_handshake_duration_seconds", kTarget) < 5.0);
  CHECK(exporter.Metric("redis_timeout_tls_insecure_skip_verify", kTarget) == 0.0);
  // The PING probe runs over TLS too.
  REQUIRE(exporter.WaitForMetric("redis_timeout_ping_rtt_seconds_count", kTarget, AtLeast(5), 20s));
  CHECK(exporter.Metric("redis_timeout_poll_errors_total", {{"target", "tls"}, {"stage", "tls"}}) ==
        0.0);
  // The server sees the exporter's connections as TLS clients by name.
  const std::string clients = redis.Command({"CLIENT", "LIST"}).str;
  CHECK_THAT(clients, Catch::Contains("name=redis-timeout-exporter "));
  CHECK_THAT(clients, Catch::Contains("name=redis-timeout-exporter-probe"));
}

TEST_CASE("tls: a server certificate from another CA is down at stage tls: unknown CA", "[tls]") {
  TestPki pki;
  TestPki other("another CA");
  const CertificateFiles server = other.Issue("server", kLoopbackNames);
  RedisServer redis({server.cert, server.key, other.ca_file()}, {});
  ExporterProcess exporter =
      StartExporter(TlsConfig(redis.tls_address(), "ca_file: " + pki.ca_file()));
  ExpectTlsFailure(exporter, "unknown CA");
}

TEST_CASE("tls: rediss:// alone uses the system trust store, which does not know a test CA",
          "[tls]") {
  TestPki pki;
  const CertificateFiles server = pki.Issue("server", kLoopbackNames);
  RedisServer redis({server.cert, server.key, pki.ca_file()}, {});
  ExporterProcess exporter = StartExporter(TlsConfig(redis.tls_address(), ""));
  ExpectTlsFailure(exporter, "unknown CA");
}

TEST_CASE("tls: a certificate for another name is down (name mismatch), up with server_name",
          "[tls]") {
  TestPki pki;
  const CertificateFiles server = pki.Issue("server", "DNS:cache.internal.example");
  RedisServer redis({server.cert, server.key, pki.ca_file()}, {});
  {
    ExporterProcess exporter =
        StartExporter(TlsConfig(redis.tls_address(), "ca_file: " + pki.ca_file()));
    ExpectTlsFailure(exporter, "name mismatch");
  }
  ExporterProcess exporter = StartExporter(TlsConfig(
      redis.tls_address(), "ca_file: " + pki.ca_file() + ", server_name: cache.internal.example"));
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", kTarget, Equals(1), 20s));
}

TEST_CASE("tls: an expired server certificate is down at stage tls: expired", "[tls]") {
  TestPki pki;
  const CertificateFiles server = pki.Issue("server", kLoopbackNames, -1);
  RedisServer redis({server.cert, server.key, pki.ca_file()}, {});
  ExporterProcess exporter =
      StartExporter(TlsConfig(redis.tls_address(), "ca_file: " + pki.ca_file()));
  ExpectTlsFailure(exporter, "expired");
}

TEST_CASE("tls: mutual TLS is down without a client certificate and up with one", "[tls]") {
  TestPki pki;
  const CertificateFiles server = pki.Issue("server", kLoopbackNames);
  const CertificateFiles client = pki.Issue("exporter", "DNS:redis-timeout-exporter", 30, true);
  RedisServer redis({server.cert, server.key, pki.ca_file(), /*auth_clients=*/true}, {});
  {
    ExporterProcess exporter =
        StartExporter(TlsConfig(redis.tls_address(), "ca_file: " + pki.ca_file()));
    ExpectTlsFailure(exporter, "no client certificate");
  }
  ExporterProcess exporter = StartExporter(TlsConfig(
      redis.tls_address(),
      "ca_file: " + pki.ca_file() + ", cert_file: " + client.cert + ", key_file: " + client.key));
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", kTarget, Equals(1), 20s));
  REQUIRE(exporter.WaitForMetric("redis_timeout_tls_certificate_expiry_timestamp_seconds", kTarget,
                                 Equals(CertificateNotAfter(server.cert)), 20s));
  // The key never shows.
  const std::string key_pem = ReadFile(client.key);
  REQUIRE(key_pem.size() > 100);
  const std::string key_body = key_pem.substr(40, 40);
  CHECK_THAT(exporter.ReadStderr() + exporter.Scrape() + exporter.Get("/triage").body,
             !Catch::Contains(key_body));
}

TEST_CASE("tls: insecure_skip_verify is up with an unknown CA, warns once, sets the metric",
          "[tls]") {
  TestPki other("another CA");
  const CertificateFiles server = other.Issue("server", "DNS:elsewhere.example");
  RedisServer redis({server.cert, server.key, other.ca_file()}, {});
  ExporterProcess exporter =
      StartExporter(TlsConfig(redis.tls_address(), "insecure_skip_verify: true"));
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", kTarget, Equals(1), 20s));
  CHECK(exporter.Metric("redis_timeout_tls_insecure_skip_verify", kTarget) == 1.0);
  REQUIRE(exporter.WaitForPolls("tls", 3, 20s));
  const std::string log = exporter.ReadStderr();
  const auto first = log.find("event=tls_insecure_skip_verify target=tls");
  REQUIRE(first != std::string::npos);
  CHECK(log.find("event=tls_insecure_skip_verify", first + 1) == std::string::npos);
}

TEST_CASE("tls: a CA file rotated on disk is picked up at the next connection, no restart",
          "[tls]") {
  TestPki first_ca("first CA");
  TestPki second_ca("second CA");
  const CertificateFiles first = first_ca.Issue("first", kLoopbackNames, 30);
  const CertificateFiles second = second_ca.Issue("second", kLoopbackNames, 10);
  RedisServer redis({first.cert, first.key, first_ca.ca_file()}, {});
  TempDir files;
  const std::string ca_file = files.WriteFile("ca.pem", ReadFile(first_ca.ca_file()));
  ExporterProcess exporter = StartExporter(TlsConfig(redis.tls_address(), "ca_file: " + ca_file));
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", kTarget, Equals(1), 20s));
  REQUIRE(exporter.WaitForMetric("redis_timeout_tls_certificate_expiry_timestamp_seconds", kTarget,
                                 Equals(CertificateNotAfter(first.cert)), 20s));

  // The server moves to a certificate of another CA and drops its clients: the exporter,
  // still trusting only the first CA, cannot reconnect.
  REQUIRE(redis.Command({"CONFIG", "SET", "tls-cert-file", second.cert, "tls-key-file", second.key})
              .str == "OK");
  redis.Command({"CLIENT", "KILL", "TYPE", "normal"});
  REQUIRE(exporter.WaitForMetric("redis_timeout_poll_errors_total",
                                 {{"target", "tls"}, {"stage", "tls"}}, AtLeast(1), 20s));
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", kTarget, Equals(0), 20s));

  // The operator installs the new CA file; the next connection reads it.
  WriteFile(ca_file, ReadFile(second_ca.ca_file()));
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", kTarget, Equals(1), 60s));
  REQUIRE(exporter.WaitForMetric("redis_timeout_tls_certificate_expiry_timestamp_seconds", kTarget,
                                 Equals(CertificateNotAfter(second.cert)), 20s));
  CHECK(CertificateNotAfter(second.cert) < CertificateNotAfter(first.cert));
}

TEST_CASE("tls: a plain-text port behind rediss:// says it does not speak TLS", "[tls]") {
  RedisServer plain;
  TestPki pki;
  ExporterProcess exporter =
      StartExporter(TlsConfig("rediss://" + plain.address(), "ca_file: " + pki.ca_file()));
  ExpectTlsFailure(exporter, "does not speak TLS");
}

TEST_CASE("tls: OpenSSL is mapped only once a rediss:// target needs it", "[tls]") {
  RedisServer plain;
  TestPki pki;
  const CertificateFiles server = pki.Issue("server", kLoopbackNames);
  RedisServer redis({server.cert, server.key, pki.ca_file()}, {});
  const std::string plain_only = "poll_interval: 250ms\nprobe_interval: 100ms\ntargets:\n" +
                                 std::string("  - name: plain\n    address: ") + plain.address() +
                                 "\n";
  ExporterProcess exporter = StartExporter(plain_only);
  REQUIRE(exporter.WaitForPolls("plain", 2, 20s));
  const std::string maps = "/proc/" + std::to_string(exporter.process().pid()) + "/maps";
  // Mapping them costs about 2 MiB of RSS that a plain-TCP exporter never uses.
  CHECK_THAT(ReadFile(maps), !Catch::Contains("libssl") && !Catch::Contains("libcrypto") &&
                                 !Catch::Contains("libevent_openssl") &&
                                 !Catch::Contains("libcrypt.so"));
  exporter.RewriteConfig(plain_only + "  - name: tls\n    address: " + redis.tls_address() +
                         "\n    tls: {ca_file: " + pki.ca_file() + "}\n");
  exporter.Reload();
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", kTarget, Equals(1), 20s));
  CHECK(exporter.Metric("redis_timeout_target_up", {{"target", "plain"}}) == 1.0);
  CHECK_THAT(ReadFile(maps), Catch::Contains("libssl.so.3") && Catch::Contains("libcrypto.so.3"));
}

TEST_CASE("tls: address forms are checked by --config.check with file:line:column", "[tls]") {
  TempDir dir;
  const std::string bad =
      dir.WriteFile("bad.yaml", "targets:\n  - name: a\n    address: http://cache:6379\n");
  ExporterRun run = RunExporter({"--config.check", "--config.file=" + bad});
  INFO(run.stdout_text << run.stderr_text);
  CHECK(run.exit_code != 0);
  CHECK_THAT(run.stdout_text + run.stderr_text,
             Catch::Contains(bad + ":3:14: targets[0].address: unsupported scheme 'http://'"));
  const std::string good =
      dir.WriteFile("good.yaml",
                    "tls: {ca_file: /etc/ssl/certs/ca-certificates.crt}\ntargets:\n"
                    "  - {name: a, address: 'rediss://cache.example:6380'}\n"
                    "  - {name: b, address: 'redis://cache.example'}\n"
                    "  - {name: c, address: 'unix:///run/redis.sock'}\n");
  ExporterRun ok = RunExporter({"--config.check", "--config.file=" + good});
  INFO(ok.stdout_text << ok.stderr_text);
  CHECK(ok.exit_code == 0);
}

TEST_CASE("tls: triage takes the TLS flags", "[tls][triage]") {
  TestPki pki;
  TestPki other("another CA");
  const CertificateFiles server = pki.Issue("server", kLoopbackNames);
  const CertificateFiles client = pki.Issue("exporter", "DNS:redis-timeout-exporter", 30, true);
  RedisServer redis({server.cert, server.key, pki.ca_file(), /*auth_clients=*/true}, {});
  const std::vector<std::string> base = {"triage", "--duration=2s", "--output=json",
                                         "--address=" + redis.tls_address()};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = base;
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunExporter(argv, 30s);
  };
  {
    ExporterRun run = with({"--tls.ca-file=" + pki.ca_file(), "--tls.cert-file=" + client.cert,
                            "--tls.key-file=" + client.key});
    INFO(run.stdout_text << run.stderr_text);
    const auto doc = nlohmann::json::parse(run.stdout_text);
    CHECK(doc["targets"][0]["reachable"] == true);
    CHECK(run.exit_code != 3);
  }
  {
    ExporterRun run = with({"--tls.ca-file=" + other.ca_file(), "--tls.cert-file=" + client.cert,
                            "--tls.key-file=" + client.key});
    INFO(run.stdout_text << run.stderr_text);
    CHECK(run.exit_code == 3);
    const auto doc = nlohmann::json::parse(run.stdout_text);
    CHECK(doc["targets"][0]["error"]["stage"] == "tls");
    CHECK_THAT(doc["targets"][0]["error"]["message"].get<std::string>(),
               Catch::Contains("unknown CA"));
  }
  {
    ExporterRun run = with({"--tls.insecure-skip-verify", "--tls.cert-file=" + client.cert,
                            "--tls.key-file=" + client.key, "--tls.server-name=elsewhere"});
    INFO(run.stdout_text << run.stderr_text);
    const auto doc = nlohmann::json::parse(run.stdout_text);
    CHECK(doc["targets"][0]["reachable"] == true);
  }
  {
    ExporterRun run =
        RunExporter({"triage", "--address=" + redis.address(), "--tls.ca-file=" + pki.ca_file()});
    CHECK(run.exit_code == 64);
    CHECK_THAT(run.stderr_text, Catch::Contains("need a rediss:// address"));
  }
}
