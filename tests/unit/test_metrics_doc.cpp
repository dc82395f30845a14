// docs/metrics.md and /metrics must agree: the same families, types and label names.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "fixtures.h"

namespace {

struct Family {
  std::string type;
  std::set<std::string> labels;
};

// Rows of the form | `name` | type | unit | `label`, `label` | text |
std::map<std::string, Family> DocumentedFamilies() {
  std::ifstream in(std::string(RTE_SOURCE_DIR) + "/docs/metrics.md");
  REQUIRE(in.good());
  std::map<std::string, Family> out;
  const std::regex row(
      R"(^\| `((?:redis_timeout|process)_[a-z_]+)` \| ([a-z]+) \| [^|]+ \| ([^|]+) \|)");
  const std::regex label("`([a-z_]+)`");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    Family f{m[2], {}};
    const std::string labels = m[3];
    for (auto it = std::sregex_iterator(labels.begin(), labels.end(), label);
         it != std::sregex_iterator(); ++it) {
      f.labels.insert((*it)[1]);
    }
    out[m[1]] = f;
  }
  return out;
}

// From the text format: TYPE lines give families; samples give label names.
std::map<std::string, Family> ExposedFamilies(const std::string& text) {
  std::map<std::string, Family> out;
  std::istringstream in(text);
  const std::regex type_line(R"(^# TYPE (\S+) (\S+))");
  const std::regex label_name(R"(([a-z_]+)=")");
  std::string current;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, type_line)) {
      current = m[1];
      out[current].type = m[2];
      continue;
    }
    if (line.empty() || line[0] == '#' || current.empty()) continue;
    const auto brace = line.find('{');
    if (brace == std::string::npos) continue;
    const std::string labels = line.substr(brace, line.find('}') - brace);
    for (auto it = std::sregex_iterator(labels.begin(), labels.end(), label_name);
         it != std::sregex_iterator(); ++it) {
      if ((*it)[1] != "le") out[current].labels.insert((*it)[1]);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("docs/metrics.md lists exactly the families /metrics serves", "[docs]") {
  const auto documented = DocumentedFamilies();
  // The golden file is /metrics for a report in which every family is present.
  const auto exposed =
      ExposedFamilies(rte::testing::ReadFixture("../golden/metrics_from_fixtures.txt"));
  REQUIRE(documented.size() > 20);
  for (const auto& [name, family] : exposed) {
    INFO(name);
    REQUIRE(documented.contains(name));
    CHECK(documented.at(name).type == family.type);
    CHECK(documented.at(name).labels == family.labels);
  }
  for (const auto& [name, family] : documented) {
    INFO(name << " is documented but not served");
    CHECK(exposed.contains(name));
  }
}
