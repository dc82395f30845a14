// ParseInfo, and the command and error stats read from its fields.
#include "fuzz_input.h"
#include "parse/redis_text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  rte::InfoFields info = rte::ParseInfo(rte::fuzz::Text(data, size));
  (void)rte::ParseCommandStats(info);
  (void)rte::ParseErrorStats(info);
  for (const auto& [field, value] : info.fields) {
    (void)info.Number(field);
    (void)info.Text(field);
  }
  return 0;
}
