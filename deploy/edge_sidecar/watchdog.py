"""supervisord event listener: restarts a program that is running but no longer answers (hung).

supervisord only sees processes that exit; Railway checks health only while a deploy goes live.
Every TICK_5 this probes the API's /health/live (on its Unix socket or 127.0.0.1:$API_PORT, as
API_TRANSPORT says), Caddy's /health/proxy and, after a fallback, the direct program's /health/live, on
loopback. A process is judged hung after FAILURES consecutive
failed probes; then it gets SIGKILL (a stopped or hung process may ignore SIGTERM) and supervisord's
autorestart brings it back. A refused connection from a process that has not answered yet is not a
failure for START_GRACE: it is still importing (slowly, on a loaded machine) and has not bound its
port; a process that listens but does not answer is hung whatever its age. It also alerts on
unexpected exits (crash-restarts). Protocol: http://supervisord.org/events.html
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from supervisor import childutils  # type: ignore[import-untyped]

from edge_sidecar.alerts import alert, log_event
from edge_sidecar.api_socket import get_status

LOGGER = "edge-sidecar.watchdog"  # its log lines' "logger" (docs/operations.md "Log lines")
FAILURES = 2  # consecutive failed probes, 5 s apart: a hang is acted on within ~10-15 s
PROBE_TIMEOUT = 2.0
# How long a new process may take to answer its first probe. Generous: a process that never answers
# is rare (it hangs during import), one that imports slowly on a busy machine is common.
START_GRACE = 120.0


OK, REFUSED, FAILED = "ok", "refused", "failed"


def probe(url: str, timeout: float = PROBE_TIMEOUT) -> str:
    """OK on a 200; REFUSED when nothing listens on the port; FAILED otherwise (a timeout, a reset,
    another status: something listens there and does not answer as it should)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback URL
            return OK if response.status == 200 else FAILED
    except urllib.error.URLError as err:
        return REFUSED if isinstance(err.reason, ConnectionRefusedError) else FAILED
    except ConnectionRefusedError:
        return REFUSED
    except Exception:
        return FAILED


def probe_unix(socket_path: str, path: str, timeout: float = PROBE_TIMEOUT) -> str:
    """probe() over a Unix socket: REFUSED while no socket exists yet or nothing listens on it."""
    try:
        return OK if get_status(socket_path, path, timeout) == 200 else FAILED
    except (FileNotFoundError, ConnectionRefusedError):
        return REFUSED
    except Exception:
        return FAILED


def api_probe(environ: Mapping[str, str]) -> Callable[[], str]:
    """The api program's probe: its socket when it has one (EDGE_API_SOCKET, launch.py), else its port."""
    socket_path = environ.get("EDGE_API_SOCKET", "")
    if socket_path:
        return lambda: probe_unix(socket_path, "/health/live")
    api_port = environ["API_PORT"]
    return lambda: probe(f"http://127.0.0.1:{api_port}/health/live")


@dataclass
class Watchdog:
    """The decision logic, separate from supervisord's I/O so it can be tested alone."""

    probes: dict[str, Callable[[], str]]  # OK, REFUSED or FAILED
    running_pid: Callable[[str], int | None]  # the pid of a RUNNING program, else None
    kill: Callable[[str], None]
    notify: Callable[[str, str], object]
    clock: Callable[[], float] = time.monotonic
    failures: dict[str, int] = field(default_factory=dict)
    killed: set[str] = field(default_factory=set)
    # Per program: the pid seen, when it was first seen, and whether that pid has answered yet.
    seen: dict[str, tuple[int, float, bool]] = field(default_factory=dict)

    def tick(self) -> None:
        for program, check in self.probes.items():
            pid = self.running_pid(program)
            if pid is None:
                self.failures[program] = 0
                continue
            if self.seen.get(program, (None,))[0] != pid:
                self.seen[program] = (pid, self.clock(), False)
                self.failures[program] = 0
            _, since, answered = self.seen[program]
            result = check()
            if result == OK:
                self.seen[program] = (pid, since, True)
                self.failures[program] = 0
                continue
            if result == REFUSED and not answered and self.clock() - since < START_GRACE:
                continue  # not listening yet: still starting
            self.failures[program] = self.failures.get(program, 0) + 1
            if self.failures[program] >= FAILURES:
                reason = f"hung: {self.failures[program]} health probes failed; restarting"
                log_event(LOGGER, "warn", "watchdog-restart", f"watchdog: program '{program}' {reason}",
                          program=program, reason=reason)  # fmt: skip
                self.failures[program] = 0
                self.killed.add(program)
                self.kill(program)
                self.notify(program, reason)

    def exited(self, program: str, expected: bool) -> None:
        if program in self.killed:
            self.killed.discard(program)  # our own restart, already alerted
        elif not expected:
            log_event(LOGGER, "warn", "crash-restart",
                      f"watchdog: program '{program}' exited unexpectedly; supervisord restarts it",
                      program=program)  # fmt: skip
            self.notify(program, "exited unexpectedly; supervisord restarts it")


def main() -> None:
    rpc: Any = childutils.getRPCInterface(os.environ)
    port = os.environ["PORT"]

    def running_pid(name: str) -> int | None:
        info = rpc.supervisor.getProcessInfo(name)
        return int(info["pid"]) if info["statename"] == "RUNNING" else None

    dog = Watchdog(
        probes={
            "api": api_probe(os.environ),
            "proxy": lambda: probe(f"http://127.0.0.1:{port}/health/proxy"),
            "direct": lambda: probe(f"http://127.0.0.1:{port}/health/live"),
        },
        running_pid=running_pid,
        kill=lambda name: rpc.supervisor.signalProcess(name, "KILL"),
        notify=alert,
    )
    while True:
        headers, payload = childutils.listener.wait()
        try:
            if headers["eventname"].startswith("TICK"):
                dog.tick()
            elif headers["eventname"] == "PROCESS_STATE_EXITED":
                fields = childutils.get_headers(payload)
                dog.exited(fields.get("processname", "?"), fields.get("expected") == "1")
        except Exception as err:  # the watchdog must outlive its own errors
            log_event(LOGGER, "error", "watchdog-error", f"watchdog: {err!r}", error=repr(err))
        childutils.listener.ok()


if __name__ == "__main__":
    main()
