// Black-box tests of what scrapers and operators meet first: keep-alive scrapes without stalls,
// gzip, `promtool check metrics`, the process_* metrics, the command line, the install tree.
#define CATCH_CONFIG_ENABLE_OPTIONAL_STRINGMAKER
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "exporter_process.h"
#include "redis_server.h"
#include "subprocess.h"
#include "temp_dir.h"
#include "wait_until.h"

using namespace rte::testing;
using namespace std::chrono_literals;

namespace {

constexpr char kTargets[] = R"(
poll_interval: 250ms
targets:
  - name: ${name}
    address: ${address}
)";

// Several targets on one server: a /metrics body well above libevent's 16 KiB per write(),
// which is what made keep-alive scrapes wait for delayed ACKs.
std::string ManyTargets(const RedisServer& redis, int n) {
  std::string yaml = "poll_interval: 250ms\ntargets:\n";
  for (int i = 1; i <= n; ++i) {
    yaml += "  - name: cache-" + std::to_string(i) + "\n    address: " + redis.address() + "\n";
  }
  return yaml;
}

// A redis-server and an exporter polling it as target cache-1, up.
struct OneTarget {
  OneTarget()
      : exporter(StartExporter(
            Substitute(kTargets, {{"name", "cache-1"}, {"address", redis.address()}}))) {
    REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", {{"target", "cache-1"}}, Equals(1)));
  }
  RedisServer redis;
  ExporterProcess exporter;
};

struct RawResponse {
  int status = 0;
  std::string headers;  // lower-cased names, raw values
  std::string body;
};

// One keep-alive HTTP/1.1 connection to 127.0.0.1:port with a receive timeout per read, so a
// broken server fails the test instead of hanging it.
class KeepAliveClient {
 public:
  explicit KeepAliveClient(int port) : port_(port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect failed");
    }
  }
  ~KeepAliveClient() { ::close(fd_); }
  KeepAliveClient(const KeepAliveClient&) = delete;
  KeepAliveClient& operator=(const KeepAliveClient&) = delete;

  // Sends one GET and reads its whole response (Content-Length framed).
  RawResponse Get(const std::string& path, const std::string& extra_headers = "") {
    Send(Request("GET", path, extra_headers));
    return Read();
  }

  // A request as Send() takes it: HTTP/1.1 with the Host header of this connection.
  std::string Request(const std::string& method, const std::string& path,
                      const std::string& extra_headers = "") const {
    return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) + "\r\n" +
           extra_headers + "\r\n";
  }

  // Writes `requests` (one or several, pipelined) in one send.
  void Send(const std::string& requests) {
    if (::send(fd_, requests.data(), requests.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(requests.size())) {
      throw std::runtime_error("send failed");
    }
  }

  // Reads one response; a response to HEAD has no body, whatever its Content-Length says.
  RawResponse Read(bool head = false) {
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) ReadMore();
    RawResponse r;
    const std::string head_text = buffer_.substr(0, header_end);
    buffer_.erase(0, header_end + 4);
    std::istringstream lines(head_text);
    std::string status_line;
    std::getline(lines, status_line);
    r.status = std::stoi(status_line.substr(9, 3));
    size_t length = 0;
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const std::string value = line.substr(line.find_first_not_of(' ', colon + 1));
      r.headers += name + ": " + value + "\n";
      if (name == "content-length") length = std::stoul(value);
    }
    if (head) return r;
    while (buffer_.size() < length) ReadMore();
    r.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return r;
  }

  // Bytes received and not yet read as a response.
  const std::string& unread() const { return buffer_; }

 private:
  void ReadMore() {
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) throw std::runtime_error("connection closed or timed out mid-response");
    buffer_.append(chunk, static_cast<size_t>(n));
  }

  int port_;
  int fd_ = -1;
  std::string buffer_;
};

bool HasHeader(const RawResponse& r, const std::string& line) {
  return r.headers.find(line + "\n") != std::string::npos;
}

std::string Gunzip(const std::string& compressed) {
  z_stream stream{};
  REQUIRE(inflateInit2(&stream, 15 + 16) == Z_OK);  // gzip wrapper only
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string out;
  char chunk[65536];
  int rc = Z_OK;
  while (rc == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof(chunk);
    rc = inflate(&stream, Z_NO_FLUSH);
    out.append(chunk, sizeof(chunk) - stream.avail_out);
  }
  inflateEnd(&stream);
  REQUIRE(rc == Z_STREAM_END);
  return out;
}

