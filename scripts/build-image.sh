#!/usr/bin/env bash
# Builds the container image from the Dockerfile with buildah (no daemon), and smoke-tests it.
#
# Usage: scripts/build-image.sh [--binary PATH] [--smoke] [--tag NAME]
#   --binary PATH  put this daemon (built on Debian 12) in the image, stripped, instead of
#                  compiling it in the Dockerfile's build stage: `make test` has just built it
#   --smoke        then run the image's binary: --version, --config.check, and the daemon
#                  against a redis-server on the host network, whose /metrics must show it up
#   --tag NAME     image name (default redis-timeout-exporter:<version>)
#
# Runs as root (buildah's chroot isolation). Everything it keeps lives under $RTE_IMAGE_DIR
# (default build-image/ in the repository, ignored by git): buildah's storage (driver vfs, which
# needs no overlay mounts) and the base image. When no registry can be reached to pull
# debian:12-slim, the base is made here from Debian packages with debootstrap --variant=minbase,
# from the mirror in this machine's apt sources, and tagged docker.io/library/debian:12-slim;
# the build then runs with --pull=never. Delete $RTE_IMAGE_DIR to start from nothing.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
version=$(sed -n 's/^project(redis-timeout-exporter VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
tag="redis-timeout-exporter:${version}"
binary=""
smoke=0
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary=$2; shift 2 ;;
    --binary=*) binary=${1#*=}; shift ;;
    --smoke) smoke=1; shift ;;
    --tag) tag=$2; shift 2 ;;
    --tag=*) tag=${1#*=}; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "build-image.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

for tool in buildah debootstrap; do
  command -v "$tool" >/dev/null ||
    { echo "build-image.sh: $tool is missing (Debian package $tool; scripts/install-deps.sh test)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "build-image.sh: run as root (buildah chroot isolation, debootstrap)" >&2; exit 1; }

dir=${RTE_IMAGE_DIR:-$repo/build-image}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# vfs: no overlay or fuse-overlayfs mounts, which containers in CI often cannot make.
# chroot isolation: no new namespaces beyond what buildah can make as root in a container.
bh=(buildah --storage-driver vfs --root "$dir/storage" --runroot "$dir/run")
export BUILDAH_ISOLATION=chroot
base=docker.io/library/debian:12-slim
seconds() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(seconds)" 'BEGIN { printf "%.1f", b - a }'; }

# The Debian mirror this machine installs from (deb822 .sources or one-line sources.list).
debian_mirror() {
  local uri
  uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
          /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  if [ -z "$uri" ]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' \
            /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1 || true)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

make_base_with_debootstrap() {
  local mirror rootfs start ctr
  mirror=$(debian_mirror)
  rootfs="$dir/rootfs"
  rm -rf "$rootfs"
  start=$(seconds)
  echo "build-image.sh: no registry; making $base with debootstrap --variant=minbase from $mirror"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$dir/debootstrap.log" 2>&1 ||
    { tail -n 20 "$dir/debootstrap.log" >&2; exit 1; }
  # As debian:12-slim: bookworm, its updates and security suites; no package lists, no caches.
  cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
EOF
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/log/* \
         "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*
  tar -C "$rootfs" --numeric-owner -cf "$dir/rootfs.tar" .
  rm -rf "$rootfs"
  ctr=$("${bh[@]}" from scratch)
  "${bh[@]}" add "$ctr" "$dir/rootfs.tar" / >/dev/null
  "${bh[@]}" config --cmd /bin/bash --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --label org.opencontainers.image.description="debian:12-slim made locally by debootstrap --variant=minbase from $mirror" \
    "$ctr"
  "${bh[@]}" commit --rm "$ctr" "$base" >/dev/null
  rm -f "$dir/rootfs.tar"
  echo "build-image.sh: base made in $(elapsed "$start") s (debootstrap + commit)"
}

pull=(--pull=never)
if ! "${bh[@]}" inspect --type image "$base" >/dev/null 2>&1; then
  if timeout 60 "${bh[@]}" pull --quiet "$base" >/dev/null 2>&1; then
    pull=(--pull=missing)
  else
    make_base_with_debootstrap
  fi
fi

build_args=()
if [ -n "$binary" ]; then
  [ -x "$binary" ] || { echo "build-image.sh: $binary is not an executable" >&2; exit 1; }
  mkdir -p "$dir/prebuilt"
  strip --strip-unneeded -o "$dir/prebuilt/redis-timeout-exporter" "$binary"
  # The context is the repository; .dockerignore lets in build-image/prebuilt/ only.
  [ "$dir" = "$repo/build-image" ] ||
    { echo "build-image.sh: --binary needs RTE_IMAGE_DIR inside the repository as build-image/" >&2; exit 1; }
  build_args=(--build-arg PREBUILT=build-image/prebuilt/redis-timeout-exporter)
fi

start=$(seconds)
"${bh[@]}" bud "${pull[@]}" --isolation chroot --layers=false \
  "${build_args[@]}" --build-arg VERSION="$version" \
  --label org.opencontainers.image.revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
  --label org.opencontainers.image.created="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  -t "$tag" -f Dockerfile . >"$dir/bud.log" 2>&1 ||
  { tail -n 40 "$dir/bud.log" >&2; exit 1; }
build_seconds=$(elapsed "$start")
# Only the newest image of this tag and the base stay: vfs keeps whole copies per layer.
"${bh[@]}" rmi --prune >/dev/null 2>&1 || true
size=$("${bh[@]}" images --format '{{.Name}}:{{.Tag}} {{.Size}}' | awk -v t="localhost/$tag" '$1 == t { print $2, $3 }')
echo "build-image.sh: built $tag in $build_seconds s; size ${size:-?} (base $base included)"

[ "$smoke" -eq 1 ] || exit 0

# --- Smoke test -------------------------------------------------------------------------
ctr=""
redis_pid=""
daemon_pid=""
work=$(mktemp -d "$dir/smoke.XXXXXX")
cleanup() {
  local rc=$?
  if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; fi
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
  if [ -n "$ctr" ]; then "${bh[@]}" rm "$ctr" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
fail() { echo "build-image.sh: smoke test FAILED: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

ctr=$("${bh[@]}" from --pull=never "$tag")
run=("${bh[@]}" run --isolation chroot --network host "$ctr" --)

out=$("${run[@]}" /usr/local/bin/redis-timeout-exporter --version) || fail "--version exited $?"
[ "$out" = "redis-timeout-exporter $version" ] || fail "--version printed '$out'"
uid=$("${run[@]}" id -u) || fail "id -u"
[ "$uid" != 0 ] || fail "the image runs as root"
labels=$("${bh[@]}" inspect --type image --format '{{range $k, $v := .OCIv1.Config.Labels}}{{$k}} {{end}}' "$tag")
for label in title description version revision created source; do
  [[ " $labels " == *" org.opencontainers.image.$label "* ]] || fail "no label org.opencontainers.image.$label"
done
mnt=$("${bh[@]}" mount "$ctr")
if readelf -S "$mnt/usr/local/bin/redis-timeout-exporter" | grep -q '\.debug_'; then
  fail "the binary in the image carries debug info"
fi
[ ! -e "$mnt/src" ] && [ ! -e "$mnt/usr/bin/g++" ] || fail "sources or a compiler in the run-time image"
"${bh[@]}" umount "$ctr" >/dev/null
out=$("${run[@]}" /usr/local/bin/redis-timeout-exporter --config.check) || fail "--config.check of the shipped config: $out"
echo "build-image.sh: smoke: --version ok, uid $uid, --config.check: $out"

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
redis_pid=$!
web_port=$(free_port)
cat >"$work/config.yaml" <<EOF
poll_interval: 1s
targets:
  - name: smoke
    address: 127.0.0.1:$redis_port
EOF
chmod 0755 "$work"
chmod 0644 "$work/config.yaml"
"${bh[@]}" run --isolation chroot --network host --volume "$work:/smoke:ro" "$ctr" -- \
  /usr/local/bin/redis-timeout-exporter --config.file=/smoke/config.yaml \
  --web.listen-address="127.0.0.1:$web_port" >"$work/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$web_port/metrics" 2>/dev/null |
       grep -q '^redis_timeout_target_up{target="smoke"} 1$'; then
    echo "build-image.sh: smoke: the daemon in the image polls redis on 127.0.0.1:$redis_port: target_up 1"
    exit 0
  fi
  kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/daemon.log" >&2; fail "the daemon exited"; }
  sleep 0.5
done
cat "$work/daemon.log" >&2
fail "no redis_timeout_target_up{target=\"smoke\"} 1 on /metrics within 60 s"
