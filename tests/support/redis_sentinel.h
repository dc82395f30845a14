// A master, its replica and three sentinels watching them, all throw-away processes on free
// loopback ports (sentinel discovery, issue 12).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "redis_server.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace rte::testing {

// `redis-server <its config> --sentinel` on 127.0.0.1:<free port>; the config (which sentinel
// rewrites) lives in a temp dir of its own. The constructor returns once it answers PING.
class SentinelProcess {
 public:
  struct Monitor {
    std::string master_name;
    int master_port = 0;  // on 127.0.0.1
    int quorum = 2;
    std::chrono::milliseconds down_after{2000};        // sentinel down-after-milliseconds
    std::chrono::milliseconds failover_timeout{5000};  // sentinel failover-timeout
  };
  explicit SentinelProcess(Monitor monitor);
  SentinelProcess(const SentinelProcess&) = delete;
  SentinelProcess& operator=(const SentinelProcess&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return process_->pid(); }
  bool killed() const { return killed_; }
  std::string ReadLog() const { return process_->ReadStdout() + process_->ReadStderr(); }

  // RedisCliJson against this sentinel, e.g. Query({"SENTINEL", "MASTER", "mymaster"}).
  nlohmann::json Query(const std::vector<std::string>& args);
  // SIGKILL by PID; returns once the process is reaped.
  void Kill();

 private:
  bool Launch(const Monitor& monitor, std::string* error);

  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Subprocess> process_;
  bool killed_ = false;
};

class SentinelGroup {
 public:
  static constexpr const char* kMasterName = "mymaster";

  // server(0) a master, server(1) `--replicaof` it, then three sentinels with `sentinel monitor
  // mymaster 127.0.0.1 <master port> 2`, down-after-milliseconds 2000, failover-timeout 5000.
  // Returns once Unsettled() is empty with server(0) the master; throws std::runtime_error.
  explicit SentinelGroup(std::chrono::milliseconds settle_timeout = std::chrono::seconds(30));
  SentinelGroup(const SentinelGroup&) = delete;
  SentinelGroup& operator=(const SentinelGroup&) = delete;

  RedisServer& server(size_t i) { return *servers_[i]; }
  SentinelProcess& sentinel(size_t i) { return *sentinels_[i]; }
  size_t sentinel_count() const { return sentinels_.size(); }
  std::vector<std::string> sentinel_addresses() const;
  // "master" or "slave", from the server's own INFO replication.
  std::string Role(size_t server);

  // SENTINEL FAILOVER mymaster, sent to sentinel(i); throws unless it answers OK.
  void Failover(size_t sentinel);

  // Empty when every live sentinel names server(master) as the master (GET-MASTER-ADDR-BY-NAME)
  // with flags exactly "master", lists the other server as a replica flagged exactly "slave"
  // and knows two other sentinels; and server(master) reports role:master, the other role:slave
  // with its link to server(master) up. Otherwise what is not yet so, for an error message.
  std::string Unsettled(size_t master);
  // Waits until Unsettled(master) is empty; throws std::runtime_error with its last answer.
  void WaitUntilMaster(size_t master, std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  std::vector<std::unique_ptr<RedisServer>> servers_;
  std::vector<std::unique_ptr<SentinelProcess>> sentinels_;
};

}  // namespace rte::testing