// Runs `command` with /bin/sh (for redirections) to its end.
ExporterRun RunShell(const std::string& command, std::chrono::milliseconds timeout = 60s) {
  return RunExporterToExit("/bin/sh", {"-c", command}, timeout);
}

}  // namespace

TEST_CASE("exposition: sequential keep-alive scrapes do not stall", "[exposition][keepalive]") {
  RedisServer redis;
  ExporterProcess exporter = StartExporter(ManyTargets(redis, 8));
  for (int i = 1; i <= 8; ++i) {
    REQUIRE(exporter.WaitForMetric("redis_timeout_target_up",
                                   {{"target", "cache-" + std::to_string(i)}}, Equals(1)));
  }
  KeepAliveClient client(exporter.port());
  const RawResponse first = client.Get("/metrics");
  REQUIRE(first.status == 200);
  INFO("body bytes: " << first.body.size());
  REQUIRE(first.body.size() > 3 * 16384);

  // With Nagle's algorithm against delayed ACKs each response waited ~40 ms: 200 scrapes took
  // 8 s or more. Without, they take milliseconds each even on a loaded host; 5 s is generous.
  constexpr int kScrapes = 200;
  int completed = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kScrapes; ++i) {
    const RawResponse r = client.Get("/metrics");
    if (r.status == 200 && r.body.size() > 3 * 16384) ++completed;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(kScrapes << " keep-alive scrapes took " << seconds << " s");
  CHECK(completed == kScrapes);
  CHECK(seconds < 5.0);

  // A small response on the same connection, and gzip responses, do not stall either.
  const auto small_start = std::chrono::steady_clock::now();
  for (int i = 0; i < kScrapes; ++i) {
    CHECK(client.Get("/-/healthy").status == 200);
    CHECK(client.Get("/metrics", "Accept-Encoding: gzip\r\n").status == 200);
  }
  const double small_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - small_start).count();
  INFO(2 * kScrapes << " mixed keep-alive requests took " << small_seconds << " s");
  CHECK(small_seconds < 10.0);
}

TEST_CASE("exposition: /metrics is gzip-compressed when asked, and only then",
          "[exposition][gzip]") {
  OneTarget one;
  ExporterProcess& exporter = one.exporter;
  KeepAliveClient client(exporter.port());

  const RawResponse plain = client.Get("/metrics");
  REQUIRE(plain.status == 200);
  INFO(plain.headers);
  CHECK(HasHeader(plain, "vary: Accept-Encoding"));
  CHECK(plain.headers.find("content-encoding") == std::string::npos);
  CHECK(plain.body.rfind("# HELP ", 0) == 0);

  const RawResponse gzipped = client.Get("/metrics", "Accept-Encoding: gzip\r\n");
  REQUIRE(gzipped.status == 200);
  INFO(gzipped.headers);
  CHECK(HasHeader(gzipped, "content-encoding: gzip"));
  CHECK(HasHeader(gzipped, "vary: Accept-Encoding"));
  CHECK(HasHeader(gzipped, "content-type: text/plain; version=0.0.4; charset=utf-8"));
  const std::string text = Gunzip(gzipped.body);
  CHECK(gzipped.body.size() * 3 < text.size());
  const MetricsText m = MetricsText::Parse(text);
  CHECK(m.errors().empty());
  CHECK(m.Value("redis_timeout_target_up", {{"target", "cache-1"}}) == 1.0);
  // The same families as the plain body (values move between the two scrapes).
  std::vector<std::string> plain_families, gzip_families;
  const MetricsText plain_metrics = MetricsText::Parse(plain.body);
  for (const auto& f : plain_metrics.Families()) plain_families.push_back(f.name);
  for (const auto& f : m.Families()) gzip_families.push_back(f.name);
  CHECK(plain_families == gzip_families);

  // Prometheus' own header, q values, and refusals.
  CHECK(HasHeader(client.Get("/metrics", "Accept-Encoding: gzip, deflate\r\n"),
                  "content-encoding: gzip"));
  CHECK(HasHeader(client.Get("/metrics", "Accept-Encoding: identity;q=0.5, *;q=0.1\r\n"),
                  "content-encoding: gzip"));
  for (const char* refused : {"identity", "gzip;q=0", "deflate", "*;q=0", "gzip;q=0, *"}) {
    INFO(refused);
    const RawResponse r =
        client.Get("/metrics", std::string("Accept-Encoding: ") + refused + "\r\n");
    CHECK(r.headers.find("content-encoding") == std::string::npos);
    CHECK(r.body.rfind("# HELP ", 0) == 0);
  }
  // Other endpoints too.
  const RawResponse page = client.Get("/triage", "Accept-Encoding: gzip\r\n");
  CHECK(HasHeader(page, "content-encoding: gzip"));
  CHECK(Gunzip(page.body).find("<html") != std::string::npos);
}

