#include "config/config.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <filesystem>
#include <functional>
#include <set>
#include <sstream>

#include "common/small_file.h"

namespace rte {

std::string Endpoint::ToString() const {
  if (kind == Kind::kUnix) return "unix://" + path;
  std::string out = tls ? "rediss://" : "";
  if (host.find(':') != std::string::npos) {
    out += "[";
    out += host;
    out += "]";
  } else {
    out += host;
  }
  out += ":";
  out += std::to_string(port);
  return out;
}

namespace {

// host:port or [ipv6]:port; `default_port` (0: none) when the port is left out.
Result<Endpoint> ParseHostPort(std::string_view address, int default_port) {
  Endpoint ep;
  std::string_view host, port;
  if (!address.empty() && address[0] == '[') {
    const auto close = address.find(']');
    if (close == std::string_view::npos) return Result<Endpoint>::Error("expected [ipv6]:port");
    host = address.substr(1, close - 1);
    if (close + 1 == address.size() && default_port != 0) {
      ep.host = std::string(host);
      ep.port = default_port;
      return ep;
    }
    if (close + 1 >= address.size() || address[close + 1] != ':') {
      return Result<Endpoint>::Error("expected [ipv6]:port");
    }
    port = address.substr(close + 2);
  } else {
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos) {
      if (default_port == 0 || address.empty()) {
        return Result<Endpoint>::Error(
            "expected host:port, redis://host:port, rediss://host:port or unix:///path");
      }
      ep.host = std::string(address);
      ep.port = default_port;
      return ep;
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  int port_number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (host.empty() || ec != std::errc() || end != port.data() + port.size() || port_number < 1 ||
      port_number > 65535) {
    return Result<Endpoint>::Error("expected host:port with a port from 1 to 65535");
  }
  ep.host = std::string(host);
  ep.port = port_number;
  return ep;
}

}  // namespace

Result<Endpoint> ParseEndpoint(std::string_view address) {
  const auto scheme_end = address.find("://");
  if (scheme_end == std::string_view::npos) return ParseHostPort(address, 0);
  const std::string_view scheme = address.substr(0, scheme_end);
  const std::string_view rest = address.substr(scheme_end + 3);
  if (scheme == "unix") {
    Endpoint ep;
    ep.kind = Endpoint::Kind::kUnix;
    ep.path = std::string(rest);
    if (ep.path.empty() || ep.path[0] != '/') {
      return Result<Endpoint>::Error("unix socket address needs an absolute path: unix:///path");
    }
    return ep;
  }
  if (scheme != "redis" && scheme != "rediss") {
    return Result<Endpoint>::Error("unsupported scheme '" + std::string(scheme) +
                                   "://': use redis://, rediss:// (TLS) or unix://");
  }
  if (rest.find('@') != std::string_view::npos) {
    // A password in the address would end up in logs and on /triage.
    return Result<Endpoint>::Error(
        "credentials in the address are not accepted: use username and password_file or "
        "password_env");
  }
  std::string_view host_port = rest;
  if (!host_port.empty() && host_port.back() == '/') host_port.remove_suffix(1);
  if (host_port.find_first_of("/?#") != std::string_view::npos) {
    return Result<Endpoint>::Error(
        "a path, database number or query is not accepted: the exporter reads server-wide "
        "figures; give scheme://host:port");
  }
  auto ep = ParseHostPort(host_port, 6379);
  if (ep.ok()) ep.value().tls = scheme == "rediss";
  return ep;
}

namespace {

// Thrown inside the loader only; converted to a Result at the boundary.
struct ConfigError {
  YAML::Mark mark;
  std::string key;
  std::string message;
};

[[noreturn]] void Fail(const YAML::Node& node, const std::string& key, const std::string& message) {
  throw ConfigError{node.Mark(), key, message};
}

std::string Scalar(const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) Fail(node, key, "expected a single value");
  return node.Scalar();
}

Duration DurationValue(const YAML::Node& node, const std::string& key) {
  auto parsed = ParseDuration(Scalar(node, key));
  if (!parsed.ok()) Fail(node, key, parsed.error());
  if (parsed.value().count() <= 0) Fail(node, key, "must be greater than zero");
  return parsed.value();
}

int IntValue(const YAML::Node& node, const std::string& key, int min, int max) {
  const std::string text = Scalar(node, key);
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    Fail(node, key, "'" + text + "' is not a whole number");
  }
  if (value < min || value > max) {
    Fail(node, key, "must be from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return value;
}

// Visits every key of a mapping; keys the handler does not know are errors.
void ForEachKey(
    const YAML::Node& map, const std::string& path,
    const std::function<bool(const std::string&, const YAML::Node&, const std::string&)>& handler) {
  if (!map.IsMap()) Fail(map, path.empty() ? "(top level)" : path, "expected a mapping");
  std::set<std::string> seen;
  for (const auto& item : map) {
    const std::string key = item.first.as<std::string>();
    const std::string key_path = path.empty() ? key : path + "." + key;
    if (!seen.insert(key).second) Fail(item.first, key_path, "duplicate key");
    if (!handler(key, item.second, key_path)) Fail(item.first, key_path, "unknown key");
  }
}

// Where a setting was written, so that a check across settings (poll_timeout against
// poll_interval) names the line and key of the one to change. Replace one with emplace(),
// never by assignment: assigning a YAML::Node writes into the node it refers to.
struct SetAt {
  YAML::Node node;
  std::string key_path;
};

// Settings that may be given globally and overridden per target.
struct Defaults {
  std::optional<Duration> poll_interval, poll_timeout, connect_timeout, client_timeout,
      config_interval, client_list_interval, probe_interval, latency_window;
  std::optional<int> slowlog_fetch;
  std::optional<int> max_reply_bytes;
  // Set where the key is written (global or the target's own), empty when it is not.
  std::optional<SetAt> poll_interval_at, poll_timeout_at, probe_interval_at, latency_window_at;
  RiskThresholds thresholds;
  TlsConfig tls;
};

}  // namespace

struct TargetDefaults {
  Defaults settings;
};

namespace {

double RatioValue(const YAML::Node& node, const std::string& key, double max) {
  const std::string text = Scalar(node, key);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    Fail(node, key, "'" + text + "' is not a number");
  }
  if (value <= 0 || value > max)
    Fail(node, key, "must be above 0 and at most " + std::to_string(max).substr(0, 4));
  return value;
}

// Overlays the keys given in a `thresholds:` mapping onto `t`.
void ParseThresholds(const YAML::Node& node, const std::string& path, RiskThresholds& t) {
  struct RatioKey {
    const char* name;
    double RiskThresholds::*field;
    double max;
  };
  static const RatioKey kRatios[] = {
      {"pool_warn_ratio", &RiskThresholds::pool_warn_ratio, 1},
      {"pool_crit_ratio", &RiskThresholds::pool_crit_ratio, 1},
      {"pool_size_warn_ratio", &RiskThresholds::pool_size_warn_ratio, 1},
      {"pool_size_crit_ratio", &RiskThresholds::pool_size_crit_ratio, 1},
      {"latency_warn_ratio", &RiskThresholds::latency_warn_ratio, 1},
      {"latency_crit_ratio", &RiskThresholds::latency_crit_ratio, 1},
      {"memory_warn_ratio", &RiskThresholds::memory_warn_ratio, 1},
      {"memory_crit_ratio", &RiskThresholds::memory_crit_ratio, 1},
      {"system_memory_warn_ratio", &RiskThresholds::system_memory_warn_ratio, 1},
      {"system_memory_crit_ratio", &RiskThresholds::system_memory_crit_ratio, 1},
      {"slowlog_busy_warn_ratio", &RiskThresholds::slowlog_busy_warn_ratio, 1},
      {"slowlog_busy_crit_ratio", &RiskThresholds::slowlog_busy_crit_ratio, 1},
      {"slowlog_longest_warn_ratio", &RiskThresholds::slowlog_longest_warn_ratio, 1},
      {"slowlog_longest_crit_ratio", &RiskThresholds::slowlog_longest_crit_ratio, 1},
      {"command_busy_warn_ratio", &RiskThresholds::command_busy_warn_ratio, 1},
      {"command_busy_crit_ratio", &RiskThresholds::command_busy_crit_ratio, 1},
      {"backlog_warn_ratio", &RiskThresholds::backlog_warn_ratio, 1},
      {"backlog_crit_ratio", &RiskThresholds::backlog_crit_ratio, 1},
  };
  ForEachKey(node, path,
             [&](const std::string& key, const YAML::Node& value, const std::string& key_path) {
               for (const auto& r : kRatios) {
                 if (key == r.name) {
                   t.*r.field = RatioValue(value, key_path, r.max);
                   return true;
                 }
               }
               if (key == "latency_budget") {
                 t.latency_budget = DurationValue(value, key_path);
               } else if (key == "risk_window") {
                 t.risk_window = DurationValue(value, key_path);
               } else if (key == "expected_connection_burst") {
                 t.expected_connection_burst = IntValue(value, key_path, 1, 10'000'000);
               } else if (key == "connection_churn_warn_rate") {
                 t.connection_churn_warn_rate = IntValue(value, key_path, 1, 10'000'000);
               } else {
                 return false;
               }
               return true;
             });
  const std::pair<double, double> bands[] = {
      {t.pool_warn_ratio, t.pool_crit_ratio},
      {t.pool_size_warn_ratio, t.pool_size_crit_ratio},
      {t.latency_warn_ratio, t.latency_crit_ratio},
      {t.command_busy_warn_ratio, t.command_busy_crit_ratio},
      {t.memory_warn_ratio, t.memory_crit_ratio},
      {t.system_memory_warn_ratio, t.system_memory_crit_ratio},
      {t.slowlog_busy_warn_ratio, t.slowlog_busy_crit_ratio},
      {t.slowlog_longest_warn_ratio, t.slowlog_longest_crit_ratio},
      {t.backlog_warn_ratio, t.backlog_crit_ratio}};
  for (const auto& [warn, crit] : bands) {
    if (warn >= crit) Fail(node, path, "every *_warn_ratio must be below its *_crit_ratio");
  }
}

bool BoolValue(const YAML::Node& node, const std::string& key) {
  const std::string text = Scalar(node, key);
  if (text != "true" && text != "false") Fail(node, key, "expected true or false");
  return text == "true";
}

// min_version of a tls: mapping or of tls_server_config.
std::string TlsVersionValue(const YAML::Node& node, const std::string& key) {
  std::string text = Scalar(node, key);
  if (text != "TLS12" && text != "TLS13") Fail(node, key, "expected TLS12 or TLS13");
  return text;
}

// Overlays the keys given in a `tls:` mapping onto `t`.
void ParseTls(const YAML::Node& node, const std::string& path, TlsConfig& t) {
  struct FileKey {
    const char* name;
    std::string TlsConfig::*field;
  };
  static const FileKey kStrings[] = {{"ca_file", &TlsConfig::ca_file},
                                     {"cert_file", &TlsConfig::cert_file},
                                     {"key_file", &TlsConfig::key_file},
                                     {"server_name", &TlsConfig::server_name}};
  ForEachKey(node, path,
             [&](const std::string& key, const YAML::Node& value, const std::string& key_path) {
               for (const auto& k : kStrings) {
                 if (key == k.name) {
                   t.*k.field = Scalar(value, key_path);
                   if ((t.*k.field).empty()) Fail(value, key_path, "must not be empty");
                   return true;
                 }
               }
               if (key == "insecure_skip_verify") {
                 t.insecure_skip_verify = BoolValue(value, key_path);
               } else if (key == "min_version") {
                 t.min_version = TlsVersionValue(value, key_path);
               } else {
                 return false;
               }
               return true;
             });
}

constexpr Duration kMinInterval = 100ms;

bool ApplyDefaultKey(Defaults& d, const std::string& key, const YAML::Node& value,
                     const std::string& key_path) {
  // Every interval is at least 100 ms: `poll_interval: 1us` would open hundreds of connections
  // a second to the target.
  const auto interval = [&] {
    const Duration d = DurationValue(value, key_path);
    if (d < kMinInterval) Fail(value, key_path, "must be at least 100ms");
    return d;
  };
  if (key == "poll_interval") {
    d.poll_interval = interval();
    d.poll_interval_at.emplace(SetAt{value, key_path});
  } else if (key == "poll_timeout") {
    d.poll_timeout = DurationValue(value, key_path);
    d.poll_timeout_at.emplace(SetAt{value, key_path});
  } else if (key == "connect_timeout") {
    d.connect_timeout = DurationValue(value, key_path);
  } else if (key == "client_timeout") {
    d.client_timeout = DurationValue(value, key_path);
  } else if (key == "config_interval") {
    d.config_interval = interval();
  } else if (key == "client_list_interval") {
    d.client_list_interval = interval();
  } else if (key == "probe_interval") {
    d.probe_interval = interval();
    d.probe_interval_at.emplace(SetAt{value, key_path});
  } else if (key == "latency_window") {
    d.latency_window = DurationValue(value, key_path);
    d.latency_window_at.emplace(SetAt{value, key_path});
  } else if (key == "slowlog_fetch") {
    d.slowlog_fetch = IntValue(value, key_path, 1, 10000);
  } else if (key == "max_reply_bytes") {
    d.max_reply_bytes = IntValue(value, key_path, 1 << 20, 1 << 30);
  } else if (key == "thresholds") {
    ParseThresholds(value, key_path, d.thresholds);
  } else if (key == "tls") {
    ParseTls(value, key_path, d.tls);
  } else {
    return false;
  }
  return true;
}

PoolConfig ParsePool(const YAML::Node& node, const std::string& path) {
  PoolConfig pool;
  bool has_size = false;
  ForEachKey(node, path,
             [&](const std::string& key, const YAML::Node& value, const std::string& key_path) {
               if (key == "name") {
                 pool.name = Scalar(value, key_path);
               } else if (key == "client_name") {
                 pool.client_name = Scalar(value, key_path);
               } else if (key == "size") {
                 pool.size = IntValue(value, key_path, 1, 10'000'000);
                 has_size = true;
               } else {
                 return false;
               }
               return true;
             });
  if (pool.name.empty()) Fail(node, path + ".name", "is required");
  if (pool.client_name.empty()) Fail(node, path + ".client_name", "is required");
  if (!has_size) Fail(node, path + ".size", "is required");
  return pool;
}

bool ValidTargetName(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

// A setting that conflicts with another, reported where it was written. When the other one was
// set for the target `path` and this one globally, the message says which target it fails for.
[[noreturn]] void FailBetween(const SetAt& at, const std::optional<SetAt>& other,
                              const std::string& path, const std::string& message) {
  const bool other_in_target = other && other->key_path.rfind(path + ".", 0) == 0;
  const bool at_in_target = at.key_path.rfind(path + ".", 0) == 0;
  if (other_in_target && !at_in_target) Fail(at.node, at.key_path, message + ", set by " + path);
  Fail(at.node, at.key_path, message);
}

// What a target mapping may leave out: a static target needs its name and address; a file
// discovery's target its address (the name defaults); a discovery's own settings (the template
// its targets inherit) have neither.
enum class TargetKind { kStatic, kFile, kTemplate };

// The keys a discovery entry has beside the per-target ones; true when `key` was one.
using ExtraKeys = std::function<bool(const std::string&, const YAML::Node&, const std::string&)>;

// `target` comes with what is inherited (a discovery's username, password and pools); `local`,
// when given, receives the settings as written (what a discovery's file targets inherit).
TargetConfig ParseTarget(const YAML::Node& node, const std::string& path, const Defaults& global,
                         TargetKind kind = TargetKind::kStatic, TargetConfig target = {},
                         const ExtraKeys& extra = {}, Defaults* written = nullptr) {
  Defaults local = global;
  bool has_address = false;
  SecretSource own_password;           // written here (replaces an inherited one)
  std::optional<YAML::Node> tls_node;  // the target's own tls: mapping
  ForEachKey(node, path,
             [&](const std::string& key, const YAML::Node& value, const std::string& key_path) {
               if (extra && extra(key, value, key_path)) return true;
               if (key == "tls") tls_node = value;
               if (ApplyDefaultKey(local, key, value, key_path)) return true;
               if (kind == TargetKind::kTemplate && (key == "name" || key == "address")) {
                 return false;
               }
               if (key == "name") {
                 target.name = Scalar(value, key_path);
                 if (!ValidTargetName(target.name)) {
                   Fail(value, key_path, "use 1-128 characters from [A-Za-z0-9_.:-]");
                 }
               } else if (key == "address") {
                 auto ep = ParseEndpoint(Scalar(value, key_path));
                 if (!ep.ok()) Fail(value, key_path, ep.error());
                 target.endpoint = ep.value();
                 has_address = true;
               } else if (key == "local") {
                 target.local = BoolValue(value, key_path);
               } else if (key == "username") {
                 target.username = Scalar(value, key_path);
               } else if (key == "password_file") {
                 own_password.file = Scalar(value, key_path);
               } else if (key == "password_env") {
                 own_password.env_var = Scalar(value, key_path);
               } else if (key == "pools") {
                 if (!value.IsSequence()) Fail(value, key_path, "expected a list of pools");
                 target.pools.clear();  // replaces inherited ones
                 std::set<std::string> names;
                 for (size_t i = 0; i < value.size(); ++i) {
                   const std::string pool_path = key_path + "[" + std::to_string(i) + "]";
                   PoolConfig pool = ParsePool(value[i], pool_path);
                   if (!names.insert(pool.name).second) {
                     Fail(value[i], pool_path + ".name", "duplicate pool name '" + pool.name + "'");
                   }
                   target.pools.push_back(std::move(pool));
                 }
               } else {
                 return false;
               }
               return true;
             });
  if (written != nullptr) *written = local;
  if (target.name.empty() && kind == TargetKind::kStatic) Fail(node, path + ".name", "is required");
  if (!has_address && kind != TargetKind::kTemplate) Fail(node, path + ".address", "is required");
  if (!own_password.file.empty() && !own_password.env_var.empty()) {
    Fail(node, path + ".password_file", "give password_file or password_env, not both");
  }
  if (!own_password.empty()) target.password = own_password;
  if (!target.username.empty() && target.password.empty()) {
    Fail(node, path + ".username", "an ACL username needs password_file or password_env");
  }
  if (tls_node && !target.endpoint.tls && kind != TargetKind::kTemplate) {
    Fail(*tls_node, path + ".tls", "TLS settings need a rediss:// address");
  }
  target.tls = local.tls;
  if (target.tls.cert_file.empty() != target.tls.key_file.empty() &&
      (target.endpoint.tls || kind == TargetKind::kTemplate)) {
    Fail(tls_node ? *tls_node : node, path + ".tls",
         "a client certificate needs both cert_file and key_file");
  }
  if (local.poll_interval) target.poll_interval = *local.poll_interval;
  if (local.connect_timeout) target.connect_timeout = *local.connect_timeout;
  if (local.client_timeout) target.client_timeout = *local.client_timeout;
  if (local.config_interval) target.config_interval = *local.config_interval;
  if (local.client_list_interval) target.client_list_interval = *local.client_list_interval;
  if (local.slowlog_fetch) target.slowlog_fetch = *local.slowlog_fetch;
  if (local.max_reply_bytes) target.max_reply_bytes = *local.max_reply_bytes;
  target.thresholds = local.thresholds;
  if (local.probe_interval) target.probe_interval = *local.probe_interval;
  if (local.latency_window) target.latency_window = *local.latency_window;
  if (target.latency_window < target.probe_interval) {
    // Named where the window was set; with the default window, where probe_interval was.
    if (local.latency_window_at) {
      FailBetween(
          *local.latency_window_at, local.probe_interval_at, path,
          "must be at least probe_interval (" + FormatDuration(target.probe_interval) + ")");
    }
    FailBetween(local.probe_interval_at.value_or(SetAt{node, path + ".probe_interval"}),
                std::nullopt, path,
                "must be at most latency_window (" + FormatDuration(target.latency_window) +
                    ", the default)");
  }
  if (local.poll_timeout) {
    target.poll_timeout = *local.poll_timeout;
    if (target.poll_timeout > target.poll_interval) {
      FailBetween(
          *local.poll_timeout_at, local.poll_interval_at, path,
          "must not be longer than poll_interval (" + FormatDuration(target.poll_interval) + ")");
    }
  } else {
    target.poll_timeout = std::min<Duration>(3s, target.poll_interval);
  }
  target.connect_timeout = std::min(target.connect_timeout, target.poll_timeout);
  return target;
}

bool ValidDiscoveryName(const std::string& name) {
  return name.size() <= 64 && ValidTargetName(name);
}

std::vector<Endpoint> EndpointList(const YAML::Node& value, const std::string& key_path) {
  if (!value.IsSequence() || value.size() == 0) {
    Fail(value, key_path, "expected a list of addresses (host:port)");
  }
  std::vector<Endpoint> out;
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string item_path = key_path + "[" + std::to_string(i) + "]";
    auto ep = ParseEndpoint(Scalar(value[i], item_path));
    if (!ep.ok()) Fail(value[i], item_path, ep.error());
    out.push_back(ep.value());
  }
  return out;
}

DiscoveryConfig ParseDiscovery(const YAML::Node& node, const std::string& path,
                               const Defaults& global, const std::string& file_name) {
  DiscoveryConfig d;
  if (!node.IsMap()) Fail(node, path, "expected a mapping");
  const YAML::Node type = node["type"];
  if (!type.IsDefined()) Fail(node, path + ".type", "is required: cluster, sentinel or file");
  const std::string type_text = Scalar(type, path + ".type");
  if (type_text == "cluster") {
    d.type = DiscoveryConfig::Type::kCluster;
  } else if (type_text == "sentinel") {
    d.type = DiscoveryConfig::Type::kSentinel;
  } else if (type_text == "file") {
    d.type = DiscoveryConfig::Type::kFile;
  } else {
    Fail(type, path + ".type", "expected cluster, sentinel or file");
  }
  using Type = DiscoveryConfig::Type;
  bool has_seeds = false;
  SecretSource sentinel_auth;
  const auto extra = [&](const std::string& key, const YAML::Node& value,
                         const std::string& key_path) {
    if (key == "type") return true;
    if (key == "name") {
      d.name = Scalar(value, key_path);
      if (!ValidDiscoveryName(d.name)) {
        Fail(value, key_path, "use 1-64 characters from [A-Za-z0-9_.:-]");
      }
    } else if (key == "refresh_interval") {
      d.refresh_interval = DurationValue(value, key_path);
      if (d.refresh_interval < kMinInterval) Fail(value, key_path, "must be at least 100ms");
    } else if ((key == "seeds" && d.type == Type::kCluster) ||
               (key == "sentinels" && d.type == Type::kSentinel)) {
      d.seeds = EndpointList(value, key_path);
      has_seeds = true;
    } else if (key == "master_name" && d.type == Type::kSentinel) {
      d.master_name = Scalar(value, key_path);
      if (d.master_name.empty()) Fail(value, key_path, "must not be empty");
    } else if (key == "sentinel_password_file" && d.type == Type::kSentinel) {
      sentinel_auth.file = Scalar(value, key_path);
    } else if (key == "sentinel_password_env" && d.type == Type::kSentinel) {
      sentinel_auth.env_var = Scalar(value, key_path);
    } else if (key == "files" && d.type == Type::kFile) {
      if (!value.IsSequence() || value.size() == 0) {
        Fail(value, key_path, "expected a list of file names or globs");
      }
      const std::filesystem::path dir = std::filesystem::path(file_name).parent_path();
      for (size_t i = 0; i < value.size(); ++i) {
        const std::string item_path = key_path + "[" + std::to_string(i) + "]";
        std::string pattern = Scalar(value[i], item_path);
        if (pattern.empty()) Fail(value[i], item_path, "must not be empty");
        if (pattern[0] != '/' && !dir.empty()) pattern = (dir / pattern).string();
        d.files.push_back(std::move(pattern));
      }
      has_seeds = true;
    } else {
      return false;
    }
    return true;
  };
  auto defaults = std::make_shared<TargetDefaults>();
  d.base = ParseTarget(node, path, global, TargetKind::kTemplate, {}, extra, &defaults->settings);
  if (d.name.empty()) Fail(node, path + ".name", "is required");
  if (!has_seeds) {
    const char* key = d.type == Type::kCluster    ? ".seeds"
                      : d.type == Type::kSentinel ? ".sentinels"
                                                  : ".files";
    Fail(node, path + key, "is required");
  }
  if (d.type == Type::kSentinel && d.master_name.empty()) {
    Fail(node, path + ".master_name", "is required");
  }
  if (!sentinel_auth.file.empty() && !sentinel_auth.env_var.empty()) {
    Fail(node, path + ".sentinel_password_file",
         "give sentinel_password_file or sentinel_password_env, not both");
  }
  d.sentinel_auth = sentinel_auth;
  // TLS settings reach the discovered targets only through rediss:// seeds: a cluster's nodes
  // and a sentinel's master are announced as host:port, with the seeds' scheme.
  if (d.type != Type::kFile && node["tls"].IsDefined()) {
    bool any_tls = false;
    for (const Endpoint& e : d.seeds) any_tls |= e.tls;
    if (!any_tls) Fail(node["tls"], path + ".tls", "TLS settings need rediss:// seeds");
  }
  d.base.cluster = d.name;
  d.defaults = std::move(defaults);
  return d;
}

// A config that polls nothing is a mistake (a list emptied by a template, a wrong file), not a
// quiet exporter. The one place that decides it: a discovery list, once there is one, counts
// here beside `targets`.
void RequireSomethingToPoll(const Config& config, const YAML::Node& root,
                            const YAML::Node& targets) {
  if (!config.targets.empty() || !config.discovery.empty()) return;
  // At the empty list; at the key when nothing follows it; at the top without the key. (No
  // YAML::Node is reassigned here: assigning to a Node writes into the node it refers to.)
  constexpr const char* kMessage =
      "no targets configured: list at least one target (or a discovery: entry)";
  if (targets.IsSequence()) Fail(targets, "targets", kMessage);
  for (const auto& item : root) {
    if (item.first.Scalar() == "targets") Fail(item.first, "targets", kMessage);
  }
  Fail(root, "targets", kMessage);
}

Config ParseRoot(const YAML::Node& root, const std::string& file_name) {
  Config config;
  config.source_file = file_name;
  Defaults global;
  YAML::Node targets;
  YAML::Node discovery;
  ForEachKey(root, "",
             [&](const std::string& key, const YAML::Node& value, const std::string& key_path) {
               if (ApplyDefaultKey(global, key, value, key_path)) return true;
               if (key == "targets") {
                 targets = value;
                 return true;
               }
               if (key == "discovery") {
                 discovery = value;
                 return true;
               }
               return false;
             });
  if (targets.IsDefined() && !targets.IsNull() && !targets.IsSequence()) {
    Fail(targets, "targets", "expected a list of targets");
  }
  std::set<std::string> names;
  for (size_t i = 0; targets.IsSequence() && i < targets.size(); ++i) {
    const std::string path = "targets[" + std::to_string(i) + "]";
    TargetConfig target = ParseTarget(targets[i], path, global);
    if (!names.insert(target.name).second) {
      Fail(targets[i]["name"], path + ".name", "duplicate target name '" + target.name + "'");
    }
    config.targets.push_back(std::move(target));
  }
  if (discovery.IsDefined() && !discovery.IsNull() && !discovery.IsSequence()) {
    Fail(discovery, "discovery", "expected a list of discovery entries");
  }
  std::set<std::string> discovery_names;
  for (size_t i = 0; discovery.IsSequence() && i < discovery.size(); ++i) {
    const std::string path = "discovery[" + std::to_string(i) + "]";
    DiscoveryConfig d = ParseDiscovery(discovery[i], path, global, file_name);
    if (!discovery_names.insert(d.name).second) {
      Fail(discovery[i]["name"], path + ".name", "duplicate discovery name '" + d.name + "'");
    }
    config.discovery.push_back(std::move(d));
  }
  RequireSomethingToPoll(config, root, targets);
  if (global.poll_interval) config.kernel_interval = *global.poll_interval;
  return config;
}

std::string Where(const std::string& file_name, const YAML::Mark& mark) {
  if (mark.is_null()) return file_name;
  return file_name + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

// Where each of the first documents of a text starts: its first node's mark, else the
// document's own. Not YAML::LoadAll, which in yaml-cpp 0.7 loops forever on a stray ',' at the
// top level (an empty document each turn, the token never consumed, memory growing; found by
// fuzz/config.cpp, tests/fixtures/fuzz/config/stray_comma.yaml): the caller stops at two.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> marks;

  void OnDocumentStart(const YAML::Mark& mark) override {
    marks.push_back(mark);
    node_seen_ = false;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Node(mark);
  }
  void OnMapEnd() override {}

 private:
  void Node(const YAML::Mark& mark) {
    if (!node_seen_ && !marks.empty()) marks.back() = mark;
    node_seen_ = true;
  }
  bool node_seen_ = false;
};

}  // namespace

Result<Config> ParseConfig(const std::string& text, const std::string& file_name) {
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentStarts starts;
    while (starts.marks.size() < 2 && parser.HandleNextDocument(starts)) {
    }
    if (starts.marks.size() > 1) {
      const YAML::Mark& second = starts.marks[1];
      // The parser did not move, or stopped at a ',' it will never consume: see DocumentStarts.
      if (second.pos == starts.marks[0].pos ||
          (second.pos >= 0 && static_cast<size_t>(second.pos) < text.size() &&
           text[static_cast<size_t>(second.pos)] == ',')) {
        return Result<Config>::Error(Where(file_name, second) +
                                     ": (yaml): unexpected token (a ',' outside [] or {}?)");
      }
      return Result<Config>::Error(Where(file_name, second) +
                                   ": (top level): a second YAML document (after ---) is not "
                                   "read; put everything in one");
    }
    YAML::Node root = YAML::Load(text);
    if (!root.IsDefined() || root.IsNull()) {
      return Result<Config>::Error(file_name + ":1:1: (top level): the file is empty");
    }
    return ParseRoot(root, file_name);
  } catch (const ConfigError& e) {
    return Result<Config>::Error(Where(file_name, e.mark) + ": " + e.key + ": " + e.message);
  } catch (const YAML::Exception& e) {
    return Result<Config>::Error(Where(file_name, e.mark) + ": (yaml): " + e.msg);
  }
}

