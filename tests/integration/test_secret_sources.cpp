// ReadSecret on real files and variables (issue 13, defects 5 and 8): a FIFO, a device or a huge
// file is refused without blocking, and a value that may be the password itself, written under
// the wrong key, is never echoed in the error.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "sources/redis/secret.h"
#include "temp_dir.h"

using namespace rte;
using namespace rte::testing;

TEST_CASE("secret sources: errors never echo a value that may be the password", "[secret]") {
  TempDir dir("rte-secret");
  const std::string good = dir.WriteFile("pw", "s3cret\n");
  const std::string big = dir.WriteFile("big", std::string(70 * 1024, 'x'));
  const std::string fifo = dir.path() + "/fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);

  struct Row {
    std::string name;
    SecretSource source;
    std::string value;   // expected secret, when it reads
    std::string error;   // expected in the error text, when it fails
    std::string hidden;  // never in the error text
  };
  const std::vector<Row> rows = {
      {"a file, trailing newline dropped", {good, ""}, "s3cret", "", ""},
      {"a FIFO nobody writes is refused, not waited on",
       {fifo, ""},
       "",
       "cannot read password_file " + fifo + ": not a regular file",
       ""},
      {"a device is refused", {"/dev/zero", ""}, "", "/dev/zero: not a regular file", ""},
      {"a file larger than 64 KiB", {big, ""}, "", "larger than 64 KiB", ""},
      {"a missing file named by path",
       {dir.path() + "/none", ""},
       "",
       "cannot read password_file " + dir.path() + "/none",
       ""},
      {"the password written as password_file",
       {"hunter2!", ""},
       "",
       "the file named in password_file",
       "hunter2!"},
      {"an unset variable is named",
       {"", "RTE_TEST_UNSET_VARIABLE"},
       "",
       "environment variable RTE_TEST_UNSET_VARIABLE (password_env) is not set",
       ""},
      {"the password written as password_env",
       {"", "correct horse-battery"},
       "",
       "the variable named in password_env is not set",
       "correct horse"},
  };
  for (const Row& row : rows) {
    INFO(row.name);
    const auto secret = ReadSecret(row.source);
    if (row.error.empty()) {
      REQUIRE(secret.ok());
      CHECK(secret.value() == row.value);
      continue;
    }
    REQUIRE_FALSE(secret.ok());
    CHECK_THAT(secret.error(), Catch::Contains(row.error));
    if (!row.hidden.empty()) CHECK_THAT(secret.error(), !Catch::Contains(row.hidden));
  }
}