TEST_CASE(
    "exposition: HEAD has GET's headers and no body, and a pipelined GET after it is answered",
    "[exposition][http][head]") {
  OneTarget one;
  ExporterProcess& exporter = one.exporter;
  KeepAliveClient client(exporter.port());

  // HEAD /metrics and GET /-/healthy in one write: the GET's response must follow the HEAD's
  // headers directly, not be taken for (or lost behind) a body.
  client.Send(client.Request("HEAD", "/metrics") + client.Request("GET", "/-/healthy"));
  const RawResponse head = client.Read(true);
  INFO(head.headers);
  CHECK(head.status == 200);
  CHECK(HasHeader(head, "content-type: text/plain; version=0.0.4; charset=utf-8"));
  const auto length_at = head.headers.find("content-length: ");
  REQUIRE(length_at != std::string::npos);
  CHECK(std::stoul(head.headers.substr(length_at + 16)) > 1000);  // the GET body's length
  INFO("unread after the HEAD response: " << client.unread().substr(0, 200));
  const RawResponse healthy = client.Read();
  CHECK(healthy.status == 200);
  CHECK(healthy.body == "OK\n");

  // Gzip, the other endpoints and a 404: headers as GET, nothing after them but the next reply.
  for (const auto& [path, extra, status] : std::vector<std::tuple<std::string, std::string, int>>{
           {"/metrics", "Accept-Encoding: gzip\r\n", 200},
           {"/", "", 200},
           {"/triage", "", 200},
           {"/-/healthy", "", 200},
           {"/-/reload", "", 405},
           {"/nowhere", "", 404}}) {
    INFO("HEAD " << path << " " << extra);
    const RawResponse get = client.Get(path, extra);
    client.Send(client.Request("HEAD", path, extra) + client.Request("GET", "/-/healthy"));
    const RawResponse r = client.Read(true);
    CHECK(r.status == status);
    CHECK(get.status == status);
    if (path != "/metrics" && path != "/triage") {  // fixed bodies: the very same length
      CHECK(HasHeader(r, "content-length: " + std::to_string(get.body.size())));
    } else {
      CHECK(r.headers.find("content-length: ") != std::string::npos);
    }
    if (!extra.empty()) CHECK(HasHeader(r, "content-encoding: gzip"));
    const RawResponse next = client.Read();
    CHECK(next.status == 200);
    CHECK(next.body == "OK\n");
  }
}

TEST_CASE("exposition: POST /-/reload from another site's page is refused",
          "[exposition][http][origin]") {
  OneTarget one;
  ExporterProcess& exporter = one.exporter;
  const auto loaded_at =
      exporter.Metric("redis_timeout_config_last_reload_success_timestamp_seconds");
  REQUIRE(loaded_at);
  // A second target on disk: it is polled only once a reload took place.
  exporter.RewriteConfig(
      Substitute(kTargets, {{"name", "cache-1"}, {"address", one.redis.address()}}) +
      "  - name: cache-2\n    address: " + one.redis.address() + "\n");
  KeepAliveClient client(exporter.port());
  const std::string self = "http://127.0.0.1:" + std::to_string(exporter.port());

  for (const std::string& origin :
       {std::string("https://evil.example"),
        std::string("http://localhost:") + std::to_string(exporter.port()),
        "http://127.0.0.1:" + std::to_string(exporter.port() + 1),
        "https://127.0.0.1:" + std::to_string(exporter.port()), std::string("null")}) {
    INFO("Origin: " << origin);
    client.Send(
        client.Request("POST", "/-/reload", "Origin: " + origin + "\r\nContent-Length: 0\r\n"));
    const RawResponse refused = client.Read();
    CHECK(refused.status == 403);
    CHECK(refused.body.find("cross-origin") != std::string::npos);
  }
  REQUIRE(exporter.WaitForPolls("cache-1", 2));
  MetricsText m = exporter.ScrapeMetrics();
  CHECK(m.Value("redis_timeout_target_up", {{"target", "cache-2"}}) == std::nullopt);
  CHECK(m.Value("redis_timeout_config_last_reload_success_timestamp_seconds") == loaded_at);

  // The exporter's own origin (as its landing page would send it), and none at all (curl).
  client.Send(client.Request("POST", "/-/reload", "Origin: " + self + "\r\nContent-Length: 0\r\n"));
  const RawResponse same = client.Read();
  CHECK(same.status == 200);
  CHECK(same.body == "config reloaded\n");
  CHECK(exporter.WaitForMetric("redis_timeout_target_up", {{"target", "cache-2"}}, Equals(1)));
  CHECK(exporter.Post("/-/reload").status == 200);
}

