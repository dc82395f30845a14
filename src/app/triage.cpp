#include "app/triage.h"

#include <spdlog/spdlog.h>

#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "app/flags.h"
#include "app/logging.h"
#include "app/poll_loop.h"
#include "config/config.h"
#include "exposition/triage_report.h"

namespace rte {
namespace {

constexpr const char* kUsageHead = R"(usage: redis-timeout-exporter triage [flags]

Runs the 2 AM checklist (connectivity, clients, memory and policy, slowlog, latency samples,
kernel backlog) for a few seconds and prints, per target, the causes ranked by risk with the
evidence and the fix. Give --config.file (its targets) or --address (one target). Flags take
--name=value or --name value.

)";

constexpr const char* kUsageTail = R"(
Exit codes:
  0   every target ok
  1   the worst target is at warn
  2   the worst target is critical
  3   a target could not be reached, or answers that it is not serving (loading, BUSY,
      MASTERDOWN, writes paused)
  64  usage error (unknown flag, missing or malformed value) or an invalid config file
)";

FlagSet TriageFlags() {
  return FlagSet({
      {"config.file", "PATH", "the targets of a config file, or one target:", {}},
      {"address",
       "HOST:PORT",
       "(or redis://HOST:PORT, rediss://HOST:PORT for TLS, unix:///path) with optional",
       {}},
      {"username", "USER", "ACL user", {}},
      {"password-env", "VAR", "password from an environment variable", {}},
      {"password-file", "PATH", "password from a file (no password flag: it would show in ps)", {}},
      {"client-timeout", "DUR", "the application's timeout for that target", "1s"},
      {"tls.ca-file",
       "PATH",
       "rediss://: CA bundle to verify the server (default: system store)",
       {}},
      {"tls.cert-file", "PATH", "rediss://: client certificate for mutual TLS, with", {}},
      {"tls.key-file", "PATH", "its private key", {}},
      {"tls.server-name",
       "NAME",
       "rediss://: name to send (SNI) and verify (default: the host)",
       {}},
      {"tls.insecure-skip-verify",
       "",
       "rediss://: do not verify the server's certificate (tests only; with --config.file, each "
       "target's tls: settings apply)",
       {}},
      {"duration", "DUR", "how long to sample", "5s"},
      {"output", "FORMAT", "text or json", "text"},
      {"log.level", "LEVEL", "debug, info, warn or error", "error"},
      {"log.format", "FORMAT", "logfmt or json, on stderr", "logfmt"},
  });
}

std::string Usage(const FlagSet& flags) {
  std::string out = kUsageHead;
  out += flags.Describe();
  out += kUsageTail;
  return out;
}

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
  FlagSet flags = TriageFlags();
  if (auto exit_code = flags.ParseOrExit(argc, argv, "triage", Usage(flags))) return *exit_code;
  if (Status s = CheckLogFlags(flags.Get("log.level"), flags.Get("log.format")); !s.ok()) {
    std::cerr << "triage: " << s.message() << "\n";
    return kExitUsage;
  }
  SetUpLogging(flags.Get("log.level"), flags.Get("log.format"));  // stderr: stdout is the report
  const auto duration = ParseDuration(flags.Get("duration"));
  if (!duration.ok()) {
    std::cerr << "triage: --duration: " << duration.error() << "\n";
    return kExitUsage;
  }
  const std::string output = flags.Get("output");
  if (output != "text" && output != "json") {
    std::cerr << "triage: --output must be text or json\n";
    return kExitUsage;
  }

  Config config;
  if (flags.Has("config.file") == flags.Has("address")) {
    std::cerr << "triage: give --config.file or --address (one of them)\n\n" << Usage(flags);
    return kExitUsage;
  }
  if (flags.Has("config.file")) {
    auto loaded = LoadConfigFile(flags.Get("config.file"));
    if (!loaded.ok()) {
      std::cerr << "config error: " << loaded.error() << "\n";
      return kExitUsage;
    }
    config = std::move(loaded.value());
  } else {
    TargetConfig t;
    t.name = "target";
    auto endpoint = ParseEndpoint(flags.Get("address"));
    if (!endpoint.ok()) {
      std::cerr << "triage: --address: " << endpoint.error() << "\n";
      return kExitUsage;
    }
    t.endpoint = endpoint.value();
    if (flags.Has("username")) t.username = flags.Get("username");
    if (flags.Has("password-env")) t.password.env_var = flags.Get("password-env");
    if (flags.Has("password-file")) t.password.file = flags.Get("password-file");
    const auto timeout = ParseDuration(flags.Get("client-timeout"));
    if (!timeout.ok()) {
      std::cerr << "triage: --client-timeout: " << timeout.error() << "\n";
      return kExitUsage;
    }
    t.client_timeout = timeout.value();
    bool tls_flags = false;
    for (const TlsFlag& f : kTlsFlags) {
      if (!flags.Has(f.name)) continue;
      t.tls.*f.field = flags.Get(f.name);
      tls_flags = true;
    }
    if (flags.Has("tls.insecure-skip-verify")) {
      t.tls.insecure_skip_verify = true;
      tls_flags = true;
    }
    if (tls_flags && !t.endpoint.tls) {
      std::cerr << "triage: --tls.* flags need a rediss:// address\n";
      return kExitUsage;
    }
    if (t.tls.cert_file.empty() != t.tls.key_file.empty()) {
      std::cerr << "triage: a client certificate needs both --tls.cert-file and --tls.key-file\n";
      return kExitUsage;
    }
    config.targets.push_back(t);
  }
  for (auto& t : config.targets) TuneForTriage(t, duration.value());
  for (auto& d : config.discovery) {
    TuneForTriage(d.base, duration.value());
    d.refresh_interval = std::max<Duration>(std::chrono::milliseconds(500), duration.value() / 4);
  }
  config.kernel_interval =
      config.targets.empty() ? std::chrono::seconds(1) : config.targets.front().poll_interval;

  SystemClock clock;
  ReportStore store;
  std::set<std::string> reached;
  {
    PollLoop loop(clock, store);
    // Discovered targets (a file's too) sample as fast as the static ones.
    loop.SetTargetAdjuster([d = duration.value()](TargetConfig& t) { TuneForTriage(t, d); });
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
  input.discoveries = *store.Discoveries();
  input.never_reached.emplace();
  for (const auto& r : input.reports) {
    if (!reached.contains(r->config.name)) input.never_reached->push_back(r->config.name);
  }
  const TriageVerdict verdict = BuildVerdict(input);
  std::cout << (output == "json" ? RenderTriageJson(verdict) : RenderTriageText(verdict));
  return verdict.exit_code;
}

}  // namespace rte
