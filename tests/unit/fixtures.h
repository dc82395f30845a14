// Reads recorded fixtures from tests/fixtures/ for the pure-code unit tests.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace rte::testing {

inline std::string ReadFixture(const std::string& relative_path) {
  const std::string path = std::string(RTE_FIXTURES_DIR) + "/" + relative_path;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace rte::testing
