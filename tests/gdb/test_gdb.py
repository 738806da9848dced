"""The gdb extension (gdb/vmatlas_gdb.py) run by gdb itself.

Each map the extension shows in gdb is compared, byte for byte, with what the vmatlas command
prints for the same target (the PID gdb debugs, or the core file it opened) and the address gdb
evaluated, read by the test while gdb holds the process stopped. The expressions used ($pc, $rsp,
a convenience variable) are ones only gdb can evaluate, so an equal table shows that gdb's address
was passed.

CTest runs one class a test: python3 test_gdb.py CLASS, with VMATLAS_BIN (the command),
VMATLAS_GDB_CHILD (child.c built), VMATLAS_BUILD_DIR and VMATLAS_CMAKE set.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from driven_gdb import DrivenGdb

SOURCE_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
EXTENSION = os.path.join(SOURCE_DIR, "gdb", "vmatlas_gdb.py")
VMATLAS = os.environ["VMATLAS_BIN"]
CHILD = os.environ["VMATLAS_GDB_CHILD"]
BUILD_DIR = os.environ["VMATLAS_BUILD_DIR"]
CMAKE = os.environ["VMATLAS_CMAKE"]

NO_PROCESS = ("vmatlas: gdb is debugging no process: run the program, attach to a process "
              "or open a core file first\n")


def vmatlas(*arguments):
    """What the command prints, standard output then standard error: what gdb should show."""
    done = subprocess.run([VMATLAS] + list(arguments), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True)
    return done.stdout + done.stderr


def gdb_with_extension(arguments, **options):
    """A gdb with the extension loaded and set to run the command of this build."""
    gdb = DrivenGdb(arguments, **options)
    gdb.run("source " + EXTENSION)
    gdb.run("set vmatlas-command " + VMATLAS)
    return gdb


def stop_child_in_gdb(gdb):
    """Runs the child under gdb up to stop_here()."""
    gdb.run("break stop_here")
    gdb.run("run")
    return int(gdb.run("python print(gdb.selected_inferior().pid)"))


def scratch_directory(add_cleanup):
    """A directory, removed by the cleanup given; its name has a space."""
    path = tempfile.mkdtemp(prefix="vmatlas gdb ")
    add_cleanup(shutil.rmtree, path)
    return path


class SameRowsAsTheCommand:
    """What every kind of target shows the same in gdb and from the command. A class that uses
    it sets cls.gdb (gdb stopped in stop_here, or in read() when attached) and cls.target.
    The stack pointer's name and the width of an address are x86-64's unless it says others."""

    sp = "$rsp"
    address_bits = 64

    def assertSameAsCommand(self, gdb_command, *arguments):
        """gdb_command shows what `vmatlas ARGUMENTS` prints."""
        shown = self.gdb.run(gdb_command)
        self.assertEqual(shown, vmatlas(*arguments))
        return shown

    def assertSameMap(self, gdb_command, *arguments):
        """gdb_command shows the table `vmatlas --color=never ARGUMENTS` prints."""
        return self.assertSameAsCommand(gdb_command, "--color=never", *arguments)

    def test_stack_pointer(self):
        sp = self.gdb.number(self.sp)
        shown = self.assertSameMap(f"vmmap {self.sp}", self.target, hex(sp))
        self.assertIn("[stack]", shown)

    def test_program_counter(self):
        pc = self.gdb.number("$pc")
        self.assertSameMap("vmmap $pc", self.target, hex(pc))

    def test_an_expression_with_blanks_is_one_filter(self):
        sp = self.gdb.number(self.sp)
        self.assertSameMap(f"vmmap {self.sp} + 8", self.target, hex(sp + 8))

    def test_a_convenience_variable_is_its_value(self):
        self.gdb.run("set $spot = (char *) &counter")
        counter = self.gdb.number("&counter")
        self.assertSameMap("vmmap $spot", self.target, hex(counter))

    def test_a_function_is_its_address(self):
        main = self.gdb.number("&main")
        self.assertSameMap("vmmap main", self.target, hex(main))

    def test_an_array_is_its_address(self):
        buffer = self.gdb.number("&buffer")
        self.assertSameMap("vmmap *&buffer", self.target, hex(buffer))

    def test_a_negative_number_is_the_address_with_the_same_bits(self):
        all_ones = hex((1 << self.address_bits) - 1)
        shown = self.assertSameMap("vmmap -- -1", self.target, all_ones)
        self.assertTrue(shown.endswith(f"vmatlas: no mapping contains {all_ones}\n"))

    def test_text_that_is_no_expression_is_a_text_filter(self):
        shown = self.assertSameMap("vmmap libc", self.target, "libc")
        self.assertIn("libc.so.6", shown)

    def test_a_text_that_matches_nothing_says_so(self):
        shown = self.assertSameMap("vmmap nosuchlibrary", self.target, "nosuchlibrary")
        self.assertTrue(shown.endswith("vmatlas: no mapping matches 'nosuchlibrary'\n"))

    def test_executable_only(self):
        self.assertSameMap("vmmap -x", self.target, "-x")

    def test_writable_only_with_context(self):
        pc = self.gdb.number("$pc")
        self.assertSameMap("vmmap -w -C 3 $pc", self.target, "-w", "-C", "3", hex(pc))

    def test_context_before_and_after(self):
        sp = self.gdb.number(self.sp)
        self.assertSameMap(f"vmmap -B 0 {self.sp} -A 2", self.target, "-B", "0", "-A", "2",
                           hex(sp))

    def test_gaps(self):
        self.assertSameMap("vmmap --gaps", self.target, "--gaps")

    def test_gaps_around_an_address(self):
        sp = self.gdb.number(self.sp)
        self.assertSameMap(f"vmmap --gaps {self.sp}", self.target, "--gaps", hex(sp))

    def test_the_whole_map(self):
        self.assertSameMap("vmatlas", self.target)

    def test_where_one_address(self):
        main = self.gdb.number("&main")
        shown = self.assertSameAsCommand("vmatlas where main", "where", self.target, hex(main))
        self.assertRegex(shown, r"(?m)^Symbol +main$")

    def test_where_several_addresses_and_a_text(self):
        pc, sp = self.gdb.number("$pc"), self.gdb.number(self.sp)
        self.assertSameAsCommand(
            f"vmatlas where --fields pc,name,symbol $pc '{self.sp} + 16' libc.so.6+0x1000",
            "where", "--fields", "pc,name,symbol", self.target, hex(pc), hex(sp + 16),
            "libc.so.6+0x1000")


class LiveChild(SameRowsAsTheCommand, unittest.TestCase):
    """A child started by gdb and stopped at a breakpoint: its PID is the target."""

    @classmethod
    def setUpClass(cls):
        cls.gdb = gdb_with_extension([CHILD])
        cls.addClassCleanup(cls.gdb.close)
        cls.target = str(stop_child_in_gdb(cls.gdb))

    def test_output_to_a_pipe_is_not_coloured(self):
        self.assertEqual(self.gdb.run("show style enabled"),
                         "CLI output styling is enabled.\n")
        shown = self.assertSameMap("vmmap $rsp", self.target, hex(self.gdb.number("$rsp")))
        self.assertNotIn("\x1b", shown)

    def test_memory_gdb_cannot_read_is_an_error(self):
        self.assertEqual(
            self.gdb.run("vmmap *(long *) 0"),
            "vmatlas: cannot evaluate '*(long *) 0': Cannot access memory at address 0x0\n")

    def test_a_command_that_cannot_run(self):
        try:
            self.gdb.run("set vmatlas-command /nonexistent/vmatlas")
            self.assertEqual(self.gdb.run("vmmap"),
                             "vmatlas: cannot run /nonexistent/vmatlas: No such file or directory\n")
        finally:
            self.gdb.run("set vmatlas-command " + VMATLAS)

    def test_show_names_the_command(self):
        self.assertEqual(self.gdb.run("show vmatlas-command"),
                         f"The gdb command vmatlas runs {VMATLAS}.\n")


class CoreFile(SameRowsAsTheCommand, unittest.TestCase):
    """A core file gdb made of the stopped child and then opened: its path is the target."""

    @classmethod
    def setUpClass(cls):
        cls.target = os.path.join(scratch_directory(cls.addClassCleanup), "core 1")
        cls.gdb = gdb_with_extension([CHILD])
        cls.addClassCleanup(cls.gdb.close)
        stop_child_in_gdb(cls.gdb)
        cls.gdb.run("generate-core-file " + cls.target)
        cls.gdb.run("kill")
        cls.gdb.run("core-file " + cls.target)

    def test_a_core_file_that_is_gone_gives_the_commands_sentence(self):
        copy = self.target + " copy"
        shutil.copyfile(self.target, copy)
        with gdb_with_extension([CHILD, copy]) as gdb:
            os.remove(copy)
            shown = gdb.run("vmmap")
            self.assertEqual(shown, vmatlas("--color=never", copy))
            self.assertTrue(shown.startswith("vmatlas: "))


def yama_ptrace_scope():
    """Yama's ptrace_scope (0 without Yama): 1 lets a process name its tracer, which the child
    does; 2 lets only root attach; 3 lets nobody."""
    try:
        with open("/proc/sys/kernel/yama/ptrace_scope") as scope:
            return int(scope.read())
    except FileNotFoundError:
        return 0


class Attached(SameRowsAsTheCommand, unittest.TestCase):
    """A process the test started, to which gdb attaches (gdb -p PID): its PID is the target."""

    @classmethod
    def setUpClass(cls):
        scope = yama_ptrace_scope()
        if scope == 3 or (scope == 2 and os.geteuid() != 0):
            raise unittest.SkipTest(f"Yama's ptrace_scope is {scope}: gdb may not attach "
                                    "to a process it did not start")
        cls.child = subprocess.Popen([CHILD, "--wait"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        cls.addClassCleanup(cls.stop_child)
        ready = cls.child.stdout.readline().split()
        assert ready[0] == "ready", ready
        cls.target = ready[1]
        cls.gdb = gdb_with_extension([CHILD, "-p", cls.target])
        cls.addClassCleanup(cls.gdb.close)

    @classmethod
    def stop_child(cls):
        cls.child.stdin.close()
        cls.child.wait(timeout=30)
        cls.child.stdout.close()


class QemuUserGuest(unittest.TestCase):
    """gdb connected to the gdbstub of qemu-x86_64 running the child on this machine: the map is
    the guest's, qemu-user:PID of the QEMU process that holds the connection's port."""

    def test_the_guest_of_the_qemu_gdb_is_connected_to(self):
        if shutil.which("qemu-x86_64") is None:
            self.skipTest("qemu-user is not installed (scripts/setup.sh installs it)")
        with socket.socket() as s:  # a port free now, for QEMU to listen on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        qemu = subprocess.Popen(["qemu-x86_64", "-g", str(port), CHILD])
        self.addCleanup(qemu.wait)
        self.addCleanup(qemu.kill)
        with gdb_with_extension([CHILD]) as gdb:
            for _ in range(100):  # QEMU listens once it has loaded the guest
                if "Remote debugging using" in gdb.run(f"target remote localhost:{port}"):
                    break
                time.sleep(0.1)
            shown = gdb.run("vmmap")
            self.assertEqual(shown, vmatlas("--color=never", f"qemu-user:{qemu.pid}"))
            self.assertIn(os.path.realpath(CHILD), shown)
            self.assertIn("[stack]", shown)


class LiveChild32(SameRowsAsTheCommand, unittest.TestCase):
    """child.c built with cc -m32 and stopped by gdb: addresses are 32 bits wide."""

    sp = "$esp"
    address_bits = 32

    @classmethod
    def setUpClass(cls):
        child32 = os.path.join(scratch_directory(cls.addClassCleanup), "child32")
        cc = subprocess.run(["/usr/bin/cc", "-m32", "-O0", "-g", "-o", child32,
                             os.path.join(SOURCE_DIR, "tests", "gdb", "child.c")],
                            capture_output=True, text=True)
        if cc.returncode != 0:
            raise unittest.SkipTest("this machine cannot build 32-bit programs (gcc-multilib): "
                                    + cc.stderr)
        try:
            subprocess.run([child32], check=True)
        except OSError as error:  # a kernel without IA-32 emulation refuses to run it
            raise unittest.SkipTest(f"this kernel does not run 32-bit programs: {error}")
        cls.gdb = gdb_with_extension([child32])
        cls.addClassCleanup(cls.gdb.close)
        cls.target = str(stop_child_in_gdb(cls.gdb))


class Refusals(unittest.TestCase):
    """What the extension cannot do, each said in one sentence."""

    def test_no_program(self):
        with gdb_with_extension([]) as gdb:
            self.assertEqual(gdb.run("vmmap"), NO_PROCESS)

    def test_a_program_not_started(self):
        with gdb_with_extension([CHILD]) as gdb:
            self.assertEqual(gdb.run("vmmap $pc"), NO_PROCESS)
            self.assertEqual(gdb.run("vmatlas where main"), NO_PROCESS)

    def test_a_program_that_has_exited(self):
        with gdb_with_extension([CHILD]) as gdb:
            self.assertIn("exited normally", gdb.run("run"))
            self.assertEqual(gdb.run("vmmap"), NO_PROCESS)

    def test_a_remote_target(self):
        if shutil.which("gdbserver") is None:
            self.skipTest("gdbserver is not installed (scripts/setup.sh installs it)")
        with gdb_with_extension([CHILD]) as gdb:
            gdb.run("target remote | exec gdbserver - " + CHILD)
            self.assertEqual(
                gdb.run("vmmap $pc"),
                "vmatlas: gdb debugs a remote target (target remote), and vmatlas reads only a "
                "process on this machine, a QEMU user-mode guest on this machine or a core file: "
                "run vmatlas where the process runs, or make a core file (generate-core-file) and "
                "open it (core-file)\n")

    def test_where_without_an_expression(self):
        with gdb_with_extension([]) as gdb:
            self.assertEqual(gdb.run("vmatlas where"),
                             "vmatlas: 'vmatlas where' needs an address or an expression\n")

    def test_a_count_that_is_no_number(self):
        with gdb_with_extension([]) as gdb:
            self.assertEqual(
                gdb.run("vmmap -A x $pc"),
                "vmatlas: argument -A/--lines-after: 'x' is not a whole number; "
                "see 'help vmatlas'\n")
            self.assertEqual(
                gdb.run("vmmap -B -1 $pc"),
                "vmatlas: argument -B/--lines-before: '-1' is not a whole number; "
                "see 'help vmatlas'\n")

    def test_an_unknown_option(self):
        with gdb_with_extension([]) as gdb:
            self.assertEqual(gdb.run("vmmap --nope"),
                             "vmatlas: unrecognized arguments: --nope; see 'help vmatlas'\n")


class OtherVmmap(unittest.TestCase):
    """vmmap is an alias of vmatlas, unless another vmmap (pwndbg's, GEF's) was defined first."""

    def test_vmmap_is_an_alias_of_vmatlas(self):
        with gdb_with_extension([]) as gdb:
            self.assertEqual(gdb.run("help vmmap").split("\n")[0], "vmatlas, vmmap")

    def test_another_vmmap_is_kept(self):
        with DrivenGdb([]) as gdb:
            gdb.run("define vmmap\necho theirs\\n\nend")
            self.assertEqual(gdb.run("source " + EXTENSION),
                             "vmatlas: another vmmap is defined and is kept; this map is 'vmatlas'\n")
            self.assertEqual(gdb.run("vmmap"), "theirs\n")
            self.assertEqual(gdb.run("vmatlas"), NO_PROCESS)

    def test_sourced_twice_says_nothing_the_second_time(self):
        with gdb_with_extension([]) as gdb:
            self.assertEqual(gdb.run("source " + EXTENSION), "")
            self.assertEqual(gdb.run("help vmmap").split("\n")[0], "vmatlas, vmmap")


class Colour(unittest.TestCase):
    """Colours follow gdb's own: on when gdb styles its output to a terminal, off when
    `set style enabled off`, or when the terminal is dumb."""

    def terminal_gdb(self, term):
        gdb = gdb_with_extension([CHILD], terminal=True, env=dict(os.environ, TERM=term))
        self.addCleanup(gdb.close)
        pid = stop_child_in_gdb(gdb)
        return gdb, str(pid), hex(gdb.number("$rsp"))

    def test_a_terminal_gets_colours(self):
        gdb, pid, rsp = self.terminal_gdb("xterm")
        shown = gdb.run("vmmap $rsp")
        self.assertEqual(shown, vmatlas("--color=always", pid, rsp))
        self.assertIn("\x1b[", shown)

    def test_style_off_gets_none(self):
        gdb, pid, rsp = self.terminal_gdb("xterm")
        gdb.run("set style enabled off")
        self.assertEqual(gdb.run("vmmap $rsp"), vmatlas("--color=never", pid, rsp))

    def test_a_dumb_terminal_gets_none(self):
        gdb, pid, rsp = self.terminal_gdb("dumb")
        self.assertEqual(gdb.run("vmmap $rsp"), vmatlas("--color=never", pid, rsp))


class FindingTheCommand(unittest.TestCase):
    """With no vmatlas-command set: the command installed next to the extension, else the one on
    PATH, else a sentence. Each gdb is given a PATH with no other vmatlas."""

    def setUp(self):
        self.scratch = scratch_directory(self.addCleanup)
        self.empty_dir = os.path.join(self.scratch, "empty")
        os.mkdir(self.empty_dir)

    def gdb_with(self, extension, path):
        gdb = DrivenGdb([CHILD], env=dict(os.environ, PATH=path))
        self.addCleanup(gdb.close)
        if gdb.run("python import vmatlas") == "":
            self.skipTest("a Python module vmatlas imports in gdb's Python, and would be used")
        self.assertEqual(gdb.run("source " + extension), "")
        return gdb

    def extension_not_installed(self):
        """A copy of the extension in PREFIX/share/vmatlas/gdb/ with no PREFIX/bin/vmatlas."""
        directory = os.path.join(self.scratch, "share", "vmatlas", "gdb")
        os.makedirs(directory)
        return shutil.copy(EXTENSION, directory)

    def assertMapShown(self, gdb):
        pid = stop_child_in_gdb(gdb)
        rsp = gdb.number("$rsp")
        self.assertEqual(gdb.run("vmmap $rsp"), vmatlas("--color=never", str(pid), hex(rsp)))

    def test_the_command_installed_next_to_the_extension(self):
        prefix = os.path.join(self.scratch, "prefix")
        install = subprocess.run([CMAKE, "--install", BUILD_DIR, "--prefix", prefix],
                                 capture_output=True, text=True)
        self.assertEqual(install.returncode, 0, install.stdout + install.stderr)
        extension = os.path.join(prefix, "share", "vmatlas", "gdb", "vmatlas_gdb.py")
        installed = os.path.join(prefix, "bin", "vmatlas")
        module_dir = os.path.join(prefix, "lib", "python3", "dist-packages")
        gdb = self.gdb_with(extension, self.empty_dir)
        if glob.glob(os.path.join(module_dir, "vmatlas*")):
            self.assertIn("uses the Python module " + module_dir,
                          gdb.run("show vmatlas-command"))
        else:
            self.assertEqual(gdb.run("show vmatlas-command"),
                             f"The gdb command vmatlas runs {installed}.\n")
        self.assertMapShown(gdb)

    def test_else_the_command_on_path(self):
        bin_dir = os.path.join(self.scratch, "elsewhere")
        os.mkdir(bin_dir)
        os.symlink(VMATLAS, os.path.join(bin_dir, "vmatlas"))
        gdb = self.gdb_with(self.extension_not_installed(),
                                    self.empty_dir + os.pathsep + bin_dir)
        self.assertEqual(gdb.run("show vmatlas-command"),
                         f"The gdb command vmatlas runs {bin_dir}/vmatlas.\n")
        self.assertMapShown(gdb)

    def test_else_a_sentence(self):
        gdb = self.gdb_with(self.extension_not_installed(), self.empty_dir)
        sentence = (f"vmatlas: no vmatlas command at {self.scratch}/bin/vmatlas nor on PATH: "
                    "install vmatlas, or name the command with 'set vmatlas-command PATH'\n")
        self.assertEqual(gdb.run("show vmatlas-command"), sentence)
        stop_child_in_gdb(gdb)
        self.assertEqual(gdb.run("vmmap"), sentence)

    def test_from_a_source_tree_only_the_command_on_path(self):
        gdb = self.gdb_with(EXTENSION, self.empty_dir)
        self.assertEqual(gdb.run("show vmatlas-command"),
                         "vmatlas: no vmatlas command installed with this extension nor on PATH: "
                         "install vmatlas, or name the command with 'set vmatlas-command PATH'\n")


def built_python_module_dir():
    """The directory from which the vmatlas Python module built in the build tree imports (an
    extension module vmatlas.*.so, or a package vmatlas/), or None."""
    for path in glob.glob(os.path.join(BUILD_DIR, "**", "vmatlas.*.so"), recursive=True):
        return os.path.dirname(path)
    for path in glob.glob(os.path.join(BUILD_DIR, "**", "vmatlas", "__init__.py"), recursive=True):
        return os.path.dirname(os.path.dirname(path))
    return None


class PythonModule(unittest.TestCase):
    """With no vmatlas-command set, the Python module vmatlas draws the map when it imports."""

    @classmethod
    def setUpClass(cls):
        module_dir = built_python_module_dir()
        if module_dir is None:
            raise unittest.SkipTest("the Python module vmatlas is not built")
        cls.gdb = DrivenGdb([CHILD])
        cls.addClassCleanup(cls.gdb.close)
        cls.gdb.run(f"python import sys; sys.path.insert(0, {module_dir!r})")
        if cls.gdb.run("python import vmatlas") != "":
            raise unittest.SkipTest("the Python module vmatlas does not import in gdb's Python")
        cls.gdb.run("source " + EXTENSION)
        cls.target = str(stop_child_in_gdb(cls.gdb))

    def test_show_names_the_module(self):
        self.assertIn("uses the Python module", self.gdb.run("show vmatlas-command"))

    def test_same_rows_as_the_command(self):
        rsp = hex(self.gdb.number("$rsp"))
        for gdb_command, arguments in (("vmmap $rsp", [rsp]), ("vmmap libc", ["libc"]),
                                       ("vmmap -x", ["-x"]), ("vmmap --gaps", ["--gaps"]),
                                       ("vmmap -C 2 $rsp", ["-C", "2", rsp])):
            with self.subTest(gdb_command):
                self.assertEqual(self.gdb.run(gdb_command),
                                 vmatlas("--color=never", self.target, *arguments))

    def test_a_filter_that_matches_nothing_says_so(self):
        for filter in ("nosuchlibrary", "-- -1"):
            with self.subTest(filter):
                shown = self.gdb.run("vmmap " + filter)
                self.assertIn("vmatlas: no mapping ", shown)
                want = filter if filter != "-- -1" else hex((1 << 64) - 1)
                self.assertEqual(shown, vmatlas("--color=never", self.target, want))


if __name__ == "__main__":
    unittest.main()
