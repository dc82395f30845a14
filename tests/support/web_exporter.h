// The exporter behind a --web.config.file (HTTPS, client certificates, basic auth), for tests
// that speak to it with real TLS clients (curl, openssl s_client, Prometheus).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "exporter_process.h"
#include "temp_dir.h"
#include "test_pki.h"

namespace rte::testing {

// A web config in the exporter-toolkit format; empty fields are left out of the file.
struct WebConfigText {
  CertificateFiles server;  // tls_server_config cert_file and key_file; empty: plain HTTP
  std::string client_auth_type;
  std::string client_ca_file;
  std::string min_version;
  std::map<std::string, std::string> basic_auth_users;       // user → bcrypt hash (BcryptHash)
  std::vector<std::pair<std::string, std::string>> headers;  // http_server_config.headers

  std::string Yaml() const;
};

// Writes `web_yaml` to a file of its own, then starts the exporter with
// --web.config.file=<that file>. It does not wait for /-/healthy: a TLS port does not answer
// plain HTTP, and every such try would be logged as a failed handshake.
class WebExporter {
 public:
  WebExporter(const std::string& binary, const std::string& config_yaml,
              const std::string& web_yaml, ExporterOptions options = {});
  WebExporter(const WebExporter&) = delete;
  WebExporter& operator=(const WebExporter&) = delete;

  ExporterProcess& exporter() { return exporter_; }
  int port() const { return exporter_.port(); }
  // Rewrite it and reload to change the web config.
  const std::string& web_config_path() const { return web_config_path_; }
  // "https://127.0.0.1:<port><path>"
  std::string HttpsUrl(const std::string& path) const;

 private:
  TempDir dir_;
  std::string web_config_path_;
  ExporterProcess exporter_;
};

}  // namespace rte::testing
