#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz/ and runs each on its corpus.
#
#   scripts/fuzz.sh [--merge] [FUZZER...]     FUZZ_SECONDS=60 per fuzzer by default
#
# New inputs go to a scratch directory (build-fuzz/fuzz-new/<name>, printed at the end), never
# into the checked-in corpus; with --merge, the inputs that add coverage are merged into
# tests/fuzz/corpus/<name>/ (libFuzzer -merge=1 keeps it minimal). Crashes are written to
# build-fuzz/fuzz-crashes/<name>/; replay one with `build-fuzz/.../fuzz_<name> FILE`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
merge=0
only=()
for arg in "$@"; do
    case "$arg" in
        --merge) merge=1 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $arg" >&2; exit 2 ;;
        *) only+=("$arg") ;;
    esac
done

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ is needed (apt-get install clang libclang-rt-dev)" >&2; exit 1; }

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DVMATLAS_FUZZ=ON -DVMATLAS_BENCH=OFF >/dev/null
shopt -s nullglob
manifests=("$build"/tests/fuzz/fuzzers/*.txt)
[ ${#manifests[@]} -gt 0 ] || { echo "fuzz.sh: no fuzzers configured in $build" >&2; exit 1; }

targets=()
for m in "${manifests[@]}"; do
    name=$(basename "$m" .txt)
    if [ ${#only[@]} -gt 0 ] && [[ ! " ${only[*]} " == *" $name "* ]]; then continue; fi
    targets+=("fuzz_$name")
done
[ ${#targets[@]} -gt 0 ] || { echo "fuzz.sh: no fuzzer named ${only[*]}" >&2; exit 2; }
ninja -C "$build" "${targets[@]}"

status=0
for m in "${manifests[@]}"; do
    name=$(basename "$m" .txt)
    if [ ${#only[@]} -gt 0 ] && [[ ! " ${only[*]} " == *" $name "* ]]; then continue; fi
    { read -r bin; read -r corpus; read -r dict || true; } < "$m"
    new="$build/fuzz-new/$name"
    crashes="$build/fuzz-crashes/$name"
    mkdir -p "$new" "$crashes"
    args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
          -artifact_prefix="$crashes/")
    [ -n "$dict" ] && args+=(-dict="$dict")
    [ "$jobs" -gt 1 ] && args+=(-fork="$jobs")
    echo "== fuzz_$name: ${seconds}s on $corpus (new inputs in $new)"
    # The first directory receives new inputs; the checked-in corpus is only read.
    if ! "$bin" "${args[@]}" "$new" "$corpus"; then
        echo "fuzz.sh: fuzz_$name found a failure; inputs in $crashes" >&2
        status=1
        continue
    fi
    if [ "$merge" = 1 ]; then
        before=$(ls "$corpus" | wc -l)
        "$bin" -merge=1 -timeout=10 "$corpus" "$new"
        echo "== fuzz_$name: corpus $before -> $(ls "$corpus" | wc -l) files"
    fi
done
exit $status
