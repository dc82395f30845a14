// Inputs the fuzz targets of fuzz/ found crashing or hanging a parser, kept as fixtures under
// tests/fixtures/fuzz/<target>/ (provenance in its README.md), each replayed here.
#include <linux/netlink.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "config/config.h"
#include "fixtures.h"
#include "sources/kernel/listen_queue_reader.h"

using namespace rte;

TEST_CASE("config: a stray ',' at the top level is an error, not an endless loop",
          "[config][fuzz]") {
  // yaml-cpp 0.7's LoadAll read an empty document from it forever, growing without bound.
  auto config = ParseConfig(testing::ReadFixture("fuzz/config/stray_comma.yaml"), "c.yaml");
  REQUIRE_FALSE(config.ok());
  CHECK(config.error() == "c.yaml:1:1: (yaml): unexpected token (a ',' outside [] or {}?)");

  // The input as found: yaml-cpp reads two documents before the one it loops on; it returns.
  auto found = ParseConfig(testing::ReadFixture("fuzz/config/stray_comma_found.yaml"), "c.yaml");
  REQUIRE_FALSE(found.ok());
  CHECK(found.error() ==
        "c.yaml:3:1: (top level): a second YAML document (after ---) is not read; "
        "put everything in one");

  // After a first document the same token is still caught, not read as a second document.
  auto after = ParseConfig("targets: [{name: a, address: 'h:1'}]\n---\n,\n", "c.yaml");
  REQUIRE_FALSE(after.ok());
  INFO(after.error());
  CHECK(after.error().find("c.yaml:") == 0);
}

TEST_CASE("sock_diag: an NLMSG_ERROR of INT_MIN is an error, not an overflow", "[kernel][fuzz]") {
  // UBSan: "negation of -2147483648 cannot be represented in type 'int'" in strerror(-error).
  const std::string bytes = testing::ReadFixture("fuzz/sock_diag/error_int_min.bin");
  alignas(nlmsghdr) char buf[256] = {};
  REQUIRE(bytes.size() <= sizeof(buf));
  std::memcpy(buf, bytes.data(), bytes.size());
  const auto seq = reinterpret_cast<const nlmsghdr*>(buf)->nlmsg_seq;
  auto done = WalkDumpDatagram(buf, bytes.size(), seq, [](const nlmsghdr&) {});
  REQUIRE_FALSE(done.ok());
  CHECK(done.error() == "sock_diag: error -2147483648");
}
