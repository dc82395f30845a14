// A TCP proxy on 127.0.0.1 that delays every chunk in each direction, standing in for netem
// (which this kernel lacks) so tests can add network latency in front of a real redis-server.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"

namespace rte::testing {

// Each chunk read from one side is written to the other at arrival_time + one_way_delay (the
// delay in force when it arrived), in order, so a request/response round trip gains 2 × delay
// and a burst of chunks is not delayed once per chunk. Threads: one acceptor plus a reader
// and a writer per direction per connection. Stop() (or the destructor) closes everything
// and joins every thread.
class DelayProxy {
 public:
  DelayProxy(std::string upstream_host, std::uint16_t upstream_port,
             std::chrono::nanoseconds one_way_delay = std::chrono::nanoseconds(0));
  ~DelayProxy();
  DelayProxy(const DelayProxy&) = delete;
  DelayProxy& operator=(const DelayProxy&) = delete;

  // Binds a free 127.0.0.1 port and starts accepting.
  Status Start();
  void Stop();

  std::uint16_t port() const { return port_; }
  // Applies to chunks that arrive from now on; chunks already queued keep their schedule.
  void SetDelay(std::chrono::nanoseconds one_way_delay) { delay_ns_ = one_way_delay.count(); }
  std::chrono::nanoseconds delay() const { return std::chrono::nanoseconds(delay_ns_.load()); }
  int connections_accepted() const { return accepted_.load(); }

 private:
  class Connection;

  void AcceptLoop();
  void ReapFinished(bool all);

  const std::string upstream_host_;
  const std::uint16_t upstream_port_;
  std::atomic<std::int64_t> delay_ns_;
  std::atomic<int> accepted_{0};

  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd that tells the acceptor to exit
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  std::mutex mu_;
  std::list<std::unique_ptr<Connection>> connections_;  // guarded by mu_
  bool stopped_ = false;                                // guarded by mu_
};

}  // namespace rte::testing
