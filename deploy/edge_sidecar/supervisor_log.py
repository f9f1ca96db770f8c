"""Makes every stderr line of the stack one JSON object: supervisord's text lines parsed, JSON kept.

supervisord writes its own log (``2026-11-26 00:41:00,123 INFO spawned: 'api' with pid 42``) as
text; relays.py passes supervisord's stderr and each program's log through
:class:`LineSplitter` and :func:`convert_entry` or :func:`program_line`. A JSON object in the common
shape (logshape.py) passes byte for byte, one that is not is given it (:func:`logshape.conform`), any
other line is wrapped, so nothing is lost. Pure functions: no I/O here.
"""

from __future__ import annotations

import json
import re
import select
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, tzinfo

from edge_sidecar.logshape import conform, conforms, iso_utc, json_line

# supervisor/loggers.py: '%(asctime)s %(levelname)s %(message)s', asctime in *local* time with
# milliseconds after a comma, levelname one of the four-letter LevelsByName.
_SUPERVISORD = re.compile(
    r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}),(\d{3}) (CRIT|ERRO|WARN|INFO|DEBG|TRAC|BLAT) (.*)", re.DOTALL
)
# The descriptions supervisor itself uses for those levels (LevelsByDescription); "warn" as Caddy writes it.
_LEVELS = {
    "CRIT": "critical",
    "ERRO": "error",
    "WARN": "warn",
    "INFO": "info",
    "DEBG": "debug",
    "TRAC": "trace",
    "BLAT": "blather",
}
# supervisord's messages about its programs (supervisor/process.py, supervisord.py, options.py).
_EVENTS: list[tuple[str, re.Pattern[str]]] = [
    ("spawned", re.compile(r"spawned: '(?P<program>[^']+)' with pid (?P<pid>\d+)")),
    ("success", re.compile(r"success: (?P<program>\S+) entered RUNNING state.*")),
    ("exited", re.compile(r"exited: (?P<program>\S+) \((?P<detail>.*)\)")),
    ("stopped", re.compile(r"stopped: (?P<program>\S+) \((?P<detail>.*)\)")),
    ("gave-up", re.compile(r"gave up: (?P<program>\S+) entered FATAL state.*")),
    ("spawnerr", re.compile(r"spawnerr: (?P<detail>.*)")),
    ("killing", re.compile(r"killing '(?P<program>[^']+)' \((?P<pid>\d+)\) with (?P<signal>SIG\w+)")),
    ("waiting", re.compile(r"waiting for (?P<programs>.+) to (?:die|stop)")),
    ("started", re.compile(r"supervisord started with pid (?P<pid>\d+)")),
    ("signal", re.compile(r"received (?P<signal>SIG\w+) indicating (?P<detail>.+)")),
]
# "exit status 1; not expected", "terminated by SIGKILL; not expected", "exit status 0"
_STATUS = re.compile(r"exit status (?P<exit_status>\d+)|terminated by (?P<signal>SIG\w+)")
# Every program here logs JSON, so a plain line on stderr is out-of-band output (a traceback, a
# warning, a crash message): "warn" keeps it visible to whoever filters at warn and above.
PLAIN_LEVEL = "warn"
# A "line" longer than this without a newline is passed on in pieces rather than held in memory.
MAX_LINE = 1 << 20
# The logger a program's JSON line gets when it names none: Caddy's root logger is unnamed ("using
# config from file", "shutting down apps"); any other program's lines are named after the program.
PROGRAM_LOGGERS = {"proxy": "caddy"}
# A write of at most this many bytes to a pipe is atomic: another writer's bytes never land inside it
# (pipe(7)); larger ones may be split around other writers' when the pipe is full.
PIPE_BUF = select.PIPE_BUF


def _json_object(
    line: bytes, logger: str, now: Callable[[], float]
) -> tuple[bytes, dict[str, object]] | None:
    """A JSON object line as one line in the common shape (itself when it already has it) with its
    entry; None when the line is not a JSON object."""
    if not line.startswith(b"{"):
        return None
    try:
        parsed = json.loads(line)
    except ValueError:  # not JSON after all (UnicodeDecodeError is a ValueError too)
        return None
    if not isinstance(parsed, dict):
        return None
    if conforms(parsed):
        return line + b"\n", parsed
    fixed = conform(parsed, logger, now())
    return json_line(fixed), fixed


