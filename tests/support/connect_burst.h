// A burst of non-blocking TCP connects to a loopback port, held open until destroyed: fills a
// listen backlog the way an application fleet restarting at once does.
#pragma once

#include <cstddef>
#include <vector>

namespace rte::testing {

class ConnectBurst {
 public:
  // Raises this process's open-file limit first when `n` sockets would not fit.
  ConnectBurst(int port, int n);
  ~ConnectBurst();
  ConnectBurst(const ConnectBurst&) = delete;
  ConnectBurst& operator=(const ConnectBurst&) = delete;
  size_t size() const { return fds_.size(); }

 private:
  std::vector<int> fds_;
};

}  // namespace rte::testing
