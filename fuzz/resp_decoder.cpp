// RespDecoder fed the input in two pieces, split at a point named by the input's last byte,
// with a small reply limit, so the byte and element bounds are reached.
#include "fuzz_input.h"
#include "parse/reply.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view bytes = rte::fuzz::SkipFixtureHeader(rte::fuzz::Text(data, size - 1));
  const size_t split = bytes.size() * data[size - 1] / 255;
  rte::RespDecoder decoder(4096);
  rte::Reply reply;
  for (std::string_view piece : {bytes.substr(0, split), bytes.substr(split)}) {
    decoder.Feed(piece);
    for (;;) {
      auto next = decoder.Next(reply);
      if (!next.ok()) return 0;  // a protocol error leaves the decoder unusable
      if (!next.value()) break;
    }
  }
  return 0;
}
