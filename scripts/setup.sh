#!/usr/bin/env bash
# Installs the Debian 12 packages vmatlas needs to build, test and benchmark, if any is missing.
# Run as root (or with sudo available). Installs nothing else.
set -euo pipefail

packages=(
  build-essential g++ cmake ninja-build pkg-config git
  libfmt-dev nlohmann-json3-dev libelf-dev libdw-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev        # libFuzzer targets
  gdb procps python3 file binutils # peers and ground truth for tests and benchmarks
  python3-dev                    # the Python module (with pybind11-dev)
  llvm xz-utils                  # llvm-symbolizer, a peer of `where`; xz for MiniDebugInfo tests
  libc6-dbg                      # libc's lines for the `where` benchmark
  clang-format
  zsh fish                       # the shell completions are tested in them
  gcc-multilib g++-multilib      # 32-bit test programs and cores
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
