// Headless Chromium for the /triage page tests; see chromium.h.
#include "chromium.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <optional>

#include "subprocess.h"
#include "temp_dir.h"

namespace rte::testing {

void RequireChromium() {
  if (access(kChromium, X_OK) != 0) {
    FAIL(kChromium << " is missing: `scripts/install-deps.sh test` must install Debian's "
                      "chromium package for the /triage browser tests");
  }
}

std::string DumpDom(int port, const std::string& path) {
  TempDir dir("rte-chromium");
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
  Subprocess chromium(
      {kChromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
       "--disable-background-networking", "--disable-component-update", "--disable-sync",
       "--user-data-dir=" + dir.File("profile"), "--dump-dom", url},
      dir.path(),
      {"HOME=" + dir.path(), "XDG_CONFIG_HOME=" + dir.File("config"),
       "XDG_CACHE_HOME=" + dir.File("cache")});
  const std::optional<int> exit_code = chromium.Wait(std::chrono::seconds(20));
  std::string err = chromium.ReadStderr();
  if (err.size() > 4000) err = "..." + err.substr(err.size() - 4000);  // dbus noise comes first
  INFO("chromium stderr: " << err);
  REQUIRE(exit_code.has_value());  // else the destructor stops it by PID
  REQUIRE(*exit_code == 0);
  return chromium.ReadStdout();
}

}  // namespace rte::testing
