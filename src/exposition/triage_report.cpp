#include "exposition/triage_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

namespace rte {
namespace {

bool NeverReached(const TriageResult& result, const std::string& name) {
  return std::find(result.never_reached.begin(), result.never_reached.end(), name) !=
         result.never_reached.end();
}

RiskLevel WorstLevel(const TargetReport& r) {
  RiskLevel worst = RiskLevel::kOk;
  for (const auto& c : r.risk.causes) {
    const RiskLevel l = LevelOf(c.risk);
    if (l == RiskLevel::kCritical) return l;
    if (l == RiskLevel::kWarn) worst = l;
  }
  return worst;
}

std::string Timestamp(double unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string Upper(const char* s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

double MaxRisk(const TargetReport& r) {
  double worst = -1;
  for (const auto& c : r.risk.causes) worst = std::max(worst, c.risk.value_or(-1));
  return worst;
}

// Worst first: unreachable targets, then by highest risk; ties keep config order.
std::vector<std::shared_ptr<const TargetReport>> WorstFirst(const TriageResult& result) {
  auto ordered = result.reports;
  std::stable_sort(ordered.begin(), ordered.end(), [&](const auto& a, const auto& b) {
    const bool a_down = NeverReached(result, a->config.name);
    const bool b_down = NeverReached(result, b->config.name);
    if (a_down != b_down) return a_down;
    return MaxRisk(*a) > MaxRisk(*b);
  });
  return ordered;
}

}  // namespace

int TriageExitCode(const TriageResult& result) {
  if (!result.never_reached.empty()) return 3;
  int code = 0;
  for (const auto& r : result.reports) {
    const RiskLevel l = WorstLevel(*r);
    if (l == RiskLevel::kCritical) return 2;
    if (l == RiskLevel::kWarn) code = 1;
  }
  return code;
}

std::string RenderTriageText(const TriageResult& result) {
  std::string out = fmt::format("redis-timeout-exporter triage: {} target(s), {:.0f} s of samples, {}\n",
                                result.reports.size(), result.duration_seconds,
                                Timestamp(result.generated_at));
  for (const auto& r : WorstFirst(result)) {
    const auto ranked = RankCauses(r->risk);
    std::string verdict;
    if (NeverReached(result, r->config.name)) {
      verdict = "UNREACHABLE";
    } else if (const CauseRisk* top = ranked.front(); LevelOf(top->risk) == RiskLevel::kCritical ||
                                                      LevelOf(top->risk) == RiskLevel::kWarn) {
      verdict = fmt::format("{}: {}", Upper(LevelName(LevelOf(top->risk))), CauseName(top->cause));
    } else {
      verdict = "OK: no cause near a timeout";
    }
    out += fmt::format("\n{} ({}) - {}\n", r->config.name, r->config.endpoint.ToString(), verdict);
    int rank = 1;
    for (const CauseRisk* c : ranked) {
      const RiskLevel level = LevelOf(c->risk);
      if (c->risk) {
        out += fmt::format("  {}. {:<8} {:.2f} {}\n", rank++, CauseName(c->cause), *c->risk,
                           level == RiskLevel::kOk ? "ok" : Upper(LevelName(level)));
      } else {
        out += fmt::format("  {}. {:<8}  --  {}\n", rank++, CauseName(c->cause),
                           MissingReasonText(c->missing_reason));
      }
      for (const auto& e : c->evidence) out += fmt::format("       - {}\n", e);
      if (level == RiskLevel::kWarn || level == RiskLevel::kCritical) {
        out += fmt::format("       fix: {}\n", c->fix);
      }
    }
    if (!r->recent_slowlog.empty()) {
      out += "  recent slowlog:";
      for (const auto& e : r->recent_slowlog) {
        out += fmt::format(" {} {:.3f} s;", e.command, static_cast<double>(e.duration_us) / 1e6);
      }
      out += "\n";
    }
  }
  out += fmt::format("\nexit code {} (0 ok, 1 warn, 2 critical, 3 unreachable)\n",
                     TriageExitCode(result));
  return out;
}

std::string RenderTriageJson(const TriageResult& result) {
  nlohmann::json doc;
  doc["generated_at"] = Timestamp(result.generated_at);
  doc["duration_seconds"] = result.duration_seconds;
  doc["exit_code"] = TriageExitCode(result);
  doc["targets"] = nlohmann::json::array();
  for (const auto& r : WorstFirst(result)) {
    nlohmann::json t;
    t["name"] = r->config.name;
    t["address"] = r->config.endpoint.ToString();
    t["reachable"] = !NeverReached(result, r->config.name);
    t["up"] = r->up;
    t["level"] = NeverReached(result, r->config.name) ? "unreachable" : LevelName(WorstLevel(*r));
    t["causes"] = nlohmann::json::array();
    for (const CauseRisk* c : RankCauses(r->risk)) {
      nlohmann::json j;
      j["cause"] = CauseName(c->cause);
      j["level"] = LevelName(LevelOf(c->risk));
      if (c->risk) {
        j["risk"] = *c->risk;
      } else {
        j["risk"] = nullptr;
        j["missing_reason"] = MissingReasonName(c->missing_reason);
      }
      j["evidence"] = c->evidence;
      j["fix"] = c->fix;
      t["causes"].push_back(std::move(j));
    }
    t["recent_slowlog"] = nlohmann::json::array();
    for (const auto& e : r->recent_slowlog) {
      t["recent_slowlog"].push_back({{"id", e.id},
                                     {"command", e.command},
                                     {"duration_seconds", static_cast<double>(e.duration_us) / 1e6},
                                     {"unix_time", e.unix_time}});
    }
    doc["targets"].push_back(std::move(t));
  }
  return doc.dump(2) + "\n";
}

}  // namespace rte
