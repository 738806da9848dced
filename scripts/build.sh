#!/usr/bin/env bash
# Configures and builds vmatlas in a build directory: scripts/build.sh [DIR] [CMAKE ARGS...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/build}
shift || true
cmake -S "$root" -B "$dir" -G Ninja "$@" >/dev/null
ninja -C "$dir" >/dev/null
