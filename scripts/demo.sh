#!/usr/bin/env bash
# Installs what is missing, builds, and shows vmatlas on its demo process: a program that maps a
# file whose name has a space, a deleted file, a memfd, an mprotect-split region and an RWX page,
# starts two threads and dlopens a library.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" "$root/build"

exec 3< <(exec "$root/build/vmatlas-demo" --seconds 60)
read -r word pid <&3
[ "$word" = ready ] || { echo "demo: the demo process did not start" >&2; exit 1; }
trap 'kill "$pid" 2>/dev/null || true' EXIT
echo "\$ vmatlas $pid"
"$root/build/vmatlas" "$pid" "$@"
