// A container's memory limit (the memory cause): /proc/<pid>/cgroup and the cgroup limit files,
// parsed as text and read from recorded v1 and hand-written v2 trees (tests/fixtures/cgroup).
#include <catch2/catch.hpp>

#include "fixtures.h"
#include "parse/cgroup.h"
#include "sources/kernel/cgroup_memory_reader.h"

using namespace rte;
using rte::testing::ReadFixture;

TEST_CASE("/proc/<pid>/cgroup names the v2 and the v1 memory cgroup", "[cgroup]") {
  CHECK(ParseProcCgroup(ReadFixture("cgroup/v1-hybrid/proc/4242/cgroup")) ==
        CgroupPaths{"/", "/process_api/f880517817af8c2faf09da0415586e3d/rte-fixture"});
  CHECK(ParseProcCgroup(ReadFixture("cgroup/v2/proc/4242/cgroup")) ==
        CgroupPaths{"/kubepods.slice/kubepods-burstable.slice/"
                    "kubepods-burstable-pod7f3c.slice/cri-containerd-5d1e.scope",
                    std::nullopt});
  const auto [text, expected] = GENERATE(table<std::string, CgroupPaths>({
      {"0::/system.slice/redis-server.service\n",
       {"/system.slice/redis-server.service", std::nullopt}},
      // v1 may co-mount controllers; the memory one counts wherever it is in the list.
      {"7:cpu,memory:/docker/abc\n1:name=systemd:/docker/abc\n", {std::nullopt, "/docker/abc"}},
      {"4:memsw:/x\n", {std::nullopt, std::nullopt}},  // not the memory controller
      // Outside the reader's cgroup namespace: not under the mount.
      {"0::/../../outside.scope\n", {std::nullopt, std::nullopt}},
      {"garbage\n\n0:/only-one-colon\n", {std::nullopt, std::nullopt}},
      {"", {std::nullopt, std::nullopt}},
  }));
  INFO(text);
  CHECK(ParseProcCgroup(text) == expected);
}

TEST_CASE("a cgroup's ancestors, innermost first", "[cgroup]") {
  CHECK(CgroupAncestors("/a/b/c") == std::vector<std::string>{"/a/b/c", "/a/b", "/a", "/"});
  CHECK(CgroupAncestors("/a/") == std::vector<std::string>{"/a", "/"});
  CHECK(CgroupAncestors("/") == std::vector<std::string>{"/"});
}

TEST_CASE("memory limit files: bytes, or no limit", "[cgroup]") {
  CHECK(ParseCgroupMemoryLimit(ReadFixture(
            "cgroup/v1-hybrid/sys/fs/cgroup/memory/process_api/f880517817af8c2faf09da0415586e3d/"
            "rte-fixture/memory.limit_in_bytes")) == 268435456u);
  // v1's "no limit" is the largest page-aligned counter.
  CHECK_FALSE(ParseCgroupMemoryLimit(
                  ReadFixture("cgroup/v1-hybrid/sys/fs/cgroup/memory/memory.limit_in_bytes"))
                  .has_value());
  const auto [text, expected] = GENERATE(table<std::string, std::optional<std::uint64_t>>({
      {"max\n", std::nullopt},  // v2's "no limit"
      {"268435456\n", 268435456u},
      {"  1048576  ", 1048576u},
      {"9223372036854771712\n", std::nullopt},
      {"-1\n", std::nullopt},
      {"12M\n", std::nullopt},
      {"", std::nullopt},
  }));
  INFO(text);
  CHECK(ParseCgroupMemoryLimit(text) == expected);
}

TEST_CASE("the limit of a process's cgroup is the smallest over its ancestors", "[cgroup]") {
  const std::string root = std::string(RTE_FIXTURES_DIR) + "/cgroup/";
  const auto [tree, pid, expected] = GENERATE(table<std::string, long, std::optional<double>>({
      // v1 memory hierarchy on a hybrid host: the child cgroup's 256 MiB.
      {"v1-hybrid", 4242, 268435456.0},
      // v2: the container scope says max, its pod slice 512 MiB, kubepods.slice 14 GiB.
      {"v2", 4242, 536870912.0},
      {"v2", 4343, std::nullopt},  // max at every level
      {"v2", 4444, std::nullopt},  // outside the namespace
      {"v2", 9999, std::nullopt},  // no such process
  }));
  INFO(tree << " pid " << pid);
  CHECK(ReadCgroupMemoryLimit(root + tree + "/proc", root + tree + "/sys", pid) == expected);
}
