// /proc/<pid>/cgroup, the ancestors of the paths it names, and memory.max / limit_in_bytes.
#include "parse/cgroup.h"

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  std::string_view text = rte::fuzz::Text(data, size);
  (void)rte::ParseProcCgroup(text);
  (void)rte::CgroupAncestors(std::string(text));
  (void)rte::ParseCgroupMemoryLimit(text);
  return 0;
}
