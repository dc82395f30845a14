#include "sources/files/target_files.h"

#include <glob.h>

#include <set>

#include "common/errno_text.h"
#include "common/small_file.h"

namespace rte {
namespace {

// The files a pattern matches now, sorted; none when nothing matches (a missing file is a
// removed one, not an error). False when a directory could not be read: nothing is known then.
bool Expand(const std::string& pattern, std::vector<std::string>& out,
            std::vector<std::string>& errors) {
  glob_t g{};
  const int rc = glob(pattern.c_str(), GLOB_ERR, nullptr, &g);
  const bool listed = rc == 0 || rc == GLOB_NOMATCH;
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  } else if (!listed) {
    errors.push_back(pattern + ": cannot list the directory (" + ErrnoText() + ")");
  }
  globfree(&g);
  return listed;
}

}  // namespace

FileDiscoveryResult ReadTargetFiles(const DiscoveryConfig& discovery,
                                    std::map<std::string, std::vector<TargetConfig>>& previous) {
  FileDiscoveryResult result;
  result.discovery = discovery.name;
  std::set<std::string> matched;
  bool listed = true;
  for (const std::string& pattern : discovery.files) {
    std::vector<std::string> files;
    listed &= Expand(pattern, files, result.errors);
    for (std::string& file : files) matched.insert(std::move(file));
  }
  if (listed) {
    std::erase_if(previous, [&](const auto& entry) { return !matched.contains(entry.first); });
  } else {
    // A directory that could not be read (permissions, a network filesystem away) takes no
    // targets with it: the files of the last round stay.
    for (const auto& [file, targets] : previous) matched.insert(file);
  }
  std::set<std::string> names;
  for (const std::string& file : matched) {
    auto text = ReadSmallFile(file, kMaxTargetFileBytes);
    if (!text.ok()) {
      result.errors.push_back(file + ": " + text.error());
    } else if (auto parsed = ParseTargetFile(text.value(), file, discovery); !parsed.ok()) {
      result.errors.push_back(parsed.error());
    } else {
      previous[file] = std::move(parsed.value());
    }
    auto kept = previous.find(file);
    if (kept == previous.end()) continue;
    for (const TargetConfig& target : kept->second) {
      if (!names.insert(target.name).second) {
        result.errors.push_back(file + ": target '" + target.name +
                                "' is also in another file of the discovery; this one is ignored");
        continue;
      }
      result.targets.push_back(target);
    }
  }
  return result;
}

TargetFileWatcher::TargetFileWatcher(ResultCallback on_result) : on_result_(std::move(on_result)) {}

TargetFileWatcher::~TargetFileWatcher() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TargetFileWatcher::Configure(const std::vector<DiscoveryConfig>& discoveries) {
  bool any = false;
  {
    std::lock_guard lock(mu_);
    std::map<std::string, Watched> next;
    for (const DiscoveryConfig& d : discoveries) {
      if (d.type != DiscoveryConfig::Type::kFile) continue;
      any = true;
      auto it = watched_.find(d.name);
      if (it != watched_.end() && it->second.config == d) {
        next.emplace(d.name, std::move(it->second));
        continue;
      }
      Watched w{d, std::chrono::steady_clock::now(), {}};
      next.emplace(d.name, std::move(w));
    }
    watched_ = std::move(next);
  }
  if (any && !thread_.joinable()) thread_ = std::thread([this] { Run(); });
  wake_.notify_all();
}

void TargetFileWatcher::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    const auto now = std::chrono::steady_clock::now();
    auto next_due = now + std::chrono::hours(1);
    for (auto& [name, w] : watched_) {
      if (w.due > now) {
        next_due = std::min(next_due, w.due);
        continue;
      }
      // Read without the lock (Configure must not wait on a slow disk); the entry is found
      // again by name afterwards, in case Configure replaced it meanwhile.
      DiscoveryConfig config = w.config;
      auto files = w.files;
      w.due = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                        config.refresh_interval);
      lock.unlock();
      FileDiscoveryResult result = ReadTargetFiles(config, files);
      on_result_(std::move(result));
      lock.lock();
      if (auto it = watched_.find(config.name);
          it != watched_.end() && it->second.config == config) {
        it->second.files = std::move(files);
      }
      next_due = now;  // the map may have changed: look again
      break;
    }
    if (stop_) break;
    wake_.wait_until(lock, next_due);
  }
}

}  // namespace rte
