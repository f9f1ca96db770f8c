"""supervisord event listener: restarts a program that is running but no longer answers (hung).

supervisord only sees processes that exit; Railway checks health only while a deploy goes live.
Every TICK_5 this probes the API's /health/live and Caddy's /health/proxy on loopback; after
FAILURES consecutive failed probes of a RUNNING program it sends it SIGKILL (a stopped or hung
process may ignore SIGTERM) and supervisord's autorestart brings it back. It also alerts on
unexpected exits (crash-restarts). Protocol: http://supervisord.org/events.html
"""

from __future__ import annotations

import os
import sys
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from supervisor import childutils  # type: ignore[import-untyped]

from edge_sidecar.alerts import alert, log_event
from edge_sidecar.fatal_listener import parse_tokens

FAILURES = 2  # consecutive failed probes, 5 s apart: a hang is acted on within ~10-15 s
PROBE_TIMEOUT = 2.0


def probe(url: str, timeout: float = PROBE_TIMEOUT) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback URL
            return bool(response.status == 200)
    except Exception:
        return False


@dataclass
class Watchdog:
    """The decision logic, separate from supervisord's I/O so it can be tested alone."""

    probes: dict[str, Callable[[], bool]]
    is_running: Callable[[str], bool]
    kill: Callable[[str], None]
    notify: Callable[[str, str], object]
    failures: dict[str, int] = field(default_factory=dict)
    killed: set[str] = field(default_factory=set)

    def tick(self) -> None:
        for program, check in self.probes.items():
            if not self.is_running(program) or check():
                self.failures[program] = 0
                continue
            self.failures[program] = self.failures.get(program, 0) + 1
            if self.failures[program] >= FAILURES:
                reason = f"hung: {self.failures[program]} health probes failed; restarting"
                log_event("watchdog-restart", program=program, reason=reason)
                self.failures[program] = 0
                self.killed.add(program)
                self.kill(program)
                self.notify(program, reason)

    def exited(self, program: str, expected: bool) -> None:
        if program in self.killed:
            self.killed.discard(program)  # our own restart, already alerted
        elif not expected:
            log_event("crash-restart", program=program)
            self.notify(program, "exited unexpectedly; supervisord restarts it")


def main() -> None:
    rpc: Any = childutils.getRPCInterface(os.environ)
    port, api_port = os.environ["PORT"], os.environ["API_PORT"]
    dog = Watchdog(
        probes={
            "api": lambda: probe(f"http://127.0.0.1:{api_port}/health/live"),
            "proxy": lambda: probe(f"http://127.0.0.1:{port}/health/proxy"),
        },
        is_running=lambda name: rpc.supervisor.getProcessInfo(name)["statename"] == "RUNNING",
        kill=lambda name: rpc.supervisor.signalProcess(name, "KILL"),
        notify=alert,
    )
    while True:
        sys.stdout.write("READY\n")
        sys.stdout.flush()
        header = parse_tokens(sys.stdin.readline())
        payload = parse_tokens(sys.stdin.read(int(header.get("len", "0"))))
        event = header.get("eventname", "")
        try:
            if event.startswith("TICK"):
                dog.tick()
            elif event == "PROCESS_STATE_EXITED":
                dog.exited(payload.get("processname", "?"), payload.get("expected") == "1")
        except Exception as err:  # the watchdog must outlive its own errors
            log_event("watchdog-error", error=repr(err))
        sys.stdout.write("RESULT 2\nOK")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
