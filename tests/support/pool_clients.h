// Client connections as an application instance holds them: from a loopback source address of
// their own, so CLIENT LIST shows each instance as a separate host. Raw sockets, blocking I/O.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rte::testing {

// Opens a TCP connection to 127.0.0.1:port from `source_ip` (bind() before connect(); any
// 127.0.0.0/8 address works on Linux) with 5 s send and receive timeouts. Throws
// std::runtime_error when it cannot. Redis 7.0 in protected mode (no password) turns away
// every source but 127.0.0.1: start it with --protected-mode no.
int ConnectFrom(const std::string& source_ip, int port);

// One application instance's connection pool: `n` connections from `source_ip`, each named
// `<name_prefix><i>` (i = 0..n-1) with CLIENT SETNAME. Idle: nothing more is sent. Busy: a thread
// sends a PING on every connection every 50 ms, so each one is `idle=0` in every CLIENT LIST,
// as the connections of an exhausted pool are. Raises this process's open-file limit first when
// `n` sockets would not fit. One connection at a time, so thousands never overflow the accept
// queue (ConnectBurst does that on purpose).
class PoolClients {
 public:
  enum class Use { kIdle, kBusy };
  PoolClients(int port, const std::string& source_ip, int n, const std::string& name_prefix,
              Use use = Use::kIdle);
  ~PoolClients();
  PoolClients(const PoolClients&) = delete;
  PoolClients& operator=(const PoolClients&) = delete;

  size_t size() const { return fds_.size(); }
  // Round trips the busy thread completed (0 for an idle pool).
  long long commands() const { return commands_; }

 private:
  void RunBusy();

  std::vector<int> fds_;
  std::atomic<long long> commands_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mutex_
  std::thread busy_;
};

// A client without a pool: opens a connection, sends PING, reads the reply and closes it,
// `per_second` times a second (in steps of 10 ms) on its own thread until Stop().
class ConnectionChurn {
 public:
  ConnectionChurn(int port, int per_second, const std::string& source_ip = "127.0.0.1");
  ~ConnectionChurn();
  ConnectionChurn(const ConnectionChurn&) = delete;
  ConnectionChurn& operator=(const ConnectionChurn&) = delete;

  void Stop();
  long long connections() const { return connections_; }  // completed so far
  long long failures() const { return failures_; }

 private:
  std::atomic<long long> connections_{0};
  std::atomic<long long> failures_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace rte::testing
