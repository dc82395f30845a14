// Abusive HTTP clients (issue 13, defect 3, in part): an endless header line and a huge body are
// refused before they are buffered; the exporter keeps serving.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "exporter_process.h"
#include "temp_dir.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

// Sends `head` and then up to `filler` bytes of 'a' on one connection; returns the bytes the
// server took before it closed the connection (all of them if it never did).
size_t SendUntilClosed(int port, const std::string& head, size_t filler) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  size_t sent = 0;
  const std::string chunk(64 * 1024, 'a');
  if (::send(fd, head.data(), head.size(), MSG_NOSIGNAL) > 0) {
    while (sent < filler) {
      const ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
  }
  ::close(fd);
  return sent;
}

}  // namespace

TEST_CASE("http: an endless header line is cut off, the exporter keeps serving", "[http][limits]") {
  ExporterProcess exporter = StartExporter(RefusingTargetConfig());
  // The process figures come with the sampler's first reading, shortly after the start.
  REQUIRE(exporter.WaitForMetric("process_resident_memory_bytes", {}, Present(), 10s));
  const auto rss_before = exporter.Metric("process_resident_memory_bytes");
  REQUIRE(rss_before.has_value());
  const size_t attempted = 256u << 20;
  const size_t sent = SendUntilClosed(
      exporter.port(), "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: ", attempted);
  // The server closed the connection long before: kernel buffers take a few MB at most.
  CHECK(sent < 32u << 20);
  CHECK(exporter.Get("/-/healthy").status == 200);
  // Growth, not a level: the sanitizer build's own RSS is several times the normal one.
  const auto rss = exporter.Metric("process_resident_memory_bytes");
  REQUIRE(rss.has_value());
  CHECK(*rss - *rss_before < 32.0 * 1024 * 1024);
}

TEST_CASE("http: a body sent to /-/reload is refused with 413 before it is read",
          "[http][limits]") {
  ExporterProcess exporter = StartExporter(RefusingTargetConfig());
  TempDir dir;
  const std::string body = dir.WriteFile("body", std::string(2u << 20, 'x'));
  const ExporterRun curl = RunExporterToExit(
      "curl",
      {"-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "--data-binary", "@" + body,
       "http://127.0.0.1:" + std::to_string(exporter.port()) + "/-/reload"},
      20s);
  CHECK(curl.stdout_text == "413");
  CHECK(exporter.Get("/-/healthy").status == 200);
  // Without a body the reload works as before.
  CHECK(exporter.Post("/-/reload").status == 200);
}
