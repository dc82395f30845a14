// A throw-away redis-server on a free loopback port, and sync client helpers to drive it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "subprocess.h"
#include "temp_dir.h"

struct redisContext;

namespace rte::testing {

// One reply, copied out of hiredis.
struct RedisValue {
  enum class Kind { kNil, kStatus, kString, kInteger, kError, kArray };
  Kind kind = Kind::kNil;
  std::string str;  // kStatus, kString, kError (error text without the leading '-')
  long long integer = 0;
  std::vector<RedisValue> elements;  // kArray

  bool is_error() const { return kind == Kind::kError; }
  // str for status/string/error, the number for integers, "(nil)", or "[a, b, ...]".
  std::string ToString() const;
};

// Client connections kept open (and idle) until this object dies, e.g. to fill maxclients or to
// stand in for an application's named pool. Connections redis rejects still count here.
class RedisClients {
 public:
  RedisClients() = default;
  ~RedisClients();
  RedisClients(RedisClients&& other) noexcept;
  RedisClients& operator=(RedisClients&& other) noexcept;
  RedisClients(const RedisClients&) = delete;
  RedisClients& operator=(const RedisClients&) = delete;

  size_t size() const { return contexts_.size(); }
  void CloseAll();

 private:
  friend class RedisServer;
  std::vector<redisContext*> contexts_;
};

// /usr/bin/redis-server on 127.0.0.1:<free port> with `--save "" --appendonly no --dir <temp dir>
// --daemonize no --unixsocket <temp dir>/redis.sock` plus the caller's extra args (e.g.
// {"--maxclients", "10"}). The constructor returns once the server answers PING (NOAUTH and
// LOADING count as up); it throws if it never does. A `--requirepass X` among the extra args
// becomes password() for Command() and OpenClients().
class RedisServer {
 public:
  explicit RedisServer(std::vector<std::string> extra_args = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return process_->pid(); }
  const std::string& dir() const { return dir_.path(); }
  // The server also listens on this unix socket (for `unix://` target addresses).
  std::string unix_socket() const { return dir_.path() + "/redis.sock"; }
  // redis-server's own log (it logs to stdout with --daemonize no).
  std::string ReadLog() const { return process_->ReadStdout() + process_->ReadStderr(); }

  void Pause();   // SIGSTOP
  void Resume();  // SIGCONT
  // SIGCONT + SIGTERM by PID, SIGKILL after 5 s; idempotent. Returns the exit code.
  int Stop();
  // Stop(), then a new redis-server (new run_id, empty dataset and slowlog) on the same port
  // with the same args; returns once it answers PING.
  void Restart();

  // Runs one command on a cached connection (opened on first use, AUTHed with password() when
  // set, reopened after an I/O error) with `timeout` for connect and reply. Redis errors come
  // back as a kError value; I/O errors (timeout, connection lost) throw std::runtime_error.
  RedisValue Command(const std::vector<std::string>& args,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Same on a fresh connection that is closed afterwards, AUTHed with `password` if not empty.
  RedisValue CommandOnNewConnection(const std::vector<std::string>& args,
                                    const std::string& password,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(5));
  const std::string& password() const { return password_; }
  // After e.g. CONFIG SET requirepass; drops the cached connection.
  void SetPassword(std::string password);

  // Opens `n` connections (AUTH with password() when set). With a non-empty `name_prefix`
  // each sends CLIENT SETNAME <prefix><i> (i = 1..n) and throws if that fails; without one
  // nothing is sent, so connections redis rejects (maxclients) are kept without error.
  RedisClients OpenClients(int n, const std::string& name_prefix = "");

 private:
  void DropCachedConnection();
  // Starts redis-server on port_ and waits for PING; false (process stopped) if it never answers.
  bool Launch(std::string* error);

  TempDir dir_;
  int port_ = 0;
  std::string password_;
  std::vector<std::string> extra_args_;
  std::unique_ptr<Subprocess> process_;
  redisContext* cached_ = nullptr;
};

}  // namespace rte::testing
