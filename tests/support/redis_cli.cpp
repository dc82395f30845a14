// redis-cli run to its end, for what RedisServer's hiredis helpers do not cover: `--cluster`
// commands and sentinels (which RedisServer does not start).
#include "redis_cli.h"

#include <stdexcept>

namespace rte::testing {

ExporterRun RunRedisCli(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  // RunExporterToExit runs any program to its end; only its name speaks of the exporter.
  return RunExporterToExit("/usr/bin/redis-cli", args, timeout);
}

nlohmann::json RedisCliJson(int port, const std::vector<std::string>& args,
                            std::chrono::milliseconds timeout) {
  std::vector<std::string> argv = {"--json", "-h", "127.0.0.1", "-p", std::to_string(port)};
  argv.insert(argv.end(), args.begin(), args.end());
  const ExporterRun run = RunRedisCli(argv, timeout);
  std::string command;
  for (const auto& a : args) command += " " + a;
  const std::string said = "redis-cli -p " + std::to_string(port) + command + ": exit " +
                           std::to_string(run.exit_code) + ", " + run.stdout_text + run.stderr_text;
  if (run.exit_code != 0) throw std::runtime_error(said);
  // An error reply is printed as text (`ERR ...` or `(error) ...`), which is not JSON.
  nlohmann::json value =
      nlohmann::json::parse(run.stdout_text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) throw std::runtime_error(said);
  return value;
}

}  // namespace rte::testing
