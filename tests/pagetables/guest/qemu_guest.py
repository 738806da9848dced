#!/usr/bin/env python3
"""Boots Debian's kernel in QEMU with a busybox initramfs that runs a test program.

The page-table tests compare vmatlas's walk of a live guest's page tables with what the guest
itself says about its memory. This module makes that guest and reads what it says; it has no
vmatlas code and needs only the Python standard library.

    reason = skip_reason()                # None when a guest can be booted here
    with Guest.boot() as guest:           # builds the program and initramfs, boots, waits "ready"
        guest.maps()                      # the program's /proc/self/maps, parsed
        guest.touched()                   # the regions it touched, with their permissions
        guest.kallsyms()                  # {"_text": 0xffffffff..., ...}
        guest.pti()                       # whether page-table isolation is on
        guest.dump("/tmp/guest.elf")      # QMP dump-guest-memory, an ELF core with QEMU notes
        guest.gdb_port, guest.qemu_pid    # QEMU's gdbstub, on 127.0.0.1

The guest: tests/pagetables/guest/init (busybox sh, PID 1) prints what the kernel says about
itself and execs guest_program.c, which maps and touches memory, prints its maps and spins in
user mode. The kernel is the one scripts/guest-kernel.sh leaves in /var/cache/vmatlas-guest
(the environment variable VMATLAS_GUEST_DIR names another directory).

`python3 qemu_guest.py --selftest` boots it once and shows everything this module reads, with
QEMU's gdbstub questioned by gdb.

What was seen with QEMU 7.2 and Debian 12's kernel 6.1, and matters to a test:
- Under TCG, `-cpu max` has LA57: the guest runs 5-level paging (CR4 bit 12); `cpu="max,-la57"`
  gives 4-level. Page-table isolation is off unless the CPU is said to be vulnerable to
  Meltdown or append="pti=on"; with it, CR3 in user mode is the user copy (bit 12 set).
- KASLR moves the kernel on every boot (append="nokaslr" keeps it at 0xffffffff81000000).
- Attaching gdb stops the CPUs and its detach lets them run, also when QMP "stop" had stopped
  them before; a dump-guest-memory of stopped CPUs leaves them stopped.
- HMP "info tlb" (hmp()) lists QEMU's own walk of the current CR3, one line per 4 KB page;
  HMP "info mem" prints nothing under 5-level paging, after tens of seconds.
"""

import contextlib
import ctypes
import gzip
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, NamedTuple, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_GUEST_DIR = "/var/cache/vmatlas-guest"
BUSYBOX = "/bin/busybox"  # busybox-static's file (dpkg -L busybox-static)
QEMU = "qemu-system-x86_64"
MARKER = "vmatlas-guest"

# Seconds from QEMU's start to the program's "ready": a few under KVM; the kernel's own boot under
# TCG (emulated, on a loaded machine) can take a minute or more.
BOOT_TIMEOUT_KVM = 90.0
BOOT_TIMEOUT_TCG = 600.0
# Seconds a KVM guest gets to reach init before boot() falls back to TCG (a healthy KVM needs one
# or two; a nested KVM was seen to spend minutes in the kernel's decompressor).
KVM_SIGN_OF_LIFE = 20.0
# Whether a KVM guest reached init in this process: None when not tried yet.
_kvm_boots: Optional[bool] = None


class GuestError(RuntimeError):
    """The guest or QEMU did not do what was asked; the message includes the console's tail."""


# ---------------------------------------------------------------------------------------------
# Where things are, and whether a guest can run here


def guest_dir() -> str:
    """The directory holding the guest kernel: $VMATLAS_GUEST_DIR, or /var/cache/vmatlas-guest."""
    return os.environ.get("VMATLAS_GUEST_DIR") or DEFAULT_GUEST_DIR


def kernel_path() -> str:
    """The guest kernel image scripts/guest-kernel.sh leaves (it may not exist)."""
    return os.path.join(guest_dir(), "vmlinuz")


def kernel_version() -> Optional[str]:
    """The guest kernel's version as guest-kernel.sh recorded it, or None when not recorded."""
    try:
        with open(os.path.join(guest_dir(), "kernel-version")) as f:
            return f.read().strip() or None
    except OSError:
        return None


