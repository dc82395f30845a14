#include "app/daemon.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/errno_text.h"
#include "exposition/triage_page.h"
#include "exposition/web_security.h"

namespace rte {
namespace {

// Descriptors a target can hold at once: the poll connection, the probe's persistent
// connection and its fresh-connect probe.
constexpr rlim_t kFdsPerTarget = 3;
// The rest: the listening socket, scrapes in flight, libevent's internals, procfs reads, logs.
constexpr rlim_t kFdsBase = 64;

// Like the Go runtime, which Prometheus exporters are written in: raise the soft
// RLIMIT_NOFILE to the hard limit when the configured targets need more than the soft limit.
// Returns the soft limit in force after it (RLIM_INFINITY when unlimited, 0 when unknown).
rlim_t EnsureFileLimit(size_t targets) {
  const rlim_t needed = kFdsBase + kFdsPerTarget * static_cast<rlim_t>(targets);
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed &&
      limit.rlim_cur < limit.rlim_max) {
    const rlim_t before = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) == 0) {
      spdlog::info("event=fd_limit_raised soft_before={} soft={} needed={} targets={}", before,
                   limit.rlim_cur, needed, targets);
    } else {
      spdlog::warn("event=fd_limit_raise_failed soft={} hard={} error=\"{}\"", before,
                   limit.rlim_max, ErrnoText());
      limit.rlim_cur = before;
    }
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
    spdlog::warn("event=fd_limit_too_low soft={} hard={} needed={} targets={} action=\"{}\"",
                 limit.rlim_cur, limit.rlim_max, needed, targets,
                 "connections to some targets will fail: raise the hard limit (LimitNOFILE= in the "
                 "systemd unit, ulimit -Hn)");
  }
  return limit.rlim_cur;
}

// The web connections may hold what the targets leave of the descriptor limit, and at least a
// few (a scrape must get through even when the targets need everything).
constexpr size_t kMinWebConnections = 8;
size_t WebConnectionCap(size_t flag, rlim_t soft_limit, size_t targets) {
  if (soft_limit == 0 || soft_limit == RLIM_INFINITY) return flag;
  const rlim_t needed = kFdsBase + kFdsPerTarget * static_cast<rlim_t>(targets);
  const rlim_t left = soft_limit > needed ? soft_limit - needed : 0;
  return std::max(kMinWebConnections, std::min<size_t>(flag, static_cast<size_t>(left)));
}

}  // namespace

Daemon::Daemon(DaemonOptions options)
    : options_(std::move(options)),
      collector_(store_, status_),
      metrics_page_(collector_, store_),
      poll_loop_(clock_, store_, options_.procfs_root, options_.sysfs_root),
      http_(&status_.web) {
  // Discovery changes the targets polled between reloads: the descriptor budget and the shard's
  // target count follow what is polled, not only the config's static targets.
  // Runs on the poll loop's thread: it only stores into atomics (the HTTP server's cap).
  poll_loop_.SetTargetsChanged([this](size_t targets) {
    status_.shard_targets = static_cast<int>(targets);
    if (targets == budgeted_targets_) return;  // replaced targets, the same count: no news
    budgeted_targets_ = targets;
    http_.SetConnectionCap(WebConnectionCapFor(targets));
  });
}

Daemon::~Daemon() { Stop(); }

Status Daemon::Start() {
  auto config = LoadConfigFile(options_.config_file);
  if (!config.ok()) return Status::Error(config.error());
  // The static targets until the poll loop reports the targets it polls (discovered ones too).
  budgeted_targets_ = config.value().targets.size();
  http_.SetConnectionLimits(WebConnectionCapFor(budgeted_targets_),
                            options_.web_read_timeout.count());

  http_.Route("/", [this](const std::string&) { return LandingPage(); });
  http_.Route(options_.telemetry_path,
              [this](const std::string&) { return metrics_page_.Serve(); });
  http_.Route("/triage", [this](const std::string&) {
    VerdictInput input;
    input.reports = store_.All();
    input.discoveries = *store_.Discoveries();
    input.generated_at = clock_.WallSeconds();
    return HttpResponse{200, "text/html; charset=utf-8", RenderTriagePage(BuildVerdict(input))};
  });
  http_.Route("/-/healthy", [](const std::string&) {
    return HttpResponse{200, "text/plain", "OK\n"};
  });
  http_.Route("/-/reload", [this](const std::string& method) {
    if (method != "POST") return HttpResponse{405, "text/plain", "use POST to reload\n"};
    Status s = Reload();
    if (!s.ok()) return HttpResponse{500, "text/plain", "reload failed: " + s.message() + "\n"};
    return HttpResponse{200, "text/plain", "config reloaded\n"};
  });
  if (Status s = ApplyWebConfig(); !s.ok()) return s;
  if (Status s = http_.Listen(options_.listen_address); !s.ok()) return s;

  status_.shard_targets = KeepShardTargets(config.value(), options_.shard);
  status_.config_last_reload_successful = true;
  status_.config_last_reload_success_timestamp = clock_.WallSeconds();
  spdlog::info("event=config_loaded file={} targets={} discoveries={} shard={}/{}",
               options_.config_file, config.value().targets.size(), config.value().discovery.size(),
               options_.shard.index, options_.shard.count);
  poll_loop_.Apply(std::move(config.value()));
  poll_loop_.Start();
  http_.Start();
  spdlog::info("event=listening address={} metrics_path={}", options_.listen_address,
               options_.telemetry_path);
  return Status::Ok();
}

