"""vmatlas in gdb: the memory map of what gdb is debugging, as pwndbg's vmmap shows it.

Load it with one line (in ~/.gdbinit, or typed):

    source PREFIX/share/vmatlas/gdb/vmatlas_gdb.py

It adds:

    vmatlas [-w] [-x] [-A N] [-B N] [-C N] [--gaps] [FILTER]
    vmatlas where [--oneline|--block|--json|--csv] [--fields KEYS] [-C] [--no-lines] EXPR...
    vmmap ...            the same as vmatlas, unless another vmmap (pwndbg's, GEF's) is defined
    set vmatlas-command PATH

The map is that of the process gdb runs or attached to (its PID), of the core file gdb opened
(its path), or of the QEMU user-mode guest whose gdbstub gdb is connected to on this machine
(qemu-user:PID of the QEMU process that holds the connection's port). gdb evaluates a FILTER or an EXPR ($rsp, $pc, main, &var, 0x7ffd...) and the address
it gives is what vmatlas looks up; a FILTER gdb cannot evaluate is text (libc, [heap]). The text
shown is what the vmatlas command prints for that target and those arguments: this file turns
gdb's state into arguments and shows the answer, it does not draw a map of its own.

The map comes from the Python module vmatlas when it imports and no vmatlas-command is set (the
module installed under the same prefix is found by itself), else from the vmatlas command: the
one set with `set vmatlas-command`, else PREFIX/bin/vmatlas next to this file, else the one on
PATH. `vmatlas where` always runs the command, whose text it shows.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

import gdb

# This file lies in PREFIX/share/vmatlas/gdb/ once installed; the command and the module are found
# from there (a symbolic link to it is followed). Elsewhere (a source tree) there is no PREFIX.
# __file__ is only defined while gdb runs this file, so this is computed now.
_EXTENSION_DIR = os.path.dirname(os.path.realpath(__file__))
if _EXTENSION_DIR.endswith(os.path.join(os.sep, "vmatlas", "gdb")):
    _PREFIX = os.path.normpath(os.path.join(_EXTENSION_DIR, "..", "..", ".."))
    _INSTALLED_COMMAND = os.path.join(_PREFIX, "bin", "vmatlas")
    _INSTALLED_MODULE_DIR = os.path.join(_PREFIX, "lib", "python3", "dist-packages")
else:
    _INSTALLED_COMMAND = _INSTALLED_MODULE_DIR = None

# The Python module installed with the extension imports in gdb's Python too, whatever prefix
# they were installed under, and before another vmatlas module, as the command next to the
# extension is run before one on PATH.
if (
    _INSTALLED_MODULE_DIR is not None
    and os.path.isdir(_INSTALLED_MODULE_DIR)
    and _INSTALLED_MODULE_DIR not in sys.path
):
    sys.path.insert(0, _INSTALLED_MODULE_DIR)


# --- What gdb is debugging -------------------------------------------------------------------


def _vmatlas_target():
    """The vmatlas TARGET of what gdb debugs: the PID of a live process (started by gdb or
    attached to), or the path of the core file gdb opened. Raises gdb.GdbError with one sentence
    for anything else (no process, a remote target)."""
    inferior = gdb.selected_inferior()
    kind = inferior.connection.type if inferior.connection is not None else None
    if kind == "core":
        return _core_file_path()
    if kind in ("remote", "extended-remote"):
        qemu = _local_qemu_user(getattr(inferior.connection, "details", None) or "")
        if qemu is not None:
            return f"qemu-user:{qemu}"
        raise gdb.GdbError(
            f"vmatlas: gdb debugs a remote target (target {kind}), and vmatlas reads only a "
            "process on this machine, a QEMU user-mode guest on this machine or a core file: run "
            "vmatlas where the process runs, or make a core file (generate-core-file) and open "
            "it (core-file)"
        )
    if kind is None or inferior.pid == 0:
        raise gdb.GdbError(
            "vmatlas: gdb is debugging no process: run the program, attach to a process "
            "or open a core file first"
        )
    if kind != "native":
        raise gdb.GdbError(
            f"vmatlas: gdb debugs a target of the kind '{kind}', and vmatlas reads only a "
            "process on this machine or a core file"
        )
    return inferior.pid


_LOCAL_HOSTS = ("", "localhost", "127.0.0.1", "::1", "[::1]", "ip6-localhost")
_QEMU_USER = re.compile(r"^qemu-(?!system-|img$|io$|nbd$|pr-helper$|storage-daemon$|edid$|ga$|kvm$)")


def _local_qemu_user(details):
    """The PID of the QEMU user-mode emulator on this machine whose gdbstub gdb is connected to
    (target remote HOST:PORT, HOST this machine), found by the TCP port: the process that holds a
    socket on it. None for anything else (a gdbserver, another machine, a pipe)."""
    m = re.fullmatch(r"(?:tcp:)?(.*):(\d+)", details.strip())
    if m is None or m.group(1) not in _LOCAL_HOSTS:
        return None
    port = int(m.group(2))
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f, None)
                for line in f:
                    fields = line.split()
                    if len(fields) > 9 and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        inodes.add(f"socket:[{fields[9]}]")
        except OSError:
            continue
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            exe = os.path.basename(os.readlink(f"/proc/{pid}/exe"))
            if not _QEMU_USER.match(exe):
                continue
            fds = f"/proc/{pid}/fd"
            if any(os.readlink(os.path.join(fds, fd)) in inodes for fd in os.listdir(fds)):
                return int(pid)
        except OSError:
            continue
    return None


_ESCAPES = re.compile(r"\x1b\[[0-9;]*m")
_CORE_LINE = re.compile(r"^Local core dump file:\n\s*`(.+)', file type ", re.MULTILINE)


def _core_file_path():
    """The path of the core file gdb has open, as `info target` names it (gdb 13's Python API
    has no other way to ask)."""
    listing = _ESCAPES.sub("", gdb.execute("info target", to_string=True))
    match = _CORE_LINE.search(listing)
    if match is None:
        raise gdb.GdbError("vmatlas: gdb's 'info target' names no core file")
    return os.path.abspath(match.group(1))


# --- Expressions -----------------------------------------------------------------------------

_NUMBER_TYPES = (
    gdb.TYPE_CODE_PTR,
    gdb.TYPE_CODE_INT,
    gdb.TYPE_CODE_ENUM,
    gdb.TYPE_CODE_BOOL,
    gdb.TYPE_CODE_CHAR,
)


def _address_or_text(expression):
    """The address gdb evaluates the expression to, as 0x hex text, or the expression itself when
    gdb cannot evaluate it to an integer or a pointer (`libc` is then text for vmatlas to match).
    A function or an array stands for its address, as in C. Memory gdb cannot read is an error."""
    try:
        value = gdb.parse_and_eval(expression)
        code = value.type.strip_typedefs().code
        if code in (gdb.TYPE_CODE_FUNC, gdb.TYPE_CODE_ARRAY):
            value = value.address
            if value is None:
                return expression
            code = gdb.TYPE_CODE_PTR
        if code not in _NUMBER_TYPES:
            return expression
        number = int(value)
    except gdb.MemoryError as error:
        raise gdb.GdbError(f"vmatlas: cannot evaluate '{expression}': {error}")
    except gdb.error:
        return expression
    # A negative number is the address with the same bits, as a cast to a pointer gives.
    pointer_bits = 8 * gdb.lookup_type("void").pointer().sizeof
    return hex(number & ((1 << pointer_bits) - 1))


# --- The module or the command ---------------------------------------------------------------


class _Answer:
    """What vmatlas answered: its exit status, the text of its standard output and of its
    standard error (sentences, each on a line of its own)."""

    def __init__(self, status, output, errors):
        self.status = status
        self.output = output
        self.errors = errors


def _chosen_command():
    """The command `set vmatlas-command` names, or None when it names none."""
    return gdb.parameter("vmatlas-command") or None


def _command_path():
    """The vmatlas command to run: the one set, else the one installed next to this file, else
    the one on PATH."""
    chosen = _chosen_command()
    if chosen is not None:
        return os.path.expanduser(chosen)
    installed = _INSTALLED_COMMAND
    if installed is not None and os.path.isfile(installed) and os.access(installed, os.X_OK):
        return installed
    on_path = shutil.which("vmatlas")
    if on_path is not None:
        return on_path
    beside = f"at {installed}" if installed is not None else "installed with this extension"
    raise gdb.GdbError(
        f"vmatlas: no vmatlas command {beside} nor on PATH: install vmatlas, or name the command "
        "with 'set vmatlas-command PATH'"
    )


def _python_module():
    """The Python module vmatlas when no command is set and it imports, else None."""
    if _chosen_command() is not None:
        return None
    try:
        import vmatlas
    except ImportError:
        return None
    return vmatlas if hasattr(vmatlas, "open") and hasattr(vmatlas, "Error") else None


def _run_command(arguments):
    """Runs the vmatlas command with these arguments; its standard input is not gdb's."""
    path = _command_path()
    try:
        finished = subprocess.run(
            [path] + arguments,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
        )
    except OSError as error:
        raise gdb.GdbError(f"vmatlas: cannot run {path}: {error.strerror}")
    return _Answer(finished.returncode, finished.stdout, finished.stderr)


