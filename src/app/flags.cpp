#include "app/flags.h"

#include <algorithm>
#include <iostream>

namespace rte {

FlagSet::FlagSet(std::vector<FlagSpec> specs) : specs_(std::move(specs)) {}

const FlagSpec* FlagSet::Find(const std::string& name) const {
  for (const auto& spec : specs_) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

Status FlagSet::Parse(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      help_ = true;
      continue;
    }
    if (arg == "--version") {
      version_ = true;
      continue;
    }
    if (arg.size() <= 2 || arg.rfind("--", 0) != 0) {
      return Status::Error("unexpected argument '" + arg + "'");
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const FlagSpec* spec = Find(name);
    if (spec == nullptr) return Status::Error("unknown flag --" + name);
    if (spec->placeholder.empty()) {
      // Boolean: bare, or =true / =false.
      if (value && *value != "true" && *value != "false") {
        return Status::Error("flag --" + name + " takes no value (or =true, =false)");
      }
      if (value == "false") {
        values_.erase(name);
      } else {
        values_[name] = "true";
      }
      continue;
    }
    if (!value) {
      if (i + 1 >= argc) return Status::Error("flag --" + name + " needs a value");
      value = argv[++i];
    }
    values_[name] = *value;
  }
  return Status::Ok();
}

std::optional<int> FlagSet::ParseOrExit(int argc, char** argv, const std::string& program,
                                        const std::string& usage) {
  if (Status s = Parse(argc, argv); !s.ok()) {
    std::cerr << program << ": " << s.message() << "\n\n" << usage;
    return kExitUsage;
  }
  if (help_) {
    std::cout << usage;
    return 0;
  }
  if (version_) {
    std::cout << "redis-timeout-exporter " << RTE_VERSION << "\n";
    return 0;
  }
  return std::nullopt;
}

std::string FlagSet::Get(const std::string& name) const {
  if (auto it = values_.find(name); it != values_.end()) return it->second;
  const FlagSpec* spec = Find(name);
  return spec != nullptr && spec->default_value ? *spec->default_value : std::string();
}

std::string FlagSet::Describe() const {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& spec : specs_) {
    std::string left = "  --";
    left += spec.name;
    if (!spec.placeholder.empty()) {
      left += '=';
      left += spec.placeholder;
    }
    std::string right = spec.help;
    if (spec.default_value && !spec.default_value->empty()) {
      right += " (default ";
      right += *spec.default_value;
      right += ')';
    }
    rows.emplace_back(std::move(left), std::move(right));
  }
  rows.emplace_back("  -h, --help", "print this help and exit");
  rows.emplace_back("  --version", "print the version and exit");
  size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.first.size());
  std::string out;
  for (const auto& [left, right] : rows) {
    out += left;
    out.append(width + 2 - left.size(), ' ');
    out += right;
    out += '\n';
  }
  return out;
}

}  // namespace rte
