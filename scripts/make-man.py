#!/usr/bin/env python3
"""Writes vmatlas's man page (roff) and its shell completions from the command's own help, so
that all of them say what `vmatlas --help` and `vmatlas help COMMAND` say, and nothing else.

    scripts/make-man.py VMATLAS man > vmatlas.1
    scripts/make-man.py VMATLAS bash > vmatlas.bash       (also: zsh, fish)
    scripts/make-man.py VMATLAS check-man vmatlas.1       exit 1 when the page and the help differ
"""

import re
import subprocess
import sys


def run(vmatlas, *args):
    return subprocess.run([vmatlas, *args], check=True, capture_output=True, text=True).stdout


def commands(vmatlas):
    """[(name, summary)] from the Commands: block of `vmatlas --help`."""
    text = run(vmatlas, "--help")
    block = text.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    return [tuple(re.match(r"  (\S+)\s+(.*)", line).groups()) for line in block.splitlines()]


def parse_help(text):
    """A command's help: description, usage, [(left, help)] arguments and options, footer."""
    paragraphs = text.rstrip("\n").split("\n\n")
    description = " ".join(paragraphs[0].split("\n"))
    usage = paragraphs[1].removeprefix("Usage: ").strip()
    sections, footer = {}, []
    for paragraph in paragraphs[2:]:
        head, _, body = paragraph.partition("\n")
        if head in ("Arguments:", "Options:"):
            items = []
            for line in body.splitlines():
                m = re.match(r"  (\S.*?)(?:  +(\S.*))?$", line)
                if line.startswith("   ") and items:  # a wrapped help line, or a help below
                    left, help_ = items[-1]
                    items[-1] = (left, (help_ + " " + line.strip()).strip())
                else:
                    items.append((m.group(1), m.group(2) or ""))
            sections[head[:-1]] = items
        else:
            footer.append(paragraph)
    return description, usage, sections, footer


def roff_text(s):
    s = s.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join("\\&" + line if line.startswith((".", "'")) else line
                     for line in s.split("\n"))


def man(vmatlas):
    version = run(vmatlas, "--version").split()[1]
    top = run(vmatlas, "--help")
    intro, rest = top.split("\n\nUsage: ", 1)
    usage_lines = [line.strip() for line in rest.split("\n\nCommands:", 1)[0].splitlines()]
    after_commands = top.split("\nCommands:\n", 1)[1].split("\n\n", 1)[1]
    out = [f'.TH VMATLAS 1 "" "vmatlas {version}" "User Commands"', ".SH NAME",
           "vmatlas \\- show, name and query the virtual memory map of a Linux process",
           ".SH SYNOPSIS"]
    for line in usage_lines:
        out += [".nf", roff_text(line), ".fi"]
    out += [".SH DESCRIPTION", roff_text(" ".join(intro.split("\n")))]
    for paragraph in after_commands.rstrip("\n").split("\n\n"):
        out += [".PP", roff_text(" ".join(paragraph.split("\n")))]
    out += [".SH COMMANDS"]
    for name, summary in commands(vmatlas):
        if name == "help":
            continue
        description, usage, sections, footer = parse_help(run(vmatlas, "help", name))
        out += [f".SS {roff_text(name)}", ".nf", roff_text(usage), ".fi", ".PP",
                roff_text(description)]
        for title in ("Arguments", "Options"):
            for left, help_ in sections.get(title, []):
                out += [".TP", f"\\fB{roff_text(left)}\\fR", roff_text(help_)]
        for paragraph in footer:
            out += [".PP", roff_text(" ".join(paragraph.split("\n")))]
    out += [".SH SEE ALSO", "pmap(1), gdb(1), proc(5)"]
    return "\n".join(out) + "\n"


