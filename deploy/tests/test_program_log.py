"""uvicorn's and the API's log lines: one write each into the entrypoint's FIFO, or stderr as before."""

import io
import json
import logging
import logging.config
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from checkout import DEPLOY_DIR

from edge_sidecar import launch
from edge_sidecar.jsonlog import JsonFormatter
from edge_sidecar.logshape import conforms
from edge_sidecar.program_log import (
    PROGRAM_LOG_VARIABLE,
    VIA_SUPERVISORD,
    ProgramLogHandler,
    open_program_log,
    program_log_path,
)


def record(msg: str = "GET /api/v1/items 200", level: int = logging.INFO) -> logging.LogRecord:
    entry = logging.LogRecord("edge_api.request", level, __file__, 1, msg, None, None)
    entry.__dict__.update(event="request", status=200)
    return entry


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[tuple[dict[str, str], int]]:
    """The entrypoint's side: api.log in EDGE_RUN_DIR with a reader (relays.py program_fifo), and the
    environment supervisord gives the api program."""
    path = tmp_path / "api.log"
    os.mkfifo(path, 0o600)
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        yield {"EDGE_RUN_DIR": str(tmp_path), "SUPERVISOR_PROCESS_NAME": "api"}, reader
    finally:
        os.close(reader)


def read_all(fd: int) -> bytes:
    data = b""
    try:
        while chunk := os.read(fd, 65536):
            data += chunk
    except BlockingIOError:
        pass
    return data


def test_the_path_is_the_fifo_for_the_program_supervisord_runs() -> None:
    env = {"EDGE_RUN_DIR": "/run/x", "SUPERVISOR_PROCESS_NAME": "direct"}
    assert program_log_path(env) == "/run/x/direct.log"
    assert program_log_path({**env, PROGRAM_LOG_VARIABLE: VIA_SUPERVISORD}) is None  # the bench's "before"
    assert program_log_path({"EDGE_RUN_DIR": "/run/x"}) is None  # not under supervisord
    assert program_log_path({"SUPERVISOR_PROCESS_NAME": "api"}) is None  # not the stack's supervisord
    assert program_log_path({**env, "SUPERVISOR_PROCESS_NAME": "../api"}) is None


def test_every_program_the_entrypoint_reads_is_a_program_of_supervisord_conf() -> None:
    conf = (DEPLOY_DIR / "supervisord.conf").read_text()
    for program in launch.PROGRAMS:
        assert f"[program:{program}]" in conf
        assert f"stderr_logfile=%(ENV_EDGE_RUN_DIR)s/{program}.log" in conf


def test_only_a_fifo_with_a_reader_is_opened(tmp_path: Path, fifo: tuple[dict[str, str], int]) -> None:
    env, reader = fifo
    fd = open_program_log(env)
    assert fd is not None
    try:
        assert os.get_blocking(fd), "a full FIFO must hold the line back, not drop it"
        os.write(fd, b"line\n")
        assert read_all(reader) == b"line\n"
    finally:
        os.close(fd)
    assert open_program_log({**env, "SUPERVISOR_PROCESS_NAME": "missing"}) is None
    (tmp_path / "file.log").write_text("kept\n")
    assert open_program_log({**env, "SUPERVISOR_PROCESS_NAME": "file"}) is None
    assert (tmp_path / "file.log").read_text() == "kept\n"
    os.mkfifo(tmp_path / "unread.log")
    assert open_program_log({**env, "SUPERVISOR_PROCESS_NAME": "unread"}) is None  # ENXIO, no hang


