// Runs one Redis command again and again on its own thread until destroyed: a client that
// keeps blocking the event loop (DEBUG SLEEP) while a test watches the exporter.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "redis_server.h"

namespace rte::testing {

class RepeatingCommand {
 public:
  // Each run uses a fresh connection, then waits `pause` before the next one.
  RepeatingCommand(RedisServer& server, std::vector<std::string> args,
                   std::chrono::milliseconds pause);
  ~RepeatingCommand();
  RepeatingCommand(const RepeatingCommand&) = delete;
  RepeatingCommand& operator=(const RepeatingCommand&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace rte::testing
