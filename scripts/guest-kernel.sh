#!/usr/bin/env bash
# Fetches Debian's own kernel for the page-table tests' guest, without installing it.
#
#   scripts/guest-kernel.sh [DIR]      DIR defaults to /var/cache/vmatlas-guest
#
# Resolves the metapackage linux-image-amd64 to the kernel package it depends on
# (linux-image-VERSION-amd64), downloads that .deb into DIR with `apt-get download`, unpacks it
# there with `dpkg-deb -x`, and leaves:
#   DIR/vmlinuz         a copy of the package's boot/vmlinuz-VERSION
#   DIR/kernel-version  VERSION, one line
#   DIR/root/boot/      the package's boot/ (vmlinuz, System.map, config); its modules are removed
# Does nothing when DIR/vmlinuz already exists. DIR/vmlinuz is written last, under a temporary
# name renamed into place, so that its presence means the other files are there too.
set -euo pipefail

dir=${1:-/var/cache/vmatlas-guest}
[ -e "$dir/vmlinuz" ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# The package linux-image-amd64 depends on: linux-image-6.1.0-NN-amd64 on Debian 12.
resolve_package() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1
}

package=$(resolve_package)
if [ -z "$package" ]; then
  # Empty package lists (a fresh container) know no linux-image-amd64: read them once.
  $sudo apt-get update -qq
  package=$(resolve_package)
fi
if [ -z "$package" ]; then
  echo "guest-kernel: apt knows no package that linux-image-amd64 depends on" >&2
  exit 1
fi

if ! mkdir -p "$dir" 2>/dev/null || [ ! -w "$dir" ]; then
  $sudo mkdir -p "$dir"
  $sudo chown "$(id -u):$(id -g)" "$dir"
fi
cd "$dir"
# apt-get download runs its fetch as the user _apt when it can; a directory _apt cannot write to
# only yields a warning, not a failure.
if ! apt-get download -qq "$package" 2>download.err; then
  # Lists that are empty or older than the mirror: read them again, and with them the package
  # linux-image-amd64 depends on now.
  $sudo apt-get update -qq
  package=$(resolve_package)
  apt-get download -qq "$package"
fi
rm -f download.err

deb=$(ls -t "$package"_*.deb | head -n 1)
rm -rf root
dpkg-deb -x "$deb" root
# Only boot/ is kept (vmlinuz, System.map, config): the modules are not loaded by the guest.
find root -mindepth 1 -maxdepth 1 ! -name boot -exec rm -rf {} +
image=$(ls root/boot/vmlinuz-* | head -n 1)
version=${image##*/vmlinuz-}
echo "$version" >kernel-version
cp "$image" vmlinuz.tmp
mv vmlinuz.tmp vmlinuz
echo "guest-kernel: $dir/vmlinuz is $version ($deb)" >&2
