// A listening socket on a free loopback port that never accepts: another service on the same
// host whose accept queue overflows when connections arrive (host-wide ListenOverflows).
#pragma once

namespace rte::testing {

class StuckListener {
 public:
  explicit StuckListener(int backlog);
  ~StuckListener();
  StuckListener(const StuckListener&) = delete;
  StuckListener& operator=(const StuckListener&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace rte::testing
