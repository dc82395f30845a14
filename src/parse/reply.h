// A Redis reply as a plain value, decoded from RESP bytes with hiredis' reader.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace rte {

struct Reply {
  enum class Type { kNil, kStatus, kError, kString, kInteger, kArray };
  Type type = Type::kNil;
  std::string str;  // status, error and bulk strings
  std::int64_t integer = 0;
  std::vector<Reply> elements;

  bool is_error() const { return type == Type::kError; }
  static Reply Error(std::string text) { return Reply{Type::kError, std::move(text), 0, {}}; }
};

// Incremental RESP decoder: feed bytes as they arrive, take whole replies out.
class RespDecoder {
 public:
  RespDecoder();
  ~RespDecoder();
  RespDecoder(const RespDecoder&) = delete;
  RespDecoder& operator=(const RespDecoder&) = delete;

  void Feed(std::string_view bytes);
  // Returns true and fills `out` when a whole reply is buffered; false when more bytes are needed.
  // A protocol error is returned as a Status and leaves the decoder unusable.
  Result<bool> Next(Reply& out);

 private:
  static constexpr size_t kReleaseAfterBytes = 4096;
  void* reader_;    // redisReader*
  size_t fed_ = 0;  // bytes fed since the reader was created
};

// Decodes a buffer that holds whole replies (recorded fixtures).
Result<std::vector<Reply>> DecodeAll(std::string_view bytes);

// RESP encoding of a command, as sent on the wire.
std::string EncodeCommand(const std::vector<std::string>& argv);

}  // namespace rte
