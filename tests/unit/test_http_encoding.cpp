// gzip content negotiation of the HTTP server: Accept-Encoding parsing and the gzip body.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <string>

#include "exposition/http_server.h"

using namespace rte;

TEST_CASE("Accept-Encoding: gzip only when the client accepts it", "[http]") {
  const auto [header, accepts] = GENERATE(table<std::string, bool>({
      {"gzip", true},
      {"gzip, deflate", true},  // what Prometheus sends
      {"deflate, gzip;q=1.0, *;q=0.5", true},
      {"GZIP", true},
      {"x-gzip", true},
      {"identity;q=0.5, *;q=0.1", true},
      {"*", true},
      {"gzip;q=0.001", true},
      {" gzip ; q=0.8 ", true},
      {"", false},
      {"identity", false},
      {"deflate, br", false},
      {"gzip;q=0", false},
      {"gzip;q=0.000", false},
      {"*;q=0", false},
      {"gzip;q=0, *", false},  // an explicit refusal beats the wildcard
      {"gzip;q=bogus", false},
      {"gzip;q=2", false},
      {"gzipped", false},
  }));
  INFO("Accept-Encoding: " << header);
  CHECK(AcceptsGzip(header) == accepts);
}

TEST_CASE("GzipCompress produces gzip that inflates back to the input", "[http]") {
  std::string text;
  for (int i = 0; i < 5000; ++i) {
    text += "redis_timeout_target_up{target=\"cache-" + std::to_string(i) + "\"} 1\n";
  }
  for (const std::string& input : {text, std::string("x"), std::string()}) {
    const std::string gz = GzipCompress(input);
    REQUIRE(gz.size() >= 18);  // gzip header and trailer
    CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);
    CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
    z_stream stream{};
    REQUIRE(inflateInit2(&stream, 15 + 16) == Z_OK);
    std::string out(input.size() + 1, '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
    stream.avail_in = static_cast<uInt>(gz.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    CHECK(inflate(&stream, Z_FINISH) == Z_STREAM_END);
    out.resize(stream.total_out);
    inflateEnd(&stream);
    CHECK(out == input);
  }
  CHECK(GzipCompress(text).size() * 10 < text.size());
}
