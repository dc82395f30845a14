// Sharding: which targets one replica of N polls. Pure: no clock, no sockets, no files.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "config/config.h"

namespace rte {

// Replica `index` of `count` polls the targets whose name hashes to `index`.
struct ShardSpec {
  int count = 1;
  int index = 0;
  bool operator==(const ShardSpec&) const = default;
};

// 64-bit FNV-1a of the bytes of `text` (offset basis 14695981039346656037, prime 1099511628211).
// Part of the sharding contract: it must never change, or replicas of two versions would
// disagree about which of them polls a target.
uint64_t Fnv1a64(std::string_view text);

// The shard that polls the target called `target_name`: Fnv1a64(name) mod count.
int ShardOf(std::string_view target_name, int count);

// Builds the spec from the flag values: `count_text` and `index_text` as given on the command
// line (empty: not given); with `from_hostname` the index is the ordinal after the last '-' of
// `hostname` (a StatefulSet pod name such as "redis-timeout-exporter-2").
Result<ShardSpec> ParseShardSpec(std::string_view count_text, std::string_view index_text,
                                 bool from_hostname, std::string_view hostname);

// Drops the targets another shard polls; returns how many stay.
int KeepShardTargets(Config& config, const ShardSpec& shard);

}  // namespace rte
