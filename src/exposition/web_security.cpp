#include "exposition/web_security.h"

#include <cstring>

#include "platform/optional_libraries.h"

namespace rte {
namespace {

std::string Sha256(const OpenSslApi& api, const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  api.EVP_Digest(text.data(), text.size(), digest, &length, api.EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

// "Basic dXNlcjpwYXNz" → {"user", "pass"}; false when it is not that.
bool DecodeBasic(const OpenSslApi& api, const std::string& header, std::string& user,
                 std::string& password) {
  constexpr std::string_view kScheme = "Basic ";
  if (header.size() <= kScheme.size() || header.compare(0, kScheme.size(), kScheme) != 0 ||
      header.size() > 4096) {
    return false;
  }
  const std::string encoded = header.substr(kScheme.size());
  std::string decoded(encoded.size(), '\0');
  const int n = api.EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                                    reinterpret_cast<const unsigned char*>(encoded.data()),
                                    static_cast<int>(encoded.size()));
  if (n < 0) return false;
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t length = static_cast<size_t>(n);
  for (size_t i = encoded.size(); i > 0 && encoded[i - 1] == '=' && length > 0; --i) --length;
  decoded.resize(length);
  const auto colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  user = decoded.substr(0, colon);
  password = decoded.substr(colon + 1);
  return true;
}

}  // namespace

bool PasswordMatches(const std::string& password, const std::string& hash) {
  // Loaded at the latest by LoadWebSecurity, off the loop; a library gone missing refuses.
  auto ssl = LoadOpenSsl();
  auto crypt = LoadCrypt();
  if (!ssl.ok() || !crypt.ok()) return false;
  auto data = std::make_unique<crypt_data>();  // about 32 KiB: not on the stack
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* out =
      crypt.value()->crypt_rn(password.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  // crypt_rn returns null or a string starting with '*' on failure.
  return out != nullptr && out[0] != '*' && hash.size() == std::strlen(out) &&
         ssl.value()->CRYPTO_memcmp(out, hash.data(), hash.size()) == 0;
}

bool BasicAuth::Allows(const std::string& authorization) const {
  auto loaded = LoadOpenSsl();  // loaded already by LoadWebSecurity
  if (!loaded.ok()) return false;
  const OpenSslApi& api = *loaded.value();
  std::string user, password;
  if (!DecodeBasic(api, authorization, user, password)) return false;
  auto it = users_.find(user);
  if (it == users_.end()) return false;
  const std::string key = Sha256(api, user + '\0' + password + '\0' + it->second);
  {
    std::lock_guard lock(mu_);
    if (remembered_.contains(key)) return true;
  }
  if (!PasswordMatches(password, it->second)) return false;
  std::lock_guard lock(mu_);
  if (remembered_.size() >= kMaxRemembered) remembered_.clear();
  remembered_.insert(key);
  return true;
}

Result<std::shared_ptr<const WebSecurity>> LoadWebSecurity(const WebConfig& config) {
  using Out = Result<std::shared_ptr<const WebSecurity>>;
  auto security = std::make_shared<WebSecurity>(config.basic_auth_users);
  security->headers = config.headers;
  // The libraries are loaded here, where the web config is read, never on the loop; a plain
  // endpoint without basic auth loads none.
  if (!config.basic_auth_users.empty()) {
    auto ssl = LoadOpenSsl();
    if (!ssl.ok()) return Out::Error("basic_auth_users: " + ssl.error());
    auto crypt = LoadCrypt();
    if (!crypt.ok()) return Out::Error("basic_auth_users: " + crypt.error());
  }
  if (!config.tls) return Out(std::shared_ptr<const WebSecurity>(security));
  const WebTlsConfig& t = *config.tls;
  auto loaded = LoadOpenSsl();
  if (!loaded.ok()) return Out::Error("tls_server_config: " + loaded.error());
  const OpenSslApi& api = *loaded.value();
  std::shared_ptr<SSL_CTX> ctx(api.SSL_CTX_new(api.TLS_server_method()), api.SSL_CTX_free);
  if (!ctx) return Out::Error("cannot create a TLS server context");
  // SSL_CTX_set_min_proto_version
  api.SSL_CTX_ctrl(ctx.get(), SSL_CTRL_SET_MIN_PROTO_VERSION,
                   t.min_version == "TLS13" ? TLS1_3_VERSION : TLS1_2_VERSION, nullptr);
  if (api.SSL_CTX_use_certificate_chain_file(ctx.get(), t.cert_file.c_str()) != 1) {
    api.ERR_clear_error();
    return Out::Error("tls_server_config.cert_file " + t.cert_file +
                      ": cannot read a PEM certificate");
  }
  if (api.SSL_CTX_use_PrivateKey_file(ctx.get(), t.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
      api.SSL_CTX_check_private_key(ctx.get()) != 1) {
    api.ERR_clear_error();
    return Out::Error("tls_server_config.key_file " + t.key_file +
                      ": cannot read a PEM key matching cert_file");
  }
  int mode = SSL_VERIFY_NONE;
  if (t.client_auth_type != "NoClientCert") mode = SSL_VERIFY_PEER;
  if (t.client_auth_type == "RequireAnyClientCert" ||
      t.client_auth_type == "RequireAndVerifyClientCert") {
    mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  if (!t.client_ca_file.empty()) {
    STACK_OF(X509_NAME)* names = api.SSL_load_client_CA_file(t.client_ca_file.c_str());
    if (api.SSL_CTX_load_verify_locations(ctx.get(), t.client_ca_file.c_str(), nullptr) != 1 ||
        names == nullptr) {
      // sk_X509_NAME_pop_free, through the table
      api.OPENSSL_sk_pop_free(ossl_check_X509_NAME_sk_type(names),
                              ossl_check_X509_NAME_freefunc_type(api.X509_NAME_free));
      api.ERR_clear_error();
      return Out::Error("tls_server_config.client_ca_file " + t.client_ca_file +
                        ": cannot read PEM certificates");
    }
    // The certificate request names these CAs, as Go's server does: a client holding several
    // certificates (a browser, Go's GetClientCertificate) picks one they signed.
    api.SSL_CTX_set_client_CA_list(ctx.get(), names);
  }
  // Without a session id context OpenSSL refuses every resumed session once client
  // certificates are asked for ("session id context uninitialized").
  static constexpr unsigned char kSessionContext[] = "redis-timeout-exporter";
  api.SSL_CTX_set_session_id_context(ctx.get(), kSessionContext, sizeof(kSessionContext) - 1);
  // exporter-toolkit maps client_auth_type onto Go's tls.ClientAuthType: Request and RequireAny
  // accept any certificate unverified; VerifyClientCertIfGiven and RequireAndVerifyClientCert
  // verify against client_ca_file.
  const bool verify = t.client_auth_type.find("Verify") != std::string::npos;
  SSL_verify_cb accept_any = [](int, X509_STORE_CTX*) -> int { return 1; };
  api.SSL_CTX_set_verify(ctx.get(), mode, verify ? nullptr : accept_any);
  security->tls = std::move(ctx);
  return Out(std::shared_ptr<const WebSecurity>(security));
}

}  // namespace rte
