// What a failed TLS handshake is called: one named check per OpenSSL verification result or
// alert, and an operator's next step; contexts are built from bytes only.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <catch2/catch.hpp>

#include "sources/redis/tls_context.h"

using namespace rte;
using Catch::Contains;

TEST_CASE("DescribeTlsFailure names the failed check", "[tls]") {
  struct Row {
    long verify;
    int reason;  // SSL_R_*, 0 for none
    const char* says;
  };
  const Row rows[] = {
      {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 0, "unknown CA"},
      {X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, 0, "unknown CA"},
      {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, 0, "set tls.ca_file"},
      {X509_V_ERR_HOSTNAME_MISMATCH, 0, "name mismatch"},
      {X509_V_ERR_IP_ADDRESS_MISMATCH, 0, "tls.server_name"},
      {X509_V_ERR_CERT_HAS_EXPIRED, 0, "expired"},
      {X509_V_ERR_CERT_NOT_YET_VALID, 0, "not yet valid"},
      {X509_V_ERR_CERT_REVOKED, 0, "certificate verification failed: certificate revoked"},
      {X509_V_OK, SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED, "no client certificate"},
      {X509_V_OK, SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE, "tls.cert_file and tls.key_file"},
      {X509_V_OK, SSL_R_TLSV1_ALERT_UNKNOWN_CA, "client certificate rejected"},
      {X509_V_OK, SSL_R_WRONG_VERSION_NUMBER, "does not speak TLS"},
      {X509_V_OK, SSL_R_TLSV1_ALERT_PROTOCOL_VERSION, "tls.min_version"},
      {X509_V_OK, 0, "without a TLS error"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.verify, row.reason);
    const unsigned long code =
        row.reason == 0 ? 0 : ERR_PACK(ERR_LIB_SSL, 0, static_cast<unsigned long>(row.reason));
    CHECK_THAT(DescribeTlsFailure(row.verify, code), Contains(row.says));
  }
}

TEST_CASE("BuildTlsContext refuses files that hold no certificate or key", "[tls]") {
  TlsConfig config;
  config.ca_file = "/etc/redis/ca.pem";
  TlsMaterial material;
  material.ca_pem = "not a certificate\n";
  auto ctx = BuildTlsContext(config, material);
  REQUIRE_FALSE(ctx.ok());
  CHECK_THAT(ctx.error(), Contains("tls.ca_file holds no PEM certificate"));

  config.ca_file.clear();
  ctx = BuildTlsContext(config, material);
  REQUIRE_FALSE(ctx.ok());
  CHECK_THAT(ctx.error(), Contains("the system trust store holds no PEM certificate"));
}

TEST_CASE("the system trust store is read from SSL_CERT_FILE or OpenSSL's default", "[tls]") {
  TlsConfig config;
  auto material = ReadTlsMaterial(config);
  // Debian's ca-certificates bundle: well over a hundred CAs, under the 1 MiB bound.
  REQUIRE(material.ok());
  CHECK(material.value().ca_pem.size() > 10'000);
  auto ctx = BuildTlsContext(config, material.value());
  CHECK(ctx.ok());

  config.ca_file = "/nonexistent/ca.pem";
  auto missing = ReadTlsMaterial(config);
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.error(), Contains("cannot read tls.ca_file /nonexistent/ca.pem"));
}
