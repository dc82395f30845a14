#include "sources/redis/secret.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

namespace rte {

Result<std::string> ReadSecret(const SecretSource& source) {
  std::string value;
  if (!source.file.empty()) {
    std::ifstream in(source.file, std::ios::binary);
    if (!in) {
      return Result<std::string>::Error("cannot read password_file " + source.file + ": " +
                                        std::strerror(errno));
    }
    std::ostringstream text;
    text << in.rdbuf();
    value = text.str();
  } else if (!source.env_var.empty()) {
    const char* env = std::getenv(source.env_var.c_str());
    if (env == nullptr) {
      return Result<std::string>::Error("environment variable " + source.env_var +
                                        " (password_env) is not set");
    }
    value = env;
  }
  // Secret files usually end with a newline that is not part of the password.
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  return value;
}

Result<std::vector<std::string>> AuthCommand(const TargetConfig& config) {
  auto secret = ReadSecret(config.password);
  if (!secret.ok()) return Result<std::vector<std::string>>::Error(secret.error());
  std::vector<std::string> argv = {"AUTH"};
  if (!config.username.empty()) argv.push_back(config.username);
  argv.push_back(std::move(secret.value()));
  return argv;
}

}  // namespace rte
