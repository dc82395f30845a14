// The /metrics page kept per store version: what it serves is what a fresh render gives, the
// report families are rendered once per version, and the gzip splice inflates to the page.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <memory>
#include <sstream>
#include <string>

#include "exposition/collector.h"
#include "exposition/http_server.h"
#include "exposition/metrics_page.h"
#include "exposition/report_store.h"

using namespace rte;

namespace {

std::shared_ptr<const TargetReport> Report(const std::string& name, bool up) {
  auto report = std::make_shared<TargetReport>();
  report->config.name = name;
  report->up = up;
  return report;
}

// The body a response carries, as the HTTP server writes it without gzip.
std::string BodyOf(const HttpResponse& r) {
  if (r.tail) return r.body + r.tail->text();
  std::ostringstream out;
  if (r.write_body) r.write_body(out);
  return r.write_body ? out.str() : r.body;
}

// Inflates a gzip member (inflateWindowBits 15 + 16) or a raw deflate stream (-15).
std::string Inflate(const std::string& compressed, int window_bits) {
  z_stream stream{};
  REQUIRE(inflateInit2(&stream, window_bits) == Z_OK);
  std::string out;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  int rc = Z_OK;
  char piece[16384];
  do {
    stream.next_out = reinterpret_cast<Bytef*>(piece);
    stream.avail_out = sizeof(piece);
    rc = inflate(&stream, Z_NO_FLUSH);
    out.append(piece, sizeof(piece) - stream.avail_out);
  } while (rc == Z_OK);
  CHECK(rc == Z_STREAM_END);
  CHECK(stream.avail_in == 0);  // one member, nothing after it
  inflateEnd(&stream);
  return out;
}

}  // namespace

TEST_CASE("a kept /metrics page is rendered once per store version", "[http][metrics_page]") {
  ReportStore store;
  ExporterStatus status;
  const ReportCollector collector(store, status);
  store.Publish(Report("cache-0", true));
  MetricsPage page(collector, store);

  // The first scrape is streamed: its size is not known before.
  const HttpResponse first = page.Serve();
  CHECK(first.tail == nullptr);
  CHECK(BodyOf(first) == RenderMetrics(collector));

  const HttpResponse second = page.Serve();
  REQUIRE(second.tail != nullptr);
  CHECK(BodyOf(second) == RenderMetrics(collector));
  CHECK(second.content_type == "text/plain; version=0.0.4; charset=utf-8");

  // The exporter's status changes without the store: fresh status lines, the same reports.
  status.shard_targets = 7;
  const HttpResponse third = page.Serve();
  CHECK(third.tail == second.tail);
  CHECK(third.body.find("redis_timeout_shard_targets 7\n") != std::string::npos);
  CHECK(BodyOf(third) == RenderMetrics(collector));

  // A poll lands: the reports are rendered again.
  store.Publish(Report("cache-1", false));
  const HttpResponse fourth = page.Serve();
  REQUIRE(fourth.tail != nullptr);
  CHECK(fourth.tail != third.tail);
  CHECK(BodyOf(fourth).find("redis_timeout_target_up{target=\"cache-1\"} 0\n") !=
        std::string::npos);
  CHECK(BodyOf(fourth) == RenderMetrics(collector));
  store.Remove("cache-1");
  const HttpResponse fifth = page.Serve();
  CHECK(fifth.tail != fourth.tail);
  CHECK(BodyOf(fifth) == RenderMetrics(collector));
}

TEST_CASE("a large /metrics page is streamed, never kept", "[http][metrics_page]") {
  ReportStore store;
  ExporterStatus status;
  const ReportCollector collector(store, status);
  for (int i = 0; i < 3000; ++i) store.Publish(Report("cache-" + std::to_string(i), true));
  MetricsPage page(collector, store);
  const HttpResponse first = page.Serve();
  const std::string text = BodyOf(first);
  REQUIRE(text.size() > MetricsPage::kMaxKeptBytes);
  CHECK(text == RenderMetrics(collector));
  const HttpResponse second = page.Serve();
  CHECK(second.tail == nullptr);
  CHECK(second.write_body != nullptr);
  CHECK(BodyOf(second) == text);

  // Once the targets are gone the page is small again, and kept from the scrape after.
  for (int i = 0; i < 3000; ++i) store.Remove("cache-" + std::to_string(i));
  CHECK(BodyOf(page.Serve()) == RenderMetrics(collector));
  CHECK(page.Serve().tail != nullptr);
}

TEST_CASE("a gzip splice of a fresh head and a prepared tail inflates to both", "[http][gzip]") {
  std::string large;
  for (int i = 0; i < 5000; ++i) {
    large += "redis_timeout_target_up{target=\"cache-" + std::to_string(i) + "\"} 1\n";
  }
  const auto [head, tail_text] = GENERATE_COPY(table<std::string, std::string>({
      {"# HELP a b\na 1\n", large},
      {"", large},
      {"# HELP a b\na 1\n", ""},
      {"", ""},
      {large, "x\n"},
  }));
  const PreparedBody tail(tail_text);
  const PreparedBody::Deflated& deflated = tail.deflated();
  REQUIRE(deflated.ok);
  CHECK(Inflate(deflated.bytes, -15) == tail_text);
  CHECK(&tail.deflated() == &deflated);  // compressed once
  const auto splice = GzipSplice::Make(head, tail);
  REQUIRE(splice.has_value());
  const std::string member = splice->prefix + deflated.bytes + splice->trailer;
  // Inflate checks the CRC-32 and the length of the trailer.
  CHECK(Inflate(member, 15 + 16) == head + tail_text);
  if (tail_text.size() > 100'000) CHECK(member.size() * 10 < tail_text.size());
}