def _map_arguments(options, color):
    """The options of `vmatlas map` that the gdb command's options ask for."""
    arguments = ["--color=always" if color else "--color=never"]
    if options.writable:
        arguments.append("-w")
    if options.executable:
        arguments.append("-x")
    for flag, count in (("-B", options.before), ("-A", options.after), ("-C", options.context)):
        if count is not None:
            arguments += [flag, str(count)]
    if options.gaps:
        arguments.append("--gaps")
    return arguments


def _render_map(target, filter_text, options, color):
    """The map of target as `vmatlas map` shows it with these options, from the module when it
    is there, else from the command. The context counts the user did not give are left to
    vmatlas, whose defaults depend on what the filter turns out to be."""
    module = _python_module()
    if module is not None:
        return _render_with_module(module, target, filter_text, options, color)
    arguments = ["map"] + _map_arguments(options, color) + ["--", str(target)]
    return _run_command(arguments + ([filter_text] if filter_text is not None else []))


def _render_with_module(module, target, filter_text, options, color):
    """What _render_map gives, from the Python module: Map.render is the command's table."""
    counts = {}
    before = options.before if options.before is not None else options.context
    after = options.after if options.after is not None else options.context
    if before is not None:
        counts["before"] = before
    if after is not None:
        counts["after"] = after
    try:
        text = module.open(target).render(
            filter_text,
            writable=options.writable,
            executable=options.executable,
            gaps=options.gaps,
            color=color,
            strict=True,
            **counts,
        )
    except module.Error as error:
        said = list(getattr(error, "warnings", ())) + [str(error)]
        output = getattr(error, "output", "")  # what a filter that matched nothing shows
        return _Answer(error.status, output, "".join(_as_said(line) for line in said))
    return _Answer(0, text, "")


