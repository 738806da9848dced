#!/usr/bin/env bash
# The man page and the shell completions made at build time say what the command's help says:
# every command, usage, argument and option is in the page, and each shell completes commands
# and options.
#
#   tests/cli/test-man-and-completions.sh VMATLAS BUILD_DIR SOURCE_DIR
set -euo pipefail
vmatlas=$1 build=$2 src=$3
fail() { echo "$*" >&2; exit 1; }

python3 "$src/scripts/make-man.py" "$vmatlas" check-man "$build/vmatlas.1"
man -l "$build/vmatlas.1" 2>/dev/null | grep -q "vmatlas pmap \[OPTIONS\] TARGET" ||
    fail "man cannot render the page, or it lacks pmap's usage"

complete_bash() {
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _vmatlas
             echo "${COMPREPLY[*]}"' _ "$build/vmatlas.bash" "$@"
}
[ "$(complete_bash vmatlas pm)" = pmap ] || fail "bash: 'vmatlas pm' does not complete to pmap"
[ "$(complete_bash vmatlas pmap --ra)" = --range ] || fail "bash: pmap's --range"
[ "$(complete_bash vmatlas --ga)" = --gaps ] || fail "bash: the default command's --gaps"
[ "$(complete_bash vmatlas help su)" = summary ] || fail "bash: help's commands"

zsh -n "$build/_vmatlas" || fail "zsh: the completion does not parse"
for word in map pmap mappings summary elf diff save --range --gaps; do
    grep -q -- "$word" "$build/_vmatlas" || fail "zsh: $word is not completed"
done

complete_fish() { fish -c "source '$build/vmatlas.fish'; complete -C'$1'" | cut -f1; }
[ "$(complete_fish 'vmatlas pm')" = pmap ] || fail "fish: 'vmatlas pm' does not complete to pmap"
[ "$(complete_fish 'vmatlas pmap --ra')" = --range ] || fail "fish: pmap's --range"
echo "the man page and the bash, zsh and fish completions agree with the help"