def test_each_record_is_one_write_of_a_whole_line_into_the_fifo(
    fifo: tuple[dict[str, str], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    env, reader = fifo
    stream = io.StringIO()
    handler = ProgramLogHandler(stream, env)
    handler.setFormatter(JsonFormatter())
    writes: list[bytes] = []
    real_write = os.write

    def counting_write(fd: int, data: bytes) -> int:
        if fd == handler.fd:
            writes.append(bytes(data))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", counting_write)
    try:
        handler.handle(record())
        handler.handle(record("failed", logging.ERROR))
    finally:
        handler.close()
    monkeypatch.undo()
    assert stream.getvalue() == ""
    assert len(writes) == 2 and all(w.endswith(b"\n") and w.count(b"\n") == 1 for w in writes)
    lines = read_all(reader).splitlines()
    assert [json.loads(line)["msg"] for line in lines] == ["GET /api/v1/items 200", "failed"]
    assert all(conforms(json.loads(line)) for line in lines)
    assert json.loads(lines[1])["level"] == "error"


def test_a_line_longer_than_the_fifo_holds_arrives_whole(fifo: tuple[dict[str, str], int]) -> None:
    env, reader = fifo
    handler = ProgramLogHandler(io.StringIO(), env)
    handler.setFormatter(JsonFormatter())
    os.set_blocking(reader, True)
    received = bytearray()

    def drain() -> None:
        while not received.endswith(b"\n"):
            received.extend(os.read(reader, 65536))

    reading = threading.Thread(target=drain, daemon=True)
    reading.start()
    handler.handle(record("x" * 300_000))  # several times a pipe's 64 KiB: several os.write calls
    reading.join(5)
    handler.close()
    assert received.count(b"\n") == 1 and json.loads(received)["msg"] == "x" * 300_000


def test_without_the_fifo_it_writes_stderr_as_a_stream_handler() -> None:
    ours, plain = io.StringIO(), io.StringIO()
    handler, before = ProgramLogHandler(ours, {}), logging.StreamHandler(plain)
    one = record()  # one record through both, so both lines carry the same time
    for h in (handler, before):
        h.setFormatter(JsonFormatter())
        h.handle(one)
    assert handler.fd is None
    assert ours.getvalue() == plain.getvalue() != ""


def test_a_fifo_nobody_reads_any_more_sends_the_lines_to_stderr(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "api.log")
    reader = os.open(tmp_path / "api.log", os.O_RDONLY | os.O_NONBLOCK)
    stream = io.StringIO()
    handler = ProgramLogHandler(stream, {"EDGE_RUN_DIR": str(tmp_path), "SUPERVISOR_PROCESS_NAME": "api"})
    handler.setFormatter(JsonFormatter())
    assert handler.fd is not None
    os.close(reader)  # the entrypoint is gone: EPIPE
    handler.handle(record("one"))
    handler.handle(record("two"))
    assert handler.fd is None
    assert [json.loads(line)["msg"] for line in stream.getvalue().splitlines()] == ["one", "two"]


LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "edge_api", "edge_api.request")


def test_uvicorns_log_config_writes_into_the_fifo(
    fifo: tuple[dict[str, str], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    env, reader = fifo
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(PROGRAM_LOG_VARIABLE, raising=False)
    saved = {n: (lg.handlers[:], lg.level, lg.propagate) for n in LOGGERS for lg in [logging.getLogger(n)]}
    try:
        logging.config.dictConfig(json.loads(launch.LOG_CONFIG.read_text()))
        logging.getLogger("edge_api.request").info("GET / 200", extra={"event": "request"})
        logging.getLogger("uvicorn.error").error("Error loading ASGI app.")
        lines = [json.loads(line) for line in read_all(reader).splitlines()]
        assert [(e["logger"], e["level"], e["msg"]) for e in lines] == [
            ("edge_api.request", "info", "GET / 200"),
            ("uvicorn.error", "error", "Error loading ASGI app."),
        ]
    finally:
        for name, (handlers, level, propagate) in saved.items():
            logger = logging.getLogger(name)
            for handler in logger.handlers:
                if handler not in handlers:
                    handler.close()
            logger.handlers[:], logger.level, logger.propagate = handlers, level, propagate
