#include "app/daemon.h"

#include <spdlog/spdlog.h>

#include "exposition/triage_page.h"

namespace rte {

Daemon::Daemon(DaemonOptions options)
    : options_(std::move(options)),
      collector_(store_, status_),
      poll_loop_(clock_, store_, options_.procfs_root, options_.sysfs_root) {}

Daemon::~Daemon() { Stop(); }

Status Daemon::Start() {
  auto config = LoadConfigFile(options_.config_file);
  if (!config.ok()) return Status::Error(config.error());

  http_.Route("/", [this](const std::string&) { return LandingPage(); });
  http_.Route("/metrics", [this](const std::string&) {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = RenderMetrics(collector_);
    return r;
  });
  http_.Route("/triage", [this](const std::string&) {
    VerdictInput input;
    input.reports = store_.All();
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
  if (Status s = http_.Listen(options_.listen_address); !s.ok()) return s;

  status_.shard_targets = KeepShardTargets(config.value(), options_.shard);
  status_.config_last_reload_successful = true;
  status_.config_last_reload_success_timestamp = clock_.WallSeconds();
  spdlog::info("event=config_loaded file={} targets={} shard={}/{}", options_.config_file,
               config.value().targets.size(), options_.shard.index, options_.shard.count);
  poll_loop_.Apply(std::move(config.value()));
  poll_loop_.Start();
  http_.Start();
  spdlog::info("event=listening address={} metrics_path=/metrics", options_.listen_address);
  return Status::Ok();
}

Status Daemon::Reload() {
  std::lock_guard lock(reload_mu_);
  auto config = LoadConfigFile(options_.config_file);
  if (!config.ok()) {
    status_.config_last_reload_successful = false;
    spdlog::error(
        "event=config_reload_failed error=\"{}\" action=\"previous config stays in force\"",
        config.error());
    return Status::Error(config.error());
  }
  status_.shard_targets = KeepShardTargets(config.value(), options_.shard);
  status_.config_last_reload_successful = true;
  status_.config_last_reload_success_timestamp = clock_.WallSeconds();
  spdlog::info("event=config_reloaded file={} targets={}", options_.config_file,
               config.value().targets.size());
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
<li><a href="/metrics">/metrics</a>: Prometheus metrics from the latest poll (scrapes never query Redis)</li>
<li><a href="/-/healthy">/-/healthy</a>: liveness</li>
<li>POST /-/reload: re-read the config file (SIGHUP does the same)</li>
</ul>
<p>Version )" RTE_VERSION R"(</p>
</body></html>
)";
  return r;
}

}  // namespace rte
