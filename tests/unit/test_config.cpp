// Config loader: defaults, overrides, and errors that name file, line, column and key.
#include <catch2/catch.hpp>

#include "config/config.h"

using namespace rte;

TEST_CASE("a full config parses with global defaults and per-target overrides", "[config]") {
  const std::string text = R"(poll_interval: 2s
client_timeout: 250ms
targets:
  - name: cache-1
    address: 127.0.0.1:6379
  - name: cache-2
    address: unix:///run/redis/redis.sock
    username: app
    password_env: REDIS_PASSWORD
    poll_interval: 500ms
    client_list_interval: 10s
    pools:
      - {name: api, client_name: "api-*", size: 50}
)";
  auto config = ParseConfig(text, "c.yaml");
  REQUIRE(config.ok());
  const auto& t = config.value().targets;
  REQUIRE(t.size() == 2);
  CHECK(t[0].name == "cache-1");
  CHECK(t[0].endpoint.host == "127.0.0.1");
  CHECK(t[0].endpoint.port == 6379);
  CHECK(t[0].poll_interval == 2s);
  CHECK(t[0].poll_timeout == 2s);  // min(3s, poll_interval)
  CHECK(t[0].client_timeout == 250ms);
  CHECK(t[0].probe_interval == 1s);
  CHECK(t[0].latency_window == 60s);
  CHECK_FALSE(t[0].local.has_value());
  CHECK(config.value().kernel_interval == 2s);
  CHECK(t[1].endpoint.kind == Endpoint::Kind::kUnix);
  CHECK(t[1].endpoint.path == "/run/redis/redis.sock");
  CHECK(t[1].poll_interval == 500ms);
  CHECK(t[1].poll_timeout == 500ms);
  CHECK(t[1].connect_timeout == 500ms);
  CHECK(t[1].client_list_interval == 10s);
  CHECK(t[1].password.env_var == "REDIS_PASSWORD");
  REQUIRE(t[1].pools.size() == 1);
  CHECK(t[1].pools[0].client_name == "api-*");
  CHECK(t[1].pools[0].size == 50);
}

TEST_CASE("config errors name file, line, column and key", "[config]") {
  struct Case {
    const char* what;
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"unknown key", "targets:\n  - name: a\n    adress: 1.2.3.4:6379\n",
       "c.yaml:3:5: targets[0].adress: unknown key"},
      {"bad duration", "poll_interval: 5x\ntargets: [{name: a, address: 'h:1'}]\n",
       "c.yaml:1:16: poll_interval: '5x' has no unit"},
      {"missing address", "targets:\n  - name: a\n", "c.yaml:2:5: targets[0].address: is required"},
      {"duplicate name", "targets:\n  - {name: a, address: 'h:1'}\n  - {name: a, address: 'h:2'}\n",
       "c.yaml:3:12: targets[1].name: duplicate target name 'a'"},
      {"bad port", "targets:\n  - {name: a, address: 'h:99999'}\n",
       "targets[0].address: expected host:port with a port from 1 to 65535"},
      {"poll_timeout too long",
       "targets:\n  - {name: a, address: 'h:1', poll_interval: 1s, poll_timeout: 2s}\n",
       "targets[0].poll_timeout: must not be longer than poll_interval (1s)"},
      {"both password sources",
       "targets:\n  - {name: a, address: 'h:1', password_file: /x, password_env: Y}\n",
       "give password_file or password_env, not both"},
      {"pool without size",
       "targets:\n  - name: a\n    address: h:1\n    pools: [{name: p, client_name: x}]\n",
       "targets[0].pools[0].size: is required"},
      {"bad target name", "targets:\n  - {name: 'a b', address: 'h:1'}\n",
       "targets[0].name: use 1-128 characters"},
      {"yaml syntax", "targets: [\n", "c.yaml:2:1: (yaml):"},
      {"empty file", "", "c.yaml:1:1: (top level): the file is empty"},
      {"no targets", "poll_interval: 1s\n",
       "c.yaml:1:1: targets: no targets configured: list at least one target"},
      {"zero duration", "poll_interval: 0s\ntargets: [{name: a, address: 'h:1'}]\n",
       "poll_interval: must be greater than zero"},
      {"probe too fast", "probe_interval: 50ms\ntargets: [{name: a, address: 'h:1'}]\n",
       "probe_interval: must be at least 100ms"},
      {"poll every microsecond", "poll_interval: 1us\ntargets: [{name: a, address: 'h:1'}]\n",
       "c.yaml:1:16: poll_interval: must be at least 100ms"},
      {"CLIENT LIST too often, per target",
       "targets:\n  - {name: a, address: 'h:1', client_list_interval: 10ms}\n",
       "targets[0].client_list_interval: must be at least 100ms"},
      {"config_interval too short", "config_interval: 50ms\ntargets: [{name: a, address: 'h:1'}]\n",
       "config_interval: must be at least 100ms"},
      {"a second YAML document",
       "targets: [{name: a, address: 'h:1'}]\n---\ntargets: [{name: a, address: 'h:1'}]\n",
       "c.yaml:3:1: (top level): a second YAML document"},
      {"reply bound too small", "max_reply_bytes: 1000\ntargets: [{name: a, address: 'h:1'}]\n",
       "max_reply_bytes"},
      {"window shorter than probe",
       "targets:\n  - {name: a, address: 'h:1', probe_interval: 2s, latency_window: 1s}\n",
       "targets[0].latency_window: must be at least probe_interval"},
      {"local not a bool", "targets:\n  - {name: a, address: 'h:1', local: yes}\n",
       "targets[0].local: expected true or false"},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      auto config = ParseConfig(c.text, "c.yaml");
      REQUIRE_FALSE(config.ok());
      CHECK_THAT(config.error(), Catch::Contains(c.expected));
    }
  }
}

