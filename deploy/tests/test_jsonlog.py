"""uvicorn's and the API's formatter: every record as one line in the common shape, extras kept."""

import json
import logging
import sys

import pytest

from edge_sidecar.jsonlog import JsonFormatter
from edge_sidecar.logshape import COMMON_KEYS, conforms

NOW = 1795654318.25


def format_record(level: int, msg: str, **extra: object) -> dict[str, object]:
    record = logging.LogRecord("edge_api.request", level, __file__, 1, msg, None, None)
    record.created = NOW
    record.__dict__.update(extra)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert isinstance(parsed, dict)
    return parsed


@pytest.mark.parametrize(
    ("level", "name"),
    [(logging.DEBUG, "debug"), (logging.INFO, "info"), (logging.WARNING, "warn"), (logging.ERROR, "error"),
     (logging.CRITICAL, "critical")],
)  # fmt: skip
def test_common_keys_first_in_the_stack_convention(level: int, name: str) -> None:
    entry = format_record(level, "GET /x 200")
    assert tuple(entry)[:4] == COMMON_KEYS
    assert entry == {"time": "2026-11-26T00:51:58.250Z", "level": name, "logger": "edge_api.request",
                     "msg": "GET /x 200"}  # fmt: skip
    assert conforms(entry)


@pytest.mark.parametrize(
    ("request_id", "kept"),
    [("req-42", True), ("-", False), (None, False)],  # "-": RequestIdFilter outside a request
)
def test_request_id_only_where_there_is_one(request_id: str | None, kept: bool) -> None:
    entry = format_record(logging.INFO, "x", event="request", status=200, request_id=request_id)
    assert entry["event"] == "request" and entry["status"] == 200
    assert ("request_id" in entry) is kept
    if kept:
        assert entry["request_id"] == request_id


def test_an_exception_is_kept_in_the_line() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord(
            "uvicorn.error", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )
    entry = json.loads(JsonFormatter().format(record))
    assert conforms(entry)
    assert "RuntimeError: boom" in entry["exc"]
