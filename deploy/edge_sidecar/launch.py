"""Start the stack the configuration asks for: supervisord (sidecar) or uvicorn alone (direct), and run it.

In sidecar mode this wrapper stays the parent of supervisord for the stack's whole life: it relays
every line as JSON (relays.py), judges every program exit (supervision.py), carries out the verdicts
(stop with an exit code, or the fallback to direct mode) and says why in the last line it writes.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import xmlrpc.client
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from supervisor.xmlrpc import SupervisorTransport  # type: ignore[import-untyped]

from edge_sidecar.alerts import alert
from edge_sidecar.api_socket import LISTEN_FD, MAX_PATH_BYTES, SOCKET_NAME
from edge_sidecar.config import RuntimeConfig, caddy_env, handed_down_env
from edge_sidecar.logshape import log_line
from edge_sidecar.program_log import write_all
from edge_sidecar.relays import ACCESS_LOG_VARIABLE, Relays, access_log_path
from edge_sidecar.supervision import WATCHED, Supervision, Verdict

# uvicorn's log configuration ships inside the package, wherever it is installed (site-packages in the
# image, deploy/edge_sidecar/ in a checkout's editable install).
LOG_CONFIG = Path(__file__).resolve().with_name("uvicorn-log.json")
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT)
# How long to wait at exit for a relay to reach the end of its pipe. supervisord's children never
# hold our pipes (they write into supervisord's own), so EOF comes as supervisord exits; the bound
# only matters if whoever reads our stdout/stderr stops reading, which must not hang the exit.
RELAY_DRAIN_SECONDS = 10.0
PROGRAMS = WATCHED  # each gets its own log FIFO, so its error lines are known by name
POLL_SECONDS = 0.25
PROBE_TIMEOUT = 1.0
SETTLE_SECONDS = 5.0  # a bound only: a respawn takes one supervisord tick (1 s), an exec milliseconds
PR_SET_PDEATHSIG = 1  # linux/prctl.h
try:
    _LIBC: Any = ctypes.CDLL(None, use_errno=True)
except OSError:  # not Linux's libc: the stack works, it just does not die with its wrapper
    _LIBC = None


def child_env(
    env: Mapping[str, str], config: RuntimeConfig, run_dir: Path | None, deploy_dir: Path
) -> dict[str, str]:
    """The environment both programs inherit: the caller's (apps read their own settings), the
    resolved defaults, the validated policy and body limits (handed_down_env: what direct mode and the
    API's CSRF guard read instead of the defaults file), the policy compiled for Caddy, and private state
    directories. ``deploy_dir`` holds the deployment's files (the entrypoint's directory)."""
    # The user's PYTHONPATH comes first so their APP_MODULE wins; then the reference app's directory
    # (backend/, next to deploy/ in a checkout and in the image), for the default APP_MODULE.
    # edge_sidecar itself is an installed package and needs no entry here.
    python_path = [p for p in (env.get("PYTHONPATH", ""), str(deploy_dir.parent / "backend")) if p]
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
        **handed_down_env(config),
        **caddy_env(config),
        "PORT": str(config.port),
        "API_PORT": str(config.api_port),
        "APP_MODULE": config.app_module,
        "PYTHONPATH": os.pathsep.join(python_path),
        # supervisord.conf finds the Caddyfile here, the launcher supervisord.conf itself (StackRun).
        "EDGE_DEPLOY_DIR": str(deploy_dir),
        "EDGE_LOG_CONFIG": str(LOG_CONFIG),
        "EDGE_PYTHON": sys.executable,
        # The fallback program (supervisord.conf [program:direct]) runs exactly direct mode's command.
        "EDGE_DIRECT_COMMAND": shlex.join(direct_argv(config)),
        # The api program trusts X-Forwarded-For entries from Caddy and from the edge, so the client it
        # sees is the browser, not the edge (Caddy appends the edge's address to the edge's header).
        "EDGE_FORWARDED_ALLOW_IPS": forwarded_allow_ips(config),
        # The api program's --workers: 1 (config.py API_WORKERS_KNOB says why).
        "EDGE_API_WORKERS": str(config.api_workers),
        **private,
        **(api_listen_env(config, run_dir) if run_dir else {}),
    }


def api_socket_path(run_dir: Path) -> Path:
    """Where the api program listens with API_TRANSPORT=unix: in the stack's private run directory."""
    return run_dir / SOCKET_NAME


