// The exporter behind a --web.config.file, and the file itself.
#include "web_exporter.h"

namespace rte::testing {
namespace {

ExporterOptions WithWebConfig(ExporterOptions options, const std::string& web_config_path) {
  options.wait_healthy = false;
  options.extra_args.push_back("--web.config.file=" + web_config_path);
  return options;
}

// YAML single quotes keep bcrypt's '$' and '/' and paths as they are.
std::string Quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

}  // namespace

std::string WebConfigText::Yaml() const {
  std::string yaml;
  if (!server.cert.empty()) {
    yaml += "tls_server_config:\n";
    yaml += "  cert_file: " + Quoted(server.cert) + "\n";
    yaml += "  key_file: " + Quoted(server.key) + "\n";
    if (!client_auth_type.empty()) yaml += "  client_auth_type: " + client_auth_type + "\n";
    if (!client_ca_file.empty()) yaml += "  client_ca_file: " + Quoted(client_ca_file) + "\n";
    if (!min_version.empty()) yaml += "  min_version: " + min_version + "\n";
  }
  if (!basic_auth_users.empty()) {
    yaml += "basic_auth_users:\n";
    for (const auto& [user, hash] : basic_auth_users)
      yaml += "  " + user + ": " + Quoted(hash) + "\n";
  }
  if (!headers.empty()) {
    yaml += "http_server_config:\n  headers:\n";
    for (const auto& [name, value] : headers) yaml += "    " + name + ": " + Quoted(value) + "\n";
  }
  return yaml;
}

WebExporter::WebExporter(const std::string& binary, const std::string& config_yaml,
                         const std::string& web_yaml, ExporterOptions options)
    : dir_("rte-web-config"),
      web_config_path_(dir_.WriteFile("web.yml", web_yaml)),
      exporter_(binary, config_yaml, WithWebConfig(std::move(options), web_config_path_)) {}

std::string WebExporter::HttpsUrl(const std::string& path) const {
  return "https://127.0.0.1:" + std::to_string(exporter_.port()) + path;
}

}  // namespace rte::testing
