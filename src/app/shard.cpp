#include "app/shard.h"

#include <algorithm>
#include <charconv>

namespace rte {

namespace {

constexpr uint64_t kFnvOffsetBasis = 14695981039346656037ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;
// More replicas than this is a typo, not a deployment.
constexpr int kMaxShardCount = 1000;

// A whole non-negative decimal number, nothing around it.
bool ParseCount(std::string_view text, int& out) {
  if (text.empty() || text.size() > 9) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= 0;
}

std::string Quoted(std::string_view text) {
  std::string out = "'";
  out += text;
  out += "'";
  return out;
}

}  // namespace

uint64_t Fnv1a64(std::string_view text) {
  uint64_t hash = kFnvOffsetBasis;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kFnvPrime;
  }
  return hash;
}

int ShardOf(std::string_view target_name, int count) {
  return static_cast<int>(Fnv1a64(target_name) % static_cast<uint64_t>(count));
}

Result<ShardSpec> ParseShardSpec(std::string_view count_text, std::string_view index_text,
                                 bool from_hostname, std::string_view hostname) {
  ShardSpec spec;
  if (!count_text.empty() && !ParseCount(count_text, spec.count)) {
    return Result<ShardSpec>::Error("--shard.count must be a whole number, got " +
                                    Quoted(count_text));
  }
  if (spec.count < 1 || spec.count > kMaxShardCount) {
    return Result<ShardSpec>::Error("--shard.count must be between 1 and " +
                                    std::to_string(kMaxShardCount));
  }
  if (from_hostname && !index_text.empty()) {
    return Result<ShardSpec>::Error(
        "--shard.index and --shard.index-from-hostname exclude each other");
  }
  if (from_hostname) {
    const auto dash = hostname.rfind('-');
    const std::string_view ordinal =
        dash == std::string_view::npos ? std::string_view() : hostname.substr(dash + 1);
    if (!ParseCount(ordinal, spec.index)) {
      std::string error = "--shard.index-from-hostname: hostname ";
      error += Quoted(hostname);
      error += " does not end in -<ordinal> (a StatefulSet pod name)";
      return Result<ShardSpec>::Error(error);
    }
  } else if (!index_text.empty() && !ParseCount(index_text, spec.index)) {
    return Result<ShardSpec>::Error("--shard.index must be a whole number, got " +
                                    Quoted(index_text));
  }
  if (spec.index >= spec.count) {
    std::string error = "shard index ";
    error += std::to_string(spec.index);
    error += " is not below --shard.count=";
    error += std::to_string(spec.count);
    return Result<ShardSpec>::Error(error);
  }
  return spec;
}

int KeepShardTargets(Config& config, const ShardSpec& shard) {
  std::erase_if(config.targets,
                [&](const TargetConfig& t) { return ShardOf(t.name, shard.count) != shard.index; });
  config.shard_count = shard.count;
  config.shard_index = shard.index;
  return static_cast<int>(config.targets.size());
}

}  // namespace rte
