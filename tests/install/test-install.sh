#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds examples/ against the installed tree
# twice, with find_package(vmatlas) and with pkg-config, and runs both: they must print what the
# example built in the tree prints.
#
#   tests/install/test-install.sh BUILD_DIR SOURCE_DIR EXAMPLE_BUILT_IN_THE_TREE
set -euo pipefail
build=$1 src=$2 in_tree=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
input="$src/tests/fixtures/seed003.maps"

cmake --install "$build" --prefix "$prefix" >/dev/null
"$prefix/bin/vmatlas" --version

cmake -S "$src/examples" -B "$tmp/with-cmake" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/with-cmake" >/dev/null

pc_flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs vmatlas)
# shellcheck disable=SC2086 # the flags are words
c++ -std=c++20 -o "$tmp/with-pkg-config" "$src/examples/print_core_map.cpp" $pc_flags

want=$("$in_tree" "$input")
[ -n "$want" ] || { echo "the example in the tree printed nothing" >&2; exit 1; }
for program in "$tmp/with-cmake/print_core_map" "$tmp/with-pkg-config"; do
    got=$("$program" "$input")
    if [ "$got" != "$want" ]; then
        echo "$program printed something else:" >&2
        diff <(echo "$want") <(echo "$got") >&2 || true
        exit 1
    fi
done
echo "installed tree: find_package and pkg-config builds print the same $(wc -l <<<"$want") rows"