bool DiscoveryConfig::operator==(const DiscoveryConfig& other) const {
  return type == other.type && name == other.name && seeds == other.seeds &&
         master_name == other.master_name && sentinel_auth == other.sentinel_auth &&
         files == other.files && refresh_interval == other.refresh_interval && base == other.base;
}

const char* DiscoveryTypeName(DiscoveryConfig::Type type) {
  switch (type) {
    case DiscoveryConfig::Type::kCluster:
      return "cluster";
    case DiscoveryConfig::Type::kSentinel:
      return "sentinel";
    case DiscoveryConfig::Type::kFile:
      return "file";
  }
  return "unknown";
}

namespace {

// "<discovery>-<host>:<port>" ("<discovery>-<path>" for a unix socket), with any character a
// target name may not hold replaced by '_', and cut to the 128 a name may have.
std::string DiscoveredName(const std::string& discovery, const Endpoint& endpoint) {
  std::string name = discovery + "-";
  if (endpoint.kind == Endpoint::Kind::kUnix) {
    name += endpoint.path;
  } else {
    name += endpoint.host + ":" + std::to_string(endpoint.port);
  }
  for (char& c : name) {
    if (!ValidTargetName(std::string(1, c))) c = '_';
  }
  if (name.size() > 128) name.resize(128);
  return name;
}

}  // namespace

