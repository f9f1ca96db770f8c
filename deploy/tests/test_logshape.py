"""The common line shape: its conventions, the fixer for lines in another shape, Caddy's settings for it."""

import json
import re
from pathlib import Path

import pytest

from edge_sidecar.logshape import (
    CADDY_TIME_FORMAT,
    CADDY_TIME_KEY,
    COMMON_KEYS,
    ISO_UTC,
    conform,
    conforms,
    entry,
    iso_utc,
    level_name,
    log_line,
)

NOW = 1795654318.25  # 2026-11-26T00:51:58.250Z
CADDYFILE = Path(__file__).resolve().parents[1] / "Caddyfile"


def test_iso_utc_has_milliseconds_and_z() -> None:
    assert iso_utc(NOW) == "2026-11-26T00:51:58.250Z"
    assert iso_utc(0) == "1970-01-01T00:00:00.000Z"
    assert ISO_UTC.fullmatch(iso_utc(NOW))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("DEBUG", "debug"),
        ("INFO", "info"),
        ("WARNING", "warn"),  # Python
        ("WARN", "warn"),  # supervisord, Caddy upper
        ("ERROR", "error"),
        ("CRITICAL", "critical"),
        ("CRIT", "critical"),
        ("ERRO", "error"),
        ("DEBG", "debug"),
        ("BLAT", "blather"),
        ("dpanic", "dpanic"),  # Caddy's (zap's) own stay as they are
        ("fatal", "fatal"),
        ("Level 5", "level 5"),  # a custom Python level: lowercase, still a string
    ],
)
def test_level_names(name: str, expected: str) -> None:
    assert level_name(name) == expected


def test_log_line_shape() -> None:
    line = log_line(
        "ERROR", "edge-sidecar", "exiting 1", {"event": "exit", "exit_code": 1, "msg": "x"}, now=NOW
    )
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    parsed = json.loads(line)
    assert parsed == {
        "time": "2026-11-26T00:51:58.250Z",
        "level": "error",
        "logger": "edge-sidecar",
        "msg": "exiting 1",  # fields never replace the common keys
        "event": "exit",
        "exit_code": 1,
    }
    assert tuple(parsed)[:4] == COMMON_KEYS
    assert conforms(entry("info", "x", "y"))


@pytest.mark.parametrize(
    ("obj", "ok"),
    [
        ({"time": "2026-12-02T06:10:00.123Z", "level": "info", "logger": "a", "msg": "b"}, True),
        ({"time": "2026-12-02T06:10:00.123Z", "level": "info", "logger": "a", "msg": ""}, True),
        ({"time": 1.5, "level": "info", "logger": "a", "msg": "b"}, False),  # epoch
        ({"time": "2026-12-02T06:10:00Z", "level": "info", "logger": "a", "msg": "b"}, False),  # no ms
        ({"time": "2026-12-02T07:10:00.123+01:00", "level": "info", "logger": "a", "msg": "b"}, False),
        ({"time": "2026-12-02T06:10:00.123Z", "level": "INFO", "logger": "a", "msg": "b"}, False),
        ({"time": "2026-12-02T06:10:00.123Z", "level": "warning", "logger": "a", "msg": "b"}, False),
        ({"time": "2026-12-02T06:10:00.123Z", "level": "info", "msg": "b"}, False),  # no logger
        ({"time": "2026-12-02T06:10:00.123Z", "level": "info", "logger": "a", "message": "b"}, False),
    ],
)
def test_conforms(obj: dict[str, object], ok: bool) -> None:
    assert conforms(obj) is ok


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (  # zap's default encoder (Caddy before its logging config applies): ts, no logger
            {"level": "info", "ts": NOW, "msg": "using config from file", "file": "Caddyfile"},
            {"time": iso_utc(NOW), "level": "info", "logger": "caddy", "msg": "using config from file",
             "file": "Caddyfile"},
        ),
        (  # jsonlog's old shape: epoch time, uppercase level, message
            {"time": NOW, "level": "WARNING", "logger": "edge_api", "message": "db down", "status": 1},
            {"time": iso_utc(NOW), "level": "warn", "logger": "edge_api", "msg": "db down", "status": 1},
        ),
        (  # the watchdog's old shape: an event and no level, logger or msg
            {"time": NOW, "event": "crash-restart", "program": "api"},
            {"time": iso_utc(NOW), "level": "info", "logger": "caddy", "msg": "", "event": "crash-restart",
             "program": "api"},
        ),
        (  # an ISO time with an offset is converted, not replaced
            {"time": "2026-11-26T01:51:58.250+01:00", "level": "info", "logger": "app", "msg": "x"},
            {"time": "2026-11-26T00:51:58.250Z", "level": "info", "logger": "app", "msg": "x"},
        ),
        (  # a time we cannot read is kept beside the time we saw the line
            {"time": "yesterday", "msg": {"nested": 1}, "message": "kept: msg was there"},
            {"time": iso_utc(NOW), "level": "info", "logger": "caddy", "msg": '{"nested": 1}',
             "source_time": "yesterday", "message": "kept: msg was there"},
        ),
        (  # a boolean is not an epoch
            {"time": True, "level": "info", "logger": "a", "msg": "b"},
            {"time": iso_utc(NOW), "level": "info", "logger": "a", "msg": "b"},
        ),
    ],
)  # fmt: skip
def test_conform(obj: dict[str, object], expected: dict[str, object]) -> None:
    fixed = conform(obj, "caddy", NOW)
    assert fixed == expected
    assert tuple(fixed)[:4] == COMMON_KEYS
    assert conforms(fixed)


def test_caddy_is_configured_for_the_shape() -> None:
    """Both of the Caddyfile's json encoders (its own log, the access log) use the key and layout
    below; Go's layout with Z07:00 on a UTC time gives the literal Z that ISO_UTC asks for."""
    text = CADDYFILE.read_text()
    encoders = re.findall(r"format json \{(.*?)\}", text, re.DOTALL)
    assert len(encoders) == 2, encoders
    for block in encoders:
        settings = dict(line.split(None, 1) for line in block.strip().splitlines())
        assert settings == {"time_key": CADDY_TIME_KEY, "time_format": f'"{CADDY_TIME_FORMAT}"'}
    assert CADDY_TIME_FORMAT == "2006-01-02T15:04:05.000Z07:00"