def api_listen_env(config: RuntimeConfig, run_dir: Path) -> dict[str, str]:
    """How the api program listens and how Caddy and the watchdog reach it (supervisord.conf, Caddyfile).

    unix: uvicorn serves fd LISTEN_FD, a 0700 socket api_socket.py binds before exec'ing it, with the
    protocol that counts its peer as loopback (unix_peer.py); nothing listens on API_PORT. tcp:
    127.0.0.1:$API_PORT, as the contract has always said.
    """
    if config.api_transport == "unix":
        path = api_socket_path(run_dir)
        return {
            "EDGE_API_LAUNCHER": shlex.join([sys.executable, "-m", "edge_sidecar.api_socket", str(path)]),
            "EDGE_API_BIND": f"--fd {LISTEN_FD} --http edge_sidecar.unix_peer:UnixPeerProtocol",
            # Caddy's notation for a Unix socket upstream: unix/ + the absolute path.
            # https://caddyserver.com/docs/conventions#network-addresses
            "EDGE_API_UPSTREAM": f"unix/{path}",
            "EDGE_API_SOCKET": str(path),
        }
    return {
        "EDGE_API_LAUNCHER": "",
        "EDGE_API_BIND": f"--host 127.0.0.1 --port {config.api_port}",
        "EDGE_API_UPSTREAM": f"127.0.0.1:{config.api_port}",
        "EDGE_API_SOCKET": "",
    }


def socket_path_problem(config: RuntimeConfig, run_dir: Path) -> str | None:
    """Why the API's socket cannot live in ``run_dir`` (a path too long for a Unix socket), or None."""
    if config.mode != "sidecar" or config.api_transport != "unix":
        return None
    size = len(os.fsencode(api_socket_path(run_dir)))
    if size <= MAX_PATH_BYTES:
        return None
    return (
        f"API_TRANSPORT unix: the API's socket path would be {size} bytes, over the {MAX_PATH_BYTES} a Unix "
        f"socket allows (the temporary directory, TMPDIR, is long); set a shorter TMPDIR or API_TRANSPORT=tcp"
    )


def forwarded_allow_ips(config: RuntimeConfig) -> str:
    """uvicorn's --forwarded-allow-ips: loopback (Caddy, or a local edge) and the edge's TRUSTED_PROXIES."""
    return ",".join(["127.0.0.1", *(str(n) for n in config.trusted_proxies)])


def direct_argv(config: RuntimeConfig) -> list[str]:
    """Rollback mode: uvicorn alone on the public port, CORS applied by edge_sidecar.cors_asgi."""
    return [
        "uvicorn", "edge_sidecar.direct:create_app", "--factory",
        "--host", "0.0.0.0", "--port", str(config.port),  # noqa: S104 - the public port, on purpose
        # Here uvicorn faces the edge itself: trust TRUSTED_PROXIES (never '*') for X-Forwarded-*.
        "--proxy-headers", "--forwarded-allow-ips", forwarded_allow_ips(config),
        "--timeout-keep-alive", "65", "--timeout-graceful-shutdown", "20", "--no-access-log",
        # One process, whatever WEB_CONCURRENCY says (uvicorn reads it): see config.py API_WORKERS_KNOB.
        "--workers", "1",
        # Request heads bounded as Caddy's max_header_size bounds them: 431 beyond (edge_sidecar/limits.py).
        "--http", "edge_sidecar.limits:HeaderLimitedProtocol",
        # No "Server: uvicorn" on any answer, uvicorn's own 400/500 included (docs/security.md §7).
        "--no-server-header",
        # JSON log lines, as in sidecar mode (supervisord.conf passes the same file).
        "--log-config", str(LOG_CONFIG),
    ]  # fmt: skip


def missing_programs(config: RuntimeConfig) -> list[str]:
    needed = ["uvicorn"] if config.mode == "direct" else ["uvicorn", "caddy", "supervisord"]
    return [name for name in needed if shutil.which(name) is None]


def say(level: str, msg: str, **fields: object) -> None:
    """The wrapper's own messages: JSON lines on stderr like everything else of a running stack."""
    with contextlib.suppress(OSError):  # no stderr to write to must not change the exit code
        write_all(2, log_line(level, "edge-sidecar", msg, fields))


