// Instant queries against a real Prometheus on loopback (its HTTP API, /api/v1/query).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace rte::testing {

// The command line of Debian's prometheus with <dir>/prometheus.yml, its TSDB in
// <dir>/prom-data, listening on 127.0.0.1:<port>.
std::vector<std::string> PrometheusArgv(const std::string& dir, int port);

// Percent-encodes everything but RFC 3986's unreserved characters.
std::string UrlEncode(const std::string& s);

// GET /api/v1/query?query=<expr>: the parsed answer, or {"status": "error", "error": ...} when
// Prometheus did not answer 200.
nlohmann::json PromQuery(int port, const std::string& expr);

// The single value of an instant query whose result is one sample (e.g. `count(...)`), or -1
// when the query failed or returned no sample or several.
double PromScalar(int port, const std::string& expr);

}  // namespace rte::testing