TEST_CASE("exposition: redis_start_time_seconds moves when Redis restarts",
          "[exposition][restart]") {
  OneTarget one;
  ExporterProcess& exporter = one.exporter;
  const Labels target{{"target", "cache-1"}};
  REQUIRE(exporter.WaitForMetric("redis_timeout_redis_start_time_seconds", target, Present()));
  const double first = *exporter.Metric("redis_timeout_redis_start_time_seconds", target);
  const double now = static_cast<double>(std::time(nullptr));
  CHECK(first <= now + 1);  // rounded: up to half a second ahead of time()
  CHECK(first >= now - 30);
  CHECK(first == std::round(first));
  // Whole seconds: it holds still from poll to poll.
  REQUIRE(exporter.WaitForPolls("cache-1", 4));
  CHECK(exporter.Metric("redis_timeout_redis_start_time_seconds", target) == first);

  // A restart a few seconds after the first start shows as a later start time.
  REQUIRE(WaitUntil([&] { return static_cast<double>(std::time(nullptr)) >= first + 3; }, 10s));
  const double restart_at = static_cast<double>(std::time(nullptr));
  one.redis.Restart();
  CHECK(exporter.WaitForMetric("redis_timeout_redis_start_time_seconds", target,
                               AtLeast(restart_at - 1), 15s));
  CHECK(*exporter.Metric("redis_timeout_redis_start_time_seconds", target) > first);
}