def _as_said(sentence):
    """A sentence of the module as the command writes it on its standard error."""
    return (sentence if sentence.startswith("vmatlas: ") else "vmatlas: " + sentence) + "\n"


def _show(answer):
    """Writes vmatlas's answer to gdb. Status 0 (found) and 1 (no match, its sentence shown with
    what was found) are answers; any other status is a gdb error with vmatlas's sentences, after
    whatever part of the table it printed."""
    gdb.write(answer.output)
    if answer.status in (0, 1):
        if answer.errors:
            gdb.write(answer.errors, gdb.STDERR)
        return
    raise gdb.GdbError(
        answer.errors.rstrip("\n") or f"vmatlas: the command ended with status {answer.status}"
    )


def _color_wanted():
    """Whether the table is coloured: when gdb styles its own output (`set style enabled on`)
    and gdb writes to a terminal that shows colours, as gdb decides for itself."""
    return (
        bool(gdb.parameter("style enabled"))
        and os.isatty(1)
        and os.environ.get("TERM", "dumb") != "dumb"
    )


# --- The gdb commands ------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse whose mistakes are gdb errors, never an exit of gdb."""

    def error(self, message):
        raise gdb.GdbError(f"vmatlas: {message}; see 'help {self.prog}'")


def _whole_number(text):
    """A count of rows: digits only, so that -1 is refused rather than read as an option."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number")
    return int(text)


class VmatlasCommand(gdb.Command):
    """Show the memory map of the process or core file gdb is debugging, as pwndbg's vmmap does.

Usage: vmatlas [-w] [-x] [-A N] [-B N] [-C N] [--gaps] [FILTER]

FILTER is evaluated by gdb: $rsp, $pc, main, &some_var, 0x7ffff7dd0000. The mapping that holds
the address it gives is marked, with the offset into it, between rows of context (one each side
unless -A, -B or -C say otherwise). A FILTER gdb cannot evaluate to a number or a pointer is text:
the rows whose file or name contain it (libc, [heap]), or a symbol or name vmatlas knows.

  -w, --writable          writable mappings only
  -x, --executable        executable mappings only
  -A, --lines-after N     rows of context after each match
  -B, --lines-before N    rows of context before each match
  -C, --context N         rows of context around each match
  --gaps                  the layout: runs of adjacent mappings, guards, holes, totals

The map is that of the live process (started by gdb or attached to) or of the core file gdb has
open. Colours follow 'set style enabled'. vmmap is this command too, unless another vmmap
(pwndbg's, GEF's) was defined first. 'show vmatlas-command' says which vmatlas draws the map.
See also 'help vmatlas where'."""

    def __init__(self):
        super().__init__("vmatlas", gdb.COMMAND_STATUS, gdb.COMPLETE_EXPRESSION, True)
        parser = _Parser(prog="vmatlas", add_help=False)
        parser.add_argument("-w", "--writable", action="store_true")
        parser.add_argument("-x", "--executable", action="store_true")
        parser.add_argument("-A", "--lines-after", dest="after", type=_whole_number)
        parser.add_argument("-B", "--lines-before", dest="before", type=_whole_number)
        parser.add_argument("-C", "--context", dest="context", type=_whole_number)
        parser.add_argument("--gaps", action="store_true")
        parser.add_argument("filter", nargs="*")
        self.parser = parser

    def invoke(self, argument, from_tty):
        self.dont_repeat()
        options = self.parser.parse_intermixed_args(gdb.string_to_argv(argument))
        target = _vmatlas_target()
        # The words of a FILTER are one expression: `vmatlas $rsp + 8`.
        words = " ".join(options.filter)
        filter_text = _address_or_text(words) if words else None
        _show(_render_map(target, filter_text, options, _color_wanted()))


class VmatlasWhereCommand(gdb.Command):
    """Show what is at each address: its mapping, object, segment, section, symbol and line.

