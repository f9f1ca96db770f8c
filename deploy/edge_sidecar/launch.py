"""Start the stack the configuration asks for: supervisord (sidecar) or uvicorn alone (direct)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

from edge_sidecar.config import DEPLOY_DIR, RuntimeConfig, caddy_env
from edge_sidecar.fatal_listener import MARKER
from edge_sidecar.supervisor_log import LineSplitter, convert_chunk, convert_line, log_line

REPO_DIR = DEPLOY_DIR.parent
BACKEND_DIR = REPO_DIR / "backend"
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT)
# How long to wait at exit for a relay to reach the end of its pipe. supervisord's children never
# hold our pipes (they write into supervisord's own), so EOF comes as supervisord exits; the bound
# only matters if whoever reads our stdout/stderr stops reading, which must not hang the exit.
RELAY_DRAIN_SECONDS = 10.0


def child_env(env: Mapping[str, str], config: RuntimeConfig, run_dir: Path | None) -> dict[str, str]:
    """The environment both programs inherit: the caller's (apps read their own settings), the
    resolved defaults, the policy compiled for Caddy, and private state directories."""
    # The user's PYTHONPATH comes first so their APP_MODULE wins; ours make the defaults importable.
    python_path = [p for p in (env.get("PYTHONPATH", ""), str(DEPLOY_DIR), str(BACKEND_DIR)) if p]
    private = (
        {
            "EDGE_RUN_DIR": str(run_dir),
            # Caddy as non-root needs writable data/config homes; keep them private to this instance.
            "XDG_DATA_HOME": str(run_dir / "caddy-data"),
            "XDG_CONFIG_HOME": str(run_dir / "caddy-config"),
        }
        if run_dir
        else {}
    )
    return {
        **env,
        **caddy_env(config),
        "PORT": str(config.port),
        "API_PORT": str(config.api_port),
        "APP_MODULE": config.app_module,
        "PYTHONPATH": os.pathsep.join(python_path),
        "EDGE_DEPLOY_DIR": str(DEPLOY_DIR),
        "EDGE_PYTHON": sys.executable,
        **private,
    }


def direct_argv(config: RuntimeConfig) -> list[str]:
    """Rollback mode: uvicorn alone on the public port, CORS applied by edge_sidecar.cors_asgi."""
    return [
        "uvicorn", "edge_sidecar.direct:create_app", "--factory",
        "--host", "0.0.0.0", "--port", str(config.port),  # noqa: S104 - the public port, on purpose
        # Here uvicorn faces Railway's edge itself: trust its range (never '*') for X-Forwarded-Proto.
        "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1,100.64.0.0/10",
        "--timeout-keep-alive", "65", "--timeout-graceful-shutdown", "20", "--no-access-log",
        # JSON log lines, as in sidecar mode (supervisord.conf passes the same file).
        "--log-config", str(DEPLOY_DIR / "edge_sidecar" / "uvicorn-log.json"),
    ]  # fmt: skip


def missing_programs(config: RuntimeConfig) -> list[str]:
    needed = ["uvicorn"] if config.mode == "direct" else ["uvicorn", "caddy", "supervisord"]
    return [name for name in needed if shutil.which(name) is None]


def pipe_if_socket(fd: int) -> tuple[int, threading.Thread | None]:
    """A descriptor supervisord can open as /dev/stdout: `fd` itself, or a pipe relayed into it.

    supervisord reopens /dev/stdout per program, which fails with ENXIO when our stdout is a socket
    (Node's child_process, systemd's journal): then relay through a pipe, byte for byte.
    """
    if not stat.S_ISSOCK(os.fstat(fd).st_mode):
        return fd, None
    read_end, write_end = os.pipe()

    def relay() -> None:
        while chunk := os.read(read_end, 65536):
            os.write(fd, chunk)

    thread = threading.Thread(target=relay, name=f"relay-fd{fd}", daemon=True)
    thread.start()
    return write_end, thread


def write_all(fd: int, data: bytes) -> None:
    """os.write until every byte is out: a pipe or socket may take only part of a large write."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def json_relay(fd: int) -> tuple[int, threading.Thread]:
    """A pipe for supervisord's stderr whose lines reach `fd` as JSON objects (supervisor_log.py).

    Each read's complete lines are written at once, so no line waits for the next one. If `fd`
    stops accepting writes the relay keeps reading and drops the output: a relay that stopped
    reading would fill the pipe and block supervisord and every program logging through it.
    """
    read_end, write_end = os.pipe()

    def relay() -> None:
        splitter = LineSplitter()
        writable = True
        while chunk := os.read(read_end, 65536):
            out = convert_chunk(splitter, chunk)
            if out and writable:
                try:
                    write_all(fd, out)
                except OSError:
                    writable = False
        tail = b"".join(convert_line(line) for line in splitter.finish())
        if tail and writable:
            with contextlib.suppress(OSError):
                write_all(fd, tail)
        os.close(read_end)

    thread = threading.Thread(target=relay, name=f"json-relay-fd{fd}", daemon=True)
    thread.start()
    return write_end, thread


def say(level: str, msg: str, **fields: object) -> None:
    """The wrapper's own messages: JSON lines on stderr like everything else of a running stack."""
    with contextlib.suppress(OSError):  # no stderr to write to must not change the exit code
        write_all(2, log_line(level, "edge-sidecar", msg, fields))


def run(config: RuntimeConfig, env: Mapping[str, str]) -> int:
    """Run in the foreground until the stack stops; return its exit code."""
    if config.mode == "direct":
        os.execvpe("uvicorn", direct_argv(config), child_env(env, config, None))  # noqa: S606, S607
    run_dir = Path(tempfile.mkdtemp(prefix=f"edge-sidecar-{config.port}-"))
    environ = child_env(env, config, run_dir)
    try:
        conf = str(DEPLOY_DIR / "supervisord.conf")
        # stdout (Caddy's access log, the bulk of the output) stays a direct path; stderr, where
        # supervisord writes its own text log, goes through the JSON converter.
        (out, out_relay), (err, err_relay) = pipe_if_socket(1), json_relay(2)
        child = subprocess.Popen(  # noqa: S603
            ["supervisord", "-n", "-c", conf],  # noqa: S607 - found on PATH like every program here
            env=environ,
            stdout=out,
            stderr=err,
        )
        relays = [t for t in (out_relay, err_relay) if t]
        for fd in {out, err} - {1, 2}:
            os.close(fd)  # the child holds the write ends now; the relays end when it and its programs exit
        # supervisord is not PID 1 here: this wrapper is, so it can turn the outcome into an exit code
        # (the health work makes FATAL exit non-zero) and clean up. Forward every stop signal.
        for sig in FORWARDED:
            signal.signal(sig, lambda signum, _frame: child.send_signal(signum))
        code = child.wait()
        # Every line supervisord and its programs wrote reaches our stdout/stderr before we exit.
        for relay in relays:
            relay.join(timeout=RELAY_DRAIN_SECONDS)
        fatal = run_dir / MARKER
        if fatal.exists():
            program = fatal.read_text()
            say(
                "error",
                f"edge-sidecar: program '{program}' could not start (FATAL); exiting 1",
                event="exit",
                program=program,
                exit_code=1,
            )
            return 1
        say("info", f"edge-sidecar: supervisord exited with {code}", event="exit", exit_code=code)
        return code
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
