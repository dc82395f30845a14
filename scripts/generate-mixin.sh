#!/usr/bin/env bash
# Renders the jsonnet mixin (mixin/) into the files Prometheus and Grafana load:
#   deploy/prometheus/redis-timeout-rules.yml   recording rules and alerts
#   dashboards/*.json                           the Grafana dashboards
# With --check it writes nothing and exits 1 when a committed file differs from what the mixin
# renders (the tests/deploy drift test). Needs Debian's jsonnet (scripts/install-deps.sh test).
# `make mixin` runs this, then scripts/generate-kubernetes.py (PrometheusRule from the rules).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
check=0
[ "${1:-}" = --check ] && check=1
command -v jsonnet >/dev/null ||
  { echo "generate-mixin.sh: jsonnet is missing (Debian package jsonnet)" >&2; exit 1; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/dashboards"
jsonnet -S "$repo/mixin/build/rules.jsonnet" >"$out/redis-timeout-rules.yml"
jsonnet -m "$out/dashboards" "$repo/mixin/build/dashboards.jsonnet" >/dev/null

declare -A files=([deploy/prometheus/redis-timeout-rules.yml]="$out/redis-timeout-rules.yml")
for f in "$out"/dashboards/*.json; do files[dashboards/$(basename "$f")]=$f; done

status=0
for rel in "${!files[@]}"; do
  if [ "$check" -eq 1 ]; then
    if ! cmp -s "${files[$rel]}" "$repo/$rel"; then
      echo "$rel differs from what mixin/ renders: run \`make mixin\` and commit the result" >&2
      diff -u "$repo/$rel" "${files[$rel]}" | head -n 20 >&2 || true
      status=1
    else
      echo "$rel: up to date"
    fi
  else
    cp "${files[$rel]}" "$repo/$rel"
  fi
done
# A dashboard the mixin no longer renders must not linger.
for f in "$repo"/dashboards/*.json; do
  [ -n "${files[dashboards/$(basename "$f")]:-}" ] && continue
  echo "dashboards/$(basename "$f") is not rendered by mixin/ (add it there or delete it)" >&2
  status=1
done
exit $status
