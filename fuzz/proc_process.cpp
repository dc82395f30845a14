// Every /proc/<pid> and /sys/kernel/mm parser on the same text.
#include "parse/proc_process.h"

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  std::string_view text = rte::fuzz::Text(data, size);
  (void)rte::ParseStatusSwapBytes(text);
  (void)rte::ParseThpMode(text);
  (void)rte::ParseProcStat(text);
  (void)rte::ParseMaxOpenFiles(text);
  (void)rte::ParseBootTime(text);
  return 0;
}
