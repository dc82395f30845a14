#include "sources/redis/secret.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace rte {
namespace {

// A secret file is a line or a few; anything longer is not one.
constexpr size_t kMaxSecretBytes = 64 * 1024;

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

std::string FileError(const std::string& file, const std::string& why) {
  if (LooksLikePath(file)) return "cannot read password_file " + file + ": " + why;
  return "cannot read the file named in password_file: " + why + kNotShown;
}

// Reads a regular file of at most kMaxSecretBytes without blocking: a FIFO or a device (which
// could block the event loop forever, or never end) is refused before it is read.
Result<std::string> ReadSecretFile(const std::string& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Result<std::string>::Error(FileError(file, std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Result<std::string>::Error(FileError(file, "not a regular file"));
  }
  std::string value(kMaxSecretBytes + 1, '\0');
  size_t used = 0;
  while (used < value.size()) {
    const ssize_t n = ::read(fd, value.data() + used, value.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      return Result<std::string>::Error(FileError(file, why));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  ::close(fd);
  if (used > kMaxSecretBytes) {
    return Result<std::string>::Error(FileError(file, "larger than 64 KiB, not a password"));
  }
  value.resize(used);
  return value;
}

}  // namespace

Result<std::string> ReadSecret(const SecretSource& source) {
  std::string value;
  if (!source.file.empty()) {
    auto read = ReadSecretFile(source.file);
    if (!read.ok()) return read;
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

Result<std::vector<std::string>> AuthCommand(const TargetConfig& config) {
  auto secret = ReadSecret(config.password);
  if (!secret.ok()) return Result<std::vector<std::string>>::Error(secret.error());
  std::vector<std::string> argv = {"AUTH"};
  if (!config.username.empty()) argv.push_back(config.username);
  argv.push_back(std::move(secret.value()));
  return argv;
}

}  // namespace rte
