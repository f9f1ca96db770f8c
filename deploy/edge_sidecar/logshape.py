"""The one shape of every JSON log line of the stack: its common keys, their conventions, and a fixer.

Every line, whatever wrote it (the entrypoint, supervisord through the relays, uvicorn and the API,
the watchdog, Caddy), starts with the same four keys (docs/operations.md "Log lines"):

- ``time``: ISO 8601 in UTC with milliseconds, ``2026-12-02T06:10:00.123Z``;
- ``level``: lowercase, ``warn`` not ``warning`` (Caddy's zap levels and supervisord's descriptions
  already are; Python's level names are mapped);
- ``logger``: who wrote it (``edge-sidecar``, ``supervisord``, ``uvicorn.error``, ``http.log.access.log0``);
- ``msg``: what happened, in words;

then ``event`` where the line reports one, ``request_id`` where there is a request, and the source's
own fields. Producers write this shape themselves; :func:`conform` fixes the lines of those that
cannot be configured to (Caddy's unnamed root logger, an app's own JSON). Pure: no I/O here.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime

COMMON_KEYS = ("time", "level", "logger", "msg")
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
# Python's level names (logging.getLevelName) and supervisord's four-letter ones, in our convention.
_LEVEL_NAMES = {
    "warning": "warn",
    "crit": "critical",
    "erro": "error",
    "debg": "debug",
    "trac": "trace",
    "blat": "blather",
}
# Caddy's json encoder: the key and layout that give ISO_UTC (modules/logging/encoders.go formats the
# time in UTC unless time_local); deploy/Caddyfile sets both, tests/test_logshape.py holds them together.
CADDY_TIME_KEY = "time"
CADDY_TIME_FORMAT = "2006-01-02T15:04:05.000Z07:00"


def iso_utc(epoch: float) -> str:
    """ISO 8601 in UTC with milliseconds, as `2026-11-26T00:41:00.123Z`."""
    dt = datetime.fromtimestamp(epoch, UTC)
    return f"{dt:%Y-%m-%dT%H:%M:%S}.{dt.microsecond // 1000:03d}Z"


def level_name(name: str) -> str:
    """A level in our convention: `WARNING` -> `warn`, `INFO` -> `info`, `CRIT` -> `critical`."""
    lower = name.strip().lower()
    return _LEVEL_NAMES.get(lower, lower)


def entry(
    level: str, logger: str, msg: str, fields: Mapping[str, object] | None = None, now: float | None = None
) -> dict[str, object]:
    """The common keys, then `fields` (which never replace them)."""
    head: dict[str, object] = {
        "time": iso_utc(time.time() if now is None else now),
        "level": level_name(level),
        "logger": logger,
        "msg": msg,
    }
    return {**head, **{k: v for k, v in (fields or {}).items() if k not in head}}


def json_line(obj: Mapping[str, object]) -> bytes:
    return json.dumps(obj, ensure_ascii=False, default=str).encode() + b"\n"


def log_line(
    level: str, logger: str, msg: str, fields: Mapping[str, object] | None = None, now: float | None = None
) -> bytes:
    """One line in the common shape, newline included."""
    return json_line(entry(level, logger, msg, fields, now))


def conforms(obj: Mapping[str, object]) -> bool:
    """Whether a parsed line already has the common keys in their conventions."""
    when, level = obj.get("time"), obj.get("level")
    return (
        isinstance(when, str)
        and ISO_UTC.fullmatch(when) is not None
        and isinstance(level, str)
        and level_name(level) == level
        and isinstance(obj.get("logger"), str)
        and isinstance(obj.get("msg"), str)
    )


def _time(obj: Mapping[str, object], now: float) -> tuple[str, dict[str, object]]:
    """`time` for a line that may have an epoch (`time` or zap's `ts`) or an ISO time with an offset;
    a time we cannot read is kept as `source_time` beside the time we saw the line."""
    for key in ("time", "ts"):
        value = obj.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return iso_utc(float(value)), {}
        if isinstance(value, str):
            if ISO_UTC.fullmatch(value):
                return value, {}
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is not None:
                return iso_utc(parsed.timestamp()), {}
            return iso_utc(now), {"source_time": value}
    return iso_utc(now), {}


def conform(obj: Mapping[str, object], logger: str, now: float) -> dict[str, object]:
    """`obj` with the common keys first: an epoch `time` or `ts` made ISO, the level in our case, `msg`
    from `message`, and `logger` when it had none. Every other key is kept as it was."""
    when, extra = _time(obj, now)
    level = obj.get("level")
    msg = obj.get("msg", obj.get("message"))
    name = obj.get("logger")
    head: dict[str, object] = {
        "time": when,
        "level": level_name(level) if isinstance(level, str) and level.strip() else "info",
        "logger": name if isinstance(name, str) and name else logger,
        "msg": msg if isinstance(msg, str) else ("" if msg is None else json.dumps(msg, default=str)),
    }
    dropped = {"time", "ts", "level", "logger", "msg"} | ({"message"} if "msg" not in obj else set())
    return {**head, **extra, **{k: v for k, v in obj.items() if k not in dropped}}
