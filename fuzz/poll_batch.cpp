// InterpretBatch on decoded replies. A recorded fixture (its "# fixture:" line first) is read
// as the default batch; any other input's first byte picks the batch's shape, as the poller
// builds it, and the rest is the replies.
#include "sources/redis/poll_batch.h"

#include <string>
#include <vector>

#include "fuzz_input.h"

namespace {

std::vector<rte::BatchCommand> MakeBatch(std::uint8_t shape) {
  using rte::BatchStep;
  std::vector<rte::BatchCommand> batch;
  if (shape & 1) batch.push_back({BatchStep::kAuth, {"AUTH", "<password>"}});
  if (shape & 2) batch.push_back({BatchStep::kSetName, {"CLIENT", "SETNAME", "fuzz"}});
  if (shape & 4) {
    batch.push_back({BatchStep::kInfo, {"INFO", "server", "clients", "memory", "stats"}});
  } else {
    for (const char* s : {"server", "clients", "memory", "stats"}) {
      batch.push_back({BatchStep::kInfo, {"INFO", s}});
    }
  }
  if (shape & 8) batch.push_back({BatchStep::kSlowlog, {"SLOWLOG", "GET", "128"}});
  if (shape & 16) batch.push_back({BatchStep::kLatencyLatest, {"LATENCY", "LATEST"}});
  if (shape & 32) {
    for (const char* key : {"maxclients", "maxmemory", "tcp-backlog"}) {
      batch.push_back({BatchStep::kConfigGet, {"CONFIG", "GET", key}});
    }
  }
  if (shape & 64) batch.push_back({BatchStep::kClientList, {"CLIENT", "LIST"}});
  return batch;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view bytes = rte::fuzz::Text(data, size);
  std::uint8_t shape = 4 | 8 | 16;  // INFO in one call, SLOWLOG GET, LATENCY LATEST
  if (bytes.rfind("# fixture: ", 0) == 0) {
    bytes = rte::fuzz::SkipFixtureHeader(bytes);
  } else {
    shape = data[0];
    bytes.remove_prefix(1);
  }
  auto replies = rte::DecodeAll(bytes);
  if (!replies.ok()) return 0;
  const auto batch = MakeBatch(shape);
  auto& all = replies.value();
  if (all.size() > batch.size()) all.resize(batch.size());
  for (size_t i = 0; i < all.size(); ++i) (void)rte::FatalReply(batch[i].step, all[i]);
  (void)rte::InterpretBatch(batch, all, (shape & 4) != 0);
  return 0;
}