// A config that polls nothing is refused wherever the list is (or is not) written.
TEST_CASE("a config without targets is an error at the targets key", "[config]") {
  struct Case {
    const char* what;
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"an empty list", "poll_interval: 1s\nclient_timeout: 1s\ntargets: []\n",
       "c.yaml:3:10: targets: no targets configured: list at least one target"},
      {"an empty list over two lines", "poll_interval: 1s\ntargets: [\n]\n",
       "c.yaml:2:10: targets: no targets configured: list at least one target"},
      {"the key without a value", "poll_interval: 1s\ntargets:\n",
       "c.yaml:2:1: targets: no targets configured: list at least one target"},
      {"the key with null", "targets: ~\npoll_interval: 1s\n",
       "c.yaml:1:1: targets: no targets configured: list at least one target"},
      {"no targets key", "poll_interval: 1s\n",
       "c.yaml:1:1: targets: no targets configured: list at least one target"},
      {"not a list", "targets: {name: a, address: 'h:1'}\n",
       "c.yaml:1:10: targets: expected a list of targets"},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      auto config = ParseConfig(c.text, "c.yaml");
      REQUIRE_FALSE(config.ok());
      CHECK_THAT(config.error(), Catch::StartsWith("c.yaml:"));
      CHECK_THAT(config.error(), Catch::Contains(c.expected));
    }
  }
  auto one = ParseConfig("targets: [{name: a, address: 'h:1'}]\n", "c.yaml");
  REQUIRE(one.ok());
  CHECK(one.value().targets.size() == 1);
}

