#include "sources/kernel/kernel_sampler.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "parse/proc_process.h"
#include "sources/kernel/cgroup_memory_reader.h"
#include "sources/kernel/kernel_counters_reader.h"
#include "sources/kernel/kernel_file.h"
#include "sources/kernel/listen_queue_reader.h"
#include "sources/kernel/listeners.h"
#include "sources/kernel/own_process_reader.h"

namespace rte {
namespace {

// Between readings the TCP accept queues are sampled this often for their peak: a burst fills
// a queue for milliseconds to a second, far shorter than a poll interval.
constexpr auto kQueuePeakInterval = std::chrono::milliseconds(100);
// A listener counts as full at this share of its backlog.
constexpr double kListenerFullRatio = 0.9;
constexpr size_t kMaxOtherFullPorts = 5;

// How long the destructor waits for a read in progress before leaving the thread behind.
constexpr auto kStopWait = std::chrono::seconds(1);

// Durations of the reads only: steady_clock directly, because a thread left behind in a stuck
// read may finish after every injected clock is gone.
double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

// Shared with the thread, so a thread left behind in a stuck read still owns what it touches.
struct KernelSampler::State {
  State(std::string proc, std::string sys, ReadingCallback cb)
      : procfs(proc), sysfs(std::move(sys)), counters(std::move(proc)), on_reading(std::move(cb)) {}

  const std::string procfs;
  const std::string sysfs;
  KernelCountersReader counters;
  ListenQueueReader queues;
  bool queue_warned = false;  // thread only
  struct Peak {
    std::uint32_t rqueue = 0;
    std::uint32_t wqueue = 0;
    std::uint16_t port = 0;
  };
  std::map<std::uint64_t, Peak> peaks;  // thread only: listener inode → peak since last reading

  void Fold(const std::vector<TcpListener>& listeners) {
    for (const TcpListener& l : listeners) {
      Peak& p = peaks[l.inode];
      p.rqueue = std::max(p.rqueue, l.rqueue);
      p.wqueue = l.wqueue;
      p.port = l.port;
    }
  }
  void SamplePeaks() {
    auto tcp = queues.ReadTcp();
    if (tcp.ok()) Fold(tcp.value());
  }

  mutable std::mutex mu;
  std::condition_variable wake;
  std::condition_variable done;
  std::vector<LocalListener> listeners;          // guarded by mu
  std::map<std::string, long> pids;              // guarded by mu: target → Redis PID
  Duration interval{0};                          // guarded by mu; 0 until Configure
  bool read_now = false;                         // guarded by mu
  bool stop = false;                             // guarded by mu
  bool finished = false;                         // guarded by mu
  ReadingCallback on_reading;                    // guarded by mu; cleared on stop
  std::shared_ptr<const KernelSnapshot> latest;  // guarded by mu

