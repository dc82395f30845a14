#include "hostile_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace rte::testing {

HostileServer::HostileServer(std::string prefix, size_t filler_bytes, Then then)
    : prefix_(std::move(prefix)), filler_bytes_(filler_bytes), then_(then) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      listen(listen_fd_, 64) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const std::string error = std::strerror(errno);
    close(listen_fd_);
    throw std::runtime_error("hostile server: " + error);
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

HostileServer::~HostileServer() {
  stop_ = true;
  acceptor_.join();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int fd : client_fds_) shutdown(fd, SHUT_RDWR);
  }
  for (std::thread& t : threads_) t.join();
  for (int fd : client_fds_) close(fd);
  close(listen_fd_);
}

void HostileServer::AcceptLoop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++connections_;
    std::lock_guard<std::mutex> lock(mutex_);
    client_fds_.push_back(fd);
    threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

// Waits for the first bytes (the client's commands), then writes the prefix and the filler;
// the connection stays open until the client closes it or the server stops (kKeepOpen), or is
// shut down at once (kClose; the destructor closes the descriptor).
void HostileServer::Serve(int fd) {
  char buffer[4096];
  pollfd p{fd, POLLIN, 0};
  while (!stop_ && poll(&p, 1, 50) == 0) {
  }
  if (stop_ || recv(fd, buffer, sizeof buffer, 0) <= 0) return;
  if (then_ == Then::kClose) {
    // The rest of the batch, if it came in pieces: unread bytes would turn the close into a
    // reset.
    while (!stop_ && poll(&p, 1, 50) > 0) {
      if (recv(fd, buffer, sizeof buffer, 0) <= 0) return;
    }
  }
  std::string out = prefix_;
  size_t left = filler_bytes_;
  const std::string chunk(64 * 1024, 'x');
  while (!stop_) {
    if (out.empty()) {
      if (left == 0) break;
      out = chunk.substr(0, std::min(left, chunk.size()));
      left -= out.size();
    }
    const ssize_t n = send(fd, out.data(), out.size(), MSG_NOSIGNAL);
    if (n <= 0) return;  // the client closed the connection
    out.erase(0, static_cast<size_t>(n));
  }
  if (then_ == Then::kClose) {
    shutdown(fd, SHUT_RDWR);
    return;
  }
  // Keep reading (and dropping) what the client sends until it goes away.
  while (!stop_) {
    if (poll(&p, 1, 50) > 0 && recv(fd, buffer, sizeof buffer, 0) <= 0) return;
  }
}

}  // namespace rte::testing
