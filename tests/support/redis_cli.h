// redis-cli run to its end, for what RedisServer's hiredis helpers do not cover: `--cluster`
// commands and sentinels (which RedisServer does not start).
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "exporter_process.h"

namespace rte::testing {

// /usr/bin/redis-cli <args>; killed after `timeout` (exit_code -1 then).
ExporterRun RunRedisCli(const std::vector<std::string>& args,
                        std::chrono::milliseconds timeout = std::chrono::seconds(30));

// `redis-cli --json -h 127.0.0.1 -p <port> <args>` (RESP3, so maps come back as objects), e.g.
// {"SENTINEL", "MASTER", "mymaster"}. Throws std::runtime_error, with what redis-cli printed,
// when it fails or does not print JSON (a refused connection, an error reply).
nlohmann::json RedisCliJson(int port, const std::vector<std::string>& args,
                            std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace rte::testing
