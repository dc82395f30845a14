// ReadSecret and the SecretCache on real files and variables (issue 13, defects 5 and 8): a FIFO,
// a device or a huge file is refused without blocking, a value that may be the password itself,
// written under the wrong key, is never echoed in the error, and files are read when the cache
// is primed or refreshed, never when AUTH is built.
#include <stdlib.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "common/small_file.h"
#include "sources/redis/secret.h"
#include "sources/redis/secret_cache.h"
#include "temp_dir.h"
#include "wait_until.h"

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

TEST_CASE("secret cache: files are read when primed and refreshed, never at lookup", "[secret]") {
  TempDir dir("rte-secret-cache");
  const std::string file = dir.WriteFile("pw", "first\n");
  const std::string fifo = dir.path() + "/fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::string missing = dir.path() + "/none";

  auto target = [](const std::string& name, SecretSource source, std::string username = "") {
    TargetConfig t;
    t.name = name;
    t.password = std::move(source);
    t.username = std::move(username);
    return t;
  };
  const std::vector<TargetConfig> targets = {
      target("file", {file, ""}, "app"), target("fifo", {fifo, ""}),
      target("missing", {missing, ""}), target("misplaced", {"hunter2!", ""})};

  // Refreshed by hand only: the worker's first refresh is an hour away.
  SecretCache cache(std::chrono::hours(1));
  CHECK_THAT(cache.Lookup({file, ""}).error(),
             Catch::Contains("cannot read password_file " + file + ": not read yet"));
  cache.Prime(targets);

  const auto auth = AuthCommand(targets[0], cache);
  REQUIRE(auth.ok());
  CHECK(auth.value() == std::vector<std::string>{"AUTH", "app", "first"});

  SECTION("a changed file is used after a refresh, not before") {
    WriteFile(file, "second\n");
    CHECK(cache.Lookup({file, ""}).value() == "first");
    cache.Refresh();
    CHECK(cache.Lookup({file, ""}).value() == "second");
    // A file that became unreadable gives the error from then on.
    std::filesystem::remove(file);
    cache.Refresh();
    CHECK_THAT(cache.Lookup({file, ""}).error(),
               Catch::Contains("cannot read password_file " + file));
  }
  SECTION("a FIFO, a missing file and a misplaced password give errors, without echo") {
    CHECK_THAT(AuthCommand(targets[1], cache).error(),
               Catch::Contains("cannot read password_file " + fifo + ": not a regular file"));
    CHECK_THAT(cache.Lookup({missing, ""}).error(),
               Catch::Contains("cannot read password_file " + missing));
    const std::string misplaced = cache.Lookup({"hunter2!", ""}).error();
    CHECK_THAT(misplaced, Catch::Contains("the file named in password_file"));
    CHECK_THAT(misplaced, !Catch::Contains("hunter2!"));
  }
  SECTION("a new config watches only its own files") {
    cache.Prime({target("fifo", {fifo, ""})});
    CHECK_THAT(cache.Lookup({file, ""}).error(), Catch::Contains("not read yet"));
  }
  SECTION("an environment variable is read at lookup") {
    ::setenv("RTE_TEST_SECRET_CACHE", "from-env", 1);
    CHECK(cache.Lookup({"", "RTE_TEST_SECRET_CACHE"}).value() == "from-env");
    ::unsetenv("RTE_TEST_SECRET_CACHE");
  }
}

TEST_CASE("secret cache: the worker picks up a rotated file", "[secret]") {
  TempDir dir("rte-secret-cache");
  const std::string file = dir.WriteFile("pw", "first");
  TargetConfig t;
  t.password.file = file;
  SecretCache cache(std::chrono::milliseconds(100));
  cache.Prime({t});
  REQUIRE(cache.Lookup(t.password).value() == "first");
  WriteFile(file, "second");
  CHECK(WaitUntil(
      [&] {
        const auto secret = cache.Lookup(t.password);
        return secret.ok() && secret.value() == "second";
      },
      std::chrono::seconds(5)));
}

TEST_CASE("ReadSmallFile: bounded, and never waits on a FIFO", "[secret][small_file]") {
  TempDir dir("rte-small-file");
  const std::string fifo = dir.path() + "/fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(ReadSmallFile(dir.WriteFile("ten", "0123456789"), 10).value() == "0123456789");
  CHECK(ReadSmallFile(dir.WriteFile("eleven", "0123456789a"), 10).error() ==
        "larger than 10 bytes");
  CHECK(ReadSmallFile(dir.WriteFile("big", std::string(2 << 20, 'x')), 1 << 20).error() ==
        "larger than 1 MiB");
  CHECK(ReadSmallFile(fifo, 1024).error() == "not a regular file");
  CHECK(ReadSmallFile(dir.path(), 1024).error() == "not a regular file");
  CHECK(ReadSmallFile("/dev/zero", 1024).error() == "not a regular file");
  // procfs files are regular files of size 0: read until EOF.
  const auto stat = ReadSmallFile("/proc/self/stat", 1 << 20);
  REQUIRE(stat.ok());
  CHECK_FALSE(stat.value().empty());
}
