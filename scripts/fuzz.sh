#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (clang-14, ASan + UBSan) and runs each for FUZZ_SECONDS,
# seeded from tests/fixtures/. Prints per target: seconds, exec/s, cov, ft, crashes. A crash
# fails the run; its input is kept as FUZZ_DIR/crashes/<target>-crash-<sha1>.
# Usage: scripts/fuzz.sh [--build-only] [target...]   (default: every target)
#   FUZZ_SECONDS=600  each target's run     FUZZ_JOBS=1  targets run at once
#   FUZZ_DIR=build-fuzz                     JOBS=2       build parallelism
# Reproduce a crash: FUZZ_DIR/fuzz_<target> FUZZ_DIR/crashes/<file>
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-600}
jobs=${FUZZ_JOBS:-1}
dir=${FUZZ_DIR:-build-fuzz}
all=(resp_decoder poll_batch info slowlog latency_latest config_get client_list error_reply config
     web_config proc_netstat proc_sys proc_process cgroup sock_diag discovery)
build_only=false
if [ "${1:-}" = --build-only ]; then
  build_only=true
  shift
fi
targets=("${@:-${all[@]}}")

for tool in clang++-14 cmake; do
  command -v "$tool" >/dev/null || { echo "$0: $tool missing: scripts/install-deps.sh test" >&2; exit 2; }
done
cmake -S fuzz -B "$dir" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$dir" -j"${JOBS:-2}" --target "${targets[@]/#/fuzz_}" >/dev/null
$build_only && exit 0

# Seeds: fixture folders as they are (libFuzzer reads them recursively, never writes to them),
# and single files copied into a seed folder of the build dir.
fx=tests/fixtures
seeds() {
  case "$1" in
    resp_decoder) echo "$fx/redis/batches" "$fx"/redis/*.resp ;;
    poll_batch) echo "$fx/redis/batches" ;;
    info) echo "$fx"/redis/info_*.txt ;;
    slowlog) echo "$fx"/redis/slowlog_get*.resp ;;
    latency_latest) echo "$fx/redis/latency_latest.resp" ;;
    config_get) echo "$fx"/redis/config_get_*.resp ;;
    client_list) echo "$fx"/redis/client_list*.txt ;;
    error_reply) echo "$dir/seeds/error_reply/lines" ;;
    config) echo config/redis-timeout-exporter.yaml ;;
    web_config) echo "$dir/seeds/web_config/lines" ;;
    proc_netstat) echo "$fx"/proc/*/net ;;
    proc_sys) echo "$fx"/proc/*/sys ;;
    proc_process) echo "$fx/proc/process" "$fx/sys" ;;
    cgroup) echo "$fx/cgroup" ;;
    sock_diag) echo "$fx"/netlink/*.bin ;;
    discovery) echo "$fx/discovery" ;;
  esac
}
mkdir -p "$dir/seeds/error_reply/lines" "$dir/seeds/web_config/lines" "$dir/crashes"
# One error reply per seed, as ClassifyError sees it.
n=0
tail -n +2 "$fx/redis/error_replies.txt" | while IFS= read -r line; do
  n=$((n + 1)); printf '%s' "$line" >"$dir/seeds/error_reply/lines/$n"
done
printf 'tls_server_config:\n  cert_file: /etc/tls/cert.pem\n  key_file: /etc/tls/key.pem\n' \
  >"$dir/seeds/web_config/lines/tls"
printf 'basic_auth_users:\n  admin: $2y$10$abcdefghijklmnopqrstuu\n' \
  >"$dir/seeds/web_config/lines/basic_auth"

run() {
  local target=$1 corpus="$dir/corpus/$1" seed_dir="$dir/seeds/$1/files" path
  mkdir -p "$corpus" "$seed_dir"
  local inputs=()
  for path in $(seeds "$target"); do
    if [ -d "$path" ]; then inputs+=("$path"); else cp "$path" "$seed_dir/"; fi
  done
  inputs+=("$seed_dir")
  "$dir/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 -timeout=25 \
    -rss_limit_mb=2048 -artifact_prefix="$dir/crashes/$target-" "$corpus" "${inputs[@]}" \
    >"$dir/$target.log" 2>&1
}

touch "$dir/crashes/.run-start"  # crashes newer than this are this run's
failed=0
pids=()
for target in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  run "$target" &
  pids+=("$!")
done
printf '%-15s %7s %9s %7s %7s %s\n' target seconds exec/s cov ft crashes
for i in "${!targets[@]}"; do
  target=${targets[$i]}
  status=0
  wait "${pids[$i]}" || status=$?
  log="$dir/$target.log"
  stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
  line=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$line")
  ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$line")
  crashes=$(find "$dir/crashes" -name "$target-*" -newer "$dir/crashes/.run-start" | wc -l)
  secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  printf '%-15s %7s %9s %7s %7s %s\n' "$target" "${secs:-?}" "$(stat average_exec_per_sec)" \
    "${cov:-?}" "${ft:-?}" "$crashes"
  if [ "$status" -ne 0 ]; then
    failed=1
    echo "  $target failed (exit $status): see $log; input in $dir/crashes/" >&2
    grep -m3 -E 'ERROR: |runtime error:' "$log" | sed 's/^/    /' >&2 || true
  fi
done
exit "$failed"
