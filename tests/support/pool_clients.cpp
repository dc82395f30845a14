#include "pool_clients.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace rte::testing {
namespace {

// An exhausted pool's connections are never idle: every one is back in use as soon as it is
// returned. CLIENT LIST reports idle in whole seconds of the server's clock, so a client that
// paused 50 ms between commands read idle=1 whenever a second boundary fell in the pause (5% of
// the samples, more on a loaded host); 5 ms keeps that rare without spinning a core.
constexpr auto kBusyPeriod = std::chrono::milliseconds(5);
constexpr auto kChurnStep = std::chrono::milliseconds(10);
constexpr char kPing[] = "*1\r\n$4\r\nPING\r\n";

std::string Resp(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Reads one single-line reply (+OK, +PONG, -ERR ...) without its CRLF; empty on failure.
std::string ReadLine(int fd) {
  std::string line;
  char c = 0;
  while (recv(fd, &c, 1, 0) == 1) {
    if (c == '\n' && !line.empty() && line.back() == '\r') {
      line.pop_back();
      return line;
    }
    line += c;
  }
  return "";
}

}  // namespace

int ConnectFrom(const std::string& source_ip, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in local{};
  local.sin_family = AF_INET;
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, source_ip.c_str(), &local.sin_addr) != 1 ||
      inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr) != 1) {
    close(fd);
    throw std::runtime_error("bad source address " + source_ip);
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof(remote)) != 0) {
    const std::string error = std::strerror(errno);
    close(fd);
    throw std::runtime_error("connect from " + source_ip + " to 127.0.0.1:" + std::to_string(port) +
                             ": " + error);
  }
  return fd;
}

PoolClients::PoolClients(int port, const std::string& source_ip, int n,
                         const std::string& name_prefix, Use use) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  const rlim_t wanted = static_cast<rlim_t>(n) + 1024;
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  try {
    for (int i = 0; i < n; ++i) {
      const int fd = ConnectFrom(source_ip, port);
      fds_.push_back(fd);
      const std::string name = name_prefix + std::to_string(i);
      std::string reply;
      if (!SendAll(fd, Resp({"CLIENT", "SETNAME", name})) || (reply = ReadLine(fd)) != "+OK") {
        throw std::runtime_error("CLIENT SETNAME " + name + " from " + source_ip + ": " +
                                 (reply.empty() ? "no reply" : reply));
      }
    }
  } catch (...) {
    for (int fd : fds_) close(fd);  // the destructor does not run for a throwing constructor
    throw;
  }
  if (use == Use::kBusy) busy_ = std::thread([this] { RunBusy(); });
}

void PoolClients::RunBusy() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    lock.unlock();
    for (int fd : fds_) SendAll(fd, kPing);  // pipelined across the connections
    for (int fd : fds_) {
      if (ReadLine(fd) == "+PONG") ++commands_;
    }
    lock.lock();
    wake_.wait_for(lock, kBusyPeriod, [this] { return stop_; });
  }
}

PoolClients::~PoolClients() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (busy_.joinable()) busy_.join();
  for (int fd : fds_) close(fd);
}

ConnectionChurn::ConnectionChurn(int port, int per_second, const std::string& source_ip)
    : thread_([this, port, per_second, source_ip] {
        const int per_step = std::max(1, per_second / 100);
        auto next = std::chrono::steady_clock::now();
        std::unique_lock<std::mutex> lock(mutex_);
        while (!stop_) {
          lock.unlock();
          for (int i = 0; i < per_step; ++i) {
            try {
              const int fd = ConnectFrom(source_ip, port);
              const bool ok = SendAll(fd, kPing) && ReadLine(fd) == "+PONG";
              close(fd);
              ++(ok ? connections_ : failures_);
            } catch (const std::exception&) {
              ++failures_;
            }
          }
          // Keep the pace; after a stall (a loaded CI host) resume it rather than catch up in
          // a burst.
          next = std::max(next + kChurnStep, std::chrono::steady_clock::now() - kChurnStep);
          lock.lock();
          wake_.wait_until(lock, next, [this] { return stop_; });
        }
      }) {}

void ConnectionChurn::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

ConnectionChurn::~ConnectionChurn() { Stop(); }

}  // namespace rte::testing
