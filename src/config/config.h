// The daemon's configuration model and its YAML loader; errors name file, line, column and key.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/duration.h"
#include "common/status.h"

namespace rte {

using namespace std::chrono_literals;

// An application client pool: the clients whose CLIENT SETNAME matches `client_name` (a glob).
struct PoolConfig {
  std::string name;
  std::string client_name;
  int size = 0;
  bool operator==(const PoolConfig&) const = default;
};

struct Endpoint {
  enum class Kind { kTcp, kUnix };
  Kind kind = Kind::kTcp;
  std::string host;  // TCP only
  int port = 0;      // TCP only
  std::string path;  // unix only
  bool tls = false;  // rediss://: every connection to it uses TLS
  // host:port (bare, as typed without a scheme), rediss://host:port or unix:///path.
  std::string ToString() const;
  bool operator==(const Endpoint&) const = default;
};

// Where a secret comes from; the secret itself is read by the SecretCache and never stored here.
struct SecretSource {
  std::string file;     // password_file
  std::string env_var;  // password_env
  bool empty() const { return file.empty() && env_var.empty(); }
  bool operator==(const SecretSource&) const = default;
};

// The `tls:` mapping, global or per target; used for rediss:// targets only. File contents are
// read at every new connection (never here), so rotated certificates need no restart.
struct TlsConfig {
  std::string ca_file;    // PEM CA bundle; empty: the system trust store
  std::string cert_file;  // client certificate chain (mutual TLS), with key_file
  std::string key_file;
  std::string server_name;  // SNI and verification name; empty: the address host
  bool insecure_skip_verify = false;
  std::string min_version = "TLS12";  // TLS12 or TLS13
  bool operator==(const TlsConfig&) const = default;
};

// Where each cause's risk turns "warn" (0.5) and "critical" (0.8); docs/risk.md explains them.
struct RiskThresholds {
  double pool_warn_ratio = 0.8;  // connected_clients / maxclients
  double pool_crit_ratio = 0.95;
  // Busy connections of a pool's busiest instance / its declared size, as held in nearly
  // every sample of the window (kPoolSustainedShare).
  double pool_size_warn_ratio = 0.8;
  double pool_size_crit_ratio = 1.0;
  // New connections per second that did not stay open, sustained over the window: clients
  // that connect per request instead of pooling. Pooled clients stay far below it.
  int connection_churn_warn_rate = 100;
  Duration latency_budget = 1ms;     // PING p50 above this: the path is slow (guide: >1 ms same-AZ)
  double latency_warn_ratio = 0.25;  // PING p99 / client_timeout
  double latency_crit_ratio = 0.5;
  double memory_warn_ratio = 0.9;  // (used_memory - mem_not_counted_for_evict) / maxmemory
  double memory_crit_ratio = 0.98;
  double system_memory_warn_ratio = 0.8;  // resident memory / min(cgroup limit, system memory)
  double system_memory_crit_ratio = 0.95;
  double slowlog_busy_warn_ratio = 0.05;  // share of the window spent in slow commands
  double slowlog_busy_crit_ratio = 0.25;
  double slowlog_longest_warn_ratio = 0.25;  // longest slow command / client_timeout
  double slowlog_longest_crit_ratio = 0.5;
  // Share of the window Redis spent executing any command (INFO commandstats usec): a
  // saturated event loop, visible even with SLOWLOG off.
  double command_busy_warn_ratio = 0.5;
  double command_busy_crit_ratio = 0.8;
  double backlog_warn_ratio = 0.5;  // accept queue length / max
  double backlog_crit_ratio = 1.0;
  int expected_connection_burst = 0;  // 0: not set
  Duration risk_window = 60s;

  bool operator==(const RiskThresholds&) const = default;
};

// 64 MiB: far above a real INFO (kilobytes), SLOWLOG GET 128 or a CLIENT LIST of 10,000
// clients (a few MB).
inline constexpr int kDefaultMaxReplyBytes = 64 << 20;

struct TargetConfig {
  std::string name;
  Endpoint endpoint;
  std::string username;
  SecretSource password;
  TlsConfig tls;  // in force when endpoint.tls
  Duration client_timeout = 1s;
  Duration poll_interval = 5s;
  Duration poll_timeout = 3s;
  Duration connect_timeout = 2s;
  Duration config_interval = 60s;
  Duration client_list_interval = 30s;
  Duration probe_interval = 1s;
  Duration latency_window = 60s;
  int slowlog_fetch = 128;
  // The largest reply accepted from the target, in bytes; past it the connection is closed and
  // the poll fails at stage protocol (a hostile or broken server cannot grow our memory).
  int max_reply_bytes = kDefaultMaxReplyBytes;
  // Whether the listening socket is on this host (its accept queue is then read via netlink).
  // Unset: decided from the address (loopback or a local interface).
  std::optional<bool> local;
  std::vector<PoolConfig> pools;
  RiskThresholds thresholds;
  // The discovery that found the target (its `cluster` label); empty for a static target.
  std::string cluster;

