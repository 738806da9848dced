#!/usr/bin/env bash
# Makes the Debian packages of a build with cpack, checks their names and control fields,
# unpacks them (dpkg-deb -x) into a temporary root and runs what they hold from there: the
# command prints what the command in the tree prints, the man page renders, the completions
# are where the shells look, the gdb extension draws a map in gdb, the Python module (when the
# build has one: PYTHON is the interpreter it was built for) gives the command's rows, and a
# program builds against the -dev package with pkg-config.
#
#   tests/install/test-deb.sh BUILD_DIR SOURCE_DIR VMATLAS_IN_THE_TREE [PYTHON]
set -euo pipefail
build=$1 src=$2 in_tree=$3 python=${4:-}
fail() { echo "$*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

version=$("$in_tree" --version | cut -d' ' -f2)
arch=$(dpkg --print-architecture)
cpack -G DEB -B "$tmp/packages" --config "$build/CPackConfig.cmake" >/dev/null
runtime="$tmp/packages/vmatlas_${version}_${arch}.deb"
dev="$tmp/packages/vmatlas-dev_${version}_${arch}.deb"
[ -f "$runtime" ] && [ -f "$dev" ] || fail "cpack made $(ls "$tmp/packages")"

field() { dpkg-deb -f "$1" "$2"; }
[ "$(field "$runtime" Package)" = vmatlas ] || fail "the runtime package is not named vmatlas"
[ "$(field "$dev" Package)" = vmatlas-dev ] || fail "the dev package is not named vmatlas-dev"
[ "$(field "$runtime" Version)" = "$version" ] || fail "the package's version is not $version"
for lib in libc6 libelf1 libdw1; do
    field "$runtime" Depends | grep -q "\\b$lib\\b" || fail "vmatlas does not depend on $lib"
done
for pkg in libelf-dev libfmt-dev nlohmann-json3-dev; do
    field "$dev" Depends | grep -q "\\b$pkg\\b" || fail "vmatlas-dev does not depend on $pkg"
done

root="$tmp/root"
dpkg-deb -x "$runtime" "$root"
dpkg-deb -x "$dev" "$root"
usr="$root/usr"

for input in "$src/tests/fixtures/seed003.maps" "$src/tests/fixtures/special-names.maps"; do
    want=$("$in_tree" --color=never "$input")
    got=$("$usr/bin/vmatlas" --color=never "$input")
    [ "$got" = "$want" ] || fail "the packaged command prints something else on $input"
done
man -l "$usr/share/man/man1/vmatlas.1" 2>/dev/null | grep -q "vmatlas pmap \[OPTIONS\] TARGET" ||
    fail "the packaged man page does not render"
for completion in bash-completion/completions/vmatlas zsh/vendor-completions/_vmatlas \
    fish/vendor_completions.d/vmatlas.fish; do
    [ -s "$usr/share/$completion" ] || fail "the package lacks share/$completion"
done

# The extension, from where it unpacked, uses the module or the command unpacked with it.
gdb_says=$(gdb -batch -nx -ex "source $usr/share/vmatlas/gdb/vmatlas_gdb.py" \
    -ex "show vmatlas-command" -ex starti -ex "vmatlas [stack]" /bin/true 2>&1)
grep -q "uses .*$root/usr/" <<<"$gdb_says" || fail "gdb's vmatlas does not use the package: $gdb_says"
grep -q "rw-p .*\[stack\]" <<<"$gdb_says" || fail "gdb's vmatlas shows no stack: $gdb_says"

if [ -n "$python" ]; then
    fixture="$src/tests/fixtures/seed003.maps"
    PYTHONPATH="$usr/lib/python3/dist-packages" "$python" - "$fixture" "$usr/bin/vmatlas" <<'PY' ||
import json, subprocess, sys
import vmatlas
fixture, command = sys.argv[1], sys.argv[2]
assert vmatlas.__file__.startswith(command.rsplit("/bin/", 1)[0]), vmatlas.__file__
want = json.loads(subprocess.run([command, "--json", fixture], capture_output=True).stdout)
assert vmatlas.open(fixture).rows == want["mappings"], "the module's rows differ from --json"
PY
        fail "the packaged Python module does not give the packaged command's rows"
fi

pc_flags=$(PKG_CONFIG_PATH="$usr/lib/pkgconfig" pkg-config --cflags --libs vmatlas)
# shellcheck disable=SC2086 # the flags are words
c++ -std=c++20 -o "$tmp/print_core_map" "$src/examples/print_core_map.cpp" $pc_flags
[ -n "$("$tmp/print_core_map" "$src/tests/fixtures/seed003.maps")" ] ||
    fail "the example built against vmatlas-dev printed nothing"
echo "vmatlas_${version}_${arch}.deb and vmatlas-dev_${version}_${arch}.deb: unpacked, they run"
