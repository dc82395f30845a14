#include "prometheus_query.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <string>

#include "loopback.h"

namespace rte::testing {

std::vector<std::string> PrometheusArgv(const std::string& dir, int port) {
  return {"/usr/bin/prometheus", "--config.file=" + dir + "/prometheus.yml",
          "--storage.tsdb.path=" + dir + "/prom-data",
          "--web.listen-address=127.0.0.1:" + std::to_string(port)};
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

nlohmann::json PromQuery(int port, const std::string& expr) {
  const HttpResponse r =
      HttpGet(port, "/api/v1/query?query=" + UrlEncode(expr), std::chrono::seconds(10));
  if (r.status != 200) {
    return nlohmann::json{{"status", "error"}, {"error", r.body + r.error}};
  }
  return nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
}

double PromScalar(int port, const std::string& expr) {
  const nlohmann::json r = PromQuery(port, expr);
  if (!r.is_object() || r.value("status", "") != "success") return -1;
  const auto& result = r["data"]["result"];
  if (!result.is_array() || result.size() != 1) return -1;
  return std::stod(result[0]["value"][1].get<std::string>());
}

}  // namespace rte::testing
