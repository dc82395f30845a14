#!/usr/bin/env bash
# Prints the DOM Debian's headless Chromium renders for a URL, e.g. the daemon's /triage page:
#   scripts/chromium-dom.sh http://127.0.0.1:9121/triage
# Uses a throw-away profile, HOME and caches, so it leaves nothing behind.
set -euo pipefail

url="${1:?usage: $0 URL}"
chromium="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] || { echo "$chromium missing: run scripts/install-deps.sh test" >&2; exit 1; }

dir="$(mktemp -d /tmp/rte-chromium.XXXXXX)"
trap 'rm -rf "$dir"' EXIT
HOME="$dir" XDG_CONFIG_HOME="$dir/config" XDG_CACHE_HOME="$dir/cache" \
  timeout 30 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$dir/profile" --dump-dom "$url" 2>"$dir/stderr" ||
  { rc=$?; tail -20 "$dir/stderr" >&2; exit "$rc"; }
