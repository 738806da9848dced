#!/usr/bin/env bash
# Installs the Debian 12 packages vmatlas needs to build, test and benchmark, if any is missing,
# then fetches the guest kernel of the page-table tests (scripts/guest-kernel.sh: downloaded and
# unpacked, not installed; nothing to do when already there).
# Run as root (or with sudo available). Installs nothing else.
set -euo pipefail

packages=(
  build-essential g++ cmake ninja-build pkg-config git
  libfmt-dev nlohmann-json3-dev libelf-dev libdw-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev        # libFuzzer targets
  gdb gdbserver procps python3 file binutils # peers and ground truth for tests and benchmarks
  llvm xz-utils                  # llvm-symbolizer, a peer of `where`; xz for MiniDebugInfo tests
  libc6-dbg                      # libc's lines for the `where` benchmark
  clang-format
  zsh fish                       # the shell completions are tested in them
  gcc-multilib g++-multilib      # 32-bit test programs and cores
  python3-dev pybind11-dev       # the Python module
  python3-jsonschema             # the JSON Schema of every view is checked against its output
  qemu-system-x86 busybox-static # a guest kernel is booted for the page-table tests
  qemu-user                      # QEMU user-mode guests, and an aarch64 one built by clang with
  libc6-dev-arm64-cross libgcc-12-dev-arm64-cross binutils-aarch64-linux-gnu # (not gcc's cross
                                 # compiler: gcc-aarch64-linux-gnu conflicts with gcc-multilib)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

"$(dirname "$0")/guest-kernel.sh"
