// The test suite's own TCP delay proxy (tests/support/delay_proxy.h) in front of a real
// redis-server: the delay it adds, its runtime changes, ordering, and a clean shutdown.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "delay_proxy.h"
#include "loopback.h"
#include "redis_server.h"
#include "wait_until.h"

namespace rte {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// A blocking client socket with a 5 s receive timeout, so a broken proxy fails the test
// instead of hanging it.
class Client {
 public:
  explicit Client(int port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    REQUIRE(fd_ >= 0);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  }
  ~Client() { ::close(fd_); }

  void Send(const std::string& data) {
    REQUIRE(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(data.size()));
  }
  // Reads until `n` bytes have arrived; returns fewer on EOF or timeout.
  std::string Read(size_t n) {
    std::string out;
    char buf[4096];
    while (out.size() < n) {
      ssize_t got = ::recv(fd_, buf, std::min(sizeof(buf), n - out.size()), 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      out.append(buf, static_cast<size_t>(got));
    }
    return out;
  }
  // True once the peer has closed (recv returns 0 or an error other than a timeout).
  bool SeesEof() {
    char c;
    ssize_t got = ::recv(fd_, &c, 1, 0);
    return got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  }

 private:
  int fd_;
};

milliseconds::rep PingMillis(Client& client) {
  const auto start = Clock::now();
  client.Send("PING\r\n");
  REQUIRE(client.Read(7) == "+PONG\r\n");
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

// Five samples: every one is checked against the lower bound (the proxy must never deliver
// early); the median against the upper one, so one scheduler hiccup does not fail the test.
struct Samples {
  std::vector<milliseconds::rep> ms;
  milliseconds::rep min() const { return *std::min_element(ms.begin(), ms.end()); }
  milliseconds::rep median() const {
    std::vector<milliseconds::rep> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    return sorted[sorted.size() / 2];
  }
};

Samples Pings(Client& client, int n = 5) {
  Samples s;
  for (int i = 0; i < n; ++i) s.ms.push_back(PingMillis(client));
  return s;
}

TEST_CASE("DelayProxy adds its one-way delay in each direction", "[proxy]") {
  testing::RedisServer server;
  testing::DelayProxy proxy("127.0.0.1", static_cast<std::uint16_t>(server.port()),
                            milliseconds(20));
  REQUIRE(proxy.Start().ok());
  REQUIRE(proxy.port() != 0);
  CHECK(proxy.port() != server.port());

  Client client(proxy.port());
  Samples delayed = Pings(client);
  CAPTURE(delayed.ms);
  CHECK(delayed.min() >= 40);
  CHECK(delayed.median() < 100);
  CHECK(proxy.connections_accepted() == 1);

  proxy.SetDelay(nanoseconds(0));
  CHECK(proxy.delay() == nanoseconds(0));
  Samples direct = Pings(client);  // same connection: the change applies at runtime
  CAPTURE(direct.ms);
  CHECK(direct.median() < 5);

  proxy.SetDelay(milliseconds(30));
  Samples longer = Pings(client, 3);
  CAPTURE(longer.ms);
  CHECK(longer.min() >= 60);
}

TEST_CASE("DelayProxy keeps order and does not delay per queued chunk", "[proxy]") {
  testing::RedisServer server;
  testing::DelayProxy proxy("127.0.0.1", static_cast<std::uint16_t>(server.port()),
                            milliseconds(20));
  REQUIRE(proxy.Start().ok());
  Client client(proxy.port());

  // 50 commands in 50 separate writes, each echoing its own number, pipelined.
  const int kCommands = 50;
  std::string expected;
  const auto start = Clock::now();
  for (int i = 0; i < kCommands; ++i) {
    const std::string n = std::to_string(i);
    client.Send("ECHO " + n + "\r\n");
    // Appended piece by piece: `"$" + std::to_string(...)` trips a false -Wrestrict in GCC 12
    // at -O3.
    expected += '$';
    expected += std::to_string(n.size());
    expected += "\r\n";
    expected += n;
    expected += "\r\n";
  }
  const std::string got = client.Read(expected.size());
  const auto elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
  CHECK(got == expected);  // every reply, in order
  CAPTURE(elapsed);
  CHECK(elapsed >= 40);
  // Scheduled at arrival + delay, the burst costs about one round trip, not 50 of them.
  CHECK(elapsed < 400);
}

TEST_CASE("DelayProxy stops cleanly with connections open", "[proxy]") {
  testing::RedisServer server;
  auto proxy = std::make_unique<testing::DelayProxy>(
      "127.0.0.1", static_cast<std::uint16_t>(server.port()), milliseconds(5));
  REQUIRE(proxy->Start().ok());
  const int port = proxy->port();
  Client a(port);
  Client b(port);
  CHECK(PingMillis(a) >= 10);
  CHECK(PingMillis(b) >= 10);
  CHECK(proxy->connections_accepted() == 2);
  // A request still queued inside the proxy when it stops is simply dropped.
  proxy->SetDelay(seconds(10));
  a.Send("PING\r\n");

  const auto start = Clock::now();
  proxy->Stop();
  proxy->Stop();                             // idempotent
  CHECK(Clock::now() - start < seconds(2));  // joins without waiting for queued chunks
  CHECK(a.SeesEof());
  CHECK(b.SeesEof());
  proxy.reset();
  // Redis still serves direct clients; the proxied ones are gone.
  CHECK(testing::WaitUntil(
      [&] {
        std::string list = server.Command({"CLIENT", "LIST"}).str;
        return std::count(list.begin(), list.end(), '\n') == 1;  // only the harness's own
      },
      seconds(5)));
}

TEST_CASE("DelayProxy closes the client when the upstream refuses", "[proxy]") {
  const int nothing_there = testing::FreeLoopbackPort();
  testing::DelayProxy proxy("127.0.0.1", static_cast<std::uint16_t>(nothing_there));
  REQUIRE(proxy.Start().ok());
  Client client(proxy.port());
  CHECK(client.SeesEof());
  CHECK(proxy.connections_accepted() == 0);
}

}  // namespace
}  // namespace rte
