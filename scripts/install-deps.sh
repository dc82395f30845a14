#!/usr/bin/env bash
# Installs the Debian 12 packages the build, the daemon and the tests need, when missing.
# Usage: scripts/install-deps.sh [build|run|test|bench]   (as root, or with sudo available)
set -euo pipefail

build_pkgs=(g++ cmake make pkg-config libhiredis-dev prometheus-cpp-dev libyaml-cpp-dev
            libspdlog-dev libevent-dev libssl-dev libcrypt-dev nlohmann-json3-dev catch2 zlib1g-dev)
run_pkgs=(redis-server redis-tools curl ca-certificates)
# wrk and prometheus-redis-exporter: `make test` runs the bench's smoke mode; clang-14 and
# libfuzzer-14-dev its short run of the fuzz targets (scripts/fuzz.sh).
test_pkgs=(redis-server redis-tools curl openssl ca-certificates python3 python3-yaml prometheus
           prometheus-alertmanager chromium fonts-liberation clang-format-14 wrk
           prometheus-redis-exporter buildah debootstrap jsonnet clang-14 libfuzzer-14-dev)
# `make bench`: Debian's redis_exporter to compare against, wrk to load /metrics, ccache for
# the bench's own Release build.
bench_pkgs=(redis-server redis-tools python3 wrk prometheus-redis-exporter ccache)

case "${1:-build}" in
  build) wanted=("${build_pkgs[@]}") ;;
  run) wanted=("${build_pkgs[@]}" "${run_pkgs[@]}") ;;
  test) wanted=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  bench) wanted=("${build_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: $0 [build|run|test|bench]" >&2; exit 2 ;;
esac

missing=()
# kubectl renders the kustomize tests: Debian's kubernetes-client, unless a kubectl (from
# another package, which would conflict with it) is already installed.
if [ "${1:-build}" = test ] && ! command -v kubectl >/dev/null; then
  wanted+=(kubernetes-client)
fi
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install as root: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "installing missing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
