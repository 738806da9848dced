#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test twice: in the normal build and in a build
# with -fsanitize=address,undefined. Exits non-zero if any test fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
jobs=$(nproc)

echo "== build (RelWithDebInfo) and test"
"$root/scripts/build.sh" "$root/build"
ctest --test-dir "$root/build" --output-on-failure -j "$jobs"

echo "== build with ASan+UBSan and test"
"$root/scripts/build.sh" "$root/build-asan" -DVMATLAS_SANITIZE=ON -DVMATLAS_BENCH=OFF
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$root/build-asan" --output-on-failure -j "$jobs"
