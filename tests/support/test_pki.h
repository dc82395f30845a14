// Certificates for TLS tests, made by the `openssl` command line in a temp dir: a CA and the
// server and client certificates it signs (valid, expired, for another name).
#pragma once

#include <string>

#include "temp_dir.h"

namespace rte::testing {

struct CertificateFiles {
  std::string cert;  // PEM certificate
  std::string key;   // PEM private key (unencrypted)
};

// A throw-away CA (EC P-256) whose files live in its own temp dir. Every call runs `openssl`
// and throws std::runtime_error, with its stderr, if it fails.
class TestPki {
 public:
  explicit TestPki(const std::string& ca_name = "rte test CA");
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  const std::string& ca_file() const { return ca_.cert; }
  const std::string& dir() const { return dir_.path(); }

  // A certificate signed by this CA, named `name` in the dir, for the subjectAltName list
  // `san` (e.g. "IP:127.0.0.1,DNS:localhost"), valid from now for `days` (-1: expired a day
  // ago). `client`: for mutual TLS (extendedKeyUsage clientAuth).
  CertificateFiles Issue(const std::string& name, const std::string& san, int days = 30,
                         bool client = false) const;

 private:
  TempDir dir_;
  CertificateFiles ca_;
};

// A bcrypt ($2y$, cost 5) hash of `password` from the system crypt library, for
// basic_auth_users of a web config.
std::string BcryptHash(const std::string& password);

// notAfter of a PEM certificate file as Unix seconds, as `openssl x509 -enddate` prints it.
double CertificateNotAfter(const std::string& cert_file);

}  // namespace rte::testing
