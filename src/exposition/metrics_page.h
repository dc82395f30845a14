// The /metrics response. Between two polls the report families do not change, so they are
// rendered once per store version and served from memory (and gzip-compressed once); only the
// exporter's status families, a few lines, are rendered for each scrape.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "exposition/collector.h"
#include "exposition/http_server.h"
#include "exposition/report_store.h"

namespace rte {

class MetricsPage {
 public:
  // Report families up to this size (about 30 targets) are kept between scrapes. Above it they
  // are streamed into the response as they are rendered, and never held whole: with that many
  // targets a poll lands between any two scrapes, so a kept page would never be served twice.
  static constexpr std::size_t kMaxKeptBytes = 256 * 1024;

  MetricsPage(const ReportCollector& collector, const ReportStore& store)
      : collector_(collector), store_(store) {}

  // The response to one scrape. Thread-safe.
  HttpResponse Serve();

 private:
  const ReportCollector& collector_;
  const ReportStore& store_;
  std::mutex mu_;
  std::shared_ptr<const PreparedBody> kept_;  // the report families of kept_version_
  std::uint64_t kept_version_ = 0;
  // Size of the report families last rendered; unknown (max) until the first scrape, which is
  // streamed so that a large page is never held whole, not even once.
  std::atomic<std::size_t> last_bytes_{SIZE_MAX};
};

}  // namespace rte
