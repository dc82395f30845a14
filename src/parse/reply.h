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

// Incremental RESP decoder: feed bytes as they arrive, take whole replies out. Bounded: a reply
// of more than `max_reply_bytes` bytes, or of more than kMaxReplyElements array elements in
// all (nested arrays included; hiredis limits nesting to 7 levels), is a protocol error before
// it is buffered or allocated in full, so a hostile server can neither grow our memory nor
// leave work that takes seconds to free.
class RespDecoder {
 public:
  // A SLOWLOG GET 10000 of commands with 32 arguments each is about 400,000.
  static constexpr size_t kMaxReplyElements = 1 << 20;

  explicit RespDecoder(size_t max_reply_bytes);
  ~RespDecoder();
  RespDecoder(const RespDecoder&) = delete;
  RespDecoder& operator=(const RespDecoder&) = delete;

  void Feed(std::string_view bytes);
  // Returns true and fills `out` when a whole reply is buffered; false when more bytes are needed.
  // A protocol error is returned as a Status and leaves the decoder unusable.
  Result<bool> Next(Reply& out);
  // No reply is in progress: every byte fed has been returned as a reply.
  bool idle() const { return pending_bytes_ == 0; }

 private:
  static constexpr size_t kReleaseAfterBytes = 4096;
  void* reader_;    // redisReader*
  size_t fed_ = 0;  // bytes fed since the reader was created
  size_t max_reply_bytes_;
  size_t pending_bytes_ = 0;    // fed since the last whole reply: the reply in progress
  size_t reply_elements_ = 0;   // array elements of the reply in progress
  bool over_elements_ = false;  // the reply in progress announced too many elements
};

// Decodes a buffer that holds whole replies (recorded fixtures: no byte limit but the buffer).
Result<std::vector<Reply>> DecodeAll(std::string_view bytes);

// RESP encoding of a command, as sent on the wire.
std::string EncodeCommand(const std::vector<std::string>& argv);

}  // namespace rte
