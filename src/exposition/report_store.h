// The latest report per target and the latest kernel reading, as scrapes and the triage page
// read them. Writers replace whole reports; readers copy pointers under a short lock, so
// /metrics never waits on Redis or the kernel and never sees half a poll.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "derive/discovery_health.h"
#include "derive/target_report.h"
#include "snapshot/kernel.h"

namespace rte {

class ReportStore {
 public:
  void Publish(std::shared_ptr<const TargetReport> report) {
    std::lock_guard lock(mu_);
    reports_[report->config.name] = std::move(report);
    version_.fetch_add(1, std::memory_order_release);
  }
  void Remove(const std::string& target) {
    std::lock_guard lock(mu_);
    reports_.erase(target);
    version_.fetch_add(1, std::memory_order_release);
  }
  void PublishKernel(std::shared_ptr<const KernelSnapshot> reading) {
    std::lock_guard lock(mu_);
    kernel_ = std::move(reading);
    version_.fetch_add(1, std::memory_order_release);
  }
  std::shared_ptr<const KernelSnapshot> Kernel() const {
    std::lock_guard lock(mu_);
    return kernel_;
  }
  // Every discovery's status, replacing the last list.
  void PublishDiscoveries(std::vector<DiscoveryStatus> discoveries) {
    auto list = std::make_shared<const std::vector<DiscoveryStatus>>(std::move(discoveries));
    std::lock_guard lock(mu_);
    discoveries_ = std::move(list);
    version_.fetch_add(1, std::memory_order_release);
  }
  std::shared_ptr<const std::vector<DiscoveryStatus>> Discoveries() const {
    std::lock_guard lock(mu_);
    return discoveries_;
  }
  // Changes with every Publish, Remove, PublishKernel and PublishDiscoveries: a page rendered after
  // reading version V shows at least the store of V, so it may be served again while the version is
  // still V.
  std::uint64_t version() const { return version_.load(std::memory_order_acquire); }
  std::vector<std::shared_ptr<const TargetReport>> All() const {
    std::lock_guard lock(mu_);
    std::vector<std::shared_ptr<const TargetReport>> out;
    out.reserve(reports_.size());
    for (const auto& [name, report] : reports_) out.push_back(report);
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const TargetReport>> reports_;
  std::shared_ptr<const KernelSnapshot> kernel_;
  std::shared_ptr<const std::vector<DiscoveryStatus>> discoveries_ =
      std::make_shared<const std::vector<DiscoveryStatus>>();
  std::atomic<std::uint64_t> version_{0};
};

}  // namespace rte
