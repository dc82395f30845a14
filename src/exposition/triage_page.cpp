#include "exposition/triage_page.h"

#include <fmt/format.h>

namespace rte {
namespace {

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::string RenderTriagePage(const std::vector<std::shared_ptr<const TargetReport>>& reports,
                             double now_wall) {
  std::string html =
      "<!doctype html><html><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta http-equiv=\"refresh\" content=\"5\"><title>Redis timeout triage</title></head><body>"
      "<h1>Redis timeout triage</h1>";
  for (const auto& r : reports) {
    html += fmt::format("<section class=\"target\" data-target=\"{}\"><h2>{}</h2>",
                        Escape(r->config.name), Escape(r->config.name));
    if (r->last_success_wall) {
      html += fmt::format("<p>last poll {:.0f} s ago</p>", now_wall - *r->last_success_wall);
    }
    html += "<ol class=\"causes\">";
    for (const CauseRisk* c : RankCauses(r->risk)) {
      html += fmt::format("<li class=\"cause\" data-cause=\"{}\" data-level=\"{}\">{} {}",
                          CauseName(c->cause), LevelName(LevelOf(c->risk)), CauseName(c->cause),
                          c->risk ? fmt::format("{:.2f}", *c->risk) : Escape(c->missing_reason));
      html += "</li>";
    }
    html += "</ol></section>";
  }
  return html + "</body></html>\n";
}

}  // namespace rte
