"""A gdb that a test drives one command at a time.

gdb reads its commands from a pipe and writes its output (standard output and error, in the
order gdb wrote them) to a pipe or, for the colour tests, to a pseudo-terminal. After each command
gdb echoes a numbered marker; what gdb wrote before it is that command's output. Between two
commands the process gdb debugs stays as gdb left it, so a test can read it too.
"""

import os
import pty
import select
import shutil
import subprocess

# gdb as the tests' own PATH finds it: a gdb may be given a PATH of its own.
GDB = shutil.which("gdb")

STYLE_RESET = b"\x1b[m"


class GdbError(Exception):
    """gdb did not answer as the test expects: it exited, or a command timed out."""


class DrivenGdb:
    def __init__(self, arguments, *, terminal=False, env=None, timeout=60):
        """Starts gdb -nx with these arguments (a program, -p PID, ...). With terminal, gdb's
        output is a pseudo-terminal, as when a person runs it."""
        self.timeout = timeout
        self.count = 0
        environment = dict(os.environ if env is None else env)
        environment["DEBUGINFOD_URLS"] = ""
        command = [GDB, "-nx", "-q", "-iex", "set debuginfod enabled off",
                   "-ex", "set prompt", "-ex", "set confirm off", "-ex", "set pagination off",
                   "-ex", "set height 0", "-ex", "set width 0"] + list(arguments)
        if terminal:
            self.output_fd, terminal_fd = pty.openpty()
            self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=terminal_fd,
                                            stderr=terminal_fd, env=environment)
            os.close(terminal_fd)
        else:
            self.process = subprocess.Popen(command, stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                            env=environment)
            self.output_fd = self.process.stdout.fileno()
        self.terminal = terminal
        self.pending = b""
        self.startup = self.run("echo")

    def run(self, command):
        """The text gdb writes for one command line (its errors included)."""
        self.count += 1
        marker = f"@@end {self.count}@@"
        self.process.stdin.write(f"{command}\necho {marker}\\n\n".encode())
        self.process.stdin.flush()
        wanted = (marker + "\n").encode()
        while wanted not in self.pending.replace(b"\r\n", b"\n"):
            ready, _, _ = select.select([self.output_fd], [], [], self.timeout)
            if not ready:
                raise GdbError(f"gdb did not answer '{command}' within {self.timeout} s")
            try:
                chunk = os.read(self.output_fd, 65536)
            except OSError:  # a pseudo-terminal whose other side closed
                chunk = b""
            if not chunk:
                raise GdbError(f"gdb exited while running '{command}': {self.pending}")
            self.pending += chunk
        text = self.pending.replace(b"\r\n", b"\n") if self.terminal else self.pending
        output, self.pending = text.split(wanted, 1)
        if self.terminal:
            # gdb resets the style before and after what a command writes to a terminal.
            output = output.removeprefix(STYLE_RESET).removesuffix(STYLE_RESET)
        return output.decode("utf-8", errors="replace")

    def number(self, expression):
        """The value gdb gives the expression, as an unsigned number."""
        return int(self.run(f'printf "%lu\\n", (unsigned long)({expression})'))

    def close(self):
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.terminal:
            os.close(self.output_fd)
        else:
            self.process.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.close()
