"""Makes every stderr line of the stack one JSON object: supervisord's text lines parsed, JSON kept.

supervisord writes its own log (``2026-11-26 00:41:00,123 INFO spawned: 'api' with pid 42``) as
text; relays.py passes supervisord's stderr and each program's log through
:class:`LineSplitter` and :func:`convert_entry` or :func:`program_line`. A JSON object passes
byte for byte; any other line is wrapped, so nothing is lost. Pure functions: no I/O here.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, tzinfo

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


def iso_utc(epoch: float) -> str:
    """ISO 8601 in UTC with milliseconds, as `2026-11-26T00:41:00.123Z`."""
    dt = datetime.fromtimestamp(epoch, UTC)
    return f"{dt:%Y-%m-%dT%H:%M:%S}.{dt.microsecond // 1000:03d}Z"


def json_line(entry: Mapping[str, object]) -> bytes:
    return json.dumps(entry, ensure_ascii=False).encode() + b"\n"


def log_line(
    level: str, logger: str, msg: str, fields: Mapping[str, object] | None = None, now: float | None = None
) -> bytes:
    """One line in the shape this module produces, for the wrapper's own messages."""
    entry: dict[str, object] = {
        "time": iso_utc(time.time() if now is None else now),
        "level": level,
        "logger": logger,
        "msg": msg,
    }
    return json_line({**entry, **(fields or {})})


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
    if line.startswith(b"{"):
        try:
            if isinstance(json.loads(line), dict):
                return line + b"\n", None
        except ValueError:  # not JSON after all (UnicodeDecodeError is a ValueError too)
            pass
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

    A JSON object passes byte for byte; plain text is wrapped like supervisord's stray lines, naming
    the program it came from.
    """
    if line.startswith(b"{"):
        try:
            parsed = json.loads(line)
            if isinstance(parsed, dict):
                return line + b"\n", parsed, ""
        except ValueError:
            pass
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
