// Thread-per-direction delay proxy: readers timestamp chunks, writers release them when due.
#include "delay_proxy.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace rte::testing {
namespace {

using Clock = std::chrono::steady_clock;

void SetNoDelay(int fd) {
  // Without this, Nagle plus delayed ACKs on loopback add up to 40 ms of their own.
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int ConnectUpstream(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* results = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &results) != 0) return -1;
  int fd = -1;
  for (addrinfo* ai = results; ai != nullptr; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(results);
  if (fd >= 0) SetNoDelay(fd);
  return fd;
}

// One direction of one connection: bytes read from `from` are written to `to` when due.
class Pipe {
 public:
  Pipe(int from, int to, const std::atomic<std::int64_t>* delay_ns, std::function<void()> abort)
      : from_(from), to_(to), delay_ns_(delay_ns), abort_(std::move(abort)) {}

  void Start() {
    reader_ = std::thread([this] { ReadLoop(); });
    writer_ = std::thread([this] { WriteLoop(); });
  }
  void Cancel() {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
  }
  void Join() {
    if (reader_.joinable()) reader_.join();
    if (writer_.joinable()) writer_.join();
  }
  bool Finished() const { return finished_threads_.load() == 2; }

 private:
  struct Chunk {
    Clock::time_point due;
    std::string data;  // empty = end of stream
  };

  void ReadLoop() {
    std::vector<char> buf(64 * 1024);
    for (;;) {
      ssize_t n = ::recv(from_, buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      // The arrival time is taken before the lock so queueing never adds to the delay.
      Chunk chunk{Clock::now() + std::chrono::nanoseconds(delay_ns_->load()), {}};
      if (n > 0) chunk.data.assign(buf.data(), static_cast<size_t>(n));
      {
        std::lock_guard<std::mutex> lock(mu_);
        queue_.push_back(std::move(chunk));
        cv_.notify_all();
      }
      if (n <= 0) break;  // EOF, reset, or shut down by Stop()
    }
    ++finished_threads_;
  }

  void WriteLoop() {
    for (;;) {
      Chunk chunk;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return cancelled_ || !queue_.empty(); });
        if (cancelled_) break;
        // Sleep until the front is due; a chunk behind it is never due earlier, except after
        // SetDelay() shortened the delay, and then it still waits its turn to keep order.
        if (cv_.wait_until(lock, queue_.front().due, [&] { return cancelled_; })) break;
        chunk = std::move(queue_.front());
        queue_.pop_front();
      }
      if (chunk.data.empty()) {
        ::shutdown(to_, SHUT_WR);  // pass the half-close on
        break;
      }
      if (!WriteAll(chunk.data)) {
        abort_();  // the other side is gone: tear the whole connection down
        break;
      }
    }
    ++finished_threads_;
  }

  bool WriteAll(const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::send(to_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  const int from_;
  const int to_;
  const std::atomic<std::int64_t>* delay_ns_;
  std::function<void()> abort_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Chunk> queue_;  // guarded by mu_
  bool cancelled_ = false;   // guarded by mu_
  std::atomic<int> finished_threads_{0};
  std::thread reader_;
  std::thread writer_;
};

}  // namespace

class DelayProxy::Connection {
 public:
  Connection(int client, int upstream, const std::atomic<std::int64_t>* delay_ns)
      : client_(client),
        upstream_(upstream),
        to_upstream_(client, upstream, delay_ns, [this] { Abort(); }),
        to_client_(upstream, client, delay_ns, [this] { Abort(); }) {
    to_upstream_.Start();
    to_client_.Start();
  }
  ~Connection() {
    Abort();
    to_upstream_.Join();
    to_client_.Join();
    ::close(client_);
    ::close(upstream_);
  }

  // Wakes every thread of this connection: readers see EOF, writers see the cancel flag.
  void Abort() {
    ::shutdown(client_, SHUT_RDWR);
    ::shutdown(upstream_, SHUT_RDWR);
    to_upstream_.Cancel();
    to_client_.Cancel();
  }
  bool Finished() const { return to_upstream_.Finished() && to_client_.Finished(); }

 private:
  const int client_;
  const int upstream_;
  Pipe to_upstream_;
  Pipe to_client_;
};

DelayProxy::DelayProxy(std::string upstream_host, std::uint16_t upstream_port,
                       std::chrono::nanoseconds one_way_delay)
    : upstream_host_(std::move(upstream_host)),
      upstream_port_(upstream_port),
      delay_ns_(one_way_delay.count()) {}

DelayProxy::~DelayProxy() { Stop(); }

Status DelayProxy::Start() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return Status::Error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // the kernel picks a free port
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 128) != 0) {
    return Status::Error(std::string("bind/listen: ") + std::strerror(errno));
  }
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);

  wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) return Status::Error(std::string("eventfd: ") + std::strerror(errno));
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return Status::Ok();
}

void DelayProxy::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int ready = ::poll(fds, 2, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || (fds[1].revents & POLLIN)) return;
    if (!(fds[0].revents & POLLIN)) continue;

    int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    SetNoDelay(client);
    int upstream = ConnectUpstream(upstream_host_, upstream_port_);
    if (upstream < 0) {
      ::close(client);  // the client sees the upstream's refusal as an immediate EOF
      continue;
    }
    ++accepted_;
    ReapFinished(/*all=*/false);
    std::lock_guard<std::mutex> lock(mu_);
    connections_.push_back(std::make_unique<Connection>(client, upstream, &delay_ns_));
  }
}

void DelayProxy::ReapFinished(bool all) {
  std::list<std::unique_ptr<Connection>> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (all || (*it)->Finished()) {
        done.push_back(std::move(*it));
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }
  }
  done.clear();  // joins and closes outside the lock
}

void DelayProxy::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  if (wake_fd_ >= 0) {
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  }
  if (acceptor_.joinable()) acceptor_.join();
  ReapFinished(/*all=*/true);
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  listen_fd_ = wake_fd_ = -1;
}

}  // namespace rte::testing
