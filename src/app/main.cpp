// Entry point: flags, logging, config check, and the signal loop (SIGHUP reloads).
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "app/daemon.h"
#include "app/flags.h"
#include "app/logging.h"
#include "app/shard.h"
#include "app/triage.h"
#include "common/duration.h"
#include "config/config.h"

namespace {

constexpr const char* kUsageHead = R"(usage: redis-timeout-exporter [flags]
       redis-timeout-exporter triage [flags]   (one-shot diagnosis; triage --help)

Polls the Redis targets of the config file and serves their timeout risk per cause on
/metrics, /triage and /. Flags take --name=value or --name value.

)";

constexpr const char* kUsageTail = R"(
Exit codes:
  0   stopped by SIGTERM or SIGINT; --help, --version; --config.check found the file valid
  1   startup failed (invalid config, listen address in use, ...); --config.check found the
      file invalid
  64  usage error: unknown flag, missing or malformed value
)";

rte::FlagSet DaemonFlags() {
  return rte::FlagSet({
      {"config.file", "PATH", "YAML config", "/etc/redis-timeout-exporter/config.yaml"},
      {"config.check", "", "validate the config file and exit (0 valid, 1 invalid)", {}},
      {"web.listen-address", "ADDR", "where the HTTP endpoints are served", ":9478"},
      {"web.telemetry-path", "PATH", "path under which to serve the metrics", "/metrics"},
      {"web.config.file", "PATH",
       "TLS, basic auth and headers of the web endpoint (exporter-toolkit format; re-read at "
       "every reload)",
       ""},
      {"web.max-connections", "N", "web connections open at once; the longest idle makes room",
       "512"},
      {"web.read-timeout", "DURATION", "time a web connection has to send a whole request", "30s"},
      {"log.level", "LEVEL", "debug, info, warn or error", "info"},
      {"log.format", "FORMAT", "logfmt or json", "logfmt"},
      {"path.procfs", "PATH", "procfs mount to read kernel counters from", "/proc"},
      {"path.sysfs", "PATH",
       "sysfs mount to read transparent huge pages and cgroup memory limits from", "/sys"},
      {"shard.count", "N", "run as one of N replicas that split the targets (default 1)", {}},
      {"shard.index", "I", "this replica's share: targets whose name hashes to I (default 0)", {}},
      {"shard.index-from-hostname",
       "",
       "take I from the ordinal ending the hostname (StatefulSet pod)",
       {}},
  });
}

std::string Usage(const rte::FlagSet& flags) {
  std::string out = kUsageHead;
  out += flags.Describe();
  out += kUsageTail;
  return out;
}

// The telemetry path must be a path of its own, not one of the other endpoints.
bool ValidTelemetryPath(const std::string& path) {
  return path.size() > 1 && path.front() == '/' && path != "/triage" && path != "/-/healthy" &&
         path != "/-/reload" && path.find_first_of("?# \"'<>&") == std::string::npos;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "triage") {
    signal(SIGPIPE, SIG_IGN);
    return rte::RunTriage(argc - 1, argv + 1);
  }
  rte::FlagSet flags = DaemonFlags();
  if (auto exit_code = flags.ParseOrExit(argc, argv, "redis-timeout-exporter", Usage(flags))) {
    return *exit_code;
  }
  const std::string level = flags.Get("log.level");
  const std::string format = flags.Get("log.format");
  if (rte::Status s = rte::CheckLogFlags(level, format); !s.ok()) {
    std::cerr << "redis-timeout-exporter: " << s.message() << "\n";
    return rte::kExitUsage;
  }
  const std::string telemetry_path = flags.Get("web.telemetry-path");
  if (!ValidTelemetryPath(telemetry_path)) {
    std::cerr << "redis-timeout-exporter: --web.telemetry-path must start with / and not be /, "
                 "/triage, /-/healthy or /-/reload, got '"
              << telemetry_path << "'\n";
    return rte::kExitUsage;
  }
  const std::string max_connections_text = flags.Get("web.max-connections");
  char* end = nullptr;
  const unsigned long long max_connections = std::strtoull(max_connections_text.c_str(), &end, 10);
  if (max_connections_text.empty() || *end != '\0' || max_connections < 1 ||
      max_connections > 1'000'000 || max_connections_text[0] == '-') {
    std::cerr << "redis-timeout-exporter: --web.max-connections must be a whole number from 1 "
                 "to 1000000, got '"
              << max_connections_text << "'\n";
    return rte::kExitUsage;
  }
  const auto read_timeout = rte::ParseDuration(flags.Get("web.read-timeout"));
  if (!read_timeout.ok() || read_timeout.value() < std::chrono::seconds(1) ||
      read_timeout.value() > std::chrono::hours(1)) {
    std::cerr << "redis-timeout-exporter: --web.read-timeout must be a duration from 1s to 1h, "
                 "got '"
              << flags.Get("web.read-timeout") << "'\n";
    return rte::kExitUsage;
  }
  const std::string config_file = flags.Get("config.file");
  char hostname[256] = {};
  const bool from_hostname = flags.Has("shard.index-from-hostname");
  if (from_hostname) gethostname(hostname, sizeof(hostname) - 1);
  const auto shard = rte::ParseShardSpec(flags.Get("shard.count"), flags.Get("shard.index"),
                                         from_hostname, hostname);
  if (!shard.ok()) {
    std::cerr << "redis-timeout-exporter: " << shard.error() << "\n";
    return rte::kExitUsage;
  }
  if (flags.Has("config.check")) {
    auto config = rte::LoadConfigFile(config_file);
    if (!config.ok()) {
      std::cerr << "config error: " << config.error() << "\n";
      return 1;
    }
    std::cout << config_file << ": valid, " << config.value().targets.size() << " target(s)\n";
    return 0;
  }
  rte::SetUpLogging(level, format);

  // Signals are taken by sigwait() on this thread only; block them before threads start.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  rte::Daemon daemon({config_file, flags.Get("web.listen-address"), telemetry_path,
                      flags.Get("path.procfs"), flags.Get("path.sysfs"),
                      flags.Get("web.config.file"), shard.value(),
                      static_cast<size_t>(max_connections), read_timeout.value()});
  if (rte::Status s = daemon.Start(); !s.ok()) {
    spdlog::critical("event=startup_failed error=\"{}\"", s.message());
    // Not only the config: a listen address in use fails Start() too.
    std::cerr << "redis-timeout-exporter: startup failed: " << s.message() << "\n";
    return 1;
  }
  spdlog::info("event=started version={}", RTE_VERSION);
  while (true) {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig == SIGHUP) {
      spdlog::info("event=reload_requested source=SIGHUP");
      daemon.Reload();
      continue;
    }
    spdlog::info("event=stopping signal={}", sig);
    break;
  }
  daemon.Stop();
  return 0;
}
