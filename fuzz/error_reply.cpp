// ClassifyError on an error reply's text.
#include "fuzz_input.h"
#include "parse/redis_text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  rte::ErrorKind kind = rte::ClassifyError(rte::fuzz::Text(data, size));
  (void)rte::IsRefusal(kind);
  (void)rte::ErrorKindName(kind);
  return 0;
}
