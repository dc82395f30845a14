// A master, its replica and three sentinels watching them, all throw-away processes on free
// loopback ports (sentinel discovery, issue 12).
#include "redis_sentinel.h"

#include <signal.h>

#include <stdexcept>

#include "loopback.h"
#include "parse/redis_text.h"
#include "redis_cli.h"
#include "wait_until.h"

namespace rte::testing {
namespace {

constexpr std::chrono::milliseconds kCommandTimeout = std::chrono::seconds(2);

// A sentinel answers numbers and ports as JSON strings.
std::string Text(const nlohmann::json& object, const std::string& key) {
  return object.contains(key) && object[key].is_string() ? object[key].get<std::string>() : "";
}

}  // namespace

SentinelProcess::SentinelProcess(Monitor monitor) : dir_("rte-sentinel") {
  std::string error;
  // A free port can be taken between FreeLoopbackPort() and bind(): retry with another one.
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = FreeLoopbackPort();
    if (Launch(monitor, &error)) return;
  }
  throw std::runtime_error("redis-sentinel did not come up: " + error);
}

bool SentinelProcess::Launch(const Monitor& monitor, std::string* error) {
  const std::string name = monitor.master_name;
  const std::string config = dir_.WriteFile(
      "sentinel.conf",
      "port " + std::to_string(port_) + "\nbind 127.0.0.1\ndaemonize no\nlogfile \"\"\ndir " +
          dir_.path() + "\nsentinel monitor " + name + " 127.0.0.1 " +
          std::to_string(monitor.master_port) + " " + std::to_string(monitor.quorum) +
          "\nsentinel down-after-milliseconds " + name + " " +
          std::to_string(monitor.down_after.count()) + "\nsentinel failover-timeout " + name + " " +
          std::to_string(monitor.failover_timeout.count()) + "\n");
  process_ = std::make_unique<Subprocess>(
      std::vector<std::string>{"/usr/bin/redis-server", config, "--sentinel"}, dir_.path());
  const bool up = WaitUntil(
      [&] {
        if (!process_->Running()) return true;
        const ExporterRun ping =
            RunRedisCli({"-h", "127.0.0.1", "-p", std::to_string(port_), "PING"}, kCommandTimeout);
        *error = ping.stdout_text + ping.stderr_text;
        return ping.exit_code == 0 && ping.stdout_text.rfind("PONG", 0) == 0;
      },
      std::chrono::seconds(10), std::chrono::milliseconds(50));
  if (up && process_->Running()) return true;
  process_->Stop();
  *error += "; log: " + ReadLog();
  return false;
}

nlohmann::json SentinelProcess::Query(const std::vector<std::string>& args) {
  return RedisCliJson(port_, args, kCommandTimeout);
}

void SentinelProcess::Kill() {
  process_->Signal(SIGKILL);
  process_->Wait(std::chrono::seconds(5));
  killed_ = true;
}

SentinelGroup::SentinelGroup(std::chrono::milliseconds settle_timeout) {
  // Replicas sync at once instead of 5 s later (the default for diskless sync); both servers,
  // since a failover swaps them.
  const std::vector<std::string> args = {"--repl-diskless-sync-delay", "0"};
  servers_.push_back(std::make_unique<RedisServer>(args));
  std::vector<std::string> replica_args = args;
  replica_args.insert(replica_args.end(),
                      {"--replicaof", "127.0.0.1", std::to_string(servers_[0]->port())});
  servers_.push_back(std::make_unique<RedisServer>(replica_args));
  for (int i = 0; i < 3; ++i) {
    sentinels_.push_back(std::make_unique<SentinelProcess>(
        SentinelProcess::Monitor{.master_name = kMasterName, .master_port = servers_[0]->port()}));
  }
  WaitUntilMaster(0, settle_timeout);
}

std::vector<std::string> SentinelGroup::sentinel_addresses() const {
  std::vector<std::string> all;
  for (const auto& s : sentinels_) all.push_back(s->address());
  return all;
}

std::string SentinelGroup::Role(size_t server) {
  const RedisValue reply = servers_[server]->Command({"INFO", "replication"}, kCommandTimeout);
  if (reply.is_error()) throw std::runtime_error("INFO replication: " + reply.str);
  return rte::ParseInfo(reply.str).Text("role").value_or("");
}

void SentinelGroup::Failover(size_t sentinel) {
  const ExporterRun run =
      RunRedisCli({"-h", "127.0.0.1", "-p", std::to_string(sentinels_[sentinel]->port()),
                   "SENTINEL", "FAILOVER", kMasterName},
                  kCommandTimeout);
  if (run.exit_code != 0 || run.stdout_text.rfind("OK", 0) != 0) {
    throw std::runtime_error("SENTINEL FAILOVER: " + run.stdout_text + run.stderr_text);
  }
}

std::string SentinelGroup::Unsettled(size_t master) {
  const size_t replica = 1 - master;
  const std::string master_address = servers_[master]->address();
  const std::string replica_address = servers_[replica]->address();
  try {
    for (const auto& s : sentinels_) {
      if (s->killed()) continue;
      const std::string who = "sentinel " + s->address() + ": ";
      const nlohmann::json named = s->Query({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", kMasterName});
      const std::string named_address =
          named.is_array() && named.size() == 2
              ? named[0].get<std::string>() + ":" + named[1].get<std::string>()
              : named.dump();
      if (named_address != master_address) return who + "names master " + named_address;
      const nlohmann::json state = s->Query({"SENTINEL", "MASTER", kMasterName});
      if (Text(state, "flags") != "master") return who + "master flags " + Text(state, "flags");
      if (Text(state, "num-other-sentinels") != "2") {
        return who + "knows " + Text(state, "num-other-sentinels") + " other sentinels";
      }
      const nlohmann::json replicas = s->Query({"SENTINEL", "REPLICAS", kMasterName});
      if (!replicas.is_array() || replicas.size() != 1 ||
          Text(replicas[0], "name") != replica_address || Text(replicas[0], "flags") != "slave") {
        return who + "replicas " + replicas.dump();
      }
    }
    const std::string role = Role(master);
    if (role != "master") return master_address + ": role:" + role;
    const RedisValue reply = servers_[replica]->Command({"INFO", "replication"}, kCommandTimeout);
    const rte::InfoFields fields = rte::ParseInfo(reply.str);
    if (fields.Text("role") != "slave" ||
        fields.Text("master_port") != std::to_string(servers_[master]->port()) ||
        fields.Text("master_link_status") != "up") {
      return replica_address + ": not a replica of " + master_address + " with its link up";
    }
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

void SentinelGroup::WaitUntilMaster(size_t master, std::chrono::milliseconds timeout) {
  std::string why;
  if (!WaitUntil([&] { return (why = Unsettled(master)).empty(); }, timeout,
                 std::chrono::milliseconds(200))) {
    throw std::runtime_error("sentinels not settled on " + servers_[master]->address() + " after " +
                             std::to_string(timeout.count()) + " ms: " + why);
  }
}

}  // namespace rte::testing
