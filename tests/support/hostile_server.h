// A fake "Redis" on a free loopback port that answers whatever it is sent with a fixed prefix,
// then (optionally) streams filler bytes: a reply announced as huge, or one that never ends.
// Every accepted connection gets the same answer, once, after its first bytes arrive.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rte::testing {

class HostileServer {
 public:
  // `prefix` is written first (e.g. "$1000000000\r\n"), then `filler_bytes` of 'x'.
  HostileServer(std::string prefix, size_t filler_bytes);
  ~HostileServer();
  HostileServer(const HostileServer&) = delete;
  HostileServer& operator=(const HostileServer&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_.load(); }

 private:
  void AcceptLoop();
  void Serve(int fd);

  std::string prefix_;
  size_t filler_bytes_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mutex_;
  std::vector<int> client_fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace rte::testing