Usage: vmatlas where [--oneline|--block|--json|--csv] [--fields KEYS] [-C] [--no-lines] EXPR...

Each EXPR is evaluated by gdb ($pc, $rsp, main, &some_var, 0x7ffff7dd0000); one gdb cannot
evaluate to a number or a pointer is given to vmatlas as it is written (libc.so.6+0x1234,
[heap]+0x10, malloc+16). An EXPR with blanks is quoted: vmatlas where '$rsp + 8'.
One address is a block of 'field value' lines, several are a line each of key=value pairs.

  --oneline, --block, --json, --csv   the output form
  --fields KEYS       only these fields, in this order ('shell vmatlas where --help' lists them)
  -C, --demangle      C++ names demangled
  --no-lines          no source lines (DWARF is not read)

This runs the vmatlas command on the process or core file gdb is debugging."""

    def __init__(self):
        super().__init__("vmatlas where", gdb.COMMAND_STATUS, gdb.COMPLETE_EXPRESSION)
        parser = _Parser(prog="vmatlas where", add_help=False)
        output_form = parser.add_mutually_exclusive_group()
        for form in ("--oneline", "--block", "--json", "--csv"):
            output_form.add_argument(form, action="store_true")
        parser.add_argument("--fields")
        parser.add_argument("-C", "--demangle", action="store_true")
        parser.add_argument("--no-lines", action="store_true")
        parser.add_argument("expressions", nargs="*")
        self.parser = parser

    def invoke(self, argument, from_tty):
        self.dont_repeat()
        options = self.parser.parse_intermixed_args(gdb.string_to_argv(argument))
        if not options.expressions:
            raise gdb.GdbError("vmatlas: 'vmatlas where' needs an address or an expression")
        target = _vmatlas_target()
        arguments = ["where"]
        for flag in ("oneline", "block", "json", "csv", "demangle", "no_lines"):
            if getattr(options, flag):
                arguments.append("--" + flag.replace("_", "-"))
        if options.fields is not None:
            arguments += ["--fields", options.fields]
        arguments += ["--", str(target)]
        arguments += [_address_or_text(expression) for expression in options.expressions]
        _show(_run_command(arguments))


class VmatlasCommandParameter(gdb.Parameter):
    """The vmatlas command that the gdb commands vmatlas, vmmap and vmatlas where run. Empty (the
default): PREFIX/bin/vmatlas next to this extension, else vmatlas on PATH; vmatlas and vmmap
then use the Python module vmatlas instead when it imports. A path set here is always run."""

    set_doc = "Set the vmatlas command that the gdb command vmatlas runs."
    show_doc = "Show the vmatlas command that the gdb command vmatlas runs."

    def __init__(self):
        super().__init__("vmatlas-command", gdb.COMMAND_SUPPORT, gdb.PARAM_OPTIONAL_FILENAME)

    def get_set_string(self):
        return ""

    def get_show_string(self, value):
        if value:
            return f"The gdb command vmatlas runs {value}."
        module = _python_module()
        if module is not None:
            return f"The gdb command vmatlas uses the Python module {module.__file__}."
        try:
            return f"The gdb command vmatlas runs {_command_path()}."
        except gdb.GdbError as error:
            return str(error)


def _defined_commands(prefix):
    """The names of gdb's commands and aliases that start with prefix."""
    return gdb.execute("complete " + prefix, to_string=True).split()


def _is_our_vmmap():
    """Whether vmmap is the alias this file made when it was sourced before."""
    # gdb's help of a command begins with its name and its aliases: "vmatlas, vmmap".
    first_line = gdb.execute("help vmmap", to_string=True).split("\n", 1)[0]
    return first_line.split(",")[0].strip() == "vmatlas"


def _register():
    VmatlasCommandParameter()
    VmatlasCommand()
    VmatlasWhereCommand()
    if "vmmap" not in _defined_commands("vmmap"):
        gdb.execute("alias vmmap = vmatlas")
    elif not _is_our_vmmap():
        gdb.write("vmatlas: another vmmap is defined and is kept; this map is 'vmatlas'\n")


_register()
