// The redis-timeout-exporter daemon run as a black box: config file, flags, HTTP, signals.
#pragma once

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "loopback.h"
#include "metrics_text.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace rte::testing {

// The outcome of waiting on /metrics. Tests write `REQUIRE(exporter.WaitForMetric(...))`; on
// failure Catch prints the description and the /metrics lines of the metric (or the whole last
// scrape, cut at 8 KiB, when it has no such line).
struct MetricWait {
  bool ok = false;
  std::string description;  // what was awaited
  std::string metric;       // the metric name awaited, if a single one
  std::string last_scrape;  // the last /metrics body (or the last scrape error)
  explicit operator bool() const { return ok; }
};
std::ostream& operator<<(std::ostream& out, const MetricWait& wait);

// Replaces every ${name} in `text` with vars[name], for config templates written as raw
// strings: Substitute(R"(address: ${redis})", {{"redis", redis.address()}}). Throws
// std::invalid_argument for a ${name} without a value.
std::string Substitute(std::string text, const std::map<std::string, std::string>& vars);

// A whole config for a daemon that needs no Redis (a config without targets is an error): one
// target `name` at a loopback port nothing listens on, so each of its polls fails at stage
// connect. Its series (target_up 0, poll_errors_total, ...) are on /metrics.
std::string RefusingTargetConfig(const std::string& name = "refused");

// Conditions for WaitForMetric.
using MetricCondition = std::function<bool(std::optional<double>)>;
inline MetricCondition Equals(double x) {
  return [x](std::optional<double> v) { return v.has_value() && *v == x; };
}
inline MetricCondition AtLeast(double x) {
  return [x](std::optional<double> v) { return v.has_value() && *v >= x; };
}
inline MetricCondition AtMost(double x) {
  return [x](std::optional<double> v) { return v.has_value() && *v <= x; };
}
inline MetricCondition Above(double x) {
  return [x](std::optional<double> v) { return v.has_value() && *v > x; };
}
inline MetricCondition Present() {
  return [](std::optional<double> v) { return v.has_value(); };
}
inline MetricCondition Absent() {
  return [](std::optional<double> v) { return !v.has_value(); };
}

struct ExporterOptions {
  std::string log_level = "debug";      // --log.level
  std::vector<std::string> extra_args;  // appended to the command line
  std::vector<std::string> env;         // "KEY=VALUE" added to the environment
  bool wait_healthy = true;             // wait in the constructor until /-/healthy is 200
  std::chrono::milliseconds start_timeout = std::chrono::seconds(10);
  // Runs the daemon through a command that execs it (same PID), e.g.
  // {"prlimit", "--nofile=1024:1024", "--"} for the usual systemd descriptor limit.
  std::vector<std::string> command_prefix = {};
};

// Writes `config_yaml` to <temp dir>/exporter.yaml and starts
//   <binary> --config.file=<that file> --web.listen-address=127.0.0.1:<free port>
//            --log.level=<level> <extra args>
// then (by default) waits until GET /-/healthy answers 200; throws std::runtime_error, with the
// daemon's stderr, if it exits or does not get healthy in time. The destructor stops it.
class ExporterProcess {
 public:
  ExporterProcess(const std::string& binary, const std::string& config_yaml,
                  ExporterOptions options = {});
  ExporterProcess(const ExporterProcess&) = delete;
  ExporterProcess& operator=(const ExporterProcess&) = delete;

  int port() const { return port_; }
  const std::string& config_path() const { return config_path_; }
  const std::string& dir() const { return dir_.path(); }
  Subprocess& process() { return *process_; }

  // GET /metrics; throws std::runtime_error unless it answers 200.
  std::string Scrape();
  MetricsText ScrapeMetrics() { return MetricsText::Parse(Scrape()); }
  // A metric from a fresh scrape (see MetricsText::Value).
  std::optional<double> Metric(const std::string& name, const Labels& labels = {}) {
    return ScrapeMetrics().Value(name, labels);
  }
  HttpResponse Get(const std::string& path) { return HttpGet(port_, path); }
  HttpResponse Post(const std::string& path) { return HttpPost(port_, path); }

  // Scrapes every 50 ms until `condition` holds for a parsed scrape or `timeout` passes.
  MetricWait WaitForScrape(const std::function<bool(const MetricsText&)>& condition,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10),
                           const std::string& description = "condition on /metrics");
  // Until `condition` holds for Value(name, labels) (nullopt while no sample matches).
  MetricWait WaitForMetric(const std::string& name, const Labels& labels,
                           const MetricCondition& condition,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Until redis_timeout_last_poll_success_timestamp_seconds{target} has taken `n` new values
  // after the first one seen by this call, i.e. until `n` more successful polls of the target.
  MetricWait WaitForPolls(const std::string& target, int n,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));

  void Reload();                                       // SIGHUP
  void RewriteConfig(const std::string& config_yaml);  // atomic replace of config_path()
  std::string ReadStderr() const { return process_->ReadStderr(); }
  std::string ReadStdout() const { return process_->ReadStdout(); }
  int Stop() { return process_->Stop(); }

 private:
  TempDir dir_;
  std::string config_path_;
  int port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

// The outcome of a run that is expected to end by itself (e.g. --config.check, --version).
struct ExporterRun {
  int exit_code = -1;  // -1: it had to be killed after the timeout
  std::string stdout_text;
  std::string stderr_text;
};
ExporterRun RunExporterToExit(const std::string& binary, const std::vector<std::string>& args,
                              std::chrono::milliseconds timeout = std::chrono::seconds(10),
                              const std::vector<std::string>& env = {});

// RTE_EXPORTER_BINARY is a compile definition of the test executables (not of this library),
// so these shortcuts exist only in their translation units.
#ifdef RTE_EXPORTER_BINARY
// The daemon under test: the one built beside the tests, or $RTE_TEST_EXPORTER_BINARY when set
// (`make test` runs the integration tests a second time against the sanitizer build).
inline std::string ExporterBinary() {
  const char* other = std::getenv("RTE_TEST_EXPORTER_BINARY");
  return other != nullptr && *other != '\0' ? other : RTE_EXPORTER_BINARY;
}
inline ExporterProcess StartExporter(const std::string& config_yaml, ExporterOptions options = {}) {
  return ExporterProcess(ExporterBinary(), config_yaml, std::move(options));
}
inline ExporterRun RunExporter(const std::vector<std::string>& args,
                               std::chrono::milliseconds timeout = std::chrono::seconds(10),
                               const std::vector<std::string>& env = {}) {
  return RunExporterToExit(ExporterBinary(), args, timeout, env);
}
#endif

}  // namespace rte::testing