  bool operator==(const TargetConfig&) const = default;
};

// The per-target settings a discovery's file targets inherit, as written (which keys were set
// where), so a file target that overrides one is checked like a static target. Opaque here.
struct TargetDefaults;

// One entry of `discovery:`: where the targets come from, and the per-target settings every
// target it finds inherits (`base`, with no name and no address).
struct DiscoveryConfig {
  enum class Type { kCluster, kSentinel, kFile };
  Type type = Type::kCluster;
  std::string name;  // unique; the targets' `cluster` label and name prefix
  // cluster: the seeds; sentinel: the sentinels. Asked in order until one answers.
  std::vector<Endpoint> seeds;
  std::string master_name;         // sentinel
  SecretSource sentinel_auth;      // sentinel: the sentinels' password (none: no AUTH)
  std::vector<std::string> files;  // file: globs, relative ones against the config's directory
  Duration refresh_interval = 30s;
  TargetConfig base;
  std::shared_ptr<const TargetDefaults> defaults;  // file: what the file targets inherit

  // Everything but `defaults`, which `base` resolves.
  bool operator==(const DiscoveryConfig& other) const;
};
const char* DiscoveryTypeName(DiscoveryConfig::Type type);

// The target a cluster or sentinel discovery finds at `endpoint`: `base` named
// "<discovery>-<host>:<port>".
TargetConfig DiscoveredTarget(const DiscoveryConfig& discovery, const Endpoint& endpoint);

struct Config {
  std::string source_file;
  Duration kernel_interval = 5s;  // host-wide kernel counters: the global poll_interval
  std::vector<TargetConfig> targets;
  std::vector<DiscoveryConfig> discovery;
  // This replica's share of the targets (--shard.*): discovered targets are filtered too.
  int shard_count = 1;
  int shard_index = 0;
};

// --web.config.file, in the Prometheus exporter-toolkit format (the file node_exporter reads).
struct WebTlsConfig {
  std::string cert_file;
  std::string key_file;
  // NoClientCert, RequestClientCert, RequireAnyClientCert (also spelt RequireClientCert),
  // VerifyClientCertIfGiven or RequireAndVerifyClientCert (the last two need client_ca_file;
  // client_ca_file needs one but NoClientCert).
  std::string client_auth_type = "NoClientCert";
  std::string client_ca_file;
  std::string min_version = "TLS12";  // TLS12 or TLS13
  bool operator==(const WebTlsConfig&) const = default;
};
struct WebConfig {
  std::optional<WebTlsConfig> tls;                           // tls_server_config
  std::map<std::string, std::string> basic_auth_users;       // user → bcrypt hash ($2y$, $2b$)
  std::vector<std::pair<std::string, std::string>> headers;  // http_server_config.headers
  bool operator==(const WebConfig&) const = default;
};
Result<WebConfig> ParseWebConfig(const std::string& text, const std::string& file_name);
Result<WebConfig> LoadWebConfigFile(const std::string& path);

// host:port, [ipv6]:port, redis://host[:port], rediss://host[:port] (TLS) or unix:///path.
Result<Endpoint> ParseEndpoint(std::string_view address);

// Parses config text; `file_name` is only used in error messages.
Result<Config> ParseConfig(const std::string& text, const std::string& file_name);
// Reads and parses a config file.
Result<Config> LoadConfigFile(const std::string& path);

// Parses one file of a file discovery: a YAML list of targets (an empty file: none). Each
// target inherits the discovery's settings; its name defaults to "<discovery>-<address>".
// Errors name file, line, column and key, like a config's.
Result<std::vector<TargetConfig>> ParseTargetFile(const std::string& text,
                                                  const std::string& file_name,
                                                  const DiscoveryConfig& discovery);

}  // namespace rte
