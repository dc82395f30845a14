// Command-line flags as the Prometheus exporters take them: `--name=value` or `--name value`,
// boolean flags bare, -h/--help and --version everywhere. Shared by the daemon and `triage`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace rte {

// Exit code of every usage error (BSD sysexits EX_USAGE), for the daemon and `triage` alike.
inline constexpr int kExitUsage = 64;

struct FlagSpec {
  std::string name;                          // without the leading "--"
  std::string placeholder;                   // "PATH"; empty for a boolean flag
  std::string help;                          // one line for --help
  std::optional<std::string> default_value;  // shown in --help and returned by Get()
};

class FlagSet {
 public:
  explicit FlagSet(std::vector<FlagSpec> specs);

  // Reads argv[first..argc). Errors: "unknown flag --x", "flag --x needs a value",
  // "flag --x takes no value", "unexpected argument 'x'". -h/--help and --version set help()
  // and version() instead of failing.
  Status Parse(int argc, char** argv, int first = 1);
  // Parse(), then what every command answers alike: a usage error (`program: message` and
  // `usage` on stderr, kExitUsage), --help (`usage` on stdout, 0) or --version (0). The exit
  // code when the command must stop there; nullopt to carry on.
  std::optional<int> ParseOrExit(int argc, char** argv, const std::string& program,
                                 const std::string& usage);

  bool help() const { return help_; }
  bool version() const { return version_; }
  // Given on the command line (for boolean flags: given and not "=false").
  bool Has(const std::string& name) const { return values_.contains(name); }
  // The value given, else the default, else "".
  std::string Get(const std::string& name) const;
  // The flag table of --help, one flag a line, -h/--help and --version last.
  std::string Describe() const;

 private:
  const FlagSpec* Find(const std::string& name) const;

  std::vector<FlagSpec> specs_;
  std::map<std::string, std::string> values_;
  bool help_ = false;
  bool version_ = false;
};

}  // namespace rte
