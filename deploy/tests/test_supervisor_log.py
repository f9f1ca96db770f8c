"""The stderr converter: supervisord's text lines become JSON objects, JSON lines pass, nothing is lost."""

import json
from datetime import UTC, timedelta, timezone

import pytest

from edge_sidecar.supervisor_log import (
    LineSplitter,
    convert_entry,
    convert_line,
    iso_utc,
    log_line,
    program_line,
)

NOW = 1795654318.25  # 2026-11-26T00:51:58.250Z: the time a plain line is given


def convert(line: str, tz: timezone = UTC) -> dict[str, object]:
    out = convert_line(line.encode(), now=lambda: NOW, local_tz=tz)
    assert out.endswith(b"\n") and out.count(b"\n") == 1, out
    entry = json.loads(out)
    assert isinstance(entry, dict)
    return entry


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "2026-11-26 00:41:00,123 INFO spawned: 'api' with pid 42",
            {"msg": "spawned: 'api' with pid 42", "event": "spawned", "program": "api", "pid": 42},
        ),
        (
            "2026-11-26 00:41:01,500 INFO success: proxy entered RUNNING state, process has stayed up for > "
            "than 1 seconds (startsecs)",
            {"level": "info", "event": "success", "program": "proxy"},
        ),
        (
            "2026-11-26 00:41:02,000 WARN exited: api (terminated by SIGKILL; not expected)",
            {"level": "warn", "event": "exited", "program": "api", "signal": "SIGKILL", "expected": False},
        ),
        (
            "2026-11-26 00:41:02,000 WARN exited: api (exit status 3; not expected)",
            {"event": "exited", "program": "api", "exit_status": 3, "expected": False},
        ),
        (
            "2026-11-26 00:41:02,000 INFO exited: worker (exit status 0; expected)",
            {"level": "info", "event": "exited", "program": "worker", "exit_status": 0, "expected": True},
        ),
        (
            "2026-11-26 00:41:03,000 INFO gave up: api entered FATAL state, too many start retries too "
            "quickly",
            {"event": "gave-up", "program": "api"},
        ),
        (
            "2026-11-26 00:41:04,000 WARN stopped: api (terminated by SIGTERM)",
            {"level": "warn", "event": "stopped", "program": "api", "signal": "SIGTERM"},
        ),
        (
            "2026-11-26 00:41:04,000 INFO stopped: proxy (exit status 0)",
            {"event": "stopped", "program": "proxy", "exit_status": 0},
        ),
        (
            "2026-11-26 00:41:05,000 INFO spawnerr: can't find command 'nope'",
            {"event": "spawnerr", "msg": "spawnerr: can't find command 'nope'"},
        ),
        (
            "2026-11-26 00:41:06,000 WARN killing 'api' (42) with SIGKILL",
            {"event": "killing", "program": "api", "pid": 42, "signal": "SIGKILL"},
        ),
        (
            "2026-11-26 00:41:07,000 INFO waiting for fatal, api, proxy to die",
            {"event": "waiting", "programs": ["fatal", "api", "proxy"]},
        ),
        (
            "2026-11-26 00:41:07,000 INFO waiting for api to stop",
            {"event": "waiting", "programs": ["api"]},
        ),
        (
            "2026-11-26 00:41:08,000 INFO supervisord started with pid 7",
            {"event": "started", "pid": 7},
        ),
        (
            "2026-11-26 00:41:09,000 WARN received SIGTERM indicating exit request",
            {"level": "warn", "event": "signal", "signal": "SIGTERM"},
        ),
        (
            "2026-11-26 00:41:10,000 CRIT Server 'unix_http_server' running without any HTTP authentication",
            {"level": "critical", "msg": "Server 'unix_http_server' running without any HTTP authentication"},
        ),
        ("2026-11-26 00:41:10,000 ERRO oops", {"level": "error", "msg": "oops"}),
        ("2026-11-26 00:41:10,000 DEBG detail", {"level": "debug"}),
        ("2026-11-26 00:41:10,000 TRAC detail", {"level": "trace"}),
        ("2026-11-26 00:41:10,000 BLAT detail", {"level": "blather"}),
    ],
)
def test_supervisord_lines(line: str, expected: dict[str, object]) -> None:
    entry = convert(line)
    assert entry["logger"] == "supervisord"
    assert entry.items() >= expected.items(), entry
    if "event" not in expected:
        assert "event" not in entry


def test_supervisord_time_is_utc_iso_with_milliseconds() -> None:
    assert convert("2026-11-26 00:41:00,123 INFO x")["time"] == "2026-11-26T00:41:00.123Z"
    # supervisord writes local time: at UTC+2 that is two hours earlier in UTC, across midnight too.
    plus2 = timezone(timedelta(hours=2))
    assert convert("2026-11-26 01:41:00,007 INFO x", plus2)["time"] == "2026-11-25T23:41:00.007Z"


