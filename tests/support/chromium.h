// Debian's headless Chromium as the browser of the /triage page tests: it loads a page from the
// daemon and hands back the DOM it built, so the tests check what a phone would render.
#pragma once

#include <string>

namespace rte::testing {

inline constexpr char kChromium[] = "/usr/bin/chromium";

// Fails the running Catch test when kChromium is not installed: `scripts/install-deps.sh test`
// installs it, and a skipped browser test would hide that.
void RequireChromium();

// Loads http://127.0.0.1:port<path> in a fresh headless Chromium (own profile, HOME and caches
// in a temp dir, so runs do not share state or touch the user's) and returns the DOM it
// serialises after load. A Catch REQUIRE fails, with Chromium's stderr, if it does not exit 0
// within 20 s.
std::string DumpDom(int port, const std::string& path);

}  // namespace rte::testing
