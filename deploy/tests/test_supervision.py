"""The stack's verdicts on program exits (supervision.py): refusals, crash loops by rate, the fallback."""

import pytest

from edge_sidecar.supervision import LOOP_EXITS, LOOP_WINDOW, Supervision, Verdict, error_text


def exited(program: str, status: int | None = 1, signal: str | None = None) -> dict[str, object]:
    fields: dict[str, object] = {"event": "exited", "program": program, "expected": False}
    if signal:
        fields["signal"] = signal
    else:
        fields["exit_status"] = status
    return fields


def feed(sup: Supervision, events: list[tuple[float, dict[str, object]]]) -> list[Verdict]:
    return [v for now, fields in events if (v := sup.event(fields, now)) is not None]


def test_the_rule_is_five_exits_in_five_minutes() -> None:
    assert (LOOP_EXITS, LOOP_WINDOW) == (5, 300.0)


# (case, fallback on, proxy served, events as (time, fields), verdicts as (action, program, exit code))
CASES: list[tuple[str, bool, bool, list[tuple[float, dict[str, object]]], list[tuple[str, str, int]]]] = [
    ("one crash is self-healing", True, True, [(0, exited("api"))], []),
    ("four crashes in the window", True, True, [(t, exited("api")) for t in (0, 60, 120, 180)], []),
    ("five quick crashes", True, True, [(t, exited("api")) for t in range(5)], [("stop", "api", 1)]),
    (
        "five crashes each a minute long (no startsecs can see them)",
        True,
        True,
        [(t, exited("api")) for t in (0, 61, 122, 183, 244)],
        [("stop", "api", 1)],
    ),
    (
        "five crashes spread wider than the window",
        True,
        True,
        [(t, exited("api")) for t in range(0, 500, 100)],
        [],
    ),
    ("exit status 78 stops at once", True, True, [(0, exited("api", 78))], [("stop", "api", 2)]),
    ("78 from the fallback program too", True, True, [(0, exited("direct", 78))], [("stop", "direct", 2)]),
    (
        "a killed proxy, again and again, after it served: fallback once",
        True,
        True,
        [(t, exited("proxy", signal="SIGKILL")) for t in range(7)],
        [("fallback", "proxy", 0)],
    ),
    (
        "the same with PROXY_FALLBACK=exit",
        False,
        True,
        [(t, exited("proxy", signal="SIGKILL")) for t in range(5)],
        [("stop", "proxy", 1)],
    ),
    (
        "a proxy that never served is not replaced",
        True,
        False,
        [(t, exited("proxy")) for t in range(5)],
        [("stop", "proxy", 1)],
    ),
    (
        "supervisord gave up (FATAL)",
        True,
        True,
        [(0, {"event": "gave-up", "program": "api"})],
        [("stop", "api", 1)],
    ),
    (
        "the watchdog is a helper, not the service",
        True,
        True,
        [(t, exited("watchdog")) for t in range(9)],
        [],
    ),
    (
        "other events are not exits",
        True,
        True,
        [(t, {"event": "spawned", "program": "api"}) for t in range(9)],
        [],
    ),
    (
        "exits of different programs are counted apart",
        True,
        True,
        [(t, exited("api" if t % 2 else "proxy")) for t in range(8)],
        [],
    ),
]


@pytest.mark.parametrize(
    ("case", "fallback", "served", "events", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_verdicts(
    case: str,
    fallback: bool,
    served: bool,
    events: list[tuple[float, dict[str, object]]],
    expected: list[tuple[str, str, int]],
) -> None:
    sup = Supervision(fallback_enabled=fallback, proxy_served=served)
    assert [(v.action, v.program, v.exit_code) for v in feed(sup, events)] == expected


def test_after_the_fallback_the_direct_program_can_still_end_the_stack() -> None:
    sup = Supervision(fallback_enabled=True, proxy_served=True)
    feed(sup, [(t, exited("proxy")) for t in range(5)])
    verdicts = feed(sup, [(10 + t, exited("direct")) for t in range(5)])
    assert [(v.action, v.program) for v in verdicts] == [("stop", "direct")]


def test_the_description_quotes_the_newest_error_line() -> None:
    sup = Supervision(fallback_enabled=True)
    [verdict] = feed(sup, [(t, exited("api", 3)) for t in (0, 1, 2, 3, 40)])
    sup.error_line("api", "old error")
    sup.error_line("api", "RuntimeError: boom")  # may arrive after the exit that ended the stack
    assert sup.describe(verdict) == (
        "program 'api' crash-looped (5 exits in 40 s, the last exit status 3); last error: RuntimeError: boom"
    )
    [refused] = feed(Supervision(fallback_enabled=True), [(0, exited("api", 78))])
    assert Supervision(fallback_enabled=True).describe(refused) == (
        "program 'api' refused its configuration (exit status 78); last error: none logged"
    )


@pytest.mark.parametrize(
    ("entry", "text", "expected"),
    [
        (None, "RuntimeError: boom", "RuntimeError: boom"),  # plain text: a traceback's line
        (None, "   ", None),
        ({"level": "info", "msg": "Started server process [1]"}, "", None),
        ({"level": "error", "msg": "Error loading ASGI app."}, "", "Error loading ASGI app."),  # uvicorn
        ({"level": "error", "msg": "invalid auth configuration: X"}, "", "invalid auth configuration: X"),
        (
            {"level": "error", "msg": "listen", "error": "bind: address in use"},
            "",
            "listen: bind: address in use",
        ),
        ({"level": "warn", "msg": "HTTP/2 skipped"}, "", None),  # Caddy's warnings are not errors
        ({"msg": "no level"}, "", None),
        (None, "x" * 1000, "x" * 300),  # bounded
    ],
)
def test_error_text(entry: dict[str, object] | None, text: str, expected: str | None) -> None:
    assert error_text(entry, text) == expected