namespace {

// The web config as the HTTP server applies it; null when no --web.config.file is given.
Result<std::shared_ptr<const WebSecurity>> LoadWebConfig(const std::string& path) {
  if (path.empty()) return std::shared_ptr<const WebSecurity>();
  auto web = LoadWebConfigFile(path);
  if (!web.ok()) return Result<std::shared_ptr<const WebSecurity>>::Error(web.error());
  return LoadWebSecurity(web.value());
}

}  // namespace

size_t Daemon::WebConnectionCapFor(size_t targets) {
  const size_t cap =
      WebConnectionCap(options_.web_max_connections, EnsureFileLimit(targets), targets);
  if (cap < options_.web_max_connections) {
    spdlog::info("event=web_connection_cap connections={} max_connections_flag={} reason=\"{}\"",
                 cap, options_.web_max_connections,
                 "the descriptor limit leaves no more beside the targets' connections");
  }
  return cap;
}

Status Daemon::ApplyWebConfig() {
  auto web = LoadWebConfig(options_.web_config_file);
  if (!web.ok()) return Status::Error("--web.config.file: " + web.error());
  http_.SetSecurity(std::move(web.value()));
  return Status::Ok();
}

Status Daemon::Reload() {
  std::lock_guard lock(reload_mu_);
  // All or nothing: a broken main or web config keeps both old ones in force.
  auto config = LoadConfigFile(options_.config_file);
  auto web = LoadWebConfig(options_.web_config_file);
  const std::string error = !config.ok() ? config.error()
                            : !web.ok()  ? "--web.config.file: " + web.error()
                                         : std::string();
  if (!error.empty()) {
    status_.config_last_reload_successful = false;
    spdlog::error(
        "event=config_reload_failed error=\"{}\" action=\"previous config stays in force\"", error);
    return Status::Error(error);
  }
  http_.SetSecurity(std::move(web.value()));
  status_.config_last_reload_successful = true;
  status_.config_last_reload_success_timestamp = clock_.WallSeconds();
  spdlog::info("event=config_reloaded file={} targets={} discoveries={}", options_.config_file,
               config.value().targets.size(), config.value().discovery.size());
  // Keeps this replica's static targets and tells the poll loop the shard (the targets it
  // discovers are filtered by it too). redis_timeout_shard_targets and the descriptor budget
  // follow from the poll loop once the targets polled change.
  KeepShardTargets(config.value(), options_.shard);
  poll_loop_.Apply(std::move(config.value()));
  return Status::Ok();
}

void Daemon::Stop() {
  http_.Stop();
  poll_loop_.Stop();
}

HttpResponse Daemon::LandingPage() const {
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.body = R"(<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>redis-timeout-exporter</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto;">
<h1>redis-timeout-exporter</h1>
<p>Tells which of five causes (pool, network, memory, slowlog, backlog) is about to make Redis time out.</p>
<ul>
<li><a href="/triage">/triage</a>: which of the five causes is it? Ranked per target, with evidence and fixes</li>
<li><a href=")";
  // The path comes from our own flag, checked at startup to hold no quote, space or markup.
  r.body += options_.telemetry_path;
  r.body += R"(">)";
  r.body += options_.telemetry_path;
  r.body += R"(</a>: Prometheus metrics from the latest poll (scrapes never query Redis)</li>
<li><a href="/-/healthy">/-/healthy</a>: liveness</li>
<li>POST /-/reload: re-read the config file (SIGHUP does the same)</li>
</ul>
<p>Version )" RTE_VERSION R"(</p>
</body></html>
)";
  return r;
}

}  // namespace rte