// Every interval and duration error names the line, column and key where the value is written,
// global or per target, and for a clash between two keys the one that is written too long.
TEST_CASE("interval and duration errors name where the value is written", "[config]") {
  struct Case {
    const char* what;
    const char* text;
    const char* expected;  // the whole error
  };
  const Case cases[] = {
      // poll_timeout
      {"poll_timeout over the global poll_interval",
       "poll_interval: 1s\npoll_timeout: 2s\ntargets:\n  - {name: a, address: 'h:1'}\n",
       "c.yaml:2:15: poll_timeout: must not be longer than poll_interval (1s)"},
      {"poll_timeout over the default poll_interval",
       "poll_timeout: 6s\ntargets:\n  - {name: a, address: 'h:1'}\n",
       "c.yaml:1:15: poll_timeout: must not be longer than poll_interval (5s)"},
      {"a global poll_timeout over a target's poll_interval",
       "poll_timeout: 2s\ntargets:\n  - {name: a, address: 'h:1'}\n"
       "  - name: b\n    address: h:2\n    poll_interval: 1s\n",
       "c.yaml:1:15: poll_timeout: must not be longer than poll_interval (1s), set by targets[1]"},
      {"a target's poll_timeout over the global poll_interval",
       "poll_interval: 1s\ntargets:\n  - name: a\n    address: h:1\n    poll_timeout: 1500ms\n",
       "c.yaml:5:19: targets[0].poll_timeout: must not be longer than poll_interval (1s)"},
      {"a target's poll_timeout over its own poll_interval",
       "targets:\n  - {name: a, address: 'h:1', poll_interval: 1s, poll_timeout: 2s}\n",
       "c.yaml:2:64: targets[0].poll_timeout: must not be longer than poll_interval (1s)"},
      {"poll_timeout without a unit", "poll_timeout: 3\ntargets:\n  - {name: a, address: 'h:1'}\n",
       "c.yaml:1:15: poll_timeout: '3' has no unit (use us, ms, s, m or h)"},
      {"poll_timeout of zero", "targets:\n  - name: a\n    address: h:1\n    poll_timeout: 0ms\n",
       "c.yaml:4:19: targets[0].poll_timeout: must be greater than zero"},
      {"poll_timeout a list", "poll_timeout: [1s]\ntargets:\n  - {name: a, address: 'h:1'}\n",
       "c.yaml:1:15: poll_timeout: expected a single value"},
      // the minimum of every interval, globally and per target
      {"poll_interval", "poll_interval: 99ms\ntargets:\n  - {name: a, address: 'h:1'}\n",
       "c.yaml:1:16: poll_interval: must be at least 100ms"},
      {"poll_interval per target",
       "targets:\n  - name: a\n    address: h:1\n    poll_interval: 10us\n",
       "c.yaml:4:20: targets[0].poll_interval: must be at least 100ms"},
      {"probe_interval", "probe_interval: 50ms\ntargets:\n  - {name: a, address: 'h:1'}\n",
       "c.yaml:1:17: probe_interval: must be at least 100ms"},
      {"probe_interval per target",
       "targets:\n  - name: a\n    address: h:1\n    probe_interval: 1ms\n",
       "c.yaml:4:21: targets[0].probe_interval: must be at least 100ms"},
      {"config_interval", "config_interval: 50ms\ntargets:\n  - {name: a, address: 'h:1'}\n",
       "c.yaml:1:18: config_interval: must be at least 100ms"},
      {"client_list_interval per target",
       "targets:\n  - name: a\n    address: h:1\n    client_list_interval: 10ms\n",
       "c.yaml:4:27: targets[0].client_list_interval: must be at least 100ms"},
      // latency_window against probe_interval
      {"latency_window under the default probe_interval",
       "latency_window: 500ms\ntargets:\n  - {name: a, address: 'h:1'}\n",
       "c.yaml:1:17: latency_window: must be at least probe_interval (1s)"},
      {"a global latency_window under a target's probe_interval",
       "latency_window: 2s\ntargets:\n  - name: a\n    address: h:1\n    probe_interval: 5s\n",
       "c.yaml:1:17: latency_window: must be at least probe_interval (5s), set by targets[0]"},
      {"a target's latency_window under its probe_interval",
       "targets:\n  - name: a\n    address: h:1\n    probe_interval: 2s\n    latency_window: 1s\n",
       "c.yaml:5:21: targets[0].latency_window: must be at least probe_interval (2s)"},
      {"probe_interval over the default latency_window",
       "probe_interval: 2m\ntargets:\n  - {name: a, address: 'h:1'}\n",
       "c.yaml:1:17: probe_interval: must be at most latency_window (60s, the default)"},
      // the other durations
      {"connect_timeout", "connect_timeout: soon\ntargets:\n  - {name: a, address: 'h:1'}\n",
       "c.yaml:1:18: connect_timeout: 'soon' is not a duration (use e.g. 500ms, 5s, 1m)"},
      {"client_timeout per target",
       "targets:\n  - name: a\n    address: h:1\n    client_timeout: 0s\n",
       "c.yaml:4:21: targets[0].client_timeout: must be greater than zero"},
      {"latency_budget",
       "thresholds:\n  latency_budget: 1x\ntargets:\n  - {name: a, address: 'h:1'}\n",
       "c.yaml:2:19: thresholds.latency_budget: '1x' has no unit (use us, ms, s, m or h)"},
      {"risk_window per target",
       "targets:\n  - name: a\n    address: h:1\n    thresholds: {risk_window: 0m}\n",
       "c.yaml:4:31: targets[0].thresholds.risk_window: must be greater than zero"},
  };
  for (const auto& c : cases) {
    SECTION(c.what) {
      auto config = ParseConfig(c.text, "c.yaml");
      REQUIRE_FALSE(config.ok());
      CHECK(config.error() == c.expected);
    }
  }
}