def _stop_with_parent() -> None:
    """In supervisord's child before exec: SIGTERM when this wrapper dies, even by SIGKILL, so the
    stack never outlives its owner (supervisord then stops its programs as on any SIGTERM)."""
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _cmdline(pid: int) -> bytes:
    """A process's command line; b"" once it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _settled(info: Mapping[str, Any], supervisord_cmdline: bytes) -> bool:
    """A program supervisord will not respawn right now, or whose new process runs its own program."""
    if info["statename"] == "EXITED":
        return False  # autorestart respawns it at supervisord's next tick
    if info["statename"] in ("STARTING", "RUNNING"):
        return _cmdline(int(info["pid"])) != supervisord_cmdline  # b"" (gone) counts as settled
    return True


def http_ok(url: str, timeout: float = PROBE_TIMEOUT) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback URL
            return bool(response.status == 200)
    except Exception:
        return False


def supervisor_rpc(run_dir: Path) -> Any:
    """supervisord's XML-RPC interface on this stack's private socket."""
    transport = SupervisorTransport(None, None, f"unix://{run_dir / 'supervisor.sock'}")
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)


class StackRun:
    """One sidecar stack from spawn to exit: supervisord under us, every exit judged by Supervision."""

    def __init__(self, config: RuntimeConfig, environ: dict[str, str], run_dir: Path) -> None:
        self.config, self.environ, self.run_dir = config, environ, run_dir
        self.supervision = Supervision(fallback_enabled=config.fallback == "direct")
        self.observations: queue.Queue[tuple[object, ...]] = queue.Queue()
        self.relays = Relays(self.observations.put)
        self.verdict: Verdict | None = None
        self.fallback_since: float | None = None  # the direct program was started; the API still runs
        self.next_probe = 0.0

    def run(self) -> int:
        relays = self.relays
        # stdout (Caddy's access log, the bulk of the output) stays a direct path: Caddy writes into it
        # itself (relays.access_log_path); supervisord's own log and each program's stderr go through
        # the JSON relays.
        out, err = relays.stdout_for_children(1), relays.supervisord_stderr(2)
        self.environ[ACCESS_LOG_VARIABLE] = access_log_path(out, self.environ)
        for program in PROGRAMS:
            relays.program_fifo(self.run_dir / f"{program}.log", program, 2)
        child = subprocess.Popen(  # noqa: S603
            ["supervisord", "-n", "-c", str(Path(self.environ["EDGE_DEPLOY_DIR"]) / "supervisord.conf")],  # noqa: S607
            env=self.environ,
            stdout=out,
            stderr=err,
            preexec_fn=_stop_with_parent if _LIBC else None,  # before any relay thread runs
        )
        relays.start()
        # supervisord is not PID 1 here: this wrapper is, so it can turn the outcome into an exit code
        # and clean up. Forward every stop signal.
        for sig in FORWARDED:
            signal.signal(sig, lambda signum, _frame: child.send_signal(signum))
        while child.poll() is None:
            self.step(child)
        code = child.wait()
        # Every line supervisord and its programs wrote reaches our stdout/stderr before we exit.
        relays.close_own_ends()
        relays.join(RELAY_DRAIN_SECONDS)
        self.drain()
        return self.finish(code)

    def step(self, child: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(queue.Empty):
            self.observe(self.observations.get(timeout=POLL_SECONDS), child)
        now = time.monotonic()
        if self.verdict is None and now >= self.next_probe:
            self.next_probe = now + POLL_SECONDS
            self.probe()

    def observe(self, item: tuple[object, ...], child: subprocess.Popen[bytes] | None) -> None:
        if item[0] == "error":
            self.supervision.error_line(str(item[1]), str(item[2]))
            return
        verdict = self.supervision.event(item[1], time.monotonic())  # type: ignore[arg-type]
        if verdict is None or self.verdict is not None or child is None:
            return
        self.settle(child.pid)
        if verdict.action == "fallback":
            self.fall_back(verdict)
            return
        self.verdict = verdict
        say("error", f"edge-sidecar: {self.supervision.describe(verdict)}; stopping the stack",
            event="stopping", program=verdict.program, exit_code=verdict.exit_code)  # fmt: skip
        child.send_signal(signal.SIGTERM)

    def settle(self, supervisord_pid: int) -> None:
        """Wait (bounded) until supervisord has respawned the program that just exited and the new
        process has exec'd, before asking anything to stop.

        A verdict comes as supervisord is about to restart the program that exited (at its next loop
        tick). A SIGTERM that reaches that child between fork and exec is taken by supervisord's own
        handler, still installed there, and lost; the program then runs until stopwaitsecs ends it with
        SIGKILL (seen: 15 s for a respawned Caddy). Once supervisord is stopping it respawns nothing.
        """
        parent = _cmdline(supervisord_pid)
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline:
            try:
                infos = supervisor_rpc(self.run_dir).supervisor.getAllProcessInfo()
            except (xmlrpc.client.Fault, OSError):
                return
            if all(_settled(info, parent) for info in infos if info["name"] in PROGRAMS):
                return
            time.sleep(0.02)

    def drain(self) -> None:
        """Error lines that arrived after the exit that ended the stack: the last one names the cause."""
        while True:
            try:
                self.observe(self.observations.get_nowait(), None)
            except queue.Empty:
                return

    def probe(self) -> None:
        """Until the proxy first answers, ask it (a fallback only replaces a proxy that had served);
        during a fallback, wait for the direct program before stopping the API it replaces."""
        port = self.config.port
        if not self.supervision.proxy_served and http_ok(f"http://127.0.0.1:{port}/health/proxy"):
            self.supervision.proxy_served = True
            say("info", f"edge-sidecar: the proxy serves on :{port}", event="serving", program="proxy")
        if self.fallback_since is not None and http_ok(f"http://127.0.0.1:{port}/health/live"):
            seconds = round(time.monotonic() - self.fallback_since, 3)
            self.fallback_since = None
            self.rpc("stopProcess", "api", False)
            say("warn", f"edge-sidecar: degraded: the API serves directly on :{port} with app-side CORS "
                f"{seconds} s after the proxy's crash loop; /health answers 503 until the next deploy",
                event="fallback-serving", program="direct", seconds=seconds)  # fmt: skip

    def fall_back(self, verdict: Verdict) -> None:
        """The proxy cannot be kept running: uvicorn takes $PORT with the same CORS policy (direct
        mode's middleware), the API on $API_PORT is stopped once it answers. No redeploy needed."""
        reason = f"{self.supervision.describe(verdict)}; falling back to direct mode (PROXY_FALLBACK=direct)"
        say("error", f"edge-sidecar: {reason}", event="fallback", program="proxy")
        self.fallback_since = time.monotonic()
        self.rpc("stopProcess", "proxy", True)  # frees $PORT
        self.rpc("startProcess", "direct", False)
        alert("proxy", reason)

    def rpc(self, method: str, *args: object) -> None:
        """A supervisord call whose refusal (the program already stopped, or FATAL) is only logged."""
        try:
            getattr(supervisor_rpc(self.run_dir).supervisor, method)(*args)
        except (xmlrpc.client.Fault, OSError) as err:
            say("warn", f"edge-sidecar: supervisord {method}{args}: {err}", event="rpc-failed")

    def finish(self, code: int) -> int:
        verdict = self.verdict
        if verdict is None:
            say("info", f"edge-sidecar: supervisord exited with {code}", event="exit", exit_code=code)
            return code
        reason = self.supervision.describe(verdict)
        alert(verdict.program, f"{reason}; the stack stopped with exit code {verdict.exit_code}")
        say("error", f"edge-sidecar: {reason}; exiting {verdict.exit_code}",
            event="exit", program=verdict.program, exit_code=verdict.exit_code)  # fmt: skip
        return verdict.exit_code


def run(config: RuntimeConfig, env: Mapping[str, str], deploy_dir: Path) -> int:
    """Run in the foreground until the stack stops; return its exit code."""
    concurrency = env.get("WEB_CONCURRENCY", "").strip()
    if concurrency not in ("", "1"):
        say("warn", f"edge-sidecar: WEB_CONCURRENCY={concurrency} is not used: uvicorn runs one process "
            "(supervision assumes one process per program; docs/bench/workers.md)",
            event="web-concurrency-ignored")  # fmt: skip
    if config.mode == "direct":
        os.execvpe("uvicorn", direct_argv(config), child_env(env, config, None, deploy_dir))  # noqa: S606, S607
    run_dir = Path(tempfile.mkdtemp(prefix=f"edge-sidecar-{config.port}-"))
    try:
        problem = socket_path_problem(config, run_dir)
        if problem:
            print(f"edge-sidecar: cannot start: {problem}", file=sys.stderr)
            return 2
        return StackRun(config, child_env(env, config, run_dir, deploy_dir), run_dir).run()
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
