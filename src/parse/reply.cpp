#include "parse/reply.h"

#include <hiredis/hiredis.h>

namespace rte {
namespace {

Reply Convert(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
      break;
    default:
      out.type = Reply::Type::kNil;
      break;
  }
  return out;
}

}  // namespace

RespDecoder::RespDecoder() : reader_(redisReaderCreate()) {}
RespDecoder::~RespDecoder() { redisReaderFree(static_cast<redisReader*>(reader_)); }

void RespDecoder::Feed(std::string_view bytes) {
  redisReaderFeed(static_cast<redisReader*>(reader_), bytes.data(), bytes.size());
  fed_ += bytes.size();
}

Result<bool> RespDecoder::Next(Reply& out) {
  auto* reader = static_cast<redisReader*>(reader_);
  void* raw = nullptr;
  if (redisReaderGetReply(reader, &raw) != REDIS_OK) {
    return Result<bool>::Error(std::string("protocol error: ") + reader->errstr);
  }
  if (raw == nullptr) return false;
  out = Convert(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  // hiredis keeps its read buffer, grown to the largest reply (an INFO is kilobytes), until
  // more bytes arrive: when this reply was the last byte buffered, start afresh instead, so an
  // idle connection holds no buffer. Only after large input: a PING's reply is not worth it.
  if (fed_ >= kReleaseAfterBytes && reader->pos == reader->len) {
    redisReaderFree(reader);
    reader_ = redisReaderCreate();
    fed_ = 0;
  }
  return true;
}

Result<std::vector<Reply>> DecodeAll(std::string_view bytes) {
  RespDecoder decoder;
  decoder.Feed(bytes);
  std::vector<Reply> replies;
  while (true) {
    Reply reply;
    auto next = decoder.Next(reply);
    if (!next.ok()) return Result<std::vector<Reply>>::Error(next.error());
    if (!next.value()) break;
    replies.push_back(std::move(reply));
  }
  return replies;
}

// Appended piece by piece: `"*" + std::to_string(...)` trips a false -Wrestrict in GCC 12 at -O3.
std::string EncodeCommand(const std::vector<std::string>& argv) {
  std::string out;
  out += '*';
  out += std::to_string(argv.size());
  out += "\r\n";
  for (const auto& arg : argv) {
    out += '$';
    out += std::to_string(arg.size());
    out += "\r\n";
    out += arg;
    out += "\r\n";
  }
  return out;
}

}  // namespace rte
