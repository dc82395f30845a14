// A fake "Redis" on a free loopback port that answers whatever it is sent with a fixed prefix,
// then (optionally) streams filler bytes: a reply announced as huge, or one that never ends;
// or closes the connection after the prefix: no reply, or only the first replies of a batch.
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
  enum class Then {
    kKeepOpen,  // keep the connection open until the client closes it
    kClose,     // close it (FIN) once the answer is written
  };
  // `prefix` is written first (e.g. "$1000000000\r\n"), then `filler_bytes` of 'x'. With
  // kClose the whole first batch is read before the answer, so the close is not a reset.
  HostileServer(std::string prefix, size_t filler_bytes, Then then = Then::kKeepOpen);
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
  Then then_;
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
