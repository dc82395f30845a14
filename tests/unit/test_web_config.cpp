// --web.config.file in the exporter-toolkit format, and basic auth against bcrypt hashes made by
// the system crypt library.
#include <crypt.h>
#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "config/config.h"
#include "exposition/web_security.h"

using namespace rte;
using Catch::Contains;

namespace {

// A bcrypt hash of `password` with `prefix` ($2b$ or $2y$), cost 4 (fast for tests).
std::string Bcrypt(const std::string& password, const char* prefix) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  REQUIRE(crypt_gensalt_rn(prefix, 4, nullptr, 0, salt, sizeof(salt)) != nullptr);
  crypt_data data;
  std::memset(&data, 0, sizeof(data));
  const char* hash = crypt_r(password.c_str(), salt, &data);
  REQUIRE(hash != nullptr);
  return hash;
}

std::string BasicHeader(const std::string& credentials) {
  std::string out(4 * ((credentials.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(credentials.data()),
                                static_cast<int>(credentials.size()));
  out.resize(static_cast<size_t>(n));
  return "Basic " + out;
}

}  // namespace

TEST_CASE("web config: the exporter-toolkit keys parse", "[web]") {
  auto web = ParseWebConfig(R"(tls_server_config:
  cert_file: /etc/exporter/tls.crt
  key_file: /etc/exporter/tls.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: /etc/exporter/ca.pem
  min_version: TLS13
basic_auth_users:
  prometheus: $2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG
http_server_config:
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
)",
                            "web.yml");
  REQUIRE(web.ok());
  REQUIRE(web.value().tls);
  CHECK(web.value().tls->cert_file == "/etc/exporter/tls.crt");
  CHECK(web.value().tls->client_auth_type == "RequireAndVerifyClientCert");
  CHECK(web.value().tls->min_version == "TLS13");
  CHECK(web.value().basic_auth_users.at("prometheus").rfind("$2y$10$", 0) == 0);
  REQUIRE(web.value().headers.size() == 2);
  CHECK(web.value().headers[0].first == "X-Frame-Options");
  CHECK(ParseWebConfig("", "web.yml").ok());
  // exporter-toolkit's older name of RequireAnyClientCert.
  auto old_name = ParseWebConfig(
      "tls_server_config: {cert_file: /c, key_file: /k, client_auth_type: RequireClientCert}\n",
      "web.yml");
  REQUIRE(old_name.ok());
  CHECK(old_name.value().tls->client_auth_type == "RequireAnyClientCert");
}

TEST_CASE("web config errors name file, line, column and key", "[web]") {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"tls_server_config: {cert_file: /c}\n",
       "web.yml:1:20: tls_server_config.key_file: is required"},
      {"basic_auth_users: {u: plain}\n",
       "web.yml:1:23: basic_auth_users.u: expected a bcrypt hash"},
      {"http_server_config: {headers: {X-Powered-By: me}}\n",
       "http_server_config.headers.X-Powered-By: unknown key"},
      {"tls_server_config: {cert_file: /c, key_file: /k, client_auth_type: Verify}\n",
       "tls_server_config.client_auth_type: expected NoClientCert"},
      {"tls_server_config: {cert_file: /c, key_file: /k, client_auth_type: "
       "RequireAndVerifyClientCert}\n",
       "tls_server_config.client_ca_file: is required"},
      {"tls_server_config: {cert_file: /c, key_file: /k, client_ca_file: /ca}\n",
       "tls_server_config.client_ca_file: needs a client_auth_type"},
      {"basic_auth: {}\n", "web.yml:1:1: basic_auth: unknown key"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto web = ParseWebConfig(c.text, "web.yml");
    REQUIRE_FALSE(web.ok());
    CHECK_THAT(web.error(), Contains(c.expected));
  }
}

TEST_CASE("basic auth checks bcrypt $2b$ and $2y$ hashes with the system crypt", "[web]") {
  for (const char* prefix : {"$2b$", "$2y$"}) {
    INFO(prefix);
    const std::string hash = Bcrypt("s3cret", prefix);
    CHECK(hash.rfind(prefix, 0) == 0);
    CHECK(PasswordMatches("s3cret", hash));
    CHECK_FALSE(PasswordMatches("s3cret!", hash));
    CHECK_FALSE(PasswordMatches("", hash));
    BasicAuth auth({{"prometheus", hash}});
    CHECK(auth.enabled());
    CHECK(auth.Allows(BasicHeader("prometheus:s3cret")));
    CHECK(auth.Allows(BasicHeader("prometheus:s3cret")));  // remembered
    CHECK_FALSE(auth.Allows(BasicHeader("prometheus:wrong")));
    CHECK_FALSE(auth.Allows(BasicHeader("other:s3cret")));
    CHECK_FALSE(auth.Allows(BasicHeader("prometheus")));
    CHECK_FALSE(auth.Allows("Bearer abc"));
    CHECK_FALSE(auth.Allows(""));
  }
  CHECK_FALSE(BasicAuth({}).enabled());
}
