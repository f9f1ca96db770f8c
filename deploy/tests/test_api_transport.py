"""API_TRANSPORT: how Caddy reaches uvicorn (a 0700 Unix socket or 127.0.0.1:$API_PORT), from the variable
to the socket, against real sockets and real processes (api_socket.py, unix_peer.py, launch.py, ports.py)."""

import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from socketserver import UnixStreamServer

import pytest
from checkout import DEPLOY_DIR, load_defaults

from edge_sidecar import api_socket, watchdog
from edge_sidecar.config import RuntimeConfig, parse_runtime
from edge_sidecar.launch import api_listen_env, child_env, direct_argv, socket_path_problem
from edge_sidecar.policy import ConfigError
from edge_sidecar.ports import busy_port

DEFAULTS = load_defaults()


def config_for(transport: str, **env: str) -> RuntimeConfig:
    return parse_runtime({**DEFAULTS, "API_TRANSPORT": transport, **env})


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A private directory with a short path (a Unix socket path has at most 107 bytes)."""
    with tempfile.TemporaryDirectory(prefix="edge-t-", dir="/tmp") as d:
        yield Path(d)


# -- the variable ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "udp", "UNIX", "unix socket", "uds"])
def test_unknown_transports_are_refused_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_for(value)
    assert err.value.variable == "API_TRANSPORT"


def test_both_transports_parse_and_api_port_is_still_validated_with_unix() -> None:
    assert config_for("unix").api_transport == "unix" and config_for("tcp").api_transport == "tcp"
    with pytest.raises(ConfigError) as err:
        config_for("unix", API_PORT="70000")
    assert err.value.variable == "API_PORT"


def test_api_port_equal_to_port_is_refused_only_where_it_would_be_bound() -> None:
    with pytest.raises(ConfigError):
        config_for("tcp", API_PORT="8080")
    assert config_for("unix", API_PORT="8080").api_port == 8080  # nothing listens on it


def test_a_busy_api_port_only_stops_a_tcp_stack() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        base = config_for("tcp", PORT="1", API_PORT=str(port))
        assert busy_port(replace(base, port=free_port())) == ("API_PORT", port)
        assert busy_port(replace(base, port=free_port(), api_transport="unix")) is None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- what supervisord, Caddy and the watchdog are given ------------------------------------------------


def test_listen_env_for_each_transport(tmp_path: Path) -> None:
    unix = api_listen_env(config_for("unix"), tmp_path)
    sock = tmp_path / "api.sock"
    assert unix["EDGE_API_UPSTREAM"] == f"unix/{sock}"  # Caddy: unix//abs/path
    assert unix["EDGE_API_SOCKET"] == str(sock)
    assert unix["EDGE_API_LAUNCHER"].endswith(f"-m edge_sidecar.api_socket {sock}")
    assert unix["EDGE_API_BIND"] == "--fd 3 --http edge_sidecar.unix_peer:UnixPeerProtocol"
    tcp = api_listen_env(config_for("tcp", API_PORT="8123"), tmp_path)
    assert tcp == {
        "EDGE_API_LAUNCHER": "",
        "EDGE_API_BIND": "--host 127.0.0.1 --port 8123",
        "EDGE_API_UPSTREAM": "127.0.0.1:8123",
        "EDGE_API_SOCKET": "",
    }


def test_a_socket_path_too_long_for_the_kernel_is_named_before_anything_starts(tmp_path: Path) -> None:
    long_dir = Path("/tmp") / ("d" * 100)
    problem = socket_path_problem(config_for("unix"), long_dir)
    assert problem is not None and "API_TRANSPORT" in problem and "TMPDIR" in problem
    assert socket_path_problem(config_for("tcp"), long_dir) is None
    assert socket_path_problem(config_for("unix", PROXY_MODE="direct"), long_dir) is None
    assert socket_path_problem(config_for("unix"), tmp_path) is None


def test_the_supervisord_command_takes_the_listen_fragments() -> None:
    conf = (DEPLOY_DIR / "supervisord.conf").read_text()
    assert "command=%(ENV_EDGE_API_LAUNCHER)s uvicorn %(ENV_APP_MODULE)s %(ENV_EDGE_API_BIND)s" in conf
    caddyfile = (DEPLOY_DIR / "Caddyfile").read_text()
    assert caddyfile.count("reverse_proxy {$EDGE_API_UPSTREAM} {") == 2  # /health and everything else
    assert "{$API_PORT}" not in caddyfile


# -- the socket ------------------------------------------------------------------------------------------


def test_bind_makes_a_0700_socket_owned_by_this_user(short_dir: Path) -> None:
    path = short_dir / "api.sock"
    with api_socket.bind(path):
        info = path.lstat()
        assert stat.S_ISSOCK(info.st_mode)
        assert stat.S_IMODE(info.st_mode) == 0o700
        assert info.st_uid == os.getuid()


def test_bind_replaces_a_stale_socket_but_never_another_file(short_dir: Path) -> None:
    path = short_dir / "api.sock"
    api_socket.bind(path).close()  # what a SIGKILLed uvicorn leaves behind
    with api_socket.bind(path):
        assert stat.S_ISSOCK(path.lstat().st_mode)
    other = short_dir / "data"
    other.write_text("keep me")
    with pytest.raises(OSError):
        api_socket.bind(other)
    assert other.read_text() == "keep me"


@pytest.mark.processes
def test_the_launcher_execs_the_command_with_the_socket_on_fd_3_in_the_same_process(short_dir: Path) -> None:
    """supervisord's pid is the one that serves: exec, not a child."""
    path = short_dir / "api.sock"
    probe = textwrap.dedent(
        """
        import json, os, socket, stat
        s = socket.socket(fileno=3)
        print(json.dumps({"pid": os.getpid(), "family": int(s.family), "name": s.getsockname()}))
        s.detach()
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-m", "edge_sidecar.api_socket", str(path), sys.executable, "-c", probe],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(DEPLOY_DIR)},
    )
    out, _ = child.communicate(timeout=30)
    assert child.returncode == 0
    seen = json.loads(out)
    assert seen == {"pid": child.pid, "family": int(socket.AF_UNIX), "name": str(path)}


# -- dialling it: the watchdog's probe --------------------------------------------------------------------


class _Status(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


def serve_unix(path: Path, status: int) -> tuple[UnixStreamServer, threading.Thread]:
    handler = type("H", (_Status,), {"status": status})

    class Server(UnixStreamServer):
        def get_request(self):  # type: ignore[no-untyped-def]
            conn, _ = super().get_request()
            return conn, ("local", 0)  # BaseHTTPRequestHandler wants an address tuple

    server = Server(str(path), handler)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    return server, thread


@pytest.mark.parametrize(("status", "expected"), [(200, watchdog.OK), (503, watchdog.FAILED)])
def test_probe_unix_judges_the_status(short_dir: Path, status: int, expected: str) -> None:
    path = short_dir / "api.sock"
    server, thread = serve_unix(path, status)
    try:
        assert watchdog.probe_unix(str(path), "/health/live") == expected
    finally:
        thread.join(timeout=5)
        server.server_close()


def test_probe_unix_tells_not_started_from_listening_but_silent(short_dir: Path) -> None:
    """No socket yet, or bound and not listening (uvicorn still importing): REFUSED, as a closed TCP port.
    A socket that accepts and never answers (a SIGSTOPped API) is FAILED."""
    path = short_dir / "api.sock"
    assert watchdog.probe_unix(str(path), "/health/live") == watchdog.REFUSED
    with api_socket.bind(path) as bound:
        assert watchdog.probe_unix(str(path), "/health/live") == watchdog.REFUSED
        bound.listen()
        started = time.monotonic()
        assert watchdog.probe_unix(str(path), "/health/live", timeout=0.3) == watchdog.FAILED
        assert time.monotonic() - started < 5


def test_the_api_probe_follows_the_environment(short_dir: Path) -> None:
    path = short_dir / "api.sock"
    server, thread = serve_unix(path, 200)
    try:
        assert watchdog.api_probe({"EDGE_API_SOCKET": str(path), "API_PORT": "1"})() == watchdog.OK
    finally:
        thread.join(timeout=5)
        server.server_close()
    assert watchdog.api_probe({"EDGE_API_SOCKET": "", "API_PORT": str(free_port())})() == watchdog.REFUSED


# -- one uvicorn process per program -------------------------------------------------------------------


def test_the_api_runs_one_worker_unless_the_benchmark_knob_says_otherwise() -> None:
    assert config_for("tcp").api_workers == 1
    assert config_for("tcp", EDGE_API_WORKERS="2").api_workers == 2
    for bad in ("0", "9", "two", ""):
        with pytest.raises(ConfigError) as err:
            config_for("tcp", EDGE_API_WORKERS=bad)
        assert err.value.variable == "EDGE_API_WORKERS"


def test_web_concurrency_never_reaches_uvicorn_as_workers(tmp_path: Path) -> None:
    """uvicorn reads WEB_CONCURRENCY when --workers is absent: both commands pass --workers."""
    config = config_for("tcp")
    argv = direct_argv(config)
    assert argv[argv.index("--workers") + 1] == "1"
    assert child_env({"WEB_CONCURRENCY": "4"}, config, tmp_path, DEPLOY_DIR)["EDGE_API_WORKERS"] == "1"
    assert "--workers %(ENV_EDGE_API_WORKERS)s" in (DEPLOY_DIR / "supervisord.conf").read_text()
