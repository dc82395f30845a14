#include "sources/redis/tls_context.h"

#include <arpa/inet.h>

#include <cstdlib>
#include <ctime>

#include "common/small_file.h"
#include "platform/optional_libraries.h"

namespace rte {
namespace {

Result<std::string> ReadPem(const std::string& path, const char* key) {
  auto text = ReadSmallFile(path, kMaxTlsFileBytes);
  if (!text.ok()) {
    return Result<std::string>::Error("cannot read tls." + std::string(key) + " " + path + ": " +
                                      text.error());
  }
  return text;
}

std::string OpenSslReason(const OpenSslApi& ssl) {
  const unsigned long code = ssl.ERR_get_error();
  ssl.ERR_clear_error();
  const char* reason = code == 0 ? nullptr : ssl.ERR_reason_error_string(code);
  return reason == nullptr ? std::string("unknown OpenSSL error") : std::string(reason);
}

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
BioPtr MemoryBio(const OpenSslApi& ssl, const std::string& bytes) {
  return BioPtr(ssl.BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())), ssl.BIO_free);
}

// Adds every certificate of a PEM bundle to `store`; the count, or an error when there is none.
Result<int> AddCertificates(const OpenSslApi& ssl, X509_STORE* store, const std::string& pem,
                            const std::string& what) {
  BioPtr bio = MemoryBio(ssl, pem);
  int added = 0;
  while (X509* cert = ssl.PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (ssl.X509_STORE_add_cert(store, cert) == 1) ++added;
    ssl.X509_free(cert);
  }
  ssl.ERR_clear_error();  // the loop ends on "no start line"
  if (added == 0) return Result<int>::Error(what + " holds no PEM certificate");
  return added;
}

Status UseClientCertificate(const OpenSslApi& ssl, SSL_CTX* ctx, const TlsMaterial& material) {
  BioPtr bio = MemoryBio(ssl, material.cert_pem);
  X509* leaf = ssl.PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (leaf == nullptr) {
    ssl.ERR_clear_error();
    return Status::Error("tls.cert_file holds no PEM certificate");
  }
  const int used = ssl.SSL_CTX_use_certificate(ctx, leaf);
  ssl.X509_free(leaf);
  if (used != 1) return Status::Error("tls.cert_file: " + OpenSslReason(ssl));
  // The rest of the file is the chain up to the CA the server trusts.
  while (X509* extra = ssl.PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    // SSL_CTX_add0_chain_cert
    if (ssl.SSL_CTX_ctrl(ctx, SSL_CTRL_CHAIN_CERT, 0, extra) != 1) ssl.X509_free(extra);
  }
  ssl.ERR_clear_error();
  BioPtr key_bio = MemoryBio(ssl, material.key_pem);
  EVP_PKEY* key = ssl.PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) {
    ssl.ERR_clear_error();
    // Encrypted keys end up here too: there is no passphrase setting.
    return Status::Error("tls.key_file holds no unencrypted PEM private key");
  }
  const int key_used = ssl.SSL_CTX_use_PrivateKey(ctx, key);
  ssl.EVP_PKEY_free(key);
  if (key_used != 1 || ssl.SSL_CTX_check_private_key(ctx) != 1) {
    ssl.ERR_clear_error();
    return Status::Error("tls.key_file does not match the certificate in tls.cert_file");
  }
  return Status::Ok();
}