TargetConfig DiscoveredTarget(const DiscoveryConfig& discovery, const Endpoint& endpoint) {
  TargetConfig target = discovery.base;
  target.endpoint = endpoint;
  target.name = DiscoveredName(discovery.name, endpoint);
  return target;
}

Result<std::vector<TargetConfig>> ParseTargetFile(const std::string& text,
                                                  const std::string& file_name,
                                                  const DiscoveryConfig& discovery) {
  using Out = Result<std::vector<TargetConfig>>;
  try {
    YAML::Node root = YAML::Load(text);
    std::vector<TargetConfig> targets;
    if (!root.IsDefined() || root.IsNull()) return targets;  // an empty file: no targets
    if (!root.IsSequence()) Fail(root, "(top level)", "expected a list of targets");
    static const TargetDefaults kNoDefaults;
    const Defaults& inherited =
        discovery.defaults != nullptr ? discovery.defaults->settings : kNoDefaults.settings;
    std::set<std::string> names;
    for (size_t i = 0; i < root.size(); ++i) {
      const std::string path = "[" + std::to_string(i) + "]";
      TargetConfig base = discovery.base;
      base.name.clear();
      TargetConfig target = ParseTarget(root[i], path, inherited, TargetKind::kFile, base);
      if (target.name.empty()) target.name = DiscoveredName(discovery.name, target.endpoint);
      if (!names.insert(target.name).second) {
        Fail(root[i], path + ".name", "duplicate target name '" + target.name + "'");
      }
      target.cluster = discovery.name;
      targets.push_back(std::move(target));
    }
    return targets;
  } catch (const ConfigError& e) {
    return Out::Error(Where(file_name, e.mark) + ": " + e.key + ": " + e.message);
  } catch (const YAML::Exception& e) {
    return Out::Error(Where(file_name, e.mark) + ": (yaml): " + e.msg);
  }
}

