#!/usr/bin/env bash
# Runs a command whose tool must be on PATH; fails (never skips) with the package to install.
# Usage: require_tool.sh TOOL [ARGS...]
set -euo pipefail
tool="$1"
if ! command -v "$tool" >/dev/null 2>&1; then
  case "$tool" in
    promtool) pkg=prometheus ;;
    amtool) pkg=prometheus-alertmanager ;;
    python3) pkg="python3 python3-yaml" ;;
    *) pkg="(unknown)" ;;
  esac
  echo "FAIL: $tool not found on PATH; install the Debian package(s): $pkg (scripts/install-deps.sh test)" >&2
  exit 1
fi
exec "$@"
