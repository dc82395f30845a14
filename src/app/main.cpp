// Entry point: flags, logging, config check, and the signal loop (SIGHUP reloads).
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <string>

#include "app/daemon.h"
#include "app/shard.h"
#include "app/triage.h"
#include "config/config.h"

namespace {

constexpr const char* kUsage = R"(usage: redis-timeout-exporter [flags]
       redis-timeout-exporter triage --help

  --config.file=PATH          YAML config (default /etc/redis-timeout-exporter/config.yaml)
  --web.listen-address=ADDR   where /metrics is served (default :9478)
  --log.level=LEVEL           debug, info, warn or error (default info)
  --path.procfs=PATH          procfs mount to read kernel counters from (default /proc)
  --path.sysfs=PATH           sysfs mount to read transparent huge pages from (default /sys)
  --shard.count=N             run as one of N replicas that split the targets (default 1)
  --shard.index=I             this replica's share: targets whose name hashes to I (default 0)
  --shard.index-from-hostname take I from the ordinal ending the hostname (StatefulSet pod)
  --config.check              validate the config file and exit (0 valid, 1 invalid)
  --version                   print the version and exit
)";

struct Flags {
  std::map<std::string, std::string> values = {
      {"config.file", "/etc/redis-timeout-exporter/config.yaml"},
      {"web.listen-address", ":9478"},
      {"log.level", "info"},
      {"path.procfs", "/proc"},
      {"path.sysfs", "/sys"},
      {"shard.count", ""},
      {"shard.index", ""},
  };
  bool shard_index_from_hostname = false;
  bool check = false;
  bool version = false;
  bool help = false;
};

bool ParseFlags(int argc, char** argv, Flags& flags, std::string& error) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--config.check") {
      flags.check = true;
      continue;
    }
    if (arg == "--shard.index-from-hostname") {
      flags.shard_index_from_hostname = true;
      continue;
    }
    if (arg == "--version") {
      flags.version = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      flags.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      error = "unexpected argument '" + arg + "'";
      return false;
    }
    std::string name = arg.substr(2), value;
    const auto eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      error = "flag --" + name + " needs a value";
      return false;
    }
    if (!flags.values.contains(name)) {
      error = "unknown flag --" + name;
      return false;
    }
    flags.values[name] = value;
  }
  return true;
}

void SetUpLogging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("rte");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("ts=%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::flush_on(spdlog::level::debug);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "triage") {
    signal(SIGPIPE, SIG_IGN);
    SetUpLogging("error");  // stderr, so stdout stays the report
    return rte::RunTriage(argc - 1, argv + 1);
  }
  Flags flags;
  std::string error;
  if (!ParseFlags(argc, argv, flags, error)) {
    std::cerr << "redis-timeout-exporter: " << error << "\n\n" << kUsage;
    return 2;
  }
  if (flags.help) {
    std::cout << kUsage;
    return 0;
  }
  if (flags.version) {
    std::cout << "redis-timeout-exporter " << RTE_VERSION << "\n";
    return 0;
  }
  const std::string level = flags.values["log.level"];
  if (level != "debug" && level != "info" && level != "warn" && level != "error") {
    std::cerr << "redis-timeout-exporter: --log.level must be debug, info, warn or error\n";
    return 2;
  }
  const std::string config_file = flags.values["config.file"];
  char hostname[256] = {};
  if (flags.shard_index_from_hostname) gethostname(hostname, sizeof(hostname) - 1);
  const auto shard = rte::ParseShardSpec(flags.values["shard.count"], flags.values["shard.index"],
                                         flags.shard_index_from_hostname, hostname);
  if (!shard.ok()) {
    std::cerr << "redis-timeout-exporter: " << shard.error() << "\n";
    return 2;
  }
  if (flags.check) {
    auto config = rte::LoadConfigFile(config_file);
    if (!config.ok()) {
      std::cerr << "config error: " << config.error() << "\n";
      return 1;
    }
    std::cout << config_file << ": valid, " << config.value().targets.size() << " target(s)\n";
    return 0;
  }
  SetUpLogging(level);

  // Signals are taken by sigwait() on this thread only; block them before threads start.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  rte::Daemon daemon({config_file, flags.values["web.listen-address"], flags.values["path.procfs"],
                      flags.values["path.sysfs"], shard.value()});
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
