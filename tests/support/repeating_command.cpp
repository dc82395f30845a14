#include "repeating_command.h"

namespace rte::testing {

RepeatingCommand::RepeatingCommand(RedisServer& server, std::vector<std::string> args,
                                   std::chrono::milliseconds pause)
    : thread_([this, &server, args = std::move(args), pause] {
        while (!stop_) {
          try {
            server.CommandOnNewConnection(args, server.password(), std::chrono::seconds(5));
          } catch (const std::exception&) {
            // The server may be stopping with the test; the next round tries again.
          }
          for (auto waited = std::chrono::milliseconds(0); waited < pause && !stop_;
               waited += std::chrono::milliseconds(50)) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
          }
        }
      }) {}

RepeatingCommand::~RepeatingCommand() {
  stop_ = true;
  thread_.join();
}

}  // namespace rte::testing