TEST_CASE("the churn threshold is a whole rate per second, globally or per target", "[config]") {
  auto config = ParseConfig(R"(thresholds: {connection_churn_warn_rate: 250}
targets:
  - {name: a, address: 'h:1'}
  - {name: b, address: 'h:2', thresholds: {connection_churn_warn_rate: 40}}
)",
                            "c.yaml");
  REQUIRE(config.ok());
  CHECK(config.value().targets[0].thresholds.connection_churn_warn_rate == 250);
  CHECK(config.value().targets[1].thresholds.connection_churn_warn_rate == 40);
  CHECK(RiskThresholds{}.connection_churn_warn_rate == 100);
  auto zero = ParseConfig(
      "thresholds: {connection_churn_warn_rate: 0}\ntargets: [{name: a, address: 'h:1'}]\n",
      "c.yaml");
  REQUIRE_FALSE(zero.ok());
  CHECK_THAT(zero.error(),
             Catch::Contains("thresholds.connection_churn_warn_rate: must be from 1"));
}

TEST_CASE("endpoints parse host:port, [ipv6]:port, redis://, rediss:// and unix paths",
          "[config]") {
  struct Case {
    const char* address;
    Endpoint::Kind kind;
    const char* host;
    int port;
    bool tls;
    const char* canonical;
  };
  const Case cases[] = {
      {"redis.internal:6380", Endpoint::Kind::kTcp, "redis.internal", 6380, false,
       "redis.internal:6380"},
      {"[::1]:6379", Endpoint::Kind::kTcp, "::1", 6379, false, "[::1]:6379"},
      {"redis://10.0.0.5:6380", Endpoint::Kind::kTcp, "10.0.0.5", 6380, false, "10.0.0.5:6380"},
      {"redis://cache.internal", Endpoint::Kind::kTcp, "cache.internal", 6379, false,
       "cache.internal:6379"},
      {"rediss://master.cache.amazonaws.com:6379/", Endpoint::Kind::kTcp,
       "master.cache.amazonaws.com", 6379, true, "rediss://master.cache.amazonaws.com:6379"},
      {"rediss://[::1]:6390", Endpoint::Kind::kTcp, "::1", 6390, true, "rediss://[::1]:6390"},
      {"rediss://[::1]", Endpoint::Kind::kTcp, "::1", 6379, true, "rediss://[::1]:6379"},
      {"unix:///run/redis.sock", Endpoint::Kind::kUnix, "", 0, false, "unix:///run/redis.sock"},
  };
  for (const auto& c : cases) {
    INFO(c.address);
    auto ep = ParseEndpoint(c.address);
    REQUIRE(ep.ok());
    CHECK(ep.value().kind == c.kind);
    CHECK(ep.value().host == c.host);
    CHECK(ep.value().port == c.port);
    CHECK(ep.value().tls == c.tls);
    CHECK(ep.value().ToString() == c.canonical);
  }
  struct Bad {
    const char* address;
    const char* message;
  };
  const Bad bad[] = {
      {"unix://relative", "absolute path"},
      {"nohost", "expected host:port, redis://host:port"},
      {":6379", "expected host:port"},
      {"http://h:1", "unsupported scheme 'http://'"},
      {"tcp://h:1", "unsupported scheme 'tcp://'"},
      {"redis://user:secret@h:6379", "credentials in the address are not accepted"},
      {"rediss://h:6379/0", "database number"},
      {"redis://h:6379?timeout=1", "query"},
      {"rediss://", "expected host:port"},
      {"rediss://h:0", "port from 1 to 65535"},
  };
  for (const auto& b : bad) {
    INFO(b.address);
    auto ep = ParseEndpoint(b.address);
    REQUIRE_FALSE(ep.ok());
    CHECK_THAT(ep.error(), Catch::Contains(b.message));
    CHECK(ep.error().find("secret") == std::string::npos);
  }
}