def kvm_usable() -> bool:
    """True when /dev/kvm can be opened read-write, which is what QEMU's -enable-kvm needs."""
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    os.close(fd)
    return True


def default_accel() -> str:
    """The accelerator a guest gets when none is asked for: $VMATLAS_GUEST_ACCEL ("kvm" or
    "tcg") when set; else "kvm" when /dev/kvm opens read-write and no KVM guest failed to reach
    init in time, in this process or since the machine booted (_kvm_known_slow); else "tcg"."""
    forced = os.environ.get("VMATLAS_GUEST_ACCEL")
    if forced in ("kvm", "tcg"):
        return forced
    if _kvm_boots is False or _kvm_known_slow():
        return "tcg"
    return "kvm" if kvm_usable() else "tcg"


def _kvm_verdict_path() -> str:
    return os.path.join(tempfile.gettempdir(), f"vmatlas-guest-kvm-slow-{os.getuid()}")


def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        return ""


def _kvm_known_slow() -> bool:
    """True when a KVM guest failed to reach init in time since this machine last booted (a
    file in the temporary directory holds the boot id it happened in), so that every process
    does not wait for KVM again."""
    try:
        with open(_kvm_verdict_path()) as f:
            return f.read().strip() == _boot_id() != ""
    except OSError:
        return False


def _remember_kvm_slow() -> None:
    with contextlib.suppress(OSError):
        with open(_kvm_verdict_path(), "w") as f:
            f.write(_boot_id() + "\n")


