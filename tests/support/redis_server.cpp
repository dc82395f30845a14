// A throw-away redis-server on a free loopback port, and sync client helpers to drive it.
#include "redis_server.h"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/time.h>

#include <stdexcept>
#include <thread>

#include "loopback.h"

namespace rte::testing {
namespace {

constexpr const char* kRedisServer = "/usr/bin/redis-server";

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// A connected context with read/write timeouts, or nullptr with the reason in `error`.
redisContext* Connect(int port, std::chrono::milliseconds timeout, std::string* error) {
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, ToTimeval(timeout));
  if (c == nullptr) {
    *error = "cannot allocate redis context";
    return nullptr;
  }
  if (c->err != 0) {
    *error = std::string("connect 127.0.0.1:") + std::to_string(port) + ": " + c->errstr;
    redisFree(c);
    return nullptr;
  }
  redisSetTimeout(c, ToTimeval(timeout));
  return c;
}

RedisValue Copy(const redisReply* r) {
  RedisValue v;
  switch (r->type) {
    case REDIS_REPLY_STATUS:
      v.kind = RedisValue::Kind::kStatus;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STRING:
      v.kind = RedisValue::Kind::kString;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      v.kind = RedisValue::Kind::kError;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      v.kind = RedisValue::Kind::kInteger;
      v.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      v.kind = RedisValue::Kind::kArray;
      for (size_t i = 0; i < r->elements; ++i) v.elements.push_back(Copy(r->element[i]));
      break;
    default:
      v.kind = RedisValue::Kind::kNil;
  }
  return v;
}

// One round trip; false with `error` set on an I/O error (a redis error reply is a value).
bool Roundtrip(redisContext* c, const std::vector<std::string>& args, RedisValue* out,
               std::string* error) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
  if (reply == nullptr) {
    *error = c->errstr[0] != '\0' ? c->errstr : "no reply";
    return false;
  }
  *out = Copy(reply);
  freeReplyObject(reply);
  return true;
}

std::string Join(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args) s += (s.empty() ? "" : " ") + a;
  return s;
}

}  // namespace

std::string RedisValue::ToString() const {
  switch (kind) {
    case Kind::kNil:
      return "(nil)";
    case Kind::kInteger:
      return std::to_string(integer);
    case Kind::kArray: {
      std::string s = "[";
      for (size_t i = 0; i < elements.size(); ++i) s += (i ? ", " : "") + elements[i].ToString();
      return s + "]";
    }
    default:
      return str;
  }
}

RedisClients::~RedisClients() { CloseAll(); }

RedisClients::RedisClients(RedisClients&& other) noexcept : contexts_(std::move(other.contexts_)) {
  other.contexts_.clear();
}

RedisClients& RedisClients::operator=(RedisClients&& other) noexcept {
  if (this != &other) {
    CloseAll();
    contexts_ = std::move(other.contexts_);
    other.contexts_.clear();
  }
  return *this;
}

void RedisClients::CloseAll() {
  for (auto* c : contexts_) redisFree(c);
  contexts_.clear();
}

RedisServer::RedisServer(std::vector<std::string> extra_args)
    : dir_("rte-redis"), extra_args_(std::move(extra_args)) {
  for (size_t i = 0; i + 1 < extra_args_.size(); ++i) {
    if (extra_args_[i] == "--requirepass") password_ = extra_args_[i + 1];
  }
  std::string error;
  // A free port can be taken between FreeLoopbackPort() and bind(): retry with another one.
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = FreeLoopbackPort();
    if (Launch(&error)) return;
  }
  throw std::runtime_error("redis-server did not come up: " + error);
}

