// Loopback networking for tests: a free port, and a tiny blocking HTTP/1.0 client.
#include "loopback.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace rte::testing {
namespace {

using Clock = std::chrono::steady_clock;

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Waits for `events` on fd until the deadline; false on timeout.
bool WaitFd(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  while (true) {
    int r = poll(&p, 1, MillisLeft(deadline));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return false;
  }
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Dechunk(const std::string& body) {
  std::string out;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t eol = body.find("\r\n", pos);
    if (eol == std::string::npos) break;
    size_t len = std::strtoul(body.substr(pos, eol - pos).c_str(), nullptr, 16);
    if (len == 0) break;
    out += body.substr(eol + 2, len);
    pos = eol + 2 + len + 2;
  }
  return out;
}

HttpResponse Request(int port, const std::string& method, const std::string& path,
                     const std::string& body, std::chrono::milliseconds timeout) {
  HttpResponse response;
  const auto deadline = Clock::now() + timeout;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    response.error = std::string("socket: ") + std::strerror(errno);
    return response;
  }
  auto fail = [&](const std::string& what) {
    response.status = 0;
    response.error = what;
    close(fd);
    return response;
  };
  sockaddr_in addr = Loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EINPROGRESS) return fail(std::string("connect: ") + std::strerror(errno));
    if (!WaitFd(fd, POLLOUT, deadline)) return fail("connect: timed out");
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error != 0) return fail(std::string("connect: ") + std::strerror(so_error));
  }
  std::string request = method + " " + path +
                        " HTTP/1.0\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nConnection: close\r\n";
  if (method == "POST") request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n" + body;
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!WaitFd(fd, POLLOUT, deadline)) return fail("send: timed out");
    } else {
      return fail(std::string("send: ") + std::strerror(errno));
    }
  }
  std::string raw;
  char buf[16384];
  while (true) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n > 0) {
      raw.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!WaitFd(fd, POLLIN, deadline))
        return fail("recv: timed out after " + std::to_string(raw.size()) + " bytes");
    } else {
      if (errno == ECONNRESET && !raw.empty()) break;
      return fail(std::string("recv: ") + std::strerror(errno));
    }
  }
  close(fd);
  size_t head_end = raw.find("\r\n\r\n");
  if (raw.compare(0, 5, "HTTP/") != 0 || head_end == std::string::npos) {
    response.error = "malformed HTTP response: " + raw.substr(0, 200);
    return response;
  }
  size_t sp = raw.find(' ');
  response.status = std::atoi(raw.c_str() + sp + 1);
  size_t first_eol = raw.find("\r\n");
  response.headers = raw.substr(first_eol + 2, head_end - first_eol - 2);
  response.body = raw.substr(head_end + 4);
  if (Lower(response.headers).find("transfer-encoding: chunked") != std::string::npos) {
    response.body = Dechunk(response.body);
  }
  return response;
}

}  // namespace

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int saved = errno;
    close(fd);
    throw std::runtime_error(std::string("bind 127.0.0.1:0: ") + std::strerror(saved));
  }
  close(fd);
  return ntohs(addr.sin_port);
}

HttpResponse HttpGet(int port, const std::string& path, std::chrono::milliseconds timeout) {
  return Request(port, "GET", path, "", timeout);
}

HttpResponse HttpPost(int port, const std::string& path, const std::string& body,
                      std::chrono::milliseconds timeout) {
  return Request(port, "POST", path, body, timeout);
}

}  // namespace rte::testing
