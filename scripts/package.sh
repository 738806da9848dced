#!/usr/bin/env bash
# Builds the Debian packages: vmatlas_VERSION_amd64.deb (the command, man page, completions,
# gdb extension, Python module) and vmatlas-dev_VERSION_amd64.deb (library, headers, CMake and
# pkg-config files), in a Release build without tests. Prints the paths of the two packages.
#
#   scripts/package.sh [BUILD_DIR]     (default: build-package)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/build-package}
"$root/scripts/setup.sh"
"$root/scripts/build.sh" "$dir" -DCMAKE_BUILD_TYPE=Release -DVMATLAS_TESTS=OFF \
  -DVMATLAS_BENCH=OFF -DVMATLAS_EXAMPLES=OFF
(cd "$dir" && cpack -G DEB >/dev/null)
ls "$dir"/vmatlas*_"$(dpkg --print-architecture)".deb
