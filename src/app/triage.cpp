#include "app/triage.h"

#include <spdlog/spdlog.h>

#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "app/poll_loop.h"
#include "config/config.h"
#include "exposition/triage_report.h"

namespace rte {
namespace {

constexpr const char* kUsage = R"(usage: redis-timeout-exporter triage [flags]

Runs the 2 AM checklist (connectivity, clients, memory and policy, slowlog, latency samples,
kernel backlog) for a few seconds and prints, per target, the causes ranked by risk with the
evidence and the fix. Exit code: 0 ok, 1 warn, 2 critical, 3 a target could not be reached.

  --config.file=PATH        the targets of a config file, or one target:
  --address=HOST:PORT       (or redis://HOST:PORT, rediss://HOST:PORT for TLS, unix:///path)
                            with optional
  --username=USER           ACL user
  --password-env=VAR        password from an environment variable
  --password-file=PATH      password from a file (no password flag: it would show in ps)
  --client-timeout=DUR      the application's timeout for that target (default 1s)
  --tls.ca-file=PATH        rediss://: CA bundle to verify the server (default: system store)
  --tls.cert-file=PATH      rediss://: client certificate for mutual TLS, with
  --tls.key-file=PATH       its private key
  --tls.server-name=NAME    rediss://: name to send (SNI) and verify (default: the host)
  --tls.insecure-skip-verify  rediss://: do not verify the server's certificate (tests only)
                            (with --config.file, each target's tls: settings apply)
  --duration=DUR            how long to sample (default 5s)
  --output=text|json        (default text)
)";

// Samples fast enough to have a window of several polls within the run.
void TuneForTriage(TargetConfig& t, Duration duration) {
  t.probe_interval = std::chrono::milliseconds(100);
  t.poll_interval = std::max<Duration>(std::chrono::milliseconds(250), duration / 8);
  t.poll_timeout = std::min<Duration>(t.poll_interval, std::chrono::seconds(2));
  t.connect_timeout = std::min(t.connect_timeout, t.poll_timeout);
  t.config_interval = t.poll_interval;
  t.client_list_interval = t.poll_interval;
  t.latency_window = duration + std::chrono::seconds(1);
  t.thresholds.risk_window = duration + std::chrono::seconds(1);
}

// The --tls.* flags of a single --address target, onto its `tls:` settings.
struct TlsFlag {
  const char* name;
  std::string TlsConfig::*field;
};
constexpr TlsFlag kTlsFlags[] = {{"tls.ca-file", &TlsConfig::ca_file},
                                 {"tls.cert-file", &TlsConfig::cert_file},
                                 {"tls.key-file", &TlsConfig::key_file},
                                 {"tls.server-name", &TlsConfig::server_name}};

}  // namespace

int RunTriage(int argc, char** argv) {
  std::map<std::string, std::string> flags = {
      {"duration", "5s"}, {"output", "text"}, {"client-timeout", "1s"}};
  const std::set<std::string> known = {"config.file",     "address",
                                       "username",        "password-env",
                                       "password-file",   "client-timeout",
                                       "duration",        "output",
                                       "log.level",       "tls.ca-file",
                                       "tls.cert-file",   "tls.key-file",
                                       "tls.server-name", "tls.insecure-skip-verify"};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--tls.insecure-skip-verify") arg += "=true";  // a switch
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    const auto eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos ||
        !known.contains(arg.substr(2, eq - 2))) {
      std::cerr << "triage: unknown or malformed flag '" << arg << "' (use --name=value)\n\n"
                << kUsage;
      return 64;
    }
    flags[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
  }
  spdlog::set_level(
      spdlog::level::from_str(flags.contains("log.level") ? flags["log.level"] : "error"));
  const auto duration = ParseDuration(flags["duration"]);
  if (!duration.ok()) {
    std::cerr << "triage: --duration: " << duration.error() << "\n";
    return 64;
  }
  if (flags["output"] != "text" && flags["output"] != "json") {
    std::cerr << "triage: --output must be text or json\n";
    return 64;
  }

  Config config;
  if (flags.contains("config.file") == flags.contains("address")) {
    std::cerr << "triage: give --config.file or --address (one of them)\n\n" << kUsage;
    return 64;
  }
  if (flags.contains("config.file")) {
    auto loaded = LoadConfigFile(flags["config.file"]);
    if (!loaded.ok()) {
      std::cerr << "config error: " << loaded.error() << "\n";
      return 64;
    }
    config = std::move(loaded.value());
  } else {
    TargetConfig t;
    t.name = "target";
    auto endpoint = ParseEndpoint(flags["address"]);
    if (!endpoint.ok()) {
      std::cerr << "triage: --address: " << endpoint.error() << "\n";
      return 64;
    }
    t.endpoint = endpoint.value();
    if (flags.contains("username")) t.username = flags["username"];
    if (flags.contains("password-env")) t.password.env_var = flags["password-env"];
    if (flags.contains("password-file")) t.password.file = flags["password-file"];
    const auto timeout = ParseDuration(flags["client-timeout"]);
    if (!timeout.ok()) {
      std::cerr << "triage: --client-timeout: " << timeout.error() << "\n";
      return 64;
    }
    t.client_timeout = timeout.value();
    bool tls_flags = false;
    for (const TlsFlag& f : kTlsFlags) {
      if (!flags.contains(f.name)) continue;
      t.tls.*f.field = flags[f.name];
      tls_flags = true;
    }
    if (flags.contains("tls.insecure-skip-verify")) {
      const std::string& v = flags["tls.insecure-skip-verify"];
      if (v != "true" && v != "false") {
        std::cerr << "triage: --tls.insecure-skip-verify takes true or false\n";
        return 64;
      }
      t.tls.insecure_skip_verify = v == "true";
      tls_flags = true;
    }
    if (tls_flags && !t.endpoint.tls) {
      std::cerr << "triage: --tls.* flags need a rediss:// address\n";
      return 64;
    }
    if (t.tls.cert_file.empty() != t.tls.key_file.empty()) {
      std::cerr << "triage: a client certificate needs both --tls.cert-file and --tls.key-file\n";
      return 64;
    }
    config.targets.push_back(t);
  }
  for (auto& t : config.targets) TuneForTriage(t, duration.value());
  config.kernel_interval =
      config.targets.empty() ? std::chrono::seconds(1) : config.targets.front().poll_interval;

  SystemClock clock;
  ReportStore store;
  std::set<std::string> reached;
  {
    PollLoop loop(clock, store);
    loop.Apply(config);
    loop.Start();
    const Nanos end = clock.MonotonicNanos() + duration.value().count();
    while (clock.MonotonicNanos() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      for (const auto& r : store.All()) {
        // "max number of clients reached" is an answer too: the diagnosis is pool, not down.
        if (r->up || r->probe.connect_refusals.at("max_clients") > 0)
          reached.insert(r->config.name);
      }
    }
    loop.Stop();
  }
  VerdictInput input;
  input.sampled_seconds = ToSeconds(duration.value());
  input.generated_at = clock.WallSeconds();
  input.reports = store.All();
  input.never_reached.emplace();
  for (const auto& r : input.reports) {
    if (!reached.contains(r->config.name)) input.never_reached->push_back(r->config.name);
  }
  const TriageVerdict verdict = BuildVerdict(input);
  std::cout << (flags["output"] == "json" ? RenderTriageJson(verdict) : RenderTriageText(verdict));
  return verdict.exit_code;
}

}  // namespace rte