bool IsIpAddress(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

Result<TlsMaterial> ReadTlsMaterial(const TlsConfig& config) {
  // The first TLS target loads OpenSSL here, on the TLS loader's worker.
  auto ssl = LoadOpenSsl();
  if (!ssl.ok()) return Result<TlsMaterial>::Error(ssl.error());
  TlsMaterial material;
  std::string ca_path = config.ca_file;
  if (ca_path.empty()) {
    const char* env = std::getenv(ssl.value()->X509_get_default_cert_file_env());
    ca_path = env != nullptr && env[0] != '\0' ? env : ssl.value()->X509_get_default_cert_file();
  }
  auto ca = ReadPem(ca_path, "ca_file");
  if (!ca.ok()) {
    if (config.ca_file.empty()) {
      return Result<TlsMaterial>::Error("cannot read the system trust store " + ca_path +
                                        " (install ca-certificates or set tls.ca_file)");
    }
    return Result<TlsMaterial>::Error(ca.error());
  }
  material.ca_pem = std::move(ca.value());
  if (!config.cert_file.empty()) {
    auto cert = ReadPem(config.cert_file, "cert_file");
    if (!cert.ok()) return Result<TlsMaterial>::Error(cert.error());
    material.cert_pem = std::move(cert.value());
    auto key = ReadPem(config.key_file, "key_file");
    if (!key.ok()) return Result<TlsMaterial>::Error(key.error());
    material.key_pem = std::move(key.value());
  }
  return material;
}

Result<SslCtxPtr> BuildTlsContext(const TlsConfig& config, const TlsMaterial& material) {
  auto loaded = LoadOpenSsl();
  if (!loaded.ok()) return Result<SslCtxPtr>::Error(loaded.error());
  const OpenSslApi& ssl = *loaded.value();
  SslCtxPtr ctx(ssl.SSL_CTX_new(ssl.TLS_client_method()), ssl.SSL_CTX_free);
  if (!ctx) return Result<SslCtxPtr>::Error("cannot create a TLS context: " + OpenSslReason(ssl));
  // SSL_CTX_set_min_proto_version
  ssl.SSL_CTX_ctrl(ctx.get(), SSL_CTRL_SET_MIN_PROTO_VERSION,
                   config.min_version == "TLS13" ? TLS1_3_VERSION : TLS1_2_VERSION, nullptr);
  // Our own trust store, filled from bytes: OpenSSL never looks a CA up on disk mid-handshake.
  auto added = AddCertificates(ssl, ssl.SSL_CTX_get_cert_store(ctx.get()), material.ca_pem,
                               config.ca_file.empty() ? "the system trust store" : "tls.ca_file");
  if (!added.ok()) return Result<SslCtxPtr>::Error(added.error());
  if (!material.cert_pem.empty()) {
    Status used = UseClientCertificate(ssl, ctx.get(), material);
    if (!used.ok()) return Result<SslCtxPtr>::Error(used.message());
  }
  ssl.SSL_CTX_set_verify(ctx.get(), config.insecure_skip_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER,
                         nullptr);
  return ctx;
}

Status ConfigureTlsSession(SSL* session, const TlsConfig& config, const std::string& host) {
  auto loaded = LoadOpenSsl();  // loaded already: `session` was made by it
  if (!loaded.ok()) return Status::Error(loaded.error());
  const OpenSslApi& ssl = *loaded.value();
  const std::string& name = config.server_name.empty() ? host : config.server_name;
  const bool ip = IsIpAddress(name);
  // SNI carries names only (RFC 6066). SSL_set_tlsext_host_name:
  if (!ip && ssl.SSL_ctrl(session, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                          const_cast<char*>(name.c_str())) != 1) {
    return Status::Error("cannot set the TLS server name: " + OpenSslReason(ssl));
  }
  if (config.insecure_skip_verify) return Status::Ok();
  X509_VERIFY_PARAM* param = ssl.SSL_get0_param(session);
  const int set = ip ? ssl.X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                     : ssl.X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
  if (set != 1) {
    return Status::Error("cannot set the TLS verification name: " + OpenSslReason(ssl));
  }
  return Status::Ok();
}

std::string DescribeTlsFailure(long verify_result, unsigned long ssl_error) {
  auto loaded = LoadOpenSsl();  // loaded already: there was a TLS connection
  if (!loaded.ok()) return loaded.error();
  const OpenSslApi& ssl = *loaded.value();
  switch (verify_result) {
    case X509_V_OK:
      break;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
      return "unknown CA: the server's certificate is not signed by a CA in tls.ca_file (or the "
             "system trust store); set tls.ca_file to the CA that issued it";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "name mismatch: the server's certificate is not issued for this host name or IP; "
             "connect by a name the certificate carries or set tls.server_name";
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "expired: the server's certificate is past its notAfter date; the server must "
             "load a renewed certificate";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "not yet valid: the server's certificate starts in the future (check the clocks)";
    default:
      return std::string("certificate verification failed: ") +
             ssl.X509_verify_cert_error_string(verify_result);
  }
  switch (ERR_GET_REASON(ssl_error)) {
    case 0:
      return "the TLS connection failed without a TLS error";
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
      return "no client certificate: the server requires mutual TLS; set tls.cert_file and "
             "tls.key_file";
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
      return "client certificate rejected: the server does not trust the CA that issued "
             "tls.cert_file";
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
      return "client certificate expired: renew tls.cert_file";
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_HTTP_REQUEST:
      return "the server does not speak TLS on this port (a plain-text port? use redis://)";
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
      return "no common TLS version: the server does not accept tls.min_version or newer";
    case SSL_R_UNEXPECTED_EOF_WHILE_READING:
      return "the server closed the connection without a TLS close (mid-handshake or reset)";
    default: {
      const char* reason = ssl.ERR_reason_error_string(ssl_error);
      return std::string("TLS error: ") + (reason != nullptr ? reason : "unknown");
    }
  }
}

std::optional<double> CertificateNotAfter(const X509* cert) {
  auto loaded = LoadOpenSsl();  // loaded already: `cert` was made by it
  if (cert == nullptr || !loaded.ok()) return std::nullopt;
  const ASN1_TIME* not_after = loaded.value()->X509_get0_notAfter(cert);
  std::tm tm{};
  if (not_after == nullptr || loaded.value()->ASN1_TIME_to_tm(not_after, &tm) != 1) {
    return std::nullopt;
  }
  return static_cast<double>(timegm(&tm));
}

}  // namespace rte
