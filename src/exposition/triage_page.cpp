// The /triage page: plain server-rendered HTML with inline CSS, so it works on a phone, behind
// any proxy and with no network access to a CDN, formatted from the TriageVerdict alone. The
// class/data-* attributes are test hooks.
#include "exposition/triage_page.h"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace rte {
namespace {

// Escapes for both text and double-quoted attribute values; every string on the page comes
// from config or from Redis, so none of it is trusted.
std::string Escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

constexpr const char* kStyle = R"(
:root{--crit:#b71c1c;--crit-bg:#ffebee;--warn:#8a5a00;--warn-bg:#fff4d6;--ok:#1b5e20;
--ok-bg:#e8f5e9;--unk:#555;--unk-bg:#eee;--fg:#111;--bg:#fff;--muted:#555;--card:#fafafa}
@media (prefers-color-scheme:dark){:root{--crit:#ff8a80;--crit-bg:#3b1212;--warn:#ffd54f;
--warn-bg:#332800;--ok:#a5d6a7;--ok-bg:#10260f;--unk:#bbb;--unk-bg:#2a2a2a;--fg:#eee;
--bg:#121212;--muted:#aaa;--card:#1c1c1c}}
body{font:16px/1.4 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;
max-width:48em;padding:.5em}
h1{font-size:1.3em;margin:.2em 0}nav a{margin-right:1em}
.summary{font-size:1.1em;font-weight:600;margin:.5em 0}
.muted{color:var(--muted);font-size:.9em}
.target{background:var(--card);border:1px solid #8884;border-left:.5em solid var(--unk);
border-radius:.4em;margin:1em 0;padding:.5em .8em}
.target h2{font-size:1.2em;margin:.2em 0;word-break:break-all}
.cluster{margin:1.5em 0 .5em;border-bottom:2px solid #8886}
.cluster[data-failover=true] .state{background:var(--crit);color:#fff}
.state{display:inline-block;padding:0 .4em;border-radius:.3em;font-size:.8em;
vertical-align:middle;text-transform:uppercase}
.target[data-state=down]{border-left-color:var(--crit)}
.target[data-state=critical]{border-left-color:var(--crit)}
.target[data-state=warn]{border-left-color:var(--warn)}
.target[data-state=ok]{border-left-color:var(--ok)}
.target[data-state=down] .state,.target[data-state=critical] .state{background:var(--crit);
color:var(--bg)}
.target[data-state=warn] .state{background:var(--warn);color:var(--bg)}
.target[data-state=ok] .state{background:var(--ok);color:var(--bg)}
.target[data-state=unknown] .state{background:var(--unk);color:var(--bg)}
.down-banner{background:var(--crit);color:var(--bg);font-weight:700;padding:.3em .5em;
border-radius:.3em;overflow-wrap:anywhere}
.poll-error{color:var(--crit);overflow-wrap:anywhere}
.stale{color:var(--crit);font-weight:600}
ol.causes{list-style:none;padding:0;margin:.5em 0}
.cause{border-radius:.3em;margin:.4em 0;padding:.4em .6em;border-left:.35em solid}
.cause[data-level=critical]{background:var(--crit-bg);border-color:var(--crit)}
.cause[data-level=warn]{background:var(--warn-bg);border-color:var(--warn)}
.cause[data-level=ok]{background:var(--ok-bg);border-color:var(--ok)}
.cause[data-level=unknown]{background:var(--unk-bg);border-color:var(--unk)}
.head{display:flex;justify-content:space-between;gap:.5em;font-weight:600}
.level{text-transform:uppercase;font-size:.85em}
.cause[data-level=critical] .level{color:var(--crit)}
.cause[data-level=warn] .level{color:var(--warn)}
.cause[data-level=ok] .level{color:var(--ok)}
.cause[data-level=unknown] .level{color:var(--unk)}
.cause ul{margin:.3em 0;padding-left:1.2em}
.fix,.missing{margin:.3em 0}.fix b{display:block}
.not-judged{background:var(--unk-bg);border-radius:.3em;margin:.4em 0;padding:.4em .6em}
.recent-slowlog ul{margin:.2em 0;padding-left:1.2em}
details summary{cursor:pointer;color:var(--muted);font-size:.9em}
)";

void RenderCause(const CauseVerdict& c, std::string& html) {
  const char* name = CauseName(c.cause);
  const char* level_name = LevelName(c.level);
  if (c.risk) {
    html += fmt::format(
        "<li class=\"cause\" data-cause=\"{0}\" data-level=\"{1}\" data-risk=\"{2:.2f}\">"
        "<div class=\"head\"><span>{0}</span><span><span class=\"level\">{1}</span> "
        "<span class=\"risk\">{2:.2f}</span></span></div>",
        name, level_name, *c.risk);
  } else {
    html += fmt::format(
        "<li class=\"cause\" data-cause=\"{0}\" data-level=\"{1}\">"
        "<div class=\"head\"><span>{0}</span><span class=\"level\">{1}</span></div>",
        name, level_name);
  }
  std::string evidence;
  if (!c.evidence.empty()) {
    evidence = "<ul class=\"evidence\">";
    for (const std::string& line : c.evidence) evidence += "<li>" + Escape(line) + "</li>";
    evidence += "</ul>";
  }
  switch (c.level) {
    case RiskLevel::kCritical:
    case RiskLevel::kWarn:
      html += evidence;
      if (!c.fix.empty()) {
        html += "<p class=\"fix\"><b>Fix</b>" + Escape(c.fix) + "</p>";
      }
      break;
    case RiskLevel::kOk:
      // Collapsed: at 2 AM the healthy causes should not push the culprit off the screen, but
      // their numbers are one tap away to confirm the all-clear.
      if (!evidence.empty())
        html += "<details><summary>evidence</summary>" + evidence + "</details>";
      break;
    case RiskLevel::kUnknown:
      html += std::string("<p class=\"missing\" data-reason=\"") +
              MissingReasonName(c.missing_reason) + "\">" +
              Escape(MissingReasonText(c.missing_reason)) + "</p>";
      break;
  }
  html += "</li>";
}

// The line under the title: why the target cannot be polled, or how fresh its data is.
void RenderStatus(const TargetVerdict& t, std::string& html) {
  const std::string polled = "polled every " + Escape(FormatDuration(t.poll_interval));
  if (t.state == TargetState::kNotServing) {
    html += fmt::format("<p class=\"down-banner\" data-not-serving=\"{}\">NOT SERVING: {}</p>",
                        NotServingName(t.not_serving), Escape(t.not_serving_detail));
  }
  if (t.state == TargetState::kDown) {
    if (t.error) {
      html += fmt::format("<p class=\"down-banner\" data-stage=\"{}\">UNREACHABLE: {}</p>",
                          PollStageName(t.error->stage), Escape(t.error->message));
    } else {
      html += "<p class=\"down-banner\">UNREACHABLE: the newest poll failed</p>";
    }
    html +=
        fmt::format("<p class=\"muted\">{} · {}</p>",
                    t.data_age_seconds ? "last success " + FormatAge(*t.data_age_seconds) + " ago"
                                       : std::string("never reached since the exporter started"),
                    polled);
    return;
  }
  if (t.error) {
    // Not down, yet the newest poll failed (the triage run's rule for "down" is stricter).
    html += fmt::format("<p class=\"poll-error\" data-stage=\"{}\">Newest poll failed: {}</p>",
                        PollStageName(t.error->stage), Escape(t.error->message));
  }
  if (t.up && t.data_age_seconds) {
    html += fmt::format("<p class=\"muted{}\">up · data {} old{} · {}</p>", t.stale ? " stale" : "",
                        FormatAge(*t.data_age_seconds), t.stale ? " (STALE)" : "", polled);
  } else if (!t.error) {
    html += "<p class=\"muted\">waiting for the first poll · " + polled + "</p>";
  }
}

void RenderSlowlog(const TargetVerdict& t, double now_wall, std::string& html) {
  if (!t.up || t.recent_slowlog.empty()) return;
  html +=
      "<div class=\"recent-slowlog\"><b>Recent slowlog</b> <span class=\"muted\">newest "
      "first</span><ul>";
  for (const SlowlogEntry& e : t.recent_slowlog) {
    html += fmt::format(
        "<li data-command=\"{0}\">{0} {1:.3f} s <span class=\"muted\">{2} ago</span></li>",
        Escape(e.command), static_cast<double>(e.duration_us) / 1e6,
        FormatAge(now_wall - static_cast<double>(e.unix_time)));
  }
  html += "</ul></div>";
}

// A discovery's heading over its targets: its type and health, a failover in progress first.
void RenderClusterHeading(const TriageVerdict& verdict, const std::string& cluster,
                          std::string& html) {
  const ClusterVerdict* c = FindCluster(verdict, cluster);
  const std::string name = Escape(cluster);
  html += fmt::format(
      "<section class=\"cluster\" data-cluster=\"{0}\" data-failover=\"{1}\">"
      "<h2>{0}",
      name, c != nullptr && c->failover_in_progress ? "true" : "false");
  if (c != nullptr) {
    html += " <span class=\"muted\">" + Escape(c->type) + "</span>";
    if (c->failover_in_progress) html += " <span class=\"state\">failover in progress</span>";
  }
  html += "</h2>";
  if (c != nullptr && !c->evidence.empty()) {
    html += "<ul>";
    for (const std::string& line : c->evidence) html += "<li>" + Escape(line) + "</li>";
    html += "</ul>";
  }
  html += "</section>";
}

void RenderTarget(const TargetVerdict& t, double now_wall, std::string& html) {
  const std::string name = Escape(t.name);
  std::string role;
  if (!t.role.empty()) role = " <span class=\"muted\">" + Escape(t.role) + "</span>";
  html += fmt::format(
      "<section class=\"target\" data-target=\"{0}\" data-state=\"{1}\" data-up=\"{2}\" "
      "data-cluster=\"{4}\" data-role=\"{5}\">"
      "<h2>{0} <span class=\"state\">{1}</span>{3}</h2>",
      name, TargetStateName(t.state), t.up ? "true" : "false", role, Escape(t.cluster),
      Escape(t.role));
  RenderStatus(t, html);

  std::string items;
  for (const CauseVerdict& c : t.causes) {
    if (!c.NotJudgedWhileDown()) RenderCause(c, items);
  }
  if (!items.empty()) html += "<ol class=\"causes\">" + items + "</ol>";
  if (!t.not_judged_while_down.empty()) {
    std::string names, list;
    for (Cause c : t.not_judged_while_down) {
      // Appended piece by piece: "literal" + std::string trips GCC 12's -Wrestrict at -O3.
      if (!names.empty()) names += ' ';
      names += CauseName(c);
      if (!list.empty()) list += ", ";
      list += CauseName(c);
    }
    html += fmt::format(
        "<p class=\"not-judged\" data-reason=\"{}\" data-causes=\"{}\"><b>{}</b>: {}</p>",
        MissingReasonName(MissingReason::kTargetDown), names, list,
        Escape(MissingReasonText(MissingReason::kTargetDown)));
  }
  RenderSlowlog(t, now_wall, html);
  html += "</section>";
}

}  // namespace

std::string RenderTriagePage(const TriageVerdict& verdict) {
  const size_t n = verdict.targets.size();
  std::string html =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      // The data changes once per poll; 5 s keeps the page current without a reload button.
      "<meta http-equiv=\"refresh\" content=\"5\">"
      "<title>Redis timeout triage</title><style>";
  html += kStyle;
  html +=
      "</style></head><body>"
      "<nav><a href=\"/\">home</a><a href=\"/metrics\">/metrics</a></nav>"
      "<h1>Redis timeout triage</h1>";
  html += fmt::format(
      "<p class=\"summary\" data-down=\"{0}\" data-critical=\"{1}\" data-warn=\"{2}\" "
      "data-ok=\"{3}\" data-unknown=\"{4}\" data-not-serving=\"{7}\">{5} target{6}: ",
      verdict.Count(TargetState::kDown), verdict.Count(TargetState::kCritical),
      verdict.Count(TargetState::kWarn), verdict.Count(TargetState::kOk),
      verdict.Count(TargetState::kUnknown), n, n == 1 ? "" : "s",
      verdict.Count(TargetState::kNotServing));
  std::vector<std::string> parts;
  if (verdict.Count(TargetState::kDown) > 0) {
    parts.push_back(fmt::format("{} unreachable", verdict.Count(TargetState::kDown)));
  }
  if (verdict.Count(TargetState::kNotServing) > 0) {
    parts.push_back(fmt::format("{} not serving", verdict.Count(TargetState::kNotServing)));
  }
  parts.push_back(fmt::format("{} critical", verdict.Count(TargetState::kCritical)));
  parts.push_back(fmt::format("{} warn", verdict.Count(TargetState::kWarn)));
  parts.push_back(fmt::format("{} ok", verdict.Count(TargetState::kOk)));
  if (verdict.Count(TargetState::kUnknown) > 0) {
    parts.push_back(fmt::format("{} not judged yet", verdict.Count(TargetState::kUnknown)));
  }
  for (size_t i = 0; i < parts.size(); ++i) html += (i ? ", " : "") + parts[i];
  html += "</p>";
  html += fmt::format(
      "<p class=\"muted\">Generated {} from the latest poll; refreshes every 5 s. Causes are "
      "ranked by risk (0 = no sign, 1 = timeouts now); warn from {}, critical from {}.</p>",
      FormatUtc(verdict.generated_at), kWarnRisk, kCritRisk);

  if (verdict.targets.empty()) {
    html +=
        "<p>No target has been polled yet: the first poll has not finished, or the config "
        "has no targets.</p>";
  }
  const std::string* group = nullptr;
  for (const TargetVerdict& t : verdict.targets) {
    if (!t.cluster.empty() && (group == nullptr || *group != t.cluster)) {
      RenderClusterHeading(verdict, t.cluster, html);
    }
    group = &t.cluster;
    RenderTarget(t, verdict.generated_at, html);
  }
  return html + "</body></html>\n";
}

}  // namespace rte
