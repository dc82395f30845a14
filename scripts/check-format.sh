#!/usr/bin/env bash
# Checks every C++ source against the root .clang-format with Debian 12's clang-format-14 (one
# pinned version: another one formats a few constructs differently). Run first by `make test`.
# Usage: scripts/check-format.sh          list the unformatted files; exit 1 if there are any
#        scripts/check-format.sh --fix    reformat them in place (`make format`)
set -euo pipefail
cd "$(dirname "$0")/.."

clang_format=clang-format-14
fix=false
case "${1:-}" in
  "") ;;
  --fix) fix=true ;;
  *) echo "usage: $0 [--fix]" >&2; exit 2 ;;
esac
if ! command -v "$clang_format" >/dev/null; then
  echo "$0: $clang_format not found: apt-get install clang-format-14" >&2
  exit 2
fi

dirs=()
for dir in src tests bench fuzz; do
  [ -d "$dir" ] && dirs+=("$dir")
done
mapfile -d '' files < <(find "${dirs[@]}" -type f \( -name '*.cpp' -o -name '*.h' \) -print0 |
                        sort -z)

if $fix; then
  [ ${#files[@]} -eq 0 ] || "$clang_format" --style=file -i "${files[@]}"
  echo "formatted ${#files[@]} file(s) with $clang_format"
  exit 0
fi

unformatted=()
for file in "${files[@]}"; do
  if ! "$clang_format" --style=file --dry-run --Werror "$file" >/dev/null 2>&1; then
    unformatted+=("$file")
  fi
done
if [ ${#unformatted[@]} -gt 0 ]; then
  echo "check-format: ${#unformatted[@]} of ${#files[@]} file(s) do not follow .clang-format:" >&2
  printf '  %s\n' "${unformatted[@]}" >&2
  echo "fix with: make format   (see the changes: $clang_format --dry-run FILE)" >&2
  exit 1
fi
echo "check-format: ${#files[@]} file(s) follow .clang-format"
