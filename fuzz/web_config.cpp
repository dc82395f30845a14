// The web config (--web.config.file) parser on any text.
#include <string>

#include "config/config.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  (void)rte::ParseWebConfig(std::string(rte::fuzz::Text(data, size)), "web.yml");
  return 0;
}
