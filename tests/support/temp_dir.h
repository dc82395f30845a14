// Scratch directories and whole-file helpers for tests that run real processes.
#pragma once

#include <string>

namespace rte::testing {

// A fresh directory under /tmp (mkdtemp), removed recursively when the object dies.
// Set RTE_KEEP_TEMP=1 in the environment to keep it for a post-mortem.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "rte-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  // Writes contents to path()/name (replacing it) and returns that path.
  std::string WriteFile(const std::string& name, const std::string& contents) const;

 private:
  std::string path_;
};

// Whole file as bytes; empty if it cannot be read.
std::string ReadFile(const std::string& path);
// Writes atomically (temporary file in the same directory + rename); throws on failure.
void WriteFile(const std::string& path, const std::string& contents);

}  // namespace rte::testing
