// The /triage page: plain server-rendered HTML with inline CSS, so it works on a phone, behind
// any proxy and with no network access to a CDN. The class/data-* attributes are test hooks.
#include "exposition/triage_page.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <optional>

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

// "0.4 s", "42 s", "7 min", "3 h", "2 d": precise when fresh, coarse when the data is old.
std::string Age(double seconds) {
  seconds = std::max(0.0, seconds);  // a wall clock step backwards must not print "-3 s"
  if (seconds < 10) return fmt::format("{:.1f} s", seconds);
  if (seconds < 120) return fmt::format("{:.0f} s", seconds);
  if (seconds < 2 * 3600) return fmt::format("{:.0f} min", seconds / 60);
  if (seconds < 2 * 86400) return fmt::format("{:.0f} h", seconds / 3600);
  return fmt::format("{:.0f} d", seconds / 86400);
}

std::string UtcTime(double wall) {
  const std::time_t t = static_cast<std::time_t>(wall);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

// What a card is as a whole: down beats every judgement, because a target that does not answer
// is timing out now whatever the causes say.
enum class TargetState { kDown, kCritical, kWarn, kOk, kUnknown };

const char* StateName(TargetState s) {
  switch (s) {
    case TargetState::kDown:
      return "down";
    case TargetState::kCritical:
      return "critical";
    case TargetState::kWarn:
      return "warn";
    case TargetState::kOk:
      return "ok";
    case TargetState::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::optional<double> MaxRisk(const TargetReport& r) {
  std::optional<double> max;
  for (const CauseRisk& c : r.risk.causes) {
    if (c.risk && (!max || *c.risk > *max)) max = c.risk;
  }
  return max;
}

TargetState StateOf(const TargetReport& r) {
  if (!r.up) return TargetState::kDown;
  switch (LevelOf(MaxRisk(r))) {
    case RiskLevel::kCritical:
      return TargetState::kCritical;
    case RiskLevel::kWarn:
      return TargetState::kWarn;
    case RiskLevel::kOk:
      return TargetState::kOk;
    case RiskLevel::kUnknown:
      return TargetState::kUnknown;
  }
  return TargetState::kUnknown;
}

// Sort key, larger is worse: down targets first, then by their highest risk; unjudged last.
double Badness(const TargetReport& r) {
  if (!r.up) return 2;
  return MaxRisk(r).value_or(-1);
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
border-radius:.3em}
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
details summary{cursor:pointer;color:var(--muted);font-size:.9em}
)";

void RenderCause(const CauseRisk& c, std::string& html) {
  const RiskLevel level = LevelOf(c.risk);
  const char* name = CauseName(c.cause);
  const char* level_name = LevelName(level);
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
  switch (level) {
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

void RenderTarget(const TargetReport& r, double now_wall, std::string& html) {
  const TargetState state = StateOf(r);
  const std::string name = Escape(r.config.name);
  html += fmt::format(
      "<section class=\"target\" data-target=\"{0}\" data-state=\"{1}\" data-up=\"{2}\">"
      "<h2>{0} <span class=\"state\">{1}</span></h2>",
      name, StateName(state), r.up ? "true" : "false");

  const double poll = ToSeconds(r.config.poll_interval);
  if (!r.up) {
    html += "<p class=\"down-banner\">UNREACHABLE: the last poll failed";
    html += r.last_success_wall
                ? fmt::format("; last success {} ago", Age(now_wall - *r.last_success_wall))
                : std::string("; never reached since the exporter started");
    html += "</p>";
  } else if (r.last_success_wall) {
    const double age = now_wall - *r.last_success_wall;
    // Three missed polls: the poller is stuck or slow, so these judgements are not current.
    const bool stale = age > 3 * poll + 1;
    html += fmt::format("<p class=\"muted{}\">up · data {} old{} · polled every {}</p>",
                        stale ? " stale" : "", Age(age), stale ? " (STALE)" : "",
                        Escape(FormatDuration(r.config.poll_interval)));
  }

  html += "<ol class=\"causes\">";
  for (const CauseRisk* c : RankCauses(r.risk)) RenderCause(*c, html);
  html += "</ol></section>";
}

}  // namespace

std::string RenderTriagePage(const std::vector<std::shared_ptr<const TargetReport>>& reports,
                             double now_wall) {
  std::vector<const TargetReport*> sorted;
  for (const auto& r : reports) {
    if (r) sorted.push_back(r.get());
  }
  std::stable_sort(sorted.begin(), sorted.end(), [](const TargetReport* a, const TargetReport* b) {
    const double ba = Badness(*a), bb = Badness(*b);
    if (ba != bb) return ba > bb;
    return a->config.name < b->config.name;
  });

  int counts[5] = {0, 0, 0, 0, 0};  // indexed by TargetState
  for (const TargetReport* r : sorted) ++counts[static_cast<int>(StateOf(*r))];

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
      "data-ok=\"{3}\" data-unknown=\"{4}\">{5} target{6}: ",
      counts[0], counts[1], counts[2], counts[3], counts[4], sorted.size(),
      sorted.size() == 1 ? "" : "s");
  std::vector<std::string> parts;
  if (counts[0] > 0) parts.push_back(fmt::format("{} unreachable", counts[0]));
  parts.push_back(fmt::format("{} critical", counts[1]));
  parts.push_back(fmt::format("{} warn", counts[2]));
  parts.push_back(fmt::format("{} ok", counts[3]));
  if (counts[4] > 0) parts.push_back(fmt::format("{} not judged yet", counts[4]));
  for (size_t i = 0; i < parts.size(); ++i) html += (i ? ", " : "") + parts[i];
  html += "</p>";
  html += fmt::format(
      "<p class=\"muted\">Generated {} from the latest poll; refreshes every 5 s. Causes are "
      "ranked by risk (0 = no sign, 1 = timeouts now); warn from {}, critical from {}.</p>",
      UtcTime(now_wall), kWarnRisk, kCritRisk);

  if (sorted.empty()) {
    html +=
        "<p>No target has been polled yet: the first poll has not finished, or the config "
        "has no targets.</p>";
  }
  for (const TargetReport* r : sorted) RenderTarget(*r, now_wall, html);
  return html + "</body></html>\n";
}

}  // namespace rte
