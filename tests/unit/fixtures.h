// Reads recorded fixtures from tests/fixtures/ for the pure-code unit tests.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "parse/reply.h"

namespace rte::testing {

inline std::string ReadFixture(const std::string& relative_path) {
  const std::string path = std::string(RTE_FIXTURES_DIR) + "/" + relative_path;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A file of tests/fixtures/redis/batches/: its `# fixture:` line, then raw RESP replies.
struct RecordedReplies {
  std::string header;  // the first line, without its line end
  std::vector<Reply> replies;
};

inline RecordedReplies ReadRecordedReplies(const std::string& relative_path) {
  const std::string text = ReadFixture(relative_path);
  const size_t eol = text.find("\r\n");
  if (text.rfind("# fixture: ", 0) != 0 || eol == std::string::npos) {
    throw std::runtime_error(relative_path + " does not start with a '# fixture: ' line");
  }
  auto replies = DecodeAll(std::string_view(text).substr(eol + 2));
  if (!replies.ok()) throw std::runtime_error(relative_path + ": " + replies.error());
  return {text.substr(0, eol), std::move(replies.value())};
}

}  // namespace rte::testing
