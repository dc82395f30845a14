// The redis-timeout-exporter daemon run as a black box: config file, flags, HTTP, signals.
#include "exporter_process.h"

#include <signal.h>

#include <sstream>
#include <stdexcept>

#include "wait_until.h"

namespace rte::testing {

std::string RefusingTargetConfig(const std::string& name) {
  return "targets:\n  - {name: " + name +
         ", address: '127.0.0.1:" + std::to_string(FreeLoopbackPort()) + "'}\n";
}

std::string Substitute(std::string text, const std::map<std::string, std::string>& vars) {
  size_t pos = 0;
  while ((pos = text.find("${", pos)) != std::string::npos) {
    const size_t end = text.find('}', pos);
    if (end == std::string::npos) throw std::invalid_argument("Substitute: unterminated ${");
    const std::string name = text.substr(pos + 2, end - pos - 2);
    auto it = vars.find(name);
    if (it == vars.end()) throw std::invalid_argument("Substitute: no value for ${" + name + "}");
    text.replace(pos, end - pos + 1, it->second);
    pos += it->second.size();
  }
  return text;
}

ExporterProcess::ExporterProcess(const std::string& binary, const std::string& config_yaml,
                                 ExporterOptions options)
    : dir_("rte-exporter") {
  config_path_ = dir_.WriteFile("exporter.yaml", config_yaml);
  std::string failure;
  // The free port can be taken before the daemon binds it: retry when that is why it exited.
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = FreeLoopbackPort();
    std::vector<std::string> argv = {binary, "--config.file=" + config_path_,
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                     "--log.level=" + options.log_level};
    argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
    argv.insert(argv.begin(), options.command_prefix.begin(), options.command_prefix.end());
    process_ = std::make_unique<Subprocess>(argv, dir_.path(), options.env);
    if (!options.wait_healthy) return;
    bool exited = false;
    bool healthy = WaitUntil(
        [&] {
          if (!process_->Running()) {
            exited = true;
            return true;
          }
          return HttpGet(port_, "/-/healthy", std::chrono::seconds(1)).status == 200;
        },
        options.start_timeout, std::chrono::milliseconds(20));
    if (healthy && !exited) return;
    const int code = process_->Stop();
    const std::string err = process_->ReadStderr();
    failure = "redis-timeout-exporter " + std::string(exited ? "exited" : "not healthy in time") +
              " (exit code " + std::to_string(code) + "); stderr:\n" + err;
    const bool port_taken = err.find("in use") != std::string::npos;
    if (!exited || !port_taken) break;
  }
  throw std::runtime_error(failure);
}

std::string ExporterProcess::Scrape() {
  HttpResponse r = HttpGet(port_, "/metrics");
  if (r.status != 200) {
    std::string why = "GET /metrics: status " + std::to_string(r.status) + " " + r.error + " " +
                      r.body.substr(0, 500);
    if (!process_->Running()) {
      const std::string err = process_->ReadStderr();
      why += "\nredis-timeout-exporter exited with code " +
             std::to_string(process_->Wait(std::chrono::milliseconds(0)).value_or(-1)) +
             "; end of its stderr:\n" + err.substr(err.size() > 4096 ? err.size() - 4096 : 0);
    }
    throw std::runtime_error(why);
  }
  return r.body;
}

std::ostream& operator<<(std::ostream& out, const MetricWait& wait) {
  out << (wait.ok ? "satisfied: " : "not satisfied in time: ") << wait.description;
  if (wait.ok) return out;
  std::string lines;
  if (!wait.metric.empty()) {
    std::istringstream in(wait.last_scrape);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(wait.metric, 0) == 0) lines += line + "\n";
    }
  }
  if (lines.empty()) {
    out << "\n--- last /metrics (no sample of " << wait.metric << ") ---\n"
        << wait.last_scrape.substr(0, 8192);
  } else {
    out << "\n--- last /metrics lines of " << wait.metric << " ---\n" << lines;
  }
  return out;
}

MetricWait ExporterProcess::WaitForScrape(const std::function<bool(const MetricsText&)>& condition,
                                          std::chrono::milliseconds timeout,
                                          const std::string& description) {
  MetricWait wait;
  wait.description = description;
  bool exited = false;
  wait.ok = WaitUntil(
      [&] {
        HttpResponse r = HttpGet(port_, "/metrics");
        if (r.status != 200) {
          wait.last_scrape = "GET /metrics failed: status " + std::to_string(r.status) + " " +
                             r.error + " " + r.body;
          // A daemon that died will not answer again: say how it ended and stop waiting.
          if (!process_->Running()) {
            const std::string err = process_->ReadStderr();
            wait.last_scrape +=
                "\nredis-timeout-exporter exited with code " +
                std::to_string(process_->Wait(std::chrono::milliseconds(0)).value_or(-1)) +
                "; end of its stderr:\n" + err.substr(err.size() > 4096 ? err.size() - 4096 : 0);
            exited = true;
            return true;
          }
          return false;
        }
        wait.last_scrape = r.body;
        return condition(MetricsText::Parse(r.body));
      },
      timeout);
  wait.ok = wait.ok && !exited;
  return wait;
}

namespace {

std::string Describe(const std::string& name, const Labels& labels) {
  std::string s = name + "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    s += (first ? "" : ",") + k + "=\"" + v + "\"";
    first = false;
  }
  return s + "}";
}

}  // namespace

MetricWait ExporterProcess::WaitForMetric(const std::string& name, const Labels& labels,
                                          const MetricCondition& condition,
                                          std::chrono::milliseconds timeout) {
  std::optional<double> last;
  MetricWait wait = WaitForScrape(
      [&](const MetricsText& m) {
        last = m.Value(name, labels);
        return condition(last);
      },
      timeout, "");
  wait.metric = name;
  wait.description = Describe(name, labels) +
                     " (last value: " + (last ? std::to_string(*last) : std::string("absent")) +
                     ")";
  return wait;
}

MetricWait ExporterProcess::WaitForPolls(const std::string& target, int n,
                                         std::chrono::milliseconds timeout) {
  const std::string name = "redis_timeout_last_poll_success_timestamp_seconds";
  std::optional<double> previous;
  int changes = -1;  // the first value seen is the baseline
  MetricWait wait = WaitForScrape(
      [&](const MetricsText& m) {
        auto v = m.Value(name, {{"target", target}});
        if (v && (!previous || *v != *previous)) {
          previous = v;
          ++changes;
        }
        return changes >= n;
      },
      timeout, "");
  wait.metric = name;
  wait.description = std::to_string(n) + " more successful polls of target " + target + " (saw " +
                     std::to_string(changes < 0 ? 0 : changes) + ")";
  return wait;
}

void ExporterProcess::Reload() { process_->Signal(SIGHUP); }

void ExporterProcess::RewriteConfig(const std::string& config_yaml) {
  WriteFile(config_path_, config_yaml);
}

ExporterRun RunExporterToExit(const std::string& binary, const std::vector<std::string>& args,
                              std::chrono::milliseconds timeout,
                              const std::vector<std::string>& env) {
  TempDir dir("rte-exporter-run");
  std::vector<std::string> argv = {binary};
  argv.insert(argv.end(), args.begin(), args.end());
  Subprocess process(argv, dir.path(), env);
  ExporterRun run;
  auto code = process.Wait(timeout);
  run.exit_code = code.has_value() ? *code : (process.Stop(), -1);
  run.stdout_text = process.ReadStdout();
  run.stderr_text = process.ReadStderr();
  return run;
}

}  // namespace rte::testing
