// The triage command's text and JSON, both formatted from the TriageVerdict alone.
#include "exposition/triage_report.h"

#include <fmt/format.h>

#include <cctype>
#include <nlohmann/json.hpp>

namespace rte {
namespace {

std::string Upper(const char* s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string Headline(const TargetVerdict& t) {
  switch (t.state) {
    case TargetState::kDown:
      return "UNREACHABLE";
    case TargetState::kNotServing:
      return fmt::format("NOT SERVING: {}", NotServingName(t.not_serving));
    case TargetState::kCritical:
    case TargetState::kWarn:
      // The top-ranked cause is the one that set the state.
      return fmt::format("{}: {}", Upper(TargetStateName(t.state)),
                         CauseName(t.causes.front().cause));
    case TargetState::kOk:
      return "OK: no cause near a timeout";
    case TargetState::kUnknown:
      return "UNKNOWN: no cause could be judged yet";
  }
  return "UNKNOWN";
}

std::string CauseList(const std::vector<Cause>& causes) {
  std::string out;
  for (Cause c : causes) out += (out.empty() ? "" : ", ") + std::string(CauseName(c));
  return out;
}

double Seconds(const SlowlogEntry& e) { return static_cast<double>(e.duration_us) / 1e6; }

void RenderTargetText(const TargetVerdict& t, double generated_at, std::string& out) {
  out += fmt::format("\n{} ({}{}) - {}\n", t.name, t.address, t.role.empty() ? "" : ", " + t.role,
                     Headline(t));
  // The diagnosis first: when the target cannot be polled, why is what the reader acts on.
  if (t.not_serving != NotServing::kNone) {
    out += fmt::format("  not serving: {}\n", t.not_serving_detail);
  } else if (t.error) {
    out += fmt::format("  {} ({}): {}\n",
                       t.state == TargetState::kDown ? "unreachable" : "newest poll failed",
                       PollStageName(t.error->stage), t.error->message);
  } else if (t.state == TargetState::kDown) {
    out += "  unreachable: no poll finished during the run\n";
  }
  if (t.state == TargetState::kDown && t.data_age_seconds) {
    out += fmt::format("  last success {} ago\n", FormatAge(*t.data_age_seconds));
  } else if (t.stale) {
    out += fmt::format("  data {} old (STALE)\n", FormatAge(*t.data_age_seconds));
  }
  int rank = 1;
  for (const CauseVerdict& c : t.causes) {
    if (c.NotJudgedWhileDown()) continue;
    if (c.risk) {
      out += fmt::format("  {}. {:<8} {:.2f} {}\n", rank++, CauseName(c.cause), *c.risk,
                         c.level == RiskLevel::kOk ? "ok" : Upper(LevelName(c.level)));
    } else {
      out += fmt::format("  {}. {:<8}  --  {}\n", rank++, CauseName(c.cause),
                         MissingReasonText(c.missing_reason));
    }
    for (const auto& e : c.evidence) out += fmt::format("       - {}\n", e);
    if (c.level == RiskLevel::kWarn || c.level == RiskLevel::kCritical) {
      out += fmt::format("       fix: {}\n", c.fix);
    }
  }
  if (!t.not_judged_while_down.empty()) {
    out += fmt::format("  {}: {}\n", CauseList(t.not_judged_while_down),
                       MissingReasonText(MissingReason::kTargetDown));
  }
  if (!t.recent_slowlog.empty()) {
    out += "  recent slowlog:";
    for (size_t i = 0; i < t.recent_slowlog.size(); ++i) {
      const SlowlogEntry& e = t.recent_slowlog[i];
      out += fmt::format("{} {} {:.3f} s ({} ago)", i ? ";" : "", e.command, Seconds(e),
                         FormatAge(generated_at - static_cast<double>(e.unix_time)));
    }
    out += "\n";
  }
}

nlohmann::json CauseJson(const CauseVerdict& c) {
  nlohmann::json j;
  j["cause"] = CauseName(c.cause);
  j["level"] = LevelName(c.level);
  if (c.risk) {
    j["risk"] = *c.risk;
  } else {
    j["risk"] = nullptr;
    j["missing_reason"] = MissingReasonName(c.missing_reason);
  }
  j["evidence"] = c.evidence;
  j["fix"] = c.fix;
  return j;
}

nlohmann::json TargetJson(const TargetVerdict& t) {
  nlohmann::json j;
  j["name"] = t.name;
  j["address"] = t.address;
  j["cluster"] = t.cluster;
  j["role"] = t.role;
  j["state"] = TargetStateName(t.state);
  j["reachable"] = t.state != TargetState::kDown;
  j["up"] = t.up;
  j["serving"] = t.not_serving == NotServing::kNone;
  if (t.not_serving != NotServing::kNone) {
    j["not_serving"] = {{"reason", NotServingName(t.not_serving)},
                        {"detail", t.not_serving_detail}};
  }
  j["max_risk"] = t.max_risk ? nlohmann::json(*t.max_risk) : nlohmann::json(nullptr);
  j["error"] = t.error ? nlohmann::json{{"stage", PollStageName(t.error->stage)},
                                        {"message", t.error->message}}
                       : nlohmann::json(nullptr);
  j["last_success"] = t.last_success_wall ? nlohmann::json(FormatUtc(*t.last_success_wall))
                                          : nlohmann::json(nullptr);
  j["data_age_seconds"] =
      t.data_age_seconds ? nlohmann::json(*t.data_age_seconds) : nlohmann::json(nullptr);
  j["stale"] = t.stale;
  // Every cause, unjudged ones included: a machine wants the same five entries every time.
  j["causes"] = nlohmann::json::array();
  for (const CauseVerdict& c : t.causes) j["causes"].push_back(CauseJson(c));
  j["not_judged_while_down"] = nlohmann::json::array();
  for (Cause c : t.not_judged_while_down) j["not_judged_while_down"].push_back(CauseName(c));
  j["recent_slowlog"] = nlohmann::json::array();
  for (const SlowlogEntry& e : t.recent_slowlog) {
    j["recent_slowlog"].push_back({{"id", e.id},
                                   {"command", e.command},
                                   {"duration_seconds", Seconds(e)},
                                   {"unix_time", e.unix_time}});
  }
  return j;
}

}  // namespace

std::string RenderTriageText(const TriageVerdict& verdict) {
  std::string out =
      fmt::format("redis-timeout-exporter triage: {} target(s), {:.0f} s of samples, {}\n",
                  verdict.targets.size(), verdict.sampled_seconds, FormatUtc(verdict.generated_at));
  const std::string* group = nullptr;
  for (const TargetVerdict& t : verdict.targets) {
    if (!t.cluster.empty() && (group == nullptr || *group != t.cluster)) {
      out += fmt::format("\n== {} ==\n", t.cluster);
      if (const ClusterVerdict* c = FindCluster(verdict, t.cluster)) {
        out += fmt::format("{} discovery{}\n", c->type,
                           c->failover_in_progress ? ": FAILOVER IN PROGRESS" : "");
        for (const std::string& e : c->evidence) out += "  - " + e + "\n";
      }
    }
    group = &t.cluster;
    RenderTargetText(t, verdict.generated_at, out);
  }
  out += fmt::format("\nexit code {} (0 ok, 1 warn, 2 critical, 3 unreachable or not serving)\n",
                     verdict.exit_code);
  return out;
}

std::string RenderTriageJson(const TriageVerdict& verdict) {
  nlohmann::json doc;
  doc["generated_at"] = FormatUtc(verdict.generated_at);
  doc["duration_seconds"] = verdict.sampled_seconds;
  doc["exit_code"] = verdict.exit_code;
  doc["counts"] = nlohmann::json::object();
  for (TargetState s : kTargetStates) doc["counts"][TargetStateName(s)] = verdict.Count(s);
  doc["targets"] = nlohmann::json::array();
  for (const TargetVerdict& t : verdict.targets) doc["targets"].push_back(TargetJson(t));
  doc["clusters"] = nlohmann::json::array();
  for (const ClusterVerdict& c : verdict.clusters) {
    doc["clusters"].push_back({{"name", c.name},
                               {"type", c.type},
                               {"failover_in_progress", c.failover_in_progress},
                               {"evidence", c.evidence}});
  }
  // Messages and slowlog commands come from the network and may hold bytes that are not UTF-8;
  // they must not make the whole report throw.
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace rte