def check_man(vmatlas, page):
    """Every command, usage, argument, option and help line of the help is in the page."""
    text = open(page).read()
    missing = []
    want = [roff_text(" ".join(run(vmatlas, "--help").split("\n\n", 1)[0].split("\n")))]
    for name, _ in commands(vmatlas):
        if name == "help":
            continue
        description, usage, sections, footer = parse_help(run(vmatlas, "help", name))
        want += [f".SS {roff_text(name)}", roff_text(usage), roff_text(description)]
        for items in sections.values():
            want += [f"\\fB{roff_text(left)}\\fR\n{roff_text(help_)}" for left, help_ in items]
    missing = [w for w in want if w not in text]
    for w in missing:
        print(f"{page}: missing: {w}", file=sys.stderr)
    return 1 if missing else 0


def options_of(vmatlas, name):
    """The option words of a command: --long and -s spellings."""
    _, _, sections, _ = parse_help(run(vmatlas, "help", name))
    words = []
    for left, _ in sections.get("Options", []):
        for spelled in left.split(", "):
            words.append(spelled.split(" ")[0])
    return words


def bash(vmatlas):
    cmds = [name for name, _ in commands(vmatlas)]
    cases = "\n".join(f"        {name}) opts='{' '.join(options_of(vmatlas, name))}' ;;"
                      for name in cmds if name != "help")
    return f"""# bash completion for vmatlas (made by scripts/make-man.py from vmatlas's help)
_vmatlas() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} cmd=map opts
    if [[ ${{#COMP_WORDS[@]}} -gt 2 ]] && [[ " {' '.join(cmds)} " == *" ${{COMP_WORDS[1]}} "* ]]; then
        cmd=${{COMP_WORDS[1]}}
    fi
    case $cmd in
{cases}
        help) COMPREPLY=($(compgen -W '{' '.join(cmds)}' -- "$cur")); return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    elif [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W '{' '.join(cmds)}' -- "$cur") $(compgen -f -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}}
complete -F _vmatlas vmatlas
"""


def zsh(vmatlas):
    lines = ["#compdef vmatlas", "# zsh completion for vmatlas (made by scripts/make-man.py "
             "from vmatlas's help)", "_vmatlas() {", "  local -a commands", "  commands=("]
    for name, summary in commands(vmatlas):
        lines.append(f"    '{name}:{summary.replace(chr(39), '')}'")
    lines += ["  )", "  if (( CURRENT == 2 )); then",
              "    _describe command commands; _files; return", "  fi", "  case $words[2] in"]
    for name, _ in commands(vmatlas):
        if name == "help":
            continue
        lines.append(f"    {name}) _arguments '*:target:_files' "
                     + " ".join(f"'{w}'" for w in options_of(vmatlas, name)) + " ;;")
    lines += ["    help) _describe command commands ;;",
              "    *) _arguments '*:target:_files' "
              + " ".join(f"'{w}'" for w in options_of(vmatlas, "map")) + " ;;",
              "  esac", "}", '_vmatlas "$@"']
    return "\n".join(lines) + "\n"


def fish(vmatlas):
    lines = ["# fish completion for vmatlas (made by scripts/make-man.py from vmatlas's help)"]
    cmds = commands(vmatlas)
    names = " ".join(name for name, _ in cmds)
    for name, summary in cmds:
        lines.append(f"complete -c vmatlas -n 'not __fish_seen_subcommand_from {names}' "
                     f"-a {name} -d '{summary.replace(chr(39), '')}'")
    for name, _ in cmds:
        if name == "help":
            continue
        cond = (f"__fish_seen_subcommand_from {name}" if name != "map"
                else f"not __fish_seen_subcommand_from {names}; or __fish_seen_subcommand_from map")
        for word in options_of(vmatlas, name):
            flag = f"-l {word[2:]}" if word.startswith("--") else f"-s {word[1:]}"
            lines.append(f"complete -c vmatlas -n '{cond}' {flag}")
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    vmatlas, what = sys.argv[1], sys.argv[2]
    if what == "check-man":
        return check_man(vmatlas, sys.argv[3])
    makers = {"man": man, "bash": bash, "zsh": zsh, "fish": fish}
    if what not in makers:
        print(__doc__, file=sys.stderr)
        return 2
    sys.stdout.write(makers[what](vmatlas))
    return 0


if __name__ == "__main__":
    sys.exit(main())