namespace {

// The response headers exporter-toolkit allows in http_server_config.headers.
constexpr const char* kWebHeaders[] = {"Strict-Transport-Security", "X-Content-Type-Options",
                                       "X-Frame-Options", "X-XSS-Protection",
                                       "Content-Security-Policy"};
constexpr const char* kClientAuthTypes[] = {"NoClientCert", "RequestClientCert",
                                            "RequireAnyClientCert", "VerifyClientCertIfGiven",
                                            "RequireAndVerifyClientCert"};

WebTlsConfig ParseWebTls(const YAML::Node& node, const std::string& path) {
  WebTlsConfig t;
  ForEachKey(node, path,
             [&](const std::string& key, const YAML::Node& value, const std::string& key_path) {
               if (key == "cert_file") {
                 t.cert_file = Scalar(value, key_path);
               } else if (key == "key_file") {
                 t.key_file = Scalar(value, key_path);
               } else if (key == "client_ca_file") {
                 t.client_ca_file = Scalar(value, key_path);
               } else if (key == "client_auth_type") {
                 t.client_auth_type = Scalar(value, key_path);
                 // exporter-toolkit keeps this older name of RequireAnyClientCert.
                 if (t.client_auth_type == "RequireClientCert") {
                   t.client_auth_type = "RequireAnyClientCert";
                 }
                 bool known = false;
                 for (const char* k : kClientAuthTypes) known |= t.client_auth_type == k;
                 if (!known) {
                   Fail(value, key_path,
                        "expected NoClientCert, RequestClientCert, RequireAnyClientCert, "
                        "VerifyClientCertIfGiven or RequireAndVerifyClientCert");
                 }
               } else if (key == "min_version") {
                 t.min_version = TlsVersionValue(value, key_path);
               } else {
                 return false;
               }
               return true;
             });
  if (t.cert_file.empty()) Fail(node, path + ".cert_file", "is required");
  if (t.key_file.empty()) Fail(node, path + ".key_file", "is required");
  if (t.client_auth_type.find("Verify") != std::string::npos && t.client_ca_file.empty()) {
    Fail(node, path + ".client_ca_file", "is required with client_auth_type " + t.client_auth_type);
  }
  // As exporter-toolkit: a CA file without a policy that asks for certificates would leave
  // the endpoint open to a user who believes it requires them.
  if (!t.client_ca_file.empty() && t.client_auth_type == "NoClientCert") {
    Fail(node, path + ".client_ca_file",
         "needs a client_auth_type that asks for client certificates "
         "(RequireAndVerifyClientCert for mutual TLS); NoClientCert would ignore it");
  }
  return t;
}

WebConfig ParseWebRoot(const YAML::Node& root) {
  WebConfig web;
  if (root.IsNull()) return web;  // an empty file: plain HTTP, no auth
  ForEachKey(
      root, "", [&](const std::string& key, const YAML::Node& value, const std::string& key_path) {
        if (key == "tls_server_config") {
          web.tls = ParseWebTls(value, key_path);
        } else if (key == "basic_auth_users") {
          ForEachKey(
              value, key_path,
              [&](const std::string& user, const YAML::Node& hash, const std::string& user_path) {
                const std::string h = Scalar(hash, user_path);
                if (h.rfind("$2", 0) != 0) {
                  Fail(hash, user_path, "expected a bcrypt hash ($2y$… or $2b$…)");
                }
                web.basic_auth_users[user] = h;
                return true;
              });
        } else if (key == "http_server_config") {
          ForEachKey(value, key_path,
                     [&](const std::string& k, const YAML::Node& v, const std::string& p) {
                       if (k != "headers") return false;
                       ForEachKey(v, p,
                                  [&](const std::string& name, const YAML::Node& text,
                                      const std::string& header_path) {
                                    bool allowed = false;
                                    for (const char* h : kWebHeaders) allowed |= name == h;
                                    if (!allowed) return false;
                                    web.headers.emplace_back(name, Scalar(text, header_path));
                                    return true;
                                  });
                       return true;
                     });
        } else {
          return false;
        }
        return true;
      });
  return web;
}

}  // namespace

