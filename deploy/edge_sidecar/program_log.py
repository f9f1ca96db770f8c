"""Where uvicorn's and the API's log lines go: straight into the entrypoint's FIFO for their program.

Under supervisord, each program's stdout and stderr are copied by supervisord into a FIFO the
entrypoint reads (supervisord.conf ``stderr_logfile=$EDGE_RUN_DIR/<program>.log``; relays.py
program_fifo). For the API's one line per request that copy cost supervisord a wakeup each
(docs/bench/access-log.md). :class:`ProgramLogHandler` (uvicorn-log.json) opens that FIFO itself,
``$EDGE_RUN_DIR/$SUPERVISOR_PROCESS_NAME.log`` (supervisord sets ``SUPERVISOR_PROCESS_NAME`` in every
child), and writes each record into it as one ``os.write`` of a whole line, as Caddy writes its access
log into our stdout. supervisord then copies only stray output (a print, a traceback outside
logging). Where there is no such FIFO (direct mode, a bare uvicorn, tests) it writes to stderr as a
``logging.StreamHandler`` does. No I/O at import.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Mapping
from typing import TextIO

# Set to VIA_SUPERVISORD in the entrypoint's environment, the programs' log lines go to their stderr,
# which supervisord copies into the FIFO (the path before; an internal knob for
# tools/bench/access-log.ts, like relays.ACCESS_LOG_VARIABLE).
PROGRAM_LOG_VARIABLE = "EDGE_API_LOG"
VIA_SUPERVISORD = "/dev/stderr"


def write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is out: a pipe or socket may take only part of a large write."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def program_log_path(environ: Mapping[str, str]) -> str | None:
    """The entrypoint's FIFO for the program supervisord runs us as, or None: not under the stack's
    supervisord, or told to write to stderr (PROGRAM_LOG_VARIABLE)."""
    if environ.get(PROGRAM_LOG_VARIABLE) == VIA_SUPERVISORD:
        return None
    run_dir, program = environ.get("EDGE_RUN_DIR", ""), environ.get("SUPERVISOR_PROCESS_NAME", "")
    if not run_dir or not program or "/" in program:
        return None
    return os.path.join(run_dir, f"{program}.log")


def open_program_log(environ: Mapping[str, str]) -> int | None:
    """A blocking write descriptor on program_log_path's FIFO, or None when there is none to write to.

    Opened without blocking, so a FIFO nobody reads fails at once (ENXIO) instead of hanging the
    start; anything but a FIFO (a leftover file, a directory) is not used. Once open, writes block
    when the FIFO is full, as writes to stderr did: no line is dropped.
    """
    path = program_log_path(environ)
    if path is None:
        return None
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    if not stat.S_ISFIFO(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    os.set_blocking(fd, True)
    return fd


class ProgramLogHandler(logging.StreamHandler[TextIO]):
    """Each record as one line in one write into the entrypoint's FIFO for this program
    (open_program_log); without one, a StreamHandler on ``stream`` (stderr). supervisord's copy of
    stray output shares the FIFO: a write of at most PIPE_BUF bytes is never split by another's
    (pipe(7)); a longer one, ours or supervisord's, can be split around the other's only while the
    FIFO is full.

    If the FIFO stops taking lines (EPIPE: the entrypoint is gone), this and every later record go
    to ``stream`` instead.
    """

    def __init__(self, stream: TextIO | None = None, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(stream)
        self.fd = open_program_log(os.environ if environ is None else environ)

    def emit(self, record: logging.LogRecord) -> None:
        if self.fd is None:
            super().emit(record)
            return
        try:
            line = (self.format(record) + self.terminator).encode("utf-8", "backslashreplace")
        except Exception:
            self.handleError(record)
            return
        try:
            write_all(self.fd, line)
        except OSError:
            self._close_fd()
            super().emit(record)

    def _close_fd(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def close(self) -> None:
        self.acquire()
        try:
            self._close_fd()
        finally:
            self.release()
        super().close()