def static_libc_works() -> bool:
    """True when `gcc -static` links a C program here (libc.a is installed)."""
    if shutil.which("gcc") is None:
        return False
    with tempfile.TemporaryDirectory(prefix="vmatlas-static-") as tmp:
        source = os.path.join(tmp, "t.c")
        with open(source, "w") as f:
            f.write("int main(void) { return 0; }\n")
        result = subprocess.run(["gcc", "-static", "-o", os.path.join(tmp, "t"), source],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return result.returncode == 0


def skip_reason() -> Optional[str]:
    """A sentence saying why a guest cannot be booted here, or None when it can."""
    if shutil.which(QEMU) is None:
        return f"{QEMU} is not installed (Debian package qemu-system-x86)"
    if not os.path.isfile(kernel_path()):
        return f"no guest kernel at {kernel_path()} (scripts/guest-kernel.sh fetches it)"
    if not os.access(BUSYBOX, os.X_OK):
        return f"no {BUSYBOX} (Debian package busybox-static)"
    if not static_libc_works():
        return "gcc -static cannot link a program here (gcc and libc6-dev are needed)"
    return None


# ---------------------------------------------------------------------------------------------
# The program and the initramfs


def build_program(out_path: str, source: str = os.path.join(HERE, "guest_program.c")) -> str:
    """Compiles the guest program static (gcc -static -O1) to out_path; returns out_path.

    Raises GuestError with gcc's messages when it fails."""
    result = subprocess.run(["gcc", "-static", "-O1", "-o", out_path, source],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        raise GuestError(f"gcc -static failed on {source}:\n{result.stdout}")
    return out_path


class _Cpio:
    """Writes a cpio archive in the "newc" format (the one the kernel unpacks as initramfs).

    Entries are written in the order added; a directory must be added before what it holds.
    Every entry is owned by root with modification time 0, so the same inputs give the same
    bytes."""

    def __init__(self) -> None:
        self._parts: List[bytes] = []
        self._inode = 1

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev: tuple = (0, 0)) -> None:
        fields = [self._inode, mode, 0, 0, 2 if stat.S_ISDIR(mode) else 1, 0, len(data),
                  0, 0, rdev[0], rdev[1], len(name) + 1, 0]
        self._inode += 1
        header = b"070701" + b"".join(b"%08x" % v for v in fields)
        self._parts.append(self._padded(header + name.encode() + b"\0"))
        self._parts.append(self._padded(data))

    @staticmethod
    def _padded(data: bytes) -> bytes:
        return data + b"\0" * (-len(data) % 4)

    def directory(self, name: str) -> None:
        self._entry(name, stat.S_IFDIR | 0o755)

    def file(self, name: str, data: bytes, mode: int = 0o755) -> None:
        self._entry(name, stat.S_IFREG | mode, data)

    def symlink(self, name: str, target: str) -> None:
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def char_device(self, name: str, major: int, minor: int, mode: int = 0o600) -> None:
        self._entry(name, stat.S_IFCHR | mode, rdev=(major, minor))

    def bytes(self) -> bytes:
        """The archive, its trailer included."""
        trailer = _Cpio()
        trailer._inode = 0
        trailer._entry("TRAILER!!!", 0)
        return b"".join(self._parts + trailer._parts)


def build_initramfs(out_path: str, program_binary: str, init_script: str,
                    busybox: str = BUSYBOX) -> str:
    """Writes a gzip-compressed newc cpio to out_path; returns out_path.

    It holds /init (init_script), /guest_program (program_binary), /bin/busybox with /bin/sh a
    symlink to it (init makes the other applets' links), empty /proc, /sys, /tmp, and /dev with
    /dev/console (character device 5,1), which the kernel opens as init's stdin, stdout and
    stderr before init runs."""
    archive = _Cpio()
    for directory in ("bin", "dev", "proc", "sys", "tmp"):
        archive.directory(directory)
    archive.char_device("dev/console", 5, 1)
    with open(busybox, "rb") as f:
        archive.file("bin/busybox", f.read())
    archive.symlink("bin/sh", "busybox")
    with open(init_script, "rb") as f:
        archive.file("init", f.read())
    with open(program_binary, "rb") as f:
        archive.file("guest_program", f.read())
    with open(out_path, "wb") as f:
        f.write(gzip.compress(archive.bytes(), compresslevel=6, mtime=0))
    return out_path


# ---------------------------------------------------------------------------------------------
# What the guest prints


class MapRow(NamedTuple):
    """One line of /proc/PID/maps, its numbers as integers; path is "" for an anonymous row."""
    start: int
    end: int
    perms: str
    offset: int
    dev: str
    inode: int
    path: str


class Touched(NamedTuple):
    """A region the program touched: every page of [start, end) was present when it said so."""
    start: int
    end: int
    perms: str  # as in /proc/PID/maps: "rw-p", "r--p", "r-xp"
    name: str   # anon-rw, anon-ro, anon-rx, file-ro, heap


_MAPS_LINE = re.compile(
    r"^([0-9a-f]+)-([0-9a-f]+) ([-r][-w][-x][ps]) ([0-9a-f]+) ([0-9a-f]+:[0-9a-f]+) (\d+)\s*(.*)$")


def parse_maps_line(line: str) -> MapRow:
    """Parses one /proc/PID/maps line; raises ValueError when it is not one."""
    m = _MAPS_LINE.match(line)
    if m is None:
        raise ValueError(f"not a maps line: {line!r}")
    return MapRow(int(m[1], 16), int(m[2], 16), m[3], int(m[4], 16), m[5], int(m[6]), m[7])


def console_lines(text: str) -> List[str]:
    """The console's lines without their line ends (the tty writes "\\r\\n")."""
    return [line.rstrip("\r") for line in text.split("\n")]


def block(lines: List[str], name: str) -> List[str]:
    """The lines between "vmatlas-guest NAME-begin" and "vmatlas-guest NAME-end".

    Kernel messages that landed in the block (lines starting with "[") are left out. Raises
    GuestError when the block is not there or not ended."""
    begin, end = f"{MARKER} {name}-begin", f"{MARKER} {name}-end"
    try:
        first = lines.index(begin) + 1
        last = lines.index(end, first)
    except ValueError:
        raise GuestError(f"the console has no complete {name} block") from None
    return [line for line in lines[first:last] if not line.startswith("[")]


def marked(lines: List[str], word: str) -> List[str]:
    """The rest of every line "vmatlas-guest WORD REST", in order."""
    prefix = f"{MARKER} {word} "
    return [line[len(prefix):] for line in lines if line.startswith(prefix)]


# ---------------------------------------------------------------------------------------------
# QEMU


def free_port() -> int:
    """A TCP port of 127.0.0.1 free right now (another process may take it before QEMU does)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """Run in QEMU's process before exec: the kernel kills it (SIGKILL) when this Python
    process's thread that started it exits, however it exits."""
    PR_SET_PDEATHSIG = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class _Qmp:
    """One QMP connection, capabilities negotiated; execute() returns a command's "return"."""

    def __init__(self, path: str, timeout: float) -> None:
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._file = None
        self.events: List[dict] = []
        try:
            self._sock.settimeout(timeout)
            self._sock.connect(path)
            self._file = self._sock.makefile("rwb")
            greeting = self._read()
            if "QMP" not in greeting:
                raise GuestError(f"QMP greeting expected, got {greeting}")
            self.execute("qmp_capabilities")
        except BaseException:
            self.close()
            raise

    def _read(self) -> dict:
        line = self._file.readline()
        if not line:
            raise GuestError("QMP connection closed by QEMU")
        return json.loads(line)

    def execute(self, command: str, timeout: Optional[float] = None, **arguments) -> object:
        """Sends one command and returns its "return" value; events read meanwhile are kept in
        self.events. Raises GuestError on a QMP error."""
        message = {"execute": command}
        if arguments:
            message["arguments"] = arguments
        if timeout is not None:
            self._sock.settimeout(timeout)
        self._file.write(json.dumps(message).encode() + b"\n")
        self._file.flush()
        while True:
            reply = self._read()
            if "event" in reply:
                self.events.append(reply)
            elif "error" in reply:
                raise GuestError(f"QMP {command}: {reply['error']}")
            elif "return" in reply:
                return reply["return"]

    def close(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
        with contextlib.suppress(OSError):
            self._sock.close()


class Guest:
    """A QEMU process booting the guest kernel with an initramfs, and what its console says.

    The console (ttyS0) is written by QEMU to `console_log`; QEMU's gdbstub listens on
    127.0.0.1:`gdb_port`, its QMP on the unix socket `qmp_socket`. The accelerator is KVM
    (`-enable-kvm -cpu host`) or TCG (`-accel tcg -cpu max`), see default_accel(); `accel` and
    `cpu` say which. close() (or leaving the `with` block) ends QEMU and removes the files this
    object made; QEMU is also killed by the kernel if this Python process dies first."""

    def __init__(self, initrd: str, kernel: Optional[str] = None, append: str = "",
                 memory: str = "512M", accel: Optional[str] = None,
                 workdir: Optional[str] = None, cpu: Optional[str] = None) -> None:
        """Starts QEMU; returns once its QMP socket answers. Does not wait for the boot.

        append is added to the kernel command line "console=ttyS0 panic=-1 quiet" (for example
        "pti=on" or "nokaslr"). accel is "kvm", "tcg" or None (default_accel()). workdir holds
        the console log and the QMP socket: a new temporary directory, removed by close(), when
        None. cpu is QEMU's -cpu value (for example "max,-la57" for 4-level paging under TCG);
        None tries "host", then "host,-arch-capabilities" under KVM, and "max" under TCG."""
        self.kernel = kernel or kernel_path()
        self.initrd = initrd
        self.accel = accel or default_accel()
        self._own_workdir = workdir is None
        self._process: Optional[subprocess.Popen] = None
        self._qmp: Optional["_Qmp"] = None
        self.workdir = workdir or tempfile.mkdtemp(prefix="vmatlas-guest-")
        self.console_log = os.path.join(self.workdir, "console.log")
        self.qemu_log = os.path.join(self.workdir, "qemu.log")
        self.qmp_socket = os.path.join(self.workdir, "qmp.sock")
        self.append = "console=ttyS0 panic=-1 quiet" + (" " + append if append else "")
        self.boot_timeout = BOOT_TIMEOUT_KVM if self.accel == "kvm" else BOOT_TIMEOUT_TCG
        self.started = time.monotonic()
        self.cpu = ""
        self._cpu_choice = cpu
        self.gdb_port = 0
        try:
            self._start_qemu(memory)
        except BaseException:
            self.close()
            raise

    @classmethod
    def boot(cls, workdir: Optional[str] = None, timeout: Optional[float] = None,
             accel: Optional[str] = None, **options) -> "Guest":
        """Builds the program and the initramfs in workdir (a new temporary directory, removed by
        close(), when None), boots, and returns the guest once the program has said "ready"
        (raises GuestError, QEMU ended, otherwise). accel as in Guest(), with a fall-back to TCG
        when it is None (_start_on_working_accelerator). options go to Guest(): append, memory,
        kernel, cpu."""
        own = workdir is None
        workdir = workdir or tempfile.mkdtemp(prefix="vmatlas-guest-")
        guest = None
        try:
            program = build_program(os.path.join(workdir, "guest_program"))
            initrd = build_initramfs(os.path.join(workdir, "initrd.gz"), program,
                                     os.path.join(HERE, "init"))
            guest = cls._start_on_working_accelerator(initrd, workdir, accel, options)
            guest.wait_for(f"{MARKER} ready", timeout)
        except BaseException:
            if guest is not None:
                guest.close()
            if own:
                shutil.rmtree(workdir, ignore_errors=True)
            raise
        guest._own_workdir = own
        return guest

    @classmethod
    def _start_on_working_accelerator(cls, initrd: str, workdir: str, accel: Optional[str],
                                      options: dict) -> "Guest":
        """Starts a guest on accel. When accel is None, on default_accel(); and when that is KVM
        chosen by default_accel() itself (not by $VMATLAS_GUEST_ACCEL), QEMU failing to start
        or init printing nothing in KVM_SIGN_OF_LIFE seconds (a nested KVM can run the kernel's
        decompressor for minutes) starts it again on TCG, which default_accel() then chooses at
        once, in this process and others, until the machine reboots."""
        global _kvm_boots
        chosen = accel or default_accel()
        may_fall_back = (accel is None and chosen == "kvm"
                         and os.environ.get("VMATLAS_GUEST_ACCEL") != "kvm" and not _kvm_boots)
        if not may_fall_back:
            return cls(initrd, workdir=workdir, accel=chosen, **options)
        try:
            guest = cls(initrd, workdir=workdir, accel="kvm", **options)
        except GuestError:
            guest = None
        if guest is not None:
            try:
                guest._wait(lambda lines: any(line.startswith(MARKER + " ") for line in lines),
                            KVM_SIGN_OF_LIFE, "anything")
                _kvm_boots = True
                return guest
            except GuestError:
                guest.close()
        _kvm_boots = False
        _remember_kvm_slow()
        return cls(initrd, workdir=workdir, accel="tcg", **options)

    # -- QEMU's process

    def _command(self, memory: str, cpu: str) -> List[str]:
        accel = ["-enable-kvm"] if self.accel == "kvm" else ["-accel", "tcg"]
        return [QEMU, *accel, "-cpu", cpu, "-m", memory, "-smp", "1", "-nodefaults",
                "-display", "none", "-no-reboot", "-kernel", self.kernel, "-initrd", self.initrd,
                "-append", self.append,
                "-serial", f"file:{self.console_log}",
                "-gdb", f"tcp:127.0.0.1:{self.gdb_port}",
                "-qmp", f"unix:{self.qmp_socket},server=on,wait=off"]

    def _cpu_models(self) -> List[str]:
        """The -cpu values to try, in order. Under KVM, "host" first; then "host" without
        IA32_ARCH_CAPABILITIES, for a nested KVM that refuses to set that MSR (QEMU aborts with
        "failed to set MSR 0x10a")."""
        if self._cpu_choice:
            return [self._cpu_choice]
        return ["host", "host,-arch-capabilities"] if self.accel == "kvm" else ["max"]

    def _start_qemu(self, memory: str) -> None:
        """Starts QEMU and connects to its QMP. Tries the next CPU model when QEMU ends at once,
        and another port (three in all) when the gdb one was taken meanwhile."""
        failures = []
        for cpu in self._cpu_models():
            for _ in range(3):
                self.gdb_port = free_port()
                for stale in (self.qmp_socket, self.console_log):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(stale)
                self.started = time.monotonic()
                with open(self.qemu_log, "wb") as log:
                    self._process = subprocess.Popen(
                        self._command(memory, cpu), stdin=subprocess.DEVNULL, stdout=log,
                        stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
                if self._connect_qmp(timeout=30.0):
                    self.cpu = cpu
                    return
                self._process.wait()
                message = self._qemu_messages().strip()
                failures.append(f"-cpu {cpu}: {message}")
                if "gdbstub" not in message and "Address already in use" not in message:
                    break
        raise GuestError("QEMU did not start:\n" + "\n".join(failures))

    def _connect_qmp(self, timeout: float) -> bool:
        """Connects to QMP; False when QEMU ends first. Raises GuestError on a timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            if os.path.exists(self.qmp_socket):
                try:
                    self._qmp = _Qmp(self.qmp_socket, timeout=30.0)
                    return True
                except (OSError, GuestError):
                    # Refused before QEMU listens; reset or closed when QEMU ends while
                    # starting the machine: the next round sees which.
                    self._qmp = None
            time.sleep(0.02)
        raise GuestError(f"QEMU's QMP socket did not answer in {timeout} s")

    def _qemu_messages(self) -> str:
        try:
            with open(self.qemu_log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    @property
    def qemu_pid(self) -> int:
        """QEMU's process id."""
        return self._process.pid

    def running(self) -> bool:
        """True while QEMU's process has not ended."""
        return self._process is not None and self._process.poll() is None

    # -- The console

    def console(self) -> str:
        """Everything the guest wrote to its console so far."""
        try:
            with open(self.console_log, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def lines(self) -> List[str]:
        """The console's lines so far, without "\\r"."""
        return console_lines(self.console())

    def wait_for(self, marker: str, timeout: Optional[float] = None) -> float:
        """Waits until a console line equals marker; returns the seconds since QEMU started.

        timeout defaults to the boot timeout of the accelerator. Raises GuestError, with the
        console's last lines and QEMU's messages, when QEMU ends or the time is up first."""
        return self._wait(lambda lines: marker in lines, timeout, repr(marker))

    def _wait(self, predicate, timeout: Optional[float], what: str) -> float:
        """Waits until predicate(console lines) is true; as wait_for() otherwise."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.boot_timeout)
        while True:
            if predicate(self.lines()):
                return time.monotonic() - self.started
            if not self.running():
                raise GuestError(f"QEMU ended before the guest said {what}" + self._diagnosis())
            if time.monotonic() > deadline:
                raise GuestError(f"the guest did not say {what} in time" + self._diagnosis())
            time.sleep(0.05)

    def _diagnosis(self) -> str:
        tail = "\n".join(self.lines()[-30:])
        return f"\n--- console (last lines) ---\n{tail}\n--- QEMU ---\n{self._qemu_messages()}"

    def maps(self) -> List[MapRow]:
        """The program's /proc/self/maps, as it printed it once its regions were touched."""
        return [parse_maps_line(line) for line in block(self.lines(), "maps") if line]

    def touched(self) -> List[Touched]:
        """The regions the program touched, in the order it printed them."""
        rows = []
        for rest in marked(self.lines(), "touched"):
            start, end, perms, name = rest.split()
            rows.append(Touched(int(start, 16), int(end, 16), perms, name))
        return rows

    def kallsyms(self) -> Dict[str, int]:
        """name → address of the kernel symbols init printed (those /proc/kallsyms has of
        _text, _stext, _etext, __start_rodata, __end_rodata, _sdata, _edata, __bss_start,
        __bss_stop, _end, page_offset_base, vmalloc_base, vmemmap_base)."""
        symbols: Dict[str, int] = {}
        for line in block(self.lines(), "kallsyms"):
            fields = line.split()
            if len(fields) >= 3:
                symbols.setdefault(fields[2], int(fields[0], 16))
        return symbols

    def pti(self) -> Dict[str, object]:
        """What the guest says of page-table isolation: {"meltdown": the sysfs verdict,
        "cpuinfo": "pti" or "none", "enabled": True when either says PTI is on}."""
        facts: Dict[str, object] = {}
        for rest in marked(self.lines(), "pti"):
            key, _, value = rest.partition("=")
            facts[key] = value
        facts["enabled"] = "PTI" in str(facts.get("meltdown", "")) or facts.get("cpuinfo") == "pti"
        return facts

    def ptdump(self) -> Optional[List[str]]:
        """The kernel's own dump of its page tables (debugfs page_tables/kernel), or None when
        the kernel has none (Debian's is built without CONFIG_PTDUMP_DEBUGFS)."""
        try:
            return block(self.lines(), "ptdump")
        except GuestError:
            return None

    # -- QMP

    def qmp(self, command: str, timeout: Optional[float] = None, **arguments) -> object:
        """Executes a QMP command and returns its "return" value (raises GuestError on error).

        Example: qmp("query-status") → {"status": "running", "running": True, ...}."""
        if self._qmp is None:
            raise GuestError("no QMP connection")
        return self._qmp.execute(command, timeout=timeout, **arguments)

    def hmp(self, command: str, timeout: float = 120.0) -> str:
        """The text of a human-monitor command, run through QMP (e.g. "info tlb": QEMU's own
        walk of the current CR3's tables, one line per mapped 4 KB page)."""
        return str(self.qmp("human-monitor-command", timeout=timeout,
                            **{"command-line": command}))

    def pause(self) -> None:
        """Stops the guest's CPUs (QMP stop); their state is then fixed until resume()."""
        self.qmp("stop")

    def resume(self) -> None:
        """Lets the guest's CPUs run again (QMP cont)."""
        self.qmp("cont")

    def dump(self, path: str, timeout: float = 120.0) -> float:
        """Writes the guest's memory and CPU state to path as an ELF core (QMP
        dump-guest-memory, paging false: physical memory as PT_LOAD segments, a QEMU note per
        CPU); returns the seconds it took. The CPUs are stopped while it is written and run on
        after, unless they were stopped before. Raises GuestError when it fails or takes longer
        than timeout."""
        began = time.monotonic()
        self.qmp("dump-guest-memory", paging=False, protocol=f"file:{os.path.abspath(path)}",
                 detach=True)
        while True:
            state = self.qmp("query-dump")
            if state["status"] == "completed":
                return time.monotonic() - began
            if state["status"] == "failed":
                raise GuestError(f"dump-guest-memory to {path} failed")
            if time.monotonic() - began > timeout:
                raise GuestError(f"dump-guest-memory to {path} not done in {timeout} s: {state}")
            time.sleep(0.05)

    # -- The end

    def close(self) -> None:
        """Ends QEMU (QMP quit, then SIGKILL after 10 s; SIGKILL at once without QMP) and removes
        the work directory when this object made it. Safe to call more than once."""
        asked_to_quit = False
        if self._qmp is not None:
            with contextlib.suppress(Exception):
                self._qmp.execute("quit", timeout=5.0)
                asked_to_quit = True
            self._qmp.close()
            self._qmp = None
        if self._process is not None:
            try:
                self._process.wait(timeout=10.0 if asked_to_quit else 0.0)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "Guest":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()


# ---------------------------------------------------------------------------------------------
# The self-test


def _gdb(port: int, *commands: str, timeout: float = 120.0) -> str:
    """Runs gdb in batch mode against QEMU's gdbstub and returns what it printed. Attaching
    stops the guest's CPUs; gdb's detach at the end lets them run again."""
    argv = ["gdb", "-nx", "-batch", "-ex", "set architecture i386:x86-64",
            "-ex", f"target remote 127.0.0.1:{port}"]
    for command in commands:
        argv += ["-ex", command]
    try:
        result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else e.stdout
        return (out or "") + f"\n(gdb killed after {timeout} s)"
    return result.stdout


def _hex_packet(text: str) -> str:
    return text.encode().hex()


def _named_raw_registers(text: str) -> str:
    """The rows of `maintenance print raw-registers` that have a name and a raw value."""
    rows = [line for line in text.splitlines()
            if line.startswith(" ") and "''" not in line and "<cooked>" not in line]
    return "\n".join(rows)


def _selftest_gdb(port: int) -> None:
    """Prints what QEMU's gdbstub says of the registers, its target description, the
    qemu.PhyMemMode packets, where the CPU is when stopped, and the monitor command "info mem"."""
    print("\n== gdb: registers")
    out = _gdb(port, "info registers rip cs ss cr0 cr2 cr3 cr4 cr8 efer fs_base gs_base k_gs_base")
    print(out)
    print("== gdb: maintenance print raw-registers (named rows)")
    print(_named_raw_registers(_gdb(port, "maintenance print raw-registers")))
    print("\n== gdb: packets")
    print(_gdb(port,
               "maint packet qXfer:features:read:target.xml:0,3fff",
               "maint packet qXfer:features:read:i386-64bit.xml:0,3fff",
               "maint packet Qqemu.PhyMemMode:1",
               "maint packet qqemu.PhyMemMode",
               "maint packet Qqemu.PhyMemMode:0",
               "maint packet qqemu.PhyMemMode",
               "maint packet qqemu.sstepbits"))
    print("== gdb: where the CPU is, 8 stops")
    for _ in range(8):
        out = _gdb(port, "printf \"rip %016lx cs %x cr3 %016lx\\n\", $rip, $cs, $cr3")
        print("  " + next((l for l in out.splitlines() if l.startswith("rip ")), out.strip()))
        time.sleep(0.3)
    for command in ("info mem", "info registers"):
        print(f"\n== gdb: monitor {command} (qRcmd), first lines")
        out = _gdb(port, "set remotetimeout 120", "set debug remote 1", f"monitor {command}",
                   timeout=180.0)
        lines = [l for l in out.splitlines() if "Sending packet" in l or "Packet received" in l
                 or not l.startswith("[remote]")]
        print("\n".join(lines[:24]))
        print(f"  ({len(lines)} lines in all)")


def _selftest_hmp(guest: "Guest") -> None:
    """Prints the first lines of HMP's "info tlb", asked through QMP. ("info mem" is left out:
    under 5-level paging QEMU 7.2 prints nothing for it, after tens of seconds.)"""
    began = time.monotonic()
    lines = guest.hmp("info tlb").splitlines()
    print(f"\n== QMP human-monitor-command 'info tlb': {len(lines)} lines in "
          f"{time.monotonic() - began:.2f} s, first ones:")
    print("\n".join(lines[:12]))


def selftest(accel: Optional[str] = None, append: str = "") -> int:
    """Boots the guest, prints what it said, questions its gdbstub with gdb, dumps its memory."""
    reason = skip_reason()
    if reason:
        print(f"selftest skipped: {reason}")
        return 0
    print(f"kernel: {kernel_path()} ({kernel_version()})")
    with Guest.boot(accel=accel, append=append) as guest:
        print(f"ready {time.monotonic() - guest.started:.2f} s after QEMU started "
              f"(pid {guest.qemu_pid}, gdb port {guest.gdb_port}, accel {guest.accel}, "
              f"-cpu {guest.cpu})")
        print("\n== maps")
        for row in guest.maps():
            print(f"  {row.start:x}-{row.end:x} {row.perms} {row.offset:x} {row.dev} "
                  f"{row.inode} {row.path}")
        print("\n== touched")
        for region in guest.touched():
            print(f"  {region.start:x}-{region.end:x} {region.perms} {region.name}")
        print("\n== kallsyms")
        for name, address in guest.kallsyms().items():
            print(f"  {address:016x} {name}")
        print(f"\n== pti {guest.pti()}")
        print(f"== ptdump {'present' if guest.ptdump() is not None else 'absent'}")
        print(f"== cmdline {marked(guest.lines(), 'cmdline')}")

        _selftest_gdb(guest.gdb_port)
        print(f"== status after gdb: {guest.qmp('query-status')}")
        _selftest_hmp(guest)

        path = os.path.join(guest.workdir, "dump.elf")
        seconds = guest.dump(path)
        print(f"== dump-guest-memory: {os.path.getsize(path)} bytes in {seconds:.2f} s")
        print(f"== status after: {guest.qmp('query-status')}")
    return 0


def main(argv: List[str]) -> int:
    import argparse
    parser = argparse.ArgumentParser(description="Boots the page-table tests' guest.")
    parser.add_argument("--selftest", action="store_true",
                        help="boot once, print what the guest says, question the gdbstub, dump")
    parser.add_argument("--skip-reason", action="store_true",
                        help="print why a guest cannot run here (nothing when it can)")
    parser.add_argument("--accel", choices=["kvm", "tcg"],
                        help="the accelerator (default: KVM when /dev/kvm opens read-write)")
    parser.add_argument("--append", default="", help="more kernel command-line arguments")
    args = parser.parse_args(argv[1:])
    if args.skip_reason:
        print(skip_reason() or "")
        return 0
    if args.selftest:
        return selftest(accel=args.accel, append=args.append)
    parser.print_usage(sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