namespace {

// Every family of a live exporter: a local target with slow commands, latency spikes, a
// dangerous command and a named pool, and a target that cannot be reached (poll errors and
// risk_missing_info).
constexpr char kEveryFamily[] = R"(
poll_interval: 250ms
config_interval: 250ms
client_list_interval: 250ms
targets:
  - name: busy
    address: ${address}
    probe_interval: 100ms
    pools:
      - {name: api, client_name: "api-*", size: 4}
  - name: gone
    address: 127.0.0.1:${closed_port}
    connect_timeout: 200ms
discovery:
  - {type: file, name: fleet, files: [/nonexistent/targets.d/*.yaml]}
)";

std::set<std::string> FamilyNames(const MetricsText& m) {
  std::set<std::string> out;
  for (const auto& f : m.Families()) out.insert(f.name);
  return out;
}

}  // namespace

TEST_CASE("exposition: a live /metrics with every family passes promtool check metrics",
          "[exposition][promtool]") {
  // AOF on: aof_delayed_fsync_total exists only then.
  RedisServer redis({"--enable-debug-command", "local", "--latency-monitor-threshold", "1",
                     "--appendonly", "yes"});
  RedisClients pool = redis.OpenClients(2, "api-");
  ExporterProcess exporter = StartExporter(Substitute(
      kEveryFamily,
      {{"address", redis.address()}, {"closed_port", std::to_string(FreeLoopbackPort())}}));
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", {{"target", "busy"}}, Equals(1)));
  // Slowlog entries, a latency-monitor event and a dangerous command, after the first poll
  // (entries already there when the exporter first looks are history, not news).
  REQUIRE(exporter.WaitForPolls("busy", 1));
  CHECK(redis.Command({"DEBUG", "SLEEP", "0.02"}).str == "OK");
  CHECK(redis.Command({"KEYS", "*"}).kind == RedisValue::Kind::kArray);

  const MetricsText golden = MetricsText::Parse(
      ReadFile(std::string(RTE_SOURCE_DIR) + "/tests/golden/metrics_from_fixtures.txt"));
  std::set<std::string> every = FamilyNames(golden);
  REQUIRE(every.size() > 60);
  // Families that need a state this run does not set up (their own tests make it; promtool
  // checks their format in the golden file below).
  for (const char* other_state :
       {"redis_timeout_cgroup_memory_limit_bytes",  // Redis in a memory cgroup
        "redis_timeout_target_not_serving_info",    // Redis loading its dataset
        "redis_timeout_loading_progress_ratio", "redis_timeout_loading_eta_seconds",
        "redis_timeout_tls_handshake_duration_seconds",  // a rediss:// target
        "redis_timeout_tls_certificate_expiry_timestamp_seconds",
        "redis_timeout_tls_insecure_skip_verify",
        // a Redis Cluster or Sentinel discovery ([discovery] tests)
        "redis_timeout_cluster_state_ok", "redis_timeout_cluster_slots_uncovered",
        "redis_timeout_cluster_failover_in_progress", "redis_timeout_cluster_nodes",
        "redis_timeout_sentinel_sentinels"}) {
    CHECK(every.erase(other_state) == 1);
  }
  std::set<std::string> missing;
  const MetricWait all = exporter.WaitForScrape(
      [&](const MetricsText& m) {
        const auto live = FamilyNames(m);
        missing.clear();
        for (const auto& name : every) {
          if (!live.contains(name)) missing.insert(name);
        }
        return missing.empty();
      },
      30s, "every family of the golden file");
  std::string missing_text;
  for (const auto& name : missing) missing_text += name + " ";
  INFO("families not served: " << missing_text);
  REQUIRE(all);

  const std::string metrics_file = exporter.dir() + "/live_metrics.txt";
  WriteFile(metrics_file, exporter.Scrape());
  const ExporterRun promtool = RunShell("promtool check metrics < " + metrics_file);
  INFO(promtool.stdout_text << promtool.stderr_text);
  CHECK(promtool.exit_code == 0);
  CHECK(promtool.stdout_text + promtool.stderr_text == "");
}

TEST_CASE("exposition: the golden /metrics passes promtool check metrics",
          "[exposition][promtool]") {
  const ExporterRun promtool = RunShell("promtool check metrics < " + std::string(RTE_SOURCE_DIR) +
                                        "/tests/golden/metrics_from_fixtures.txt");
  INFO(promtool.stdout_text << promtool.stderr_text);
  CHECK(promtool.exit_code == 0);
  CHECK(promtool.stdout_text + promtool.stderr_text == "");
}

TEST_CASE("exposition: process_* metrics describe the exporter's own process",
          "[exposition][process]") {
  const double started_before = static_cast<double>(std::time(nullptr)) - 2;
  RedisServer redis;
  ExporterProcess exporter =
      StartExporter(Substitute(kTargets, {{"name", "cache-1"}, {"address", redis.address()}}));
  REQUIRE(exporter.WaitForMetric("process_start_time_seconds", {}, Present(), 20s));
  REQUIRE(exporter.WaitForMetric("redis_timeout_target_up", {{"target", "cache-1"}}, Equals(1)));
  const MetricsText m = exporter.ScrapeMetrics();
  INFO(m.text().substr(m.text().find("# HELP process_")));
  const double now = static_cast<double>(std::time(nullptr));

  const auto cpu = m.Value("process_cpu_seconds_total");
  REQUIRE(cpu);
  CHECK(*cpu >= 0);
  CHECK(*cpu < now - started_before + 5);  // a few threads, mostly idle
  CHECK(m.Family("process_cpu_seconds_total")->type == "counter");
  const auto rss = m.Value("process_resident_memory_bytes");
  const auto vsize = m.Value("process_virtual_memory_bytes");
  REQUIRE(rss);
  REQUIRE(vsize);
  CHECK(*rss > 1 << 20);
  CHECK(*rss < 1024.0 * (1 << 20));
  CHECK(*vsize >= *rss);
  const auto start = m.Value("process_start_time_seconds");
  REQUIRE(start);
  CHECK(*start >= started_before);
  CHECK(*start <= now + 2);

  // The limit and the descriptors as the kernel reports them for this PID.
  const auto max_fds = m.Value("process_max_fds");
  const auto open_fds = m.Value("process_open_fds");
  REQUIRE(max_fds);
  REQUIRE(open_fds);
  const std::string proc = "/proc/" + std::to_string(exporter.process().pid());
  std::istringstream limits(ReadFile(proc + "/limits"));
  double soft = 0;
  for (std::string line; std::getline(limits, line);) {
    if (line.rfind("Max open files", 0) == 0) soft = std::stod(line.substr(26));
  }
  CHECK(*max_fds == soft);
  size_t fds_now = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(proc + "/fd"))
    ++fds_now;
  CHECK(*open_fds >= 5);  // stdio, the listener, a poll and a probe connection at least
  CHECK(*open_fds < *max_fds);
  CHECK(std::abs(*open_fds - static_cast<double>(fds_now)) <= 8);
}

TEST_CASE("exposition: the daemon takes --name value and --name=value", "[exposition][flags]") {
  RedisServer redis;
  ExporterOptions options;
  options.extra_args = {"--web.telemetry-path", "/custom-metrics", "--log.format", "json"};
  ExporterProcess exporter = StartExporter(
      Substitute(kTargets, {{"name", "cache-1"}, {"address", redis.address()}}), options);
  REQUIRE(WaitUntil(
      [&] {
        const MetricsText m = MetricsText::Parse(exporter.Get("/custom-metrics").body);
        return m.Value("redis_timeout_target_up", {{"target", "cache-1"}}) == 1.0;
      },
      10s));
  CHECK(exporter.Get("/metrics").status == 404);
  CHECK(exporter.Get("/").body.find("href=\"/custom-metrics\"") != std::string::npos);

  // --log.format json: every line of the log is a JSON object with ts, level and the fields.
  exporter.Reload();
  REQUIRE(WaitUntil(
      [&] {
        return exporter.ReadStderr().find("\"event\":\"config_reloaded\"") != std::string::npos;
      },
      10s));
  std::istringstream log(exporter.ReadStderr());
  int lines = 0;
  bool saw_listening = false;
  for (std::string line; std::getline(log, line);) {
    INFO(line);
    const auto parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    REQUIRE_FALSE(parsed.is_discarded());
    REQUIRE(parsed.is_object());
    CHECK(parsed.contains("ts"));
    CHECK(parsed.contains("level"));
    if (parsed.value("event", "") == "listening") {
      saw_listening = true;
      CHECK(parsed.value("metrics_path", "") == "/custom-metrics");
    }
    ++lines;
  }
  CHECK(lines >= 3);
  CHECK(saw_listening);
}

TEST_CASE("exposition: usage errors, --help and --version of the daemon", "[exposition][flags]") {
  const std::vector<std::vector<std::string>> unknown = {
      {"--bogus"}, {"--bogus=1"}, {"--bogus", "x"}};
  for (const auto& args : unknown) {
    const ExporterRun run = RunExporter(args);
    INFO(run.stderr_text);
    CHECK(run.exit_code == 64);
    CHECK(run.stderr_text.find("unknown flag --bogus\n") != std::string::npos);
  }
  const ExporterRun missing = RunExporter({"--config.file"});
  CHECK(missing.exit_code == 64);
  CHECK(missing.stderr_text.find("flag --config.file needs a value") != std::string::npos);
  CHECK(RunExporter({"--log.format=xml"}).exit_code == 64);
  CHECK(RunExporter({"--web.telemetry-path=metrics"}).exit_code == 64);

  for (const char* help : {"-h", "--help"}) {
    const ExporterRun run = RunExporter({help});
    CHECK(run.exit_code == 0);
    for (const char* text : {"--web.telemetry-path=PATH", "--log.format=FORMAT",
                             "Exit codes:", "\n  0 ", "\n  1 ", "\n  64 "}) {
      INFO(text);
      CHECK(run.stdout_text.find(text) != std::string::npos);
    }
  }
  const ExporterRun version = RunExporter({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.stdout_text.rfind("redis-timeout-exporter ", 0) == 0);

  // Both forms for a value the daemon checks before starting.
  TempDir dir;
  const std::string config =
      dir.WriteFile("c.yaml", "targets:\n  - {name: a, address: 127.0.0.1:6379}\n");
  CHECK(RunExporter({"--config.check", "--config.file", config}).exit_code == 0);
  CHECK(RunExporter({"--config.check", "--config.file=" + config}).exit_code == 0);
}

TEST_CASE("exposition: triage takes both flag forms, --help and --version", "[exposition][flags]") {
  RedisServer redis;
  const ExporterRun spaced = RunExporter(
      {"triage", "--address", redis.address(), "--duration", "1s", "--output", "json"}, 30s);
  INFO(spaced.stderr_text);
  CHECK(spaced.exit_code != 64);
  CHECK(spaced.exit_code != -1);
  const auto report = nlohmann::json::parse(spaced.stdout_text, nullptr, false);
  CHECK_FALSE(report.is_discarded());

  const ExporterRun unknown = RunExporter({"triage", "--bogus", "--address=127.0.0.1:1"});
  CHECK(unknown.exit_code == 64);
  CHECK(unknown.stderr_text.find("unknown flag --bogus\n") != std::string::npos);
  const ExporterRun missing = RunExporter({"triage", "--address"});
  CHECK(missing.exit_code == 64);
  CHECK(missing.stderr_text.find("flag --address needs a value") != std::string::npos);

  for (const char* help : {"-h", "--help"}) {
    const ExporterRun run = RunExporter({"triage", help});
    CHECK(run.exit_code == 0);
    for (const char* text : {"--address=HOST:PORT", "--log.format=FORMAT", "Exit codes:", "\n  0 ",
                             "\n  1 ", "\n  2 ", "\n  3 ", "\n  64 "}) {
      INFO(text);
      CHECK(run.stdout_text.find(text) != std::string::npos);
    }
  }
  const ExporterRun version = RunExporter({"triage", "--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.stdout_text.rfind("redis-timeout-exporter ", 0) == 0);
}

namespace {

std::string UnreachableTargets(int n, int port) {
  std::string yaml = "poll_interval: 1s\ntargets:\n";
  for (int i = 1; i <= n; ++i) {
    yaml +=
        "  - {name: t" + std::to_string(i) + ", address: 127.0.0.1:" + std::to_string(port) + "}\n";
  }
  return yaml;
}

// The exporter under `ulimit_args` (e.g. "-Sn 64"), with a config of 40 targets: 64 + 3 per
// target descriptors wanted.
std::unique_ptr<Subprocess> StartUnderUlimit(const TempDir& dir, const std::string& ulimit_args,
                                             int& port) {
  const std::string config = dir.WriteFile("many.yaml", UnreachableTargets(40, FreeLoopbackPort()));
  port = FreeLoopbackPort();
  const std::string command = "ulimit " + ulimit_args + " && exec " + ExporterBinary() +
                              " --config.file=" + config +
                              " --web.listen-address=127.0.0.1:" + std::to_string(port);
  return std::make_unique<Subprocess>(std::vector<std::string>{"/bin/sh", "-c", command},
                                      dir.path());
}

}  // namespace

TEST_CASE("exposition: the soft RLIMIT_NOFILE is raised when the targets need more",
          "[exposition][rlimit]") {
  rlimit limit{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &limit) == 0);
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < 1024) {
    WARN("hard RLIMIT_NOFILE " << limit.rlim_max << " too low to test raising the soft one");
    return;
  }
  TempDir dir;
  int port = 0;
  auto exporter = StartUnderUlimit(dir, "-Sn 64", port);
  REQUIRE(WaitUntil(
      [&] {
        return exporter->ReadStderr().find("event=fd_limit_raised soft_before=64") !=
               std::string::npos;
      },
      10s));
  REQUIRE(WaitUntil(
      [&] {
        const auto m = MetricsText::Parse(HttpGet(port, "/metrics").body);
        return m.Value("process_max_fds") == static_cast<double>(limit.rlim_max);
      },
      20s));
  CHECK(exporter->ReadStderr().find("fd_limit_too_low") == std::string::npos);
}

TEST_CASE("exposition: a hard RLIMIT_NOFILE too low for the targets is logged",
          "[exposition][rlimit]") {
  TempDir dir;
  int port = 0;
  auto exporter = StartUnderUlimit(dir, "-n 100", port);  // soft and hard
  REQUIRE(WaitUntil(
      [&] {
        return exporter->ReadStderr().find(
                   "level=warning event=fd_limit_too_low soft=100 "
                   "hard=100 needed=184 targets=40") != std::string::npos;
      },
      10s));
  CHECK(HttpGet(port, "/-/healthy").status == 200);  // it runs anyway
}

namespace {

std::string BuildDir() { return std::filesystem::path(RTE_EXPORTER_BINARY).parent_path().string(); }

bool SameFile(const std::string& installed, const std::string& source) {
  const std::string a = ReadFile(installed);
  return !a.empty() && a == ReadFile(std::string(RTE_SOURCE_DIR) + "/" + source);
}

}  // namespace

TEST_CASE("exposition: cmake --install lays out bin, etc and share, under DESTDIR or a prefix",
          "[exposition][install]") {
  SECTION("--prefix /usr with DESTDIR") {
    TempDir dest;
    const ExporterRun install = RunExporterToExit(
        "cmake", {"--install", BuildDir(), "--prefix", "/usr"}, 120s, {"DESTDIR=" + dest.path()});
    INFO(install.stdout_text << install.stderr_text);
    REQUIRE(install.exit_code == 0);
    const std::string root = dest.path();
    const std::string binary = root + "/usr/bin/redis-timeout-exporter";
    CHECK(::access(binary.c_str(), X_OK) == 0);
    CHECK(
        RunExporterToExit(binary, {"--version"}).stdout_text.rfind("redis-timeout-exporter ", 0) ==
        0);
    const std::string config = root + "/etc/redis-timeout-exporter/config.yaml";
    CHECK(SameFile(config, "config/redis-timeout-exporter.yaml"));
    CHECK(RunExporterToExit(binary, {"--config.check", "--config.file", config}).exit_code == 0);
    const std::string share = root + "/usr/share/redis-timeout-exporter";
    CHECK(SameFile(share + "/dashboards/redis-timeout-fleet.json",
                   "dashboards/redis-timeout-fleet.json"));
    CHECK(SameFile(share + "/dashboards/redis-timeout-target.json",
                   "dashboards/redis-timeout-target.json"));
    CHECK(SameFile(share + "/prometheus/redis-timeout-rules.yml",
                   "deploy/prometheus/redis-timeout-rules.yml"));
    CHECK(
        SameFile(share + "/alertmanager/alertmanager.yml", "deploy/alertmanager/alertmanager.yml"));
    CHECK(SameFile(root + "/usr/share/doc/redis-timeout-exporter/LICENSE", "LICENSE"));
    const std::string unit = ReadFile(share + "/systemd/redis-timeout-exporter.service");
    INFO(unit);
    CHECK(unit.find("\nExecStart=/usr/bin/redis-timeout-exporter "
                    "--config.file=/etc/redis-timeout-exporter/config.yaml ") != std::string::npos);
    std::istringstream unit_lines(unit);
    for (std::string line; std::getline(unit_lines, line);) {
      if (line.rfind("Exec", 0) == 0) CHECK(line.find("/usr/local") == std::string::npos);
    }

    // A reinstall keeps the operator's config.
    const std::string mine = "targets:\n  - {name: mine, address: 'cache.internal:6379'}\n";
    WriteFile(config, mine);
    REQUIRE(RunExporterToExit("cmake", {"--install", BuildDir(), "--prefix", "/usr"}, 120s,
                              {"DESTDIR=" + dest.path()})
                .exit_code == 0);
    CHECK(ReadFile(config) == mine);
  }
  SECTION("another prefix, no DESTDIR") {
    TempDir dest;
    const std::string prefix = dest.path() + "/opt/rte";
    const ExporterRun install =
        RunExporterToExit("cmake", {"--install", BuildDir(), "--prefix", prefix}, 120s);
    INFO(install.stdout_text << install.stderr_text);
    REQUIRE(install.exit_code == 0);
    CHECK(::access((prefix + "/bin/redis-timeout-exporter").c_str(), X_OK) == 0);
    CHECK(SameFile(prefix + "/etc/redis-timeout-exporter/config.yaml",
                   "config/redis-timeout-exporter.yaml"));
    const std::string unit =
        ReadFile(prefix + "/share/redis-timeout-exporter/systemd/redis-timeout-exporter.service");
    CHECK(unit.find("\nExecStart=" + prefix + "/bin/redis-timeout-exporter --config.file=" +
                    prefix + "/etc/redis-timeout-exporter/config.yaml ") != std::string::npos);
  }
}