bool RedisServer::Launch(std::string* error) {
  std::vector<std::string> argv = {kRedisServer, "--port",       std::to_string(port_),
                                   "--bind",     "127.0.0.1",    "--save",
                                   "",           "--appendonly", "no",
                                   "--dir",      dir_.path(),    "--daemonize",
                                   "no",         "--unixsocket", unix_socket()};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  process_ = std::make_unique<Subprocess>(argv, dir_.path());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_->Running()) break;
    redisContext* c = Connect(port_, std::chrono::milliseconds(200), error);
    if (c != nullptr) {
      RedisValue v;
      bool ok = Roundtrip(c, {"PING"}, &v, error);
      redisFree(c);
      if (ok &&
          ((v.kind == RedisValue::Kind::kStatus && v.str == "PONG") ||
           (v.is_error() && (v.str.rfind("NOAUTH", 0) == 0 || v.str.rfind("LOADING", 0) == 0)))) {
        return true;
      }
      if (ok) *error = "PING: " + v.ToString();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  process_->Stop();
  *error += "; log: " + ReadLog();
  return false;
}

void RedisServer::Restart() {
  Stop();
  std::string error;
  if (!Launch(&error)) throw std::runtime_error("redis-server did not come back: " + error);
}

RedisServer::~RedisServer() { Stop(); }

void RedisServer::Pause() { process_->Signal(SIGSTOP); }
void RedisServer::Resume() { process_->Signal(SIGCONT); }

int RedisServer::Stop() {
  DropCachedConnection();
  return process_->Stop();
}

void RedisServer::DropCachedConnection() {
  if (cached_ != nullptr) redisFree(cached_);
  cached_ = nullptr;
}

void RedisServer::SetPassword(std::string password) {
  password_ = std::move(password);
  DropCachedConnection();
}

RedisValue RedisServer::Command(const std::vector<std::string>& args,
                                std::chrono::milliseconds timeout) {
  std::string error;
  if (cached_ == nullptr) {
    cached_ = Connect(port_, timeout, &error);
    if (cached_ == nullptr) throw std::runtime_error(error);
    if (!password_.empty()) {
      RedisValue auth;
      if (!Roundtrip(cached_, {"AUTH", password_}, &auth, &error)) {
        DropCachedConnection();
        throw std::runtime_error("AUTH: " + error);
      }
      if (auth.is_error()) {
        DropCachedConnection();
        return auth;
      }
    }
  }
  redisSetTimeout(cached_, ToTimeval(timeout));
  RedisValue value;
  if (!Roundtrip(cached_, args, &value, &error)) {
    DropCachedConnection();
    throw std::runtime_error(Join(args) + ": " + error);
  }
  return value;
}

RedisValue RedisServer::CommandOnNewConnection(const std::vector<std::string>& args,
                                               const std::string& password,
                                               std::chrono::milliseconds timeout) {
  std::string error;
  redisContext* c = Connect(port_, timeout, &error);
  if (c == nullptr) throw std::runtime_error(error);
  std::unique_ptr<redisContext, void (*)(redisContext*)> guard(c, redisFree);
  RedisValue value;
  if (!password.empty()) {
    if (!Roundtrip(c, {"AUTH", password}, &value, &error)) {
      throw std::runtime_error("AUTH: " + error);
    }
    if (value.is_error()) return value;
  }
  if (!Roundtrip(c, args, &value, &error)) throw std::runtime_error(Join(args) + ": " + error);
  return value;
}

RedisClients RedisServer::OpenClients(int n, const std::string& name_prefix) {
  RedisClients clients;
  for (int i = 1; i <= n; ++i) {
    std::string error;
    redisContext* c = Connect(port_, std::chrono::seconds(2), &error);
    if (c == nullptr) throw std::runtime_error(error);
    clients.contexts_.push_back(c);
    if (name_prefix.empty()) {
      // Nothing is sent unless a password is needed; a rejected connection is kept as it is.
      if (!password_.empty()) {
        RedisValue ignored;
        Roundtrip(c, {"AUTH", password_}, &ignored, &error);
      }
      continue;
    }
    RedisValue v;
    if (!password_.empty()) {
      if (!Roundtrip(c, {"AUTH", password_}, &v, &error) || v.is_error()) {
        throw std::runtime_error("AUTH: " + error + v.str);
      }
    }
    const std::string name = name_prefix + std::to_string(i);
    if (!Roundtrip(c, {"CLIENT", "SETNAME", name}, &v, &error) || v.is_error()) {
      throw std::runtime_error("CLIENT SETNAME " + name + ": " + error + v.str);
    }
  }
  return clients;
}

}  // namespace rte::testing