Result<WebConfig> ParseWebConfig(const std::string& text, const std::string& file_name) {
  try {
    return ParseWebRoot(YAML::Load(text));
  } catch (const ConfigError& e) {
    return Result<WebConfig>::Error(Where(file_name, e.mark) + ": " + e.key + ": " + e.message);
  } catch (const YAML::Exception& e) {
    return Result<WebConfig>::Error(Where(file_name, e.mark) + ": (yaml): " + e.msg);
  }
}

namespace {

// A config file's text through the bounded reader: a directory, a FIFO or a device is refused
// before it is read, and past `max_bytes` it is no config (`/dev/zero` must not fill memory).
Result<std::string> ReadConfigText(const std::string& path, size_t max_bytes, const char* what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Result<std::string>::Error(path + ": is a directory, not a " + what);
  }
  auto text = ReadSmallFile(path, max_bytes);
  if (text.ok()) return text;
  if (text.error().rfind("larger than", 0) == 0) {
    return Result<std::string>::Error(path + ": " + text.error() + ", not a " + what);
  }
  if (text.error() == "not a regular file")
    return Result<std::string>::Error(path + ": not a regular file");
  return Result<std::string>::Error(path + ": cannot read the " + what + ": " + text.error());
}

}  // namespace

Result<WebConfig> LoadWebConfigFile(const std::string& path) {
  auto text = ReadConfigText(path, 1 << 20, "web config file");
  if (!text.ok()) return Result<WebConfig>::Error(text.error());
  return ParseWebConfig(text.value(), path);
}

Result<Config> LoadConfigFile(const std::string& path) {
  // A config is kilobytes; 16 MiB is no config.
  auto text = ReadConfigText(path, 16 << 20, "config file");
  if (!text.ok()) return Result<Config>::Error(text.error());
  return ParseConfig(text.value(), path);
}

}  // namespace rte
