"""The watchdog's decisions (hang → kill once, alerts once) and alert delivery, without supervisord."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from edge_sidecar import watchdog
from edge_sidecar.alerts import alert
from edge_sidecar.watchdog import Watchdog


def make_dog(results: list[bool], running: bool = True) -> tuple[Watchdog, list[str], list[tuple[str, str]]]:
    killed: list[str] = []
    notes: list[tuple[str, str]] = []
    answers = iter(results)
    dog = Watchdog(
        probes={"api": lambda: next(answers)},
        is_running=lambda _name: running,
        kill=killed.append,
        notify=lambda program, reason: notes.append((program, reason)),
    )
    return dog, killed, notes


@pytest.mark.parametrize(
    ("probes", "running", "kills"),
    [
        ([True, True, True, True], True, 0),
        ([False, True, False, True], True, 0),  # never two failures in a row
        ([False, False], True, 1),
        ([False, False, False, False], True, 2),  # counting starts again after a restart
        ([False, False, False, False], False, 0),  # starting/backing off: not probed as hung
    ],
)
def test_hang_detection(probes: list[bool], running: bool, kills: int) -> None:
    assert watchdog.FAILURES == 2
    dog, killed, notes = make_dog(probes, running)
    for _ in probes:
        dog.tick()
    assert killed == ["api"] * kills
    assert len(notes) == kills and all("hung" in reason for _, reason in notes)


def test_exit_after_our_kill_is_not_alerted_twice_but_a_crash_is() -> None:
    dog, _killed, notes = make_dog([False, False])
    dog.tick()
    dog.tick()
    dog.exited("api", expected=False)  # the SIGKILL we sent
    assert len(notes) == 1
    dog.exited("api", expected=False)  # a real crash
    dog.exited("proxy", expected=True)  # an expected exit is not news
    assert [reason for _, reason in notes][1] == "exited unexpectedly; supervisord restarts it"
    assert len(notes) == 2


def test_alert_posts_slack_compatible_json() -> None:
    received: list[dict[str, Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
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
