#include "sources/redis/secret_cache.h"

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "sources/redis/secret.h"

namespace rte {
namespace {

// How long the destructor waits for a read in progress before leaving the worker behind.
constexpr auto kStopWait = std::chrono::seconds(1);

// A read started earlier never replaces a newer one: a refresh on the worker and a Prime on the
// reload thread may read the same file at once.
struct Entry {
  std::uint64_t read_number;
  Result<std::string> secret;
  bool added = false;  // by Add(): kept by Prime
};

// The file's secret read now, on the calling thread.
Result<std::string> ReadFileSecret(const std::string& file) { return ReadSecret({file, ""}); }

}  // namespace

// Shared with the worker, so a worker left behind in a stuck read still owns what it touches.
struct SecretCache::State {
  explicit State(std::chrono::milliseconds interval) : refresh_interval(interval) {}

  const std::chrono::milliseconds refresh_interval;
  mutable std::mutex mu;
  std::condition_variable wake;
  std::condition_variable done;
  std::map<std::string, Entry> files;  // guarded by mu: every watched path
  std::uint64_t reads_started = 0;     // guarded by mu
  bool stop = false;                   // guarded by mu
  bool finished = false;               // guarded by mu

  // Reads every watched file again; a file no longer watched when its read ends is dropped.
  void Refresh() {
    std::vector<std::string> watched;
    std::uint64_t read_number = 0;
    {
      std::lock_guard lock(mu);
      for (const auto& [file, entry] : files) watched.push_back(file);
      read_number = ++reads_started;
    }
    for (const std::string& file : watched) {
      Result<std::string> secret = ReadFileSecret(file);
      std::lock_guard lock(mu);
      auto it = files.find(file);
      if (it == files.end() || it->second.read_number > read_number) continue;
      it->second = {read_number, std::move(secret), it->second.added};
    }
  }
};

SecretCache::SecretCache(std::chrono::milliseconds refresh_interval)
    : state_(std::make_shared<State>(refresh_interval)) {
  std::thread(&SecretCache::Run, state_).detach();
}

SecretCache::~SecretCache() {
  std::unique_lock lock(state_->mu);
  state_->stop = true;
  state_->wake.notify_all();
  state_->done.wait_for(lock, kStopWait, [this] { return state_->finished; });
}

void SecretCache::Prime(const std::vector<TargetConfig>& targets) {
  std::vector<SecretSource> sources;
  for (const TargetConfig& t : targets) sources.push_back(t.password);
  Prime(sources);
}

void SecretCache::Prime(const std::vector<SecretSource>& sources) {
  std::set<std::string> wanted;
  for (const SecretSource& s : sources) {
    if (!s.file.empty()) wanted.insert(s.file);
  }
  std::uint64_t read_number = 0;
  {
    std::lock_guard lock(state_->mu);
    read_number = ++state_->reads_started;
  }
  std::map<std::string, Result<std::string>> read;
  for (const std::string& file : wanted) read.emplace(file, ReadFileSecret(file));
  std::lock_guard lock(state_->mu);
  std::map<std::string, Entry> files;
  for (auto& [file, entry] : state_->files) {
    if (entry.added && !read.contains(file)) files.emplace(file, std::move(entry));
  }
  for (auto& [file, secret] : read) {
    auto kept = state_->files.find(file);
    if (kept != state_->files.end() && kept->second.read_number > read_number) {
      files.emplace(file, std::move(kept->second));
    } else {
      const bool added = kept != state_->files.end() && kept->second.added;
      files.emplace(file, Entry{read_number, std::move(secret), added});
    }
  }
  state_->files = std::move(files);
}

void SecretCache::Add(const std::vector<SecretSource>& sources) {
  std::set<std::string> wanted;
  {
    std::lock_guard lock(state_->mu);
    for (const SecretSource& s : sources) {
      auto it = state_->files.find(s.file);
      if (it != state_->files.end()) {
        it->second.added = true;
      } else if (!s.file.empty()) {
        wanted.insert(s.file);
      }
    }
  }
  for (const std::string& file : wanted) {
    Result<std::string> secret = ReadFileSecret(file);
    std::lock_guard lock(state_->mu);
    const std::uint64_t read_number = ++state_->reads_started;
    state_->files.insert_or_assign(file, Entry{read_number, std::move(secret), true});
  }
}

void SecretCache::Refresh() { state_->Refresh(); }

Result<std::string> SecretCache::Lookup(const SecretSource& source) const {
  if (source.file.empty()) return ReadSecret(source);  // the environment: no file is read
  std::lock_guard lock(state_->mu);
  auto it = state_->files.find(source.file);
  if (it == state_->files.end()) {
    return Result<std::string>::Error(SecretFileError(source.file, "not read yet"));
  }
  return it->second.secret;
}

void SecretCache::Run(std::shared_ptr<State> state) {
  std::unique_lock lock(state->mu);
  while (!state->stop) {
    state->wake.wait_for(lock, state->refresh_interval, [&] { return state->stop; });
    if (state->stop) break;
    lock.unlock();
    state->Refresh();
    lock.lock();
  }
  state->finished = true;
  state->done.notify_all();
}

Result<std::vector<std::string>> AuthCommand(const std::string& username,
                                             const SecretSource& password,
                                             const SecretCache& secrets) {
  auto secret = secrets.Lookup(password);
  if (!secret.ok()) return Result<std::vector<std::string>>::Error(secret.error());
  std::vector<std::string> argv = {"AUTH"};
  if (!username.empty()) argv.push_back(username);
  argv.push_back(std::move(secret.value()));
  return argv;
}

Result<std::vector<std::string>> AuthCommand(const TargetConfig& config,
                                             const SecretCache& secrets) {
  return AuthCommand(config.username, config.password, secrets);
}

}  // namespace rte
