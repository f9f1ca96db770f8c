"""The stderr converter: supervisord's text lines become JSON objects, JSON lines pass or get the common
shape, nothing is lost."""

import json
from datetime import UTC, timedelta, timezone

import pytest

from edge_sidecar.logshape import conforms, iso_utc
from edge_sidecar.supervisor_log import (
    PIPE_BUF,
    LineSplitter,
    convert_entry,
    convert_line,
    pipe_batches,
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
    assert conforms(entry), entry
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
        b'{"level":"info","time":"2026-12-02T06:10:00.123Z","logger":"http","msg":"server running"}',
        b'{"time": "2026-12-02T06:10:00.123Z", "level": "warn", "logger": "edge-sidecar.watchdog", '
        b'"msg": "caf\xc3\xa9 \\u00e9", "event": "crash-restart"}',
    ],
)
def test_json_objects_in_the_common_shape_pass_byte_for_byte(line: bytes) -> None:
    assert convert_line(line) == line + b"\n"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (  # Caddy's root logger has no name
            b'{"level":"info","ts":1795654318.25,"msg":"using config from file","file":"Caddyfile"}',
            {"time": iso_utc(NOW), "level": "info", "logger": "stderr", "msg": "using config from file",
             "file": "Caddyfile"},
        ),
        (
            b'{"time": 1795654318.25, "level": "INFO", "logger": "uvicorn.error", "message": "Started"}',
            {"time": iso_utc(NOW), "level": "info", "logger": "uvicorn.error", "msg": "Started"},
        ),
        (b"{}", {"time": iso_utc(NOW), "level": "info", "logger": "stderr", "msg": ""}),
    ],
)  # fmt: skip
def test_json_objects_in_another_shape_are_given_it(line: bytes, expected: dict[str, object]) -> None:
    out = convert_line(line, now=lambda: NOW)
    assert json.loads(out) == expected
    assert list(json.loads(out))[:4] == ["time", "level", "logger", "msg"]


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
    assert convert_entry(b'{"a": 1}')[1] is None  # a program's JSON: not supervisord's
    assert convert_entry(b"plain")[1] is None


SHAPED = {"time": "2026-12-02T06:10:00.123Z", "level": "error", "logger": "uvicorn.error", "msg": "boom"}


@pytest.mark.parametrize(
    ("line", "program", "parsed", "text"),
    [
        (json.dumps(SHAPED).encode(), "api", SHAPED, ""),  # byte for byte
        (
            b'{"time": 1795654318.25, "level": "ERROR", "message": "boom"}',
            "api",
            {"time": iso_utc(NOW), "level": "error", "logger": "api", "msg": "boom"},
            "",
        ),
        (
            b'{"level":"warn","time":"2026-12-02T06:10:00.123Z","msg":"exiting; byeee!!"}',
            "proxy",  # Caddy's unnamed root logger
            {
                "time": "2026-12-02T06:10:00.123Z",
                "level": "warn",
                "logger": "caddy",
                "msg": "exiting; byeee!!",
            },
            "",
        ),
        (b"RuntimeError: boom", "api", None, "RuntimeError: boom"),
        (b"[1]", "api", None, "[1]"),
        (b"  ", "api", None, ""),
    ],
)
def test_program_line(line: bytes, program: str, parsed: dict[str, object] | None, text: str) -> None:
    data, got_parsed, got_text = program_line(line, program, now=lambda: NOW)
    assert (got_parsed, got_text) == (parsed, text)
    if parsed == SHAPED:
        assert data == line + b"\n"  # byte for byte
    elif parsed is not None:
        assert json.loads(data) == parsed
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


@pytest.mark.parametrize(
    ("sizes", "limit", "writes"),
    [
        ([], 10, []),
        ([3, 3, 3], 10, [[3, 3, 3]]),
        ([4, 4, 4], 10, [[4, 4], [4]]),  # never over the limit
        ([10, 1], 10, [[10], [1]]),
        ([25, 2, 2], 10, [[25], [2, 2]]),  # a line over the limit goes alone, whole
    ],
)
def test_pipe_batches_join_whole_lines_up_to_the_limit(
    sizes: list[int], limit: int, writes: list[list[int]]
) -> None:
    lines = [bytes([65 + i]) * (n - 1) + b"\n" for i, n in enumerate(sizes)]
    got = list(pipe_batches(lines, limit))
    assert b"".join(got) == b"".join(lines)  # nothing lost, nothing reordered
    assert [[len(line) for line in batch.splitlines(keepends=True)] for batch in got] == writes


def test_pipe_batches_default_to_the_atomic_pipe_write() -> None:
    assert PIPE_BUF >= 512  # POSIX's minimum; 4096 on Linux
    batches = list(pipe_batches([b"x" * 99 + b"\n"] * 100))
    assert all(len(b) <= PIPE_BUF for b in batches)
    assert all(len(b) > PIPE_BUF - 100 for b in batches[:-1])  # full: as few writes as that allows
