// ParseClientList, and ClientAddrHost on the input as one address.
#include "fuzz_input.h"
#include "parse/redis_text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  (void)rte::ParseClientList(rte::fuzz::Text(data, size));
  (void)rte::ClientAddrHost(rte::fuzz::Text(data, size));
  return 0;
}
