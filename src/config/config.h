// The daemon's configuration model and its YAML loader; errors name file, line, column and key.
#pragma once

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
  std::string ToString() const;
  bool operator==(const Endpoint&) const = default;
};

// Where a secret comes from; the secret itself is read at connect time and never stored here.
struct SecretSource {
  std::string file;     // password_file
  std::string env_var;  // password_env
  bool empty() const { return file.empty() && env_var.empty(); }
  bool operator==(const SecretSource&) const = default;
};

struct TargetConfig {
  std::string name;
  Endpoint endpoint;
  std::string username;
  SecretSource password;
  Duration client_timeout = 1s;
  Duration poll_interval = 5s;
  Duration poll_timeout = 3s;
  Duration connect_timeout = 2s;
  Duration config_interval = 60s;
  Duration client_list_interval = 30s;
  Duration probe_interval = 1s;
  Duration latency_window = 60s;
  int slowlog_fetch = 128;
  // Whether the listening socket is on this host (its accept queue is then read via netlink).
  // Unset: decided from the address (loopback or a local interface).
  std::optional<bool> local;
  std::vector<PoolConfig> pools;

  bool operator==(const TargetConfig&) const = default;
};

struct Config {
  std::string source_file;
  Duration kernel_interval = 5s;  // host-wide kernel counters: the global poll_interval
  std::vector<TargetConfig> targets;
};

Result<Endpoint> ParseEndpoint(std::string_view address);

// Parses config text; `file_name` is only used in error messages.
Result<Config> ParseConfig(const std::string& text, const std::string& file_name);
// Reads and parses a config file.
Result<Config> LoadConfigFile(const std::string& path);

}  // namespace rte
