#include "sources/redis/secret.h"

#include <cctype>
#include <cstdlib>
#include <utility>

#include "common/small_file.h"

namespace rte {
namespace {

// Whether a configured value can be named in an error text: an environment variable's name, or
// a path with a slash in it. Anything else may be the password itself, written under the wrong
// key, and is never echoed.
bool LooksLikeVariableName(const std::string& text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text[0]))) return false;
  for (const char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}
bool LooksLikePath(const std::string& text) { return text.find('/') != std::string::npos; }

constexpr char kNotShown[] = " (the value is not shown: is the password itself written there?)";

}  // namespace

std::string SecretFileError(const std::string& file, const std::string& why) {
  if (LooksLikePath(file)) return "cannot read password_file " + file + ": " + why;
  return "cannot read the file named in password_file: " + why + kNotShown;
}

Result<std::string> ReadSecret(const SecretSource& source) {
  std::string value;
  if (!source.file.empty()) {
    auto read = ReadSmallFile(source.file, kMaxSecretBytes);
    if (!read.ok()) return Result<std::string>::Error(SecretFileError(source.file, read.error()));
    value = std::move(read.value());
  } else if (!source.env_var.empty()) {
    const char* env = std::getenv(source.env_var.c_str());
    if (env == nullptr) {
      if (!LooksLikeVariableName(source.env_var)) {
        return Result<std::string>::Error("the variable named in password_env is not set" +
                                          std::string(kNotShown));
      }
      return Result<std::string>::Error("environment variable " + source.env_var +
                                        " (password_env) is not set");
    }
    value = env;
  }
  // Secret files usually end with a newline that is not part of the password.
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  return value;
}

}  // namespace rte
