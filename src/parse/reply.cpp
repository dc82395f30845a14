#include "parse/reply.h"

#include <hiredis/hiredis.h>

#include <string>

namespace rte {
namespace {

// The element budget of the reply being decoded, for the array hook below. Replies are only
// built inside redisReaderGetReply, which RespDecoder::Next calls with this set.
struct ElementBudget {
  size_t* used;
  size_t limit;
  bool* over;
};
thread_local ElementBudget* current_budget = nullptr;

// hiredis' own object functions (static in hiredis 0.14, so copied from a default reader).
const redisReplyObjectFunctions& DefaultFunctions() {
  static const redisReplyObjectFunctions functions = [] {
    redisReader* reader = redisReaderCreate();
    const redisReplyObjectFunctions copy = *reader->fn;
    redisReaderFree(reader);
    return copy;
  }();
  return functions;
}

// Refuses an array that would take the reply past its element budget before hiredis allocates
// it (an 11-byte "*2000000000" header would otherwise allocate 16 GB of pointers). Returning
// NULL makes the reader fail; Next() reports why.
void* CreateBoundedArray(const redisReadTask* task, int elements) {
  if (current_budget != nullptr && elements > 0) {
    *current_budget->used += static_cast<size_t>(elements);
    if (*current_budget->used > current_budget->limit) {
      *current_budget->over = true;
      return nullptr;
    }
  }
  return DefaultFunctions().createArray(task, elements);
}

redisReplyObjectFunctions* BoundedFunctions() {
  static redisReplyObjectFunctions functions = [] {
    redisReplyObjectFunctions copy = DefaultFunctions();
    copy.createArray = CreateBoundedArray;
    return copy;
  }();
  return &functions;
}

redisReader* NewReader() { return redisReaderCreateWithFunctions(BoundedFunctions()); }

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

RespDecoder::RespDecoder(size_t max_reply_bytes)
    : reader_(NewReader()), max_reply_bytes_(max_reply_bytes) {}
RespDecoder::~RespDecoder() { redisReaderFree(static_cast<redisReader*>(reader_)); }

void RespDecoder::Feed(std::string_view bytes) {
  pending_bytes_ += bytes.size();
  // Past the limit nothing more is buffered: Next() reports the error.
  if (pending_bytes_ > max_reply_bytes_) return;
  redisReaderFeed(static_cast<redisReader*>(reader_), bytes.data(), bytes.size());
  fed_ += bytes.size();
}

Result<bool> RespDecoder::Next(Reply& out) {
  auto* reader = static_cast<redisReader*>(reader_);
  void* raw = nullptr;
  ElementBudget budget{&reply_elements_, kMaxReplyElements, &over_elements_};
  current_budget = &budget;
  const int status = redisReaderGetReply(reader, &raw);
  current_budget = nullptr;
  if (over_elements_) {
    return Result<bool>::Error("the reply has more than " + std::to_string(kMaxReplyElements) +
                               " array elements");
  }
  if (status != REDIS_OK) {
    return Result<bool>::Error(std::string("protocol error: ") + reader->errstr);
  }
  if (raw == nullptr) {
    if (pending_bytes_ > max_reply_bytes_) {
      return Result<bool>::Error("the reply is larger than max_reply_bytes (" +
                                 std::to_string(max_reply_bytes_) + " bytes)");
    }
    return false;
  }
  out = Convert(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  // What is still buffered belongs to the replies after this one.
  pending_bytes_ = reader->len - reader->pos;
  reply_elements_ = 0;
  // hiredis keeps its read buffer, grown to the largest reply (an INFO is kilobytes), until
  // more bytes arrive: when this reply was the last byte buffered, start afresh instead, so an
  // idle connection holds no buffer. Only after large input: a PING's reply is not worth it.
  if (fed_ >= kReleaseAfterBytes && reader->pos == reader->len) {
    redisReaderFree(reader);
    reader_ = NewReader();
    fed_ = 0;
  }
  return true;
}

Result<std::vector<Reply>> DecodeAll(std::string_view bytes) {
  RespDecoder decoder(bytes.size());
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
