#!/usr/bin/env python3
"""The page-table walk of a booted guest, beside the peers that read the same guest.

Boots Debian's kernel in qemu-system-x86_64 with the test program (tests/pagetables/guest: 512 MB,
one CPU, 4-level paging so that QEMU's `info mem` answers), waits until the program spins, then,
--rounds times (default 5), in a rotating order, each with the guest paused (QMP stop) first:
  - vmatlas tcp:127.0.0.1:PORT --kallsyms K   the whole walk, user and kernel halves, through
                                              QEMU's gdbstub (connect, registers, tables, detach)
  - vmatlas DUMP --kallsyms K                 the same walk of a dump-guest-memory of the guest
  - monitor info mem                          QEMU's own walk, asked through the same gdbstub
                                              (qRcmd), its text read to the end
  - read of /proc/QEMU_PID/mem                the guest's RAM read once, as gdb-pt-dump reads it:
                                              the host mapping of the guest's memory, 1 MB reads
Prints a Markdown table: per way, the median wall time and its ratio to vmatlas's live walk,
and what each gave (rows, lines, bytes).

    bench/compare_pagetables.py [--vmatlas build/vmatlas] [--rounds 5]

Exit status: 0 when every way ran, 1 when one failed, 77 when no guest can be booted here (the
reason is printed). Standard library only.
"""

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "pagetables", "guest"))
import qemu_guest  # noqa: E402  (the path is set just above)


class Stub:
    """A minimal gdb remote protocol client: acknowledged packets, replies read to their '#cs',
    stop replies passed over (QEMU sends one unasked as a client connects)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.buffer = b""

    def request(self, payload: str) -> list:
        """Sends payload; returns every reply packet up to the first that is not output ('O')."""
        checksum = sum(payload.encode()) % 256
        self.sock.sendall(f"${payload}#{checksum:02x}".encode())
        replies = []
        while True:
            packet = self._packet()
            self.sock.sendall(b"+")
            if re.match(r"[ST][0-9a-fA-F]{2}", packet):
                continue
            if packet.startswith("O") and packet != "OK":
                replies.append(packet)
                continue
            replies.append(packet)
            return replies

    def _packet(self) -> str:
        while True:
            start = self.buffer.find(b"$")
            end = self.buffer.find(b"#", start)
            if start >= 0 and end >= 0 and len(self.buffer) >= end + 3:
                packet = self.buffer[start + 1:end].decode("latin1")
                self.buffer = self.buffer[end + 3:]
                return packet
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise RuntimeError("the stub closed the connection")
            self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


def info_mem(port: int) -> int:
    """Runs `monitor info mem` through the gdbstub; returns the lines it printed."""
    stub = Stub(port)
    try:
        stub.request("qSupported")
        replies = stub.request("qRcmd," + "info mem".encode().hex())
        text = "".join(bytes.fromhex(r[1:]).decode() for r in replies if r.startswith("O") and r != "OK")
        stub.request("D")
        return text.count("\n")
    finally:
        stub.close()


def guest_ram_mapping(pid: int, size: int) -> tuple:
    """The host mapping of QEMU's guest RAM: its anonymous read-write mapping of the RAM's size."""
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if end - start == size and fields[1].startswith("rw") and len(fields) == 5:
                return start, end
    raise RuntimeError(f"no {size}-byte anonymous mapping in QEMU {pid}'s map")


def read_ram(pid: int, start: int, end: int) -> int:
    fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
    try:
        total = 0
        for at in range(start, end, 1 << 20):
            total += len(os.pread(fd, min(1 << 20, end - at), at))
        return total
    finally:
        os.close(fd)


def timed(run) -> tuple:
    began = time.perf_counter()
    result = run()
    return time.perf_counter() - began, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vmatlas", default=os.path.join(ROOT, "build", "vmatlas"))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    why = qemu_guest.skip_reason()
    if why:
        print(f"skipped: {why}")
        return 77
    work = tempfile.mkdtemp(prefix="vmatlas-bench-guest-")
    options = {"cpu": "max,-la57"} if qemu_guest.default_accel() == "tcg" else {}
    with qemu_guest.Guest.boot(workdir=work, **options) as guest:
        kallsyms = os.path.join(work, "kallsyms")
        with open(kallsyms, "w") as f:
            for name, address in guest.kallsyms().items():
                f.write(f"{address:016x} T {name}\n")
        guest.pause()
        dump = os.path.join(work, "guest.core")
        guest.dump(dump)
        ram = guest_ram_mapping(guest.qemu_pid, 512 << 20)

        def vmatlas(target: str):
            def run():
                out = subprocess.run([args.vmatlas, "--kallsyms", kallsyms, target],
                                     capture_output=True, text=True, check=True).stdout
                return f"{out.count(chr(10)) - 1} rows"
            return run

        ways = {
            "vmatlas, live (gdbstub)": vmatlas(f"tcp:127.0.0.1:{guest.gdb_port}"),
            "vmatlas, dump": vmatlas(dump),
            "monitor info mem (gdbstub)": lambda: f"{info_mem(guest.gdb_port)} lines",
            "read of the guest RAM (/proc/PID/mem)":
                lambda: f"{read_ram(guest.qemu_pid, *ram) >> 20} MB",
        }
        times = {name: [] for name in ways}
        gave = {}
        names = list(ways)
        for r in range(args.rounds):
            for name in names[r % len(names):] + names[:r % len(names)]:
                guest.pause()
                seconds, gave[name] = timed(ways[name])
                times[name].append(seconds)
        print(f"Guest: Debian {qemu_guest.kernel_version()}, 512 MB, {guest.accel}, "
              f"-cpu {guest.cpu or 'default'}; {args.rounds} rounds, median wall time\n")
        print("| way | time (ms) | vs vmatlas live | gave |")
        print("|---|---:|---:|---|")
        base = statistics.median(times[names[0]])
        for name in names:
            t = statistics.median(times[name])
            print(f"| {name} | {t * 1000:.1f} | {t / base:.2f}x | {gave[name]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