def test_unrecognised_supervisord_message_has_no_event() -> None:
    entry = convert("2026-11-26 00:41:00,000 INFO RPC interface 'supervisor' initialized")
    assert entry == {
        "time": "2026-11-26T00:41:00.000Z",
        "level": "info",
        "logger": "supervisord",
        "msg": "RPC interface 'supervisor' initialized",
    }


@pytest.mark.parametrize(
    "line",
    [
        b'{"level":"info","ts":1.5,"msg":"server running"}',
        b'{"time": 1.5, "level": "INFO", "logger": "uvicorn.error", "message": "Started"}',
        b'{"event": "fatal", "program": "api", "text": "caf\xc3\xa9 \\u00e9"}',
        b"{}",
    ],
)
def test_json_objects_pass_byte_for_byte(line: bytes) -> None:
    assert convert_line(line) == line + b"\n"


@pytest.mark.parametrize(
    "line",
    [
        "Traceback (most recent call last):",
        '  File "/app/main.py", line 1, in <module>',
        "Error: adapting config using caddyfile: unrecognized directive",
        "{not json at all",
        "{'a': 1}",  # a Python dict printed, not JSON
        "[1, 2]",  # JSON, but not an object
        '"just a string"',
        "2026-11-26 00:41:00 INFO no milliseconds, so not supervisord's",
        "2026-11-26 00:41:00,123 NOTE unknown level",
    ],
)
def test_other_lines_are_wrapped_whole(line: str) -> None:
    assert convert(line) == {"time": iso_utc(NOW), "level": "warn", "logger": "stderr", "msg": line}


def test_wrapped_line_keeps_undecodable_bytes_visible() -> None:
    entry = json.loads(convert_line(b"bad \xff byte", now=lambda: NOW))
    assert entry["msg"] == "bad \ufffd byte"


@pytest.mark.parametrize("line", [b"", b"   ", b"\r"])
def test_blank_lines_are_dropped(line: bytes) -> None:
    assert convert_line(line) == b""


def test_carriage_return_is_not_kept_in_msg() -> None:
    assert convert("plain line\r")["msg"] == "plain line"


def test_splitter_keeps_partial_lines_until_finished() -> None:
    splitter = LineSplitter()
    assert list(splitter.feed(b"one\ntw")) == [b"one"]
    assert list(splitter.feed(b"o\n\nthr")) == [b"two", b""]
    assert list(splitter.feed(b"ee")) == []
    assert list(splitter.finish()) == [b"three"]
    assert list(splitter.finish()) == []


def test_splitter_passes_an_endless_line_on_in_pieces() -> None:
    splitter = LineSplitter(max_line=4)
    assert list(splitter.feed(b"abcdefghij")) == [b"abcd", b"efgh"]
    assert list(splitter.finish()) == [b"ij"]


def test_convert_entry_hands_supervisords_events_to_the_supervision() -> None:
    data, entry = convert_entry(b"2026-11-26 00:41:00,123 INFO exited: api (exit status 78; not expected)")
    assert entry is not None and json.loads(data) == entry
    assert (entry["event"], entry["program"], entry["exit_status"], entry["expected"]) == (
        "exited",
        "api",
        78,
        False,
    )
    assert convert_entry(b'{"a": 1}') == (b'{"a": 1}\n', None)  # a program's JSON: not supervisord's
    assert convert_entry(b"plain")[1] is None


@pytest.mark.parametrize(
    ("line", "parsed", "text"),
    [
        (b'{"level": "ERROR", "message": "boom"}', {"level": "ERROR", "message": "boom"}, ""),
        (b"RuntimeError: boom", None, "RuntimeError: boom"),
        (b"[1]", None, "[1]"),
        (b"  ", None, ""),
    ],
)
def test_program_line(line: bytes, parsed: dict[str, object] | None, text: str) -> None:
    data, got_parsed, got_text = program_line(line, "api", now=lambda: NOW)
    assert (got_parsed, got_text) == (parsed, text)
    if parsed is not None:
        assert data == line + b"\n"  # byte for byte
    elif text:
        assert json.loads(data) == {
            "time": iso_utc(NOW),
            "level": "warn",
            "logger": "stderr",
            "program": "api",
            "msg": text,
        }
    else:
        assert data == b""


def test_log_line_shape() -> None:
    entry = json.loads(log_line("error", "edge-sidecar", "exiting 1", {"exit_code": 1}, now=NOW))
    assert entry == {
        "time": "2026-11-26T00:51:58.250Z",
        "level": "error",
        "logger": "edge-sidecar",
        "msg": "exiting 1",
        "exit_code": 1,
    }
