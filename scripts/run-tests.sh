#!/usr/bin/env bash
# The suites of `make test`, after its build (Release daemon, tests, warnings as errors):
#   1. ctest in BUILD_DIR (unit, integration, alerts, dashboards, stack, deploy), then the
#      bench's own tests and its smoke run;
#   2. meanwhile, the AddressSanitizer/UndefinedBehaviorSanitizer build of the daemon and the
#      unit tests (`make asan-build`), then the libFuzzer targets (`scripts/fuzz.sh
#      --build-only`), compiled as an idle-priority job (SCHED_IDLE): it only takes CPU time
#      the suites leave unused, so their timing is not disturbed;
#   3. then the sanitizer unit tests, and the integration tests again against the sanitizer
#      daemon (RTE_TEST_EXPORTER_BINARY). Sanitizer reports of the daemon are written under
#      ASAN_DIR/sanitizer-reports/ and fail the run;
#   4. each fuzz target for 3 s (`make fuzz` runs them for 10 minutes each).
# Usage (from the repository root): BUILD_DIR=build ASAN_DIR=build-asan scripts/run-tests.sh
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${BUILD_DIR:-build}
asan_dir=${ASAN_DIR:-build-asan}
mkdir -p "$asan_dir"
asan_log="$asan_dir/asan-and-fuzz-build.log"

# Lowest CPU priority for the sanitizer compile: SCHED_IDLE where chrt allows it, else nice 19.
idle=(nice -n 19)
if chrt --idle 0 true 2>/dev/null; then idle=(chrt --idle 0); fi
# Its own process group (setsid), so that a failing suite stops the whole compile.
setsid "${idle[@]}" sh -c "make --no-print-directory asan-build ASAN_DIR='$asan_dir' &&
  scripts/fuzz.sh --build-only" >"$asan_log" 2>&1 &
asan_pid=$!
trap 'kill -- -"$asan_pid" 2>/dev/null || true' EXIT

status=0
(cd "$build_dir" && ctest --output-on-failure -j2) || status=$?
if [ "$status" -eq 0 ]; then
  python3 -m unittest discover -s bench || status=$?
fi
if [ "$status" -eq 0 ]; then
  python3 bench/bench.py --smoke --exporter "$build_dir/redis-timeout-exporter" || status=$?
fi
if [ "$status" -eq 0 ]; then
  python3 scripts/soak.py --seconds 60 --exporter "$build_dir/redis-timeout-exporter" || status=$?
fi
[ "$status" -eq 0 ] || exit "$status"

echo "waiting for the sanitizer and fuzz builds (log: $asan_log)"
if ! wait "$asan_pid"; then
  tail -n 100 "$asan_log"
  echo "the sanitizer or fuzz build failed (whole log: $asan_log)" >&2
  exit 1
fi
trap - EXIT

(cd "$asan_dir" && ctest --output-on-failure -L unit)

# The [scenario] and [persistence] tests judge timing over minutes, which a sanitizer's 2-3x
# slowdown distorts; every code path they drive runs in the other integration tests.
reports="$PWD/$asan_dir/sanitizer-reports"
rm -rf "$reports" && mkdir -p "$reports"
# A 16 MB quarantine (the default is 256 MB) keeps freed memory from inflating the daemon's
# RSS, which some tests bound (a hostile server's oversized replies are freed at once).
ASAN_OPTIONS="log_path=$reports/asan:quarantine_size_mb=16" UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1" \
  RTE_TEST_EXPORTER_BINARY="$PWD/$asan_dir/redis-timeout-exporter" \
  "$build_dir/tests/integration_tests" "~[persistence]~[scenario]"
if [ -n "$(ls -A "$reports")" ]; then
  for report in "$reports"/*; do
    echo "== $report" && head -n 60 "$report"
  done
  echo "the sanitizer daemon reported errors (above)" >&2
  exit 1
fi
echo "sanitizer run: no reports from the daemon"

FUZZ_SECONDS=3 scripts/fuzz.sh
