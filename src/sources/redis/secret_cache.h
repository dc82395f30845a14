// The targets' password files, read off the event loop (when a config is applied, then every
// few seconds on a worker thread) so that connecting only looks up bytes already in memory.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"

namespace rte {

// How soon a rotated password_file is used without a reload.
inline constexpr std::chrono::seconds kSecretRefreshInterval{5};

class SecretCache {
 public:
  // Starts the worker that reads the files again every `refresh_interval`.
  explicit SecretCache(std::chrono::milliseconds refresh_interval = kSecretRefreshInterval);
  // Stops the worker. A read stuck on a hung filesystem cannot be interrupted: after a short
  // wait the worker is left to finish on its own.
  ~SecretCache();
  SecretCache(const SecretCache&) = delete;
  SecretCache& operator=(const SecretCache&) = delete;

  // Reads every password_file of `targets` now, on the calling thread (never an event loop's),
  // and watches exactly these files from then on.
  void Prime(const std::vector<TargetConfig>& targets);
  // The same for secrets that are not a target's (a sentinel's).
  void Prime(const std::vector<SecretSource>& sources);
  // Also reads (on the calling thread) and watches `sources` not watched yet: secrets of
  // targets found later (a file discovery's, a sentinel's). They stay watched across Prime.
  void Add(const std::vector<SecretSource>& sources);
  // Reads the watched files again now, on the calling thread. The worker calls it.
  void Refresh();
  // Thread-safe, reads no file: the secret as last read (ReadSecret's value or error; an
  // environment variable is read now), or an error for a file not primed.
  Result<std::string> Lookup(const SecretSource& source) const;

 private:
  struct State;
  static void Run(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

// {"AUTH", [username,] password} from `secrets`; the error is Lookup's. Reads no file. Call only
// when !password.empty().
Result<std::vector<std::string>> AuthCommand(const std::string& username,
                                             const SecretSource& password,
                                             const SecretCache& secrets);
Result<std::vector<std::string>> AuthCommand(const TargetConfig& config,
                                             const SecretCache& secrets);

}  // namespace rte
