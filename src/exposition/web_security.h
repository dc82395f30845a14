// What protects the web endpoint (--web.config.file): the server TLS context, HTTP basic auth
// checked against bcrypt hashes with the system crypt library, and extra response headers.
#pragma once

#include <openssl/ssl.h>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "config/config.h"

namespace rte {

// Basic auth against `users` (user → bcrypt hash). bcrypt is slow on purpose, so credentials
// that matched once are remembered (as a SHA-256 digest, never in clear) and not hashed again.
class BasicAuth {
 public:
  explicit BasicAuth(std::map<std::string, std::string> users) : users_(std::move(users)) {}
  bool enabled() const { return !users_.empty(); }
  // `authorization` is the request's Authorization header ("Basic base64(user:password)").
  bool Allows(const std::string& authorization) const;

 private:
  static constexpr size_t kMaxRemembered = 64;
  std::map<std::string, std::string> users_;
  mutable std::mutex mu_;
  mutable std::set<std::string> remembered_;
};

// True when `password` hashes to `hash` with crypt(3) (bcrypt $2y$/$2b$ and whatever else the
// system libcrypt knows).
bool PasswordMatches(const std::string& password, const std::string& hash);

struct WebSecurity {
  std::shared_ptr<SSL_CTX> tls;  // null: plain HTTP
  BasicAuth auth{{}};
  std::vector<std::pair<std::string, std::string>> headers;
  explicit WebSecurity(std::map<std::string, std::string> users) : auth(std::move(users)) {}
};

// Reads the certificate files of `config` (blocking: at start and at reload, never per
// request) and builds what the HTTP server applies.
Result<std::shared_ptr<const WebSecurity>> LoadWebSecurity(const WebConfig& config);

}  // namespace rte
