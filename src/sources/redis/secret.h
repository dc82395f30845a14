// Reads a target's password from its file or environment variable. A file is read by the
// SecretCache, off the event loop; the loop builds AUTH from what the cache holds.
#pragma once

#include <string>

#include "common/status.h"
#include "config/config.h"

namespace rte {

// A secret file is a line or a few; anything longer is not one.
inline constexpr size_t kMaxSecretBytes = 64 * 1024;

// Reads the file (blocking file I/O: never on the event loop) or the variable. The error text
// names where the secret should come from, never the secret itself.
Result<std::string> ReadSecret(const SecretSource& source);

// The error text for a password_file that cannot be read for `why`: the file is named only
// when it looks like a path, since anything else may be the password itself.
std::string SecretFileError(const std::string& file, const std::string& why);

}  // namespace rte
