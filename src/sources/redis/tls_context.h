// TLS client contexts for rediss:// targets: the certificate files as read (bounded), the
// OpenSSL context built from their bytes, and why a handshake failed in words an operator acts on.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "config/config.h"

namespace rte {

// The bytes of a target's TLS files, read at every new connection so rotation needs no restart.
struct TlsMaterial {
  std::string ca_pem;  // tls.ca_file, or the system bundle when it is not set
  std::string cert_pem;
  std::string key_pem;  // never logged
  bool operator==(const TlsMaterial&) const = default;
};

using SslCtxPtr = std::shared_ptr<SSL_CTX>;

// The cap on each TLS file read.
inline constexpr size_t kMaxTlsFileBytes = 1 << 20;

// Reads the files named by `config`, each at most kMaxTlsFileBytes (the Debian system bundle is
// about 220 KiB); a FIFO or a device is refused. Blocking file I/O: never on an event-loop thread.
// Without tls.ca_file the system bundle is read (SSL_CERT_FILE, else OpenSSL's default cert file).
Result<TlsMaterial> ReadTlsMaterial(const TlsConfig& config);

// Builds a client context from the bytes: trust store, client certificate and key, minimum
// version. No file is opened, then or at handshake time.
Result<SslCtxPtr> BuildTlsContext(const TlsConfig& config, const TlsMaterial& material);

// Prepares `ssl` for one connection to `host`: SNI (for names, not IPs) and the name or IP the
// server certificate must carry, unless insecure_skip_verify.
Status ConfigureTlsSession(SSL* ssl, const TlsConfig& config, const std::string& host);

// Why a handshake or a TLS read failed. `verify_result` is SSL_get_verify_result (X509_V_OK when
// the server's certificate passed or was not checked), `ssl_error` the first OpenSSL error code
// (0 when none was queued). Names the failed check and what to change; never a secret.
std::string DescribeTlsFailure(long verify_result, unsigned long ssl_error);

// notAfter of `cert` as Unix seconds.
std::optional<double> CertificateNotAfter(const X509* cert);

}  // namespace rte
