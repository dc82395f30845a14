// Reads a target's password from its file or environment variable at connect time.
#pragma once

#include <string>

#include "common/status.h"
#include "config/config.h"

namespace rte {

// The error text names where the secret should come from, never the secret itself.
Result<std::string> ReadSecret(const SecretSource& source);

}  // namespace rte
