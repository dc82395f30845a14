// Wires config, the poll loop, the report store and the HTTP endpoints into one daemon.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "app/poll_loop.h"
#include "app/shard.h"
#include "common/clock.h"
#include "common/duration.h"
#include "exposition/collector.h"
#include "exposition/http_server.h"
#include "exposition/metrics_page.h"
#include "exposition/report_store.h"

namespace rte {

struct DaemonOptions {
  std::string config_file;
  std::string listen_address;
  std::string telemetry_path = "/metrics";
  std::string procfs_root = "/proc";
  std::string sysfs_root = "/sys";
  std::string web_config_file;  // empty: plain HTTP, no auth
  ShardSpec shard;              // one replica of shard.count polls only its share of the targets
  size_t web_max_connections = HttpConnections::kDefaultMaxOpen;  // --web.max-connections
  Duration web_read_timeout = Duration(HttpConnections::kDefaultReadTimeout);
};

class Daemon {
 public:
  explicit Daemon(DaemonOptions options);
  ~Daemon();

  // Loads the config, binds the port and starts the threads; an error says which failed.
  Status Start();
  // Re-reads the config file; on failure the running config stays in force.
  Status Reload();
  void Stop();

 private:
  HttpResponse LandingPage() const;
  // Loads --web.config.file (when given) and applies it to the HTTP server.
  Status ApplyWebConfig();
  // Raises the descriptor limit for `targets` when it can, and caps the web connections
  // below what the targets leave.
  // Raises RLIMIT_NOFILE when `targets` need it and returns the web connection cap that leaves
  // them their descriptors.
  size_t WebConnectionCapFor(size_t targets);

  DaemonOptions options_;
  SystemClock clock_;
  ReportStore store_;
  ExporterStatus status_;
  ReportCollector collector_;
  MetricsPage metrics_page_;
  PollLoop poll_loop_;
  HttpServer http_;
  std::mutex reload_mu_;
  // The targets the descriptor budget was last computed for: set by Start, then on the poll
  // loop's thread only.
  size_t budgeted_targets_ = 0;
};

}  // namespace rte
