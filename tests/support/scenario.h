// Cause scenarios: one exporter polls a faulty and a healthy target; these helpers build its
// config and check the verdict on every scrape (the faulty target's other causes below 0.5,
// the healthy target's below 0.2).
#pragma once

#include <chrono>
#include <string>

#include "exporter_process.h"
#include "metrics_text.h"

namespace rte::testing {

inline const char* const kCauseNames[] = {"pool", "network", "memory", "slowlog", "backlog"};

// Two targets, `faulty` (with `extra_faulty` YAML lines under it) and `healthy`, a 20 s risk
// window, 100 ms probes and `poll` between polls.
std::string Config(const std::string& faulty_address, const std::string& healthy_address,
                   const std::string& extra_faulty = "", const std::string& poll = "250ms");

// redis_timeout_risk{target, cause}, or -1 when absent.
double Risk(const MetricsText& m, const std::string& target, const std::string& cause);

// The checks every scrape of every scenario makes: the faulty target's causes other than
// `cause` below 0.5, the healthy target's below 0.2.
void RequireOthersLow(const MetricsText& m, const std::string& cause);

// Scrapes until `cause` of the faulty target reaches `level` and then for `settle` longer,
// checking RequireOthersLow on every scrape. Returns the highest risk of `cause` seen.
double ExpectRisk(ExporterProcess& exporter, const std::string& cause, double level,
                  std::chrono::milliseconds timeout, std::chrono::milliseconds settle);

// The matching risk must reach critical.
void ExpectDiagnosis(ExporterProcess& exporter, const std::string& cause,
                     std::chrono::milliseconds timeout = std::chrono::seconds(20),
                     std::chrono::milliseconds settle = std::chrono::milliseconds(1500));

// Until both targets have a network risk on /metrics: the exporter has judged them.
void WaitJudged(ExporterProcess& exporter);

}  // namespace rte::testing
