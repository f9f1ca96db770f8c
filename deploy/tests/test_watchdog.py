"""The watchdog's decisions (hang → kill once, alerts once) and alert delivery, without supervisord."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from edge_sidecar import watchdog
from edge_sidecar.alerts import alert
from edge_sidecar.watchdog import Watchdog

OK, NO, REFUSED = watchdog.OK, watchdog.FAILED, watchdog.REFUSED


def make_dog(
    results: list[str], running: bool = True, step: float = 5.0
) -> tuple[Watchdog, list[str], list[tuple[str, str]]]:
    """A watchdog over one program (always the same pid) whose probes answer `results` in turn;
    its clock advances `step` seconds per probe, as TICK_5 events would."""
    killed: list[str] = []
    notes: list[tuple[str, str]] = []
    answers = iter(results)
    now = [0.0]

    def answer() -> str:
        now[0] += step
        return next(answers)

    dog = Watchdog(
        probes={"api": answer},
        running_pid=lambda _name: 42 if running else None,
        kill=killed.append,
        notify=lambda program, reason: notes.append((program, reason)),
        clock=lambda: now[0],
    )
    return dog, killed, notes


@pytest.mark.parametrize(
    ("probes", "running", "step", "kills"),
    [
        ([OK, OK, OK, OK], True, 5, 0),
        ([OK, NO, OK, NO, OK], True, 5, 0),  # never two failures in a row
        ([OK, NO, NO], True, 5, 1),
        ([OK, NO, NO, NO, NO], True, 5, 2),  # counting starts again after a restart
        ([OK, NO, NO, NO, NO], False, 5, 0),  # not RUNNING: not probed as hung
        ([NO, NO], True, 5, 1),  # listening but not answering: hung, however young (SIGSTOP at start)
        ([OK, REFUSED, REFUSED], True, 5, 1),  # it answered, then closed its port
        ([REFUSED] * 20, True, 5, 0),  # not listening yet, within START_GRACE: still starting
        ([REFUSED] * 13, True, 10, 1),  # not listening for longer than START_GRACE: hung
    ],
)
def test_hang_detection(probes: list[str], running: bool, step: float, kills: int) -> None:
    assert (watchdog.FAILURES, watchdog.START_GRACE) == (2, 120.0)
    dog, killed, notes = make_dog(probes, running, step)
    for _ in probes:
        dog.tick()
    assert killed == ["api"] * kills
    assert len(notes) == kills and all("hung" in reason for _, reason in notes)


def test_a_new_pid_gets_its_own_start_grace() -> None:
    pids = iter([1, 1, 1, 2, 2, 2])
    killed: list[str] = []
    dog = Watchdog(
        probes={"api": iter([OK, REFUSED, REFUSED, REFUSED, REFUSED, REFUSED]).__next__},
        running_pid=lambda _name: next(pids),
        kill=killed.append,
        notify=lambda *_: None,
        clock=iter(float(t) for t in range(100)).__next__,
    )
    for _ in range(6):
        dog.tick()
    assert killed == ["api"]  # pid 1 answered then closed its port; pid 2 is not listening yet: starting


def test_exit_after_our_kill_is_not_alerted_twice_but_a_crash_is() -> None:
    dog, _killed, notes = make_dog([OK, NO, NO])
    dog.tick()
    dog.tick()
    dog.tick()
    dog.exited("api", expected=False)  # the SIGKILL we sent
    assert len(notes) == 1
    dog.exited("api", expected=False)  # a real crash
    dog.exited("proxy", expected=True)  # an expected exit is not news
    assert [reason for _, reason in notes][1] == "exited unexpectedly; supervisord restarts it"
    assert len(notes) == 2


def serve_one(status: int, received: list[dict[str, Any]]) -> tuple[HTTPServer, threading.Thread]:
    """A loopback server answering one request with `status`; a POSTed JSON body lands in `received`."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.end_headers()

        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.do_GET()

        def log_message(self, *_args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    return server, thread


def test_alert_posts_slack_compatible_json() -> None:
    received: list[dict[str, Any]] = []
    server, thread = serve_one(200, received)
    try:
        assert alert("api", "hung", url=f"http://127.0.0.1:{server.server_port}/hook")
    finally:
        thread.join(timeout=5)
        server.server_close()
    assert received[0]["program"] == "api" and received[0]["reason"] == "hung"
    assert received[0]["text"].startswith("edge-sidecar: api: hung at ")


def test_alert_failure_is_logged_not_raised(capsys: pytest.CaptureFixture[str]) -> None:
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    closed_port = server.server_port
    server.server_close()
    assert alert("proxy", "hung", url=f"http://127.0.0.1:{closed_port}/") is False
    assert '"event": "alert-failed"' in capsys.readouterr().err
    assert alert("proxy", "hung", url="") is False  # not configured: nothing to do


def test_probe_tells_refused_from_listening_but_silent() -> None:
    """Through real sockets: nothing listening is REFUSED; a listener that never answers is FAILED."""
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    closed_port = free.getsockname()[1]
    free.close()
    assert watchdog.probe(f"http://127.0.0.1:{closed_port}/health/live") == watchdog.REFUSED
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # the kernel accepts connections into the backlog; nobody reads them (a SIGSTOP)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/health/live"
        assert watchdog.probe(url, timeout=0.3) == watchdog.FAILED


@pytest.mark.parametrize(("status", "expected"), [(200, watchdog.OK), (500, watchdog.FAILED)])
def test_probe_judges_the_status(status: int, expected: str) -> None:
    server, thread = serve_one(status, [])
    try:
        assert watchdog.probe(f"http://127.0.0.1:{server.server_port}/health/live") == expected
    finally:
        thread.join(timeout=5)
        server.server_close()
