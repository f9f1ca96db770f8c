"""The stack's output paths: threads that copy supervisord's and each program's lines to our stdout/stderr.

Every line leaves as one JSON object (supervisor_log.py), in writes of whole lines (pipe_batches). While
copying, a relay hands what the supervision needs to `observe`: supervisord's own events, and each
program's error lines. Caddy's access log, the bulk of the output, is not copied by anyone when our
stdout can be opened by path (stdout_for_children). A program's FIFO (program_fifo) gets uvicorn's and
the API's log lines written straight into it by the program itself (program_log.py), and only its
stray output (a print, a traceback outside logging) from supervisord; its relay reads both alike.
Threads are started only after supervisord is spawned, so the fork happens while this process has one
thread.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from edge_sidecar.program_log import write_all
from edge_sidecar.supervision import error_text
from edge_sidecar.supervisor_log import LineSplitter, convert_entry, pipe_batches, program_line

# Called with ("event", fields) for a supervisord event, ("error", program, text) for an error line.
Observer = Callable[[tuple[object, ...]], None]


class Sink:
    """Writes to `fd`; if `fd` stops accepting writes, drops the output and keeps going. A relay that
    stopped reading would fill its pipe and block supervisord and every program logging through it."""

    def __init__(self, fd: int) -> None:
        self.fd, self.writable = fd, True

    def write(self, data: bytes) -> None:
        if data and self.writable:
            try:
                write_all(self.fd, data)
            except OSError:
                self.writable = False

    def write_lines(self, lines: Iterable[bytes]) -> None:
        """Each line with its newline; a read's lines leave in few writes, none cutting a line."""
        for batch in pipe_batches(line for line in lines if line):
            self.write(batch)


def needs_relay(mode: int, flags: int) -> bool:
    """Whether a stdout of this st_mode and open flags must be copied through a pipe for children that
    open it by path (/dev/stdout, /proc/<pid>/fd/N) rather than inherit it.

    A socket cannot be opened by path (ENXIO: Node's child_process, systemd's journal). A regular file
    can, but as a new open file description with its own offset: unless the file is in append mode,
    our stderr lines (`> log 2>&1`) then overwrite what the children wrote. Pipes, FIFOs (Docker's
    and containerd's stdout), terminals and append-mode files are shared safely. open(2), proc(5).
    """
    if stat.S_ISSOCK(mode):
        return True
    return stat.S_ISREG(mode) and not flags & os.O_APPEND


# Set in the environment given to the entrypoint, the access log goes where this names instead (an
# internal knob: `/dev/stdout` is the path through supervisord's relay, for tools/bench/access-log.ts).
ACCESS_LOG_VARIABLE = "EDGE_ACCESS_LOG"
VIA_SUPERVISORD = "/dev/stdout"


def access_log_path(fd: int, environ: Mapping[str, str]) -> str:
    """The file Caddy opens for its access log (deploy/Caddyfile `output file`): our descriptor `fd`
    (stdout_for_children) by its /proc path, so each line is one write of Caddy's straight into our
    stdout, with no process copying it. Where that path cannot be opened (no /proc: not Linux), Caddy's
    own stdout, which supervisord copies to ours (supervisord.conf [program:proxy] stdout_logfile).
    """
    chosen = environ.get(ACCESS_LOG_VARIABLE, "")
    if chosen:
        return chosen
    path = f"/proc/{os.getpid()}/fd/{fd}"
    try:
        # Opened as Caddy will (write, append), without blocking: a FIFO with no reader fails (ENXIO).
        os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK))
    except OSError:
        return VIA_SUPERVISORD
    return path


@dataclass
class Relays:
    """The pipes and FIFOs of one stack and the threads that drain them."""

    observe: Observer
    threads: list[threading.Thread] = field(default_factory=list)
    _starts: list[Callable[[], None]] = field(default_factory=list)
    _own_ends: list[int] = field(default_factory=list)
    _child_ends: list[int] = field(default_factory=list)

    def _thread(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self.threads.append(thread)
        self._starts.append(thread.start)

    def stdout_for_children(self, fd: int) -> int:
        """A descriptor of ours that supervisord (as its stdout) and Caddy (by path, /proc/<our pid>/fd/N:
        supervisord closes every descriptor above 2 in its children) write the access log to: `fd`
        itself, or, when needs_relay says so, a pipe relayed into it line by line. It stays open until
        close_own_ends(), so every Caddy supervisord spawns can open it.
        """
        if not needs_relay(os.fstat(fd).st_mode, fcntl.fcntl(fd, fcntl.F_GETFL)):
            return fd
        read_end, write_end = os.pipe()
        self._own_ends.append(write_end)
        sink = Sink(fd)

        def relay() -> None:
            splitter = LineSplitter()
            while chunk := os.read(read_end, 65536):
                sink.write_lines(line + b"\n" for line in splitter.feed(chunk))
            sink.write_lines(line + b"\n" for line in splitter.finish())
            os.close(read_end)

        self._thread(f"relay-fd{fd}", relay)
        return write_end

    def supervisord_stderr(self, fd: int) -> int:
        """A pipe for supervisord's own log: each line reaches `fd` as JSON; its events are observed."""
        read_end, write_end = os.pipe()
        self._child_ends.append(write_end)
        sink = Sink(fd)

        def relay() -> None:
            splitter = LineSplitter()
            while chunk := os.read(read_end, 65536):
                self._supervisord_lines(sink, splitter.feed(chunk))
            self._supervisord_lines(sink, splitter.finish())
            os.close(read_end)

        self._thread(f"supervisord-log-fd{fd}", relay)
        return write_end

    def _supervisord_lines(self, sink: Sink, lines: Iterable[bytes]) -> None:
        out = []
        for line in lines:
            data, entry = convert_entry(line)
            out.append(data)
            if entry is not None and "event" in entry:
                self.observe(("event", entry))
        # Each read's complete lines are written at once, so no line waits for the next one.
        sink.write_lines(out)

    def program_fifo(self, path: Path, program: str, fd: int) -> None:
        """A FIFO at `path` that supervisord opens as `program`'s log file: lines reach `fd` as JSON
        and the program's error lines are observed, so a crash can be reported with its last error.

        We hold a write end ourselves, so the read end never sees end-of-file while supervisord
        reopens the FIFO at each spawn; it is closed in close_own_ends(), once supervisord has exited.
        """
        os.mkfifo(path, 0o600)
        read_end = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # does not wait for a writer
        self._own_ends.append(os.open(path, os.O_WRONLY))  # succeeds: a reader exists
        os.set_blocking(read_end, True)
        sink = Sink(fd)

        def relay() -> None:
            splitter = LineSplitter()
            while chunk := os.read(read_end, 65536):
                self._program_lines(sink, program, splitter.feed(chunk))
            self._program_lines(sink, program, splitter.finish())
            os.close(read_end)

        self._thread(f"{program}-log", relay)

    def _program_lines(self, sink: Sink, program: str, lines: Iterable[bytes]) -> None:
        out = []
        for line in lines:
            data, entry, text = program_line(line, program)
            out.append(data)
            error = error_text(entry, text) if data else None
            if error:
                self.observe(("error", program, error))
        sink.write_lines(out)

    def start(self) -> None:
        """Close our copies of the child's pipe ends (it holds them now) and start every relay."""
        for fd in self._child_ends:
            if fd not in (1, 2):
                os.close(fd)
        self._child_ends.clear()
        for start in self._starts:
            start()

    def close_own_ends(self) -> None:
        for fd in self._own_ends:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._own_ends.clear()

    def join(self, timeout: float) -> None:
        for thread in self.threads:
            thread.join(timeout=timeout)
