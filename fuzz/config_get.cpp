// ParseConfigGet on every reply decoded from the input (a CONFIG GET reply, or anything else).
#include "fuzz_input.h"
#include "parse/redis_text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  auto replies = rte::DecodeAll(rte::fuzz::SkipFixtureHeader(rte::fuzz::Text(data, size)));
  if (!replies.ok()) return 0;
  for (const rte::Reply& reply : replies.value()) (void)rte::ParseConfigGet(reply);
  return 0;
}