  KernelSnapshot Read(const std::vector<LocalListener>& targets,
                      const std::map<std::string, long>& processes);
};

KernelSnapshot KernelSampler::State::Read(const std::vector<LocalListener>& targets,
                                          const std::map<std::string, long>& processes) {
  KernelSnapshot out;
  auto started = std::chrono::steady_clock::now();
  out.counters = counters.Read();
  out.counters_duration_seconds = SecondsSince(started);
  out.exporter_process = ReadOwnProcess(procfs);
  if (!targets.empty()) {
    if (auto text = ReadKernelFile(sysfs + "/kernel/mm/transparent_hugepage/enabled"); text.ok()) {
      out.thp_mode = ParseThpMode(text.value());
    }
  }
  // Many targets can be one Redis process (databases, names for one server): read each
  // process once per reading.
  struct ProcessReading {
    std::optional<double> swap_bytes, cgroup_memory_limit_bytes;
  };
  std::map<long, std::optional<ProcessReading>> read;
  for (const auto& [target, pid] : processes) {
    auto [it, first] = read.try_emplace(pid);
    if (first) {
      const std::string dir = procfs + "/" + std::to_string(pid);
      const auto comm = ReadKernelFile(dir + "/comm");
      if (comm.ok() && comm.value().rfind("redis", 0) == 0) {
        ProcessReading& r = it->second.emplace();
        if (auto status = ReadKernelFile(dir + "/status"); status.ok()) {
          r.swap_bytes = ParseStatusSwapBytes(status.value());
        }
        r.cgroup_memory_limit_bytes = ReadCgroupMemoryLimit(procfs, sysfs, pid);
      }
    }
    if (!it->second) continue;
    if (it->second->swap_bytes) out.swap_bytes[target] = *it->second->swap_bytes;
    if (it->second->cgroup_memory_limit_bytes) {
      out.cgroup_memory_limit_bytes[target] = *it->second->cgroup_memory_limit_bytes;
    }
  }
  if (!targets.empty()) {
    bool any_unix = false;
    for (const auto& t : targets) any_unix |= t.endpoint.kind == Endpoint::Kind::kUnix;
    started = std::chrono::steady_clock::now();
    auto tcp = queues.ReadTcp();
    Result<std::vector<UnixListener>> unix_listeners = std::vector<UnixListener>{};
    if (any_unix) unix_listeners = queues.ReadUnix();
    out.listen_queue_duration_seconds = SecondsSince(started);
    out.listen_queue_read = true;
    out.listen_queue_ok = tcp.ok();
    if (!tcp.ok() && !queue_warned) {
      queue_warned = true;
      spdlog::warn(
          "event=listen_queue_unavailable error=\"{}\" effect=\"listen_queue_* series absent\"",
          tcp.error());
    }
    if (tcp.ok()) Fold(tcp.value());
    std::set<std::uint64_t> ours;
    for (const auto& t : targets) {
      const Endpoint& ep = t.endpoint;
      if (ep.kind == Endpoint::Kind::kTcp && tcp.ok()) {
        if (const TcpListener* l =
                FindListener(tcp.value(), static_cast<std::uint16_t>(ep.port), ep.host)) {
          ours.insert(l->inode);
          out.queues[t.target] = {static_cast<double>(l->rqueue), static_cast<double>(l->wqueue),
                                  static_cast<double>(peaks[l->inode].rqueue)};
        }
      } else if (ep.kind == Endpoint::Kind::kUnix && unix_listeners.ok()) {
        if (const UnixListener* l = FindUnixListener(unix_listeners.value(), ep.path)) {
          out.queues[t.target] = {static_cast<double>(l->rqueue), static_cast<double>(l->wqueue),
                                  static_cast<double>(l->rqueue)};
        }
      }
    }
    for (const auto& [inode, p] : peaks) {
      if (ours.contains(inode) || p.wqueue == 0) continue;
      if (p.rqueue >= kListenerFullRatio * p.wqueue &&
          out.other_full_ports.size() < kMaxOtherFullPorts) {
        out.other_full_ports.push_back(p.port);
      }
    }
    peaks.clear();
  }
  return out;
}

KernelSampler::KernelSampler(std::string procfs_root, std::string sysfs_root,
                             ReadingCallback on_reading)
    : state_(std::make_shared<State>(std::move(procfs_root), std::move(sysfs_root),
                                     std::move(on_reading))) {
  std::thread(&KernelSampler::Run, state_).detach();
}

KernelSampler::~KernelSampler() {
  std::unique_lock lock(state_->mu);
  state_->stop = true;
  state_->on_reading = nullptr;
  state_->wake.notify_all();
  if (!state_->done.wait_for(lock, kStopWait, [this] { return state_->finished; })) {
    spdlog::warn("event=kernel_read_stuck effect=\"left behind at shutdown\"");
  }
}

void KernelSampler::Configure(std::vector<LocalListener> listeners, Duration interval) {
  std::lock_guard lock(state_->mu);
  std::map<std::string, long> kept;
  for (const auto& l : listeners) {
    if (auto it = state_->pids.find(l.target); it != state_->pids.end()) kept.insert(*it);
  }
  state_->pids = std::move(kept);
  state_->listeners = std::move(listeners);
  state_->interval = interval;
  state_->read_now = true;
  state_->wake.notify_all();
}

void KernelSampler::SetProcess(const std::string& target, long pid) {
  std::lock_guard lock(state_->mu);
  state_->pids[target] = pid;
}

std::shared_ptr<const KernelSnapshot> KernelSampler::Latest() const {
  std::lock_guard lock(state_->mu);
  return state_->latest;
}

void KernelSampler::Run(std::shared_ptr<State> state) {
  std::unique_lock lock(state->mu);
  auto next = std::chrono::steady_clock::now();
  while (!state->stop) {
    if (!state->read_now) {
      if (state->interval.count() == 0) {
        state->wake.wait(lock, [&] { return state->stop || state->read_now; });
      } else {
        // With local targets, wake between readings to sample the accept queues' peaks.
        const auto until =
            state->listeners.empty()
                ? next
                : std::min(next, std::chrono::steady_clock::now() + kQueuePeakInterval);
        state->wake.wait_until(lock, until, [&] { return state->stop || state->read_now; });
      }
      if (state->stop) break;
      if (!state->read_now && std::chrono::steady_clock::now() < next) {
        if (!state->listeners.empty()) {
          lock.unlock();
          state->SamplePeaks();
          lock.lock();
        }
        continue;
      }
    }
    state->read_now = false;
    const std::vector<LocalListener> targets = state->listeners;
    const std::map<std::string, long> processes = state->pids;
    next = std::chrono::steady_clock::now() + state->interval;
    lock.unlock();
    auto reading = std::make_shared<const KernelSnapshot>(state->Read(targets, processes));
    lock.lock();
    state->latest = reading;
    if (state->on_reading) state->on_reading(std::move(reading));
  }
  state->finished = true;
  state->done.notify_all();
}

}  // namespace rte
