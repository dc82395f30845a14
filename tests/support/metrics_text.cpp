// A parser for the Prometheus text exposition format (version 0.0.4), for asserting on /metrics.
#include "metrics_text.h"

#include <cstdlib>
#include <stdexcept>

namespace rte::testing {
namespace {

bool IsNameChar(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char n = s[++i];
      out += n == 'n' ? '\n' : n;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool BelongsTo(const std::string& sample, const std::string& family) {
  if (sample == family) return true;
  if (sample.rfind(family, 0) != 0) return false;
  const std::string suffix = sample.substr(family.size());
  return suffix == "_bucket" || suffix == "_sum" || suffix == "_count" || suffix == "_total";
}

// Parses `name{a="b",...} value [timestamp]`; false with `error` set on malformed input.
bool ParseSample(const std::string& line, Sample* out, std::string* error) {
  size_t i = 0;
  while (i < line.size() && IsNameChar(line[i], i == 0)) ++i;
  if (i == 0) {
    *error = "bad metric name";
    return false;
  }
  out->name = line.substr(0, i);
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (true) {
      while (i < line.size() && (line[i] == ' ' || line[i] == ',')) ++i;
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      size_t start = i;
      while (i < line.size() && IsNameChar(line[i], i == start)) ++i;
      if (i == start || i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') {
        *error = "bad label at column " + std::to_string(i + 1);
        return false;
      }
      std::string key = line.substr(start, i - start);
      i += 2;
      std::string value;
      while (i < line.size() && line[i] != '"') {
        if (line[i] == '\\' && i + 1 < line.size()) {
          char n = line[i + 1];
          value += n == 'n' ? '\n' : n;
          i += 2;
        } else {
          value += line[i++];
        }
      }
      if (i >= line.size()) {
        *error = "unterminated label value";
        return false;
      }
      ++i;  // closing quote
      if (out->labels.count(key) != 0) {
        *error = "duplicate label " + key;
        return false;
      }
      out->labels[key] = value;
    }
  }
  if (i >= line.size() || line[i] != ' ') {
    *error = "missing value";
    return false;
  }
  while (i < line.size() && line[i] == ' ') ++i;
  size_t end = line.find(' ', i);
  std::string value = line.substr(i, end == std::string::npos ? std::string::npos : end - i);
  char* parse_end = nullptr;
  out->value = std::strtod(value.c_str(), &parse_end);
  if (value.empty() || *parse_end != '\0') {
    *error = "bad value '" + value + "'";
    return false;
  }
  return true;
}

bool Matches(const Sample& s, const std::string& name, const Labels& labels) {
  if (s.name != name) return false;
  for (const auto& [k, v] : labels) {
    auto it = s.labels.find(k);
    if (it == s.labels.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace

MetricsText MetricsText::Parse(const std::string& text) {
  MetricsText m;
  m.text_ = text;
  size_t pos = 0;
  int line_no = 0;
  MetricFamily* current = nullptr;
  auto family_named = [&](const std::string& name) -> MetricFamily* {
    if (current != nullptr && current->name == name) return current;
    m.families_.push_back(MetricFamily{name, "", "", {}});
    return &m.families_.back();
  };
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    std::string line = text.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    pos = eol == std::string::npos ? text.size() : eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line[0] == '#') {
      // "# HELP name text" / "# TYPE name type"; other comments are ignored.
      if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
        const bool help = line[2] == 'H';
        std::string rest = line.substr(7);
        size_t sp = rest.find(' ');
        std::string name = rest.substr(0, sp);
        std::string arg = sp == std::string::npos ? "" : rest.substr(sp + 1);
        current = family_named(name);
        if (help) {
          current->help = Unescape(arg);
        } else {
          current->type = arg;
        }
      }
      continue;
    }
    Sample sample;
    std::string error;
    if (!ParseSample(line, &sample, &error)) {
      m.errors_.push_back("line " + std::to_string(line_no) + ": " + error + ": " + line);
      continue;
    }
    if (current == nullptr || !BelongsTo(sample.name, current->name)) {
      m.families_.push_back(MetricFamily{sample.name, "", "", {}});
      current = &m.families_.back();
    }
    current->samples.push_back(std::move(sample));
  }
  return m;
}

std::vector<Sample> MetricsText::Samples(const std::string& name, const Labels& labels) const {
  std::vector<Sample> out;
  for (const auto& f : families_) {
    for (const auto& s : f.samples) {
      if (Matches(s, name, labels)) out.push_back(s);
    }
  }
  return out;
}

std::optional<double> MetricsText::Value(const std::string& name, const Labels& labels) const {
  auto found = Samples(name, labels);
  if (found.empty()) return std::nullopt;
  if (found.size() > 1) {
    throw std::logic_error("MetricsText::Value: " + std::to_string(found.size()) + " samples of " +
                           name + " match; give more labels");
  }
  return found[0].value;
}

std::optional<double> MetricsText::Sum(const std::string& name, const Labels& labels) const {
  auto found = Samples(name, labels);
  if (found.empty()) return std::nullopt;
  double sum = 0;
  for (const auto& s : found) sum += s.value;
  return sum;
}

const MetricFamily* MetricsText::Family(const std::string& name) const {
  for (const auto& f : families_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::vector<std::string> MetricsText::SampleNames() const {
  std::vector<std::string> names;
  for (const auto& f : families_) {
    for (const auto& s : f.samples) names.push_back(s.name);
  }
  return names;
}

}  // namespace rte::testing
