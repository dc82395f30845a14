// The YAML config loader on any text.
#include "config/config.h"

#include <string>

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  (void)rte::ParseConfig(std::string(rte::fuzz::Text(data, size)), "fuzz.yaml");
  return 0;
}
