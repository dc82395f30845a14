// Turns the latest published reports into Prometheus metric families on every scrape.
// Collect() runs under the HTTP server's request: it only copies from memory, never does I/O.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "exposition/report_store.h"

namespace rte {

// Exporter-wide state that is not per target.
struct ExporterStatus {
  std::atomic<bool> config_last_reload_successful{true};
  std::atomic<double> config_last_reload_success_timestamp{0};
  std::atomic<int> shard_targets{0};  // targets of the config this replica polls
  std::atomic<std::uint64_t> web_tls_handshake_failures{0};  // counted by the HTTP server
};

class ReportCollector : public prometheus::Collectable {
 public:
  ReportCollector(const ReportStore& store, const ExporterStatus& status)
      : store_(store), status_(status) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const ReportStore& store_;
  const ExporterStatus& status_;
};

// The full /metrics body in the text exposition format.
std::string RenderMetrics(const prometheus::Collectable& collectable);

}  // namespace rte