TEST_CASE("a bad address is a config error with file, line and column", "[config]") {
  auto config = ParseConfig("targets:\n  - name: a\n    address: https://h:1\n", "c.yaml");
  REQUIRE_FALSE(config.ok());
  CHECK_THAT(config.error(), Catch::StartsWith("c.yaml:3:14: targets[0].address: unsupported "
                                               "scheme 'https://'"));
}

TEST_CASE("tls settings: global keys, per-target keys override single global keys", "[config]") {
  auto config = ParseConfig(R"(tls:
  ca_file: /etc/ca.pem
  min_version: TLS13
targets:
  - {name: plain, address: 'h:1'}
  - {name: managed, address: 'rediss://h:2'}
  - name: mtls
    address: rediss://10.0.0.1:6380
    tls:
      cert_file: /etc/client.pem
      key_file: /etc/client.key
      server_name: cache.internal
  - name: lab
    address: rediss://h:3
    tls: {insecure_skip_verify: true, ca_file: /lab/ca.pem}
)",
                            "c.yaml");
  REQUIRE(config.ok());
  const auto& t = config.value().targets;
  CHECK_FALSE(t[0].endpoint.tls);
  CHECK(t[1].endpoint.tls);
  CHECK(t[1].tls.ca_file == "/etc/ca.pem");
  CHECK(t[1].tls.min_version == "TLS13");
  CHECK(t[1].tls.cert_file.empty());
  CHECK_FALSE(t[1].tls.insecure_skip_verify);
  CHECK(t[2].tls.ca_file == "/etc/ca.pem");
  CHECK(t[2].tls.cert_file == "/etc/client.pem");
  CHECK(t[2].tls.key_file == "/etc/client.key");
  CHECK(t[2].tls.server_name == "cache.internal");
  CHECK(t[3].tls.ca_file == "/lab/ca.pem");
  CHECK(t[3].tls.insecure_skip_verify);
  CHECK(t[3].tls.min_version == "TLS13");
  CHECK(TlsConfig{}.min_version == "TLS12");
}

TEST_CASE("tls errors name file, line, column and key", "[config]") {
  struct Case {
    const char* what;
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"tls on a plain address", "targets:\n  - name: a\n    address: h:1\n    tls: {ca_file: x}\n",
       "c.yaml:4:10: targets[0].tls: TLS settings need a rediss:// address"},
      {"unknown tls key", "tls:\n  ca: x\ntargets: [{name: a, address: 'h:1'}]\n",
       "c.yaml:2:3: tls.ca: unknown key"},
      {"bad min_version", "tls: {min_version: TLS10}\ntargets: [{name: a, address: 'h:1'}]\n",
       "c.yaml:1:20: tls.min_version: expected TLS12 or TLS13"},
      {"skip verify not a bool",
       "tls: {insecure_skip_verify: yes}\ntargets: [{name: a, address: 'h:1'}]\n",
       "tls.insecure_skip_verify: expected true or false"},
      {"cert without key",
       "targets:\n  - name: a\n    address: rediss://h:1\n    tls: {cert_file: /c.pem}\n",
       "c.yaml:4:10: targets[0].tls: a client certificate needs both cert_file and key_file"},
      {"key from global, cert missing",
       "tls: {key_file: /k.pem}\ntargets:\n  - {name: a, address: 'rediss://h:1'}\n",
       "targets[0].tls: a client certificate needs both cert_file and key_file"},
      {"empty ca_file", "tls: {ca_file: ''}\ntargets: [{name: a, address: 'h:1'}]\n",
       "tls.ca_file: must not be empty"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    auto config = ParseConfig(c.text, "c.yaml");
    REQUIRE_FALSE(config.ok());
    CHECK_THAT(config.error(), Catch::Contains(c.expected));
  }
}

TEST_CASE("durations", "[config]") {
  CHECK(ParseDuration("250us").value() == 250us);
  CHECK(ParseDuration("1.5s").value() == 1500ms);
  CHECK(ParseDuration("1m").value() == 60s);
  CHECK_FALSE(ParseDuration("5").ok());
  CHECK_FALSE(ParseDuration("ms").ok());
  CHECK(FormatDuration(1500ms) == "1500ms");
}
