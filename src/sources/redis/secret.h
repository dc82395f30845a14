// Reads a target's password from its file or environment variable at connect time.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"

namespace rte {

// The error text names where the secret should come from, never the secret itself.
Result<std::string> ReadSecret(const SecretSource& source);

// {"AUTH", [username,] password} for a target with a password source; the error is
// ReadSecret's. Call only when !config.password.empty().
Result<std::vector<std::string>> AuthCommand(const TargetConfig& config);

}  // namespace rte