def _event_fields(msg: str) -> dict[str, object]:
    for event, pattern in _EVENTS:
        match = pattern.fullmatch(msg)
        if not match:
            continue
        found = match.groupdict()
        fields: dict[str, object] = {"event": event}
        if "program" in found:
            fields["program"] = found["program"]
        if "programs" in found:
            fields["programs"] = found["programs"].split(", ")
        if "pid" in found:
            fields["pid"] = int(found["pid"])
        if "signal" in found:
            fields["signal"] = found["signal"]
        if event in ("exited", "stopped"):
            status = _STATUS.search(found["detail"])
            if status and status["exit_status"] is not None:
                fields["exit_status"] = int(status["exit_status"])
            elif status:
                fields["signal"] = status["signal"]
            if event == "exited":
                fields["expected"] = not found["detail"].endswith("; not expected")
        return fields
    return {}


def convert_entry(
    line: bytes, now: Callable[[], float] = time.time, local_tz: tzinfo | None = None
) -> tuple[bytes, dict[str, object] | None]:
    """One supervisord stderr line (without its newline) as one JSON line (with one), b"" for a blank
    line; and, for a line of supervisord's own, its parsed entry (with the event fields), else None.

    `local_tz` is the zone supervisord wrote its timestamps in: None means this machine's (the
    relay runs beside supervisord, with the same TZ).
    """
    found = _json_object(line, "stderr", now)
    if found:
        return found[0], None
    text = line.decode("utf-8", errors="replace").rstrip("\r")
    if not text.strip():
        return b"", None
    match = _SUPERVISORD.fullmatch(text)
    if match:
        stamp, millis, level, msg = match.groups()
        parsed = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(microsecond=int(millis) * 1000)
        # A naive datetime's astimezone() reads it as this machine's local time.
        local = parsed.replace(tzinfo=local_tz) if local_tz else parsed.astimezone()
        entry: dict[str, object] = {
            "time": iso_utc(local.timestamp()),
            "level": _LEVELS[level],
            "logger": "supervisord",
            "msg": msg,
            **_event_fields(msg),
        }
        return json_line(entry), entry
    return json_line({"time": iso_utc(now()), "level": PLAIN_LEVEL, "logger": "stderr", "msg": text}), None


def convert_line(line: bytes, now: Callable[[], float] = time.time, local_tz: tzinfo | None = None) -> bytes:
    """:func:`convert_entry`'s JSON line alone."""
    return convert_entry(line, now, local_tz)[0]


def program_line(
    line: bytes, program: str, now: Callable[[], float] = time.time
) -> tuple[bytes, dict[str, object] | None, str]:
    """One line a program wrote (stdout or stderr) as one JSON line; with the object when the line was
    one (None otherwise) and the plain text when it was not ("" otherwise).

    A JSON object in the common shape passes byte for byte, another is given it (its `logger`, if it
    had none, is PROGRAM_LOGGERS' name for the program); plain text is wrapped like supervisord's stray
    lines, naming the program it came from.
    """
    found = _json_object(line, PROGRAM_LOGGERS.get(program, program), now)
    if found:
        return found[0], found[1], ""
    text = line.decode("utf-8", errors="replace").rstrip("\r")
    if not text.strip():
        return b"", None, ""
    entry = {
        "time": iso_utc(now()),
        "level": PLAIN_LEVEL,
        "logger": "stderr",
        "program": program,
        "msg": text,
    }
    return json_line(entry), None, text


class LineSplitter:
    """Cuts a byte stream into lines, keeping an unfinished one for the next chunk."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self._pending = b""
        self._max_line = max_line

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        """The complete lines (without newlines) that `chunk` finishes."""
        *lines, self._pending = (self._pending + chunk).split(b"\n")
        yield from lines
        while len(self._pending) > self._max_line:
            piece, self._pending = self._pending[: self._max_line], self._pending[self._max_line :]
            yield piece

    def finish(self) -> Iterator[bytes]:
        """At end of stream: the last line if it had no newline."""
        if self._pending:
            yield self._pending
        self._pending = b""


def pipe_batches(lines: Iterable[bytes], limit: int = PIPE_BUF) -> Iterator[bytes]:
    """Whole lines (each with its newline) joined into writes of at most `limit` bytes: few syscalls,
    and when stdout and stderr are one pipe (`2>&1 |`), no other writer's line lands inside one of
    ours. A line longer than `limit` is one write of its own, which only that pipe's own rules keep whole.
    """
    batch: list[bytes] = []
    size = 0
    for line in lines:
        if batch and size + len(line) > limit:
            yield b"".join(batch)
            batch, size = [], 0
        batch.append(line)
        size += len(line)
    if batch:
        yield b"".join(batch)
