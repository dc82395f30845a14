// File discoveries: every refresh_interval, on a thread of their own (never the event loop's),
// each discovery's globs are expanded and every file is read (bounded) and parsed all or
// nothing. A file that fails keeps its previous targets; a file that is gone takes its targets
// with it.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"

namespace rte {

// A file discovery's targets after one round.
struct FileDiscoveryResult {
  std::string discovery;
  std::vector<TargetConfig> targets;
  std::vector<std::string> errors;  // one per file that failed this round (file:line:column)
};

// A list of targets is kilobytes; a file past this is no target list.
inline constexpr size_t kMaxTargetFileBytes = 1 << 20;

// One round of one file discovery: `previous` holds each file's last good targets and is
// updated (files no longer matched are dropped). Reads files: never call it on an event loop.
FileDiscoveryResult ReadTargetFiles(const DiscoveryConfig& discovery,
                                    std::map<std::string, std::vector<TargetConfig>>& previous);

class TargetFileWatcher {
 public:
  // Called on the watcher's thread after every round of every discovery.
  using ResultCallback = std::function<void(FileDiscoveryResult)>;
  explicit TargetFileWatcher(ResultCallback on_result);
  // Waits for a round in progress (a read from a hung filesystem would keep it waiting).
  ~TargetFileWatcher();
  TargetFileWatcher(const TargetFileWatcher&) = delete;
  TargetFileWatcher& operator=(const TargetFileWatcher&) = delete;

  // The file discoveries to watch from now on (others in the list are ignored); each new or
  // changed one is read at once.
  void Configure(const std::vector<DiscoveryConfig>& discoveries);

 private:
  struct Watched {
    DiscoveryConfig config;
    std::chrono::steady_clock::time_point due;
    std::map<std::string, std::vector<TargetConfig>> files;  // last good targets per file
  };
  void Run();

  ResultCallback on_result_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::map<std::string, Watched> watched_;  // guarded by mu_
  bool stop_ = false;                       // guarded by mu_
  std::thread thread_;                      // started by the first Configure with a file entry
};

}  // namespace rte
