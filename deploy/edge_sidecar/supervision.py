"""Judges each program exit of a running stack: carry on, stop with an exit code, or fall back to direct.

supervisord restarts every exit at once (``startsecs=0``, ``autorestart=true``) and judges nothing, so
no rule here depends on how long one run lived or how fast the machine is. launch.py feeds this class
supervisord's events (parsed from its log by supervisor_log.py) and each program's error lines, and
carries out the verdicts. The rules (README "Exit codes", docs/operations.md):

- A program that exits with CONFIG_EXIT (78, EX_CONFIG in sysexits.h) refused its configuration:
  restarting cannot help, so the stack stops at once with exit code 2, as for the wrapper's own
  configuration refusals.
- LOOP_EXITS exits of one program within LOOP_WINDOW seconds, or supervisord giving up on it (FATAL:
  it could not even be spawned), is a crash loop. The proxy, when PROXY_FALLBACK=direct and it had
  served at least once (so a deployment whose proxy never starts still fails its healthcheck), is
  replaced by uvicorn on $PORT with the app-side CORS of direct mode. Anything else stops the stack
  with exit code 1, the program and its last error line in the last log line.

Pure: the caller passes the time and does the I/O.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

CONFIG_EXIT = 78
# Five exits in five minutes: a real crash loop of a program that lives a minute per run is caught
# (in about 5 min), while the rare restarts self-healing is for (a kill -9, a hang the watchdog ends,
# each at least ~10 s apart) never add up to it.
LOOP_EXITS = 5
LOOP_WINDOW = 300.0
# The programs whose exits count; event listeners (the watchdog) are helpers, not the service.
WATCHED = ("api", "proxy", "direct")
EXIT_CONFIG_REFUSED = 2
EXIT_CRASH_LOOP = 1
_ERROR_LEVELS = frozenset({"error", "critical", "crit", "fatal", "panic", "dpanic"})
MAX_REASON = 300


@dataclass(frozen=True)
class Verdict:
    action: Literal["stop", "fallback"]
    program: str
    exit_code: int  # the stack's, for "stop"
    detail: str  # what happened, without the last error line (see Supervision.describe)


def error_text(entry: Mapping[str, object] | None, text: str) -> str | None:
    """The error a program's stderr line reports, or None when the line is not an error.

    A JSON line (in the common shape, logshape.py: the relay gave it that) is an error at level error
    and above, its ``msg`` and Caddy's ``error`` field; a plain line is always worth keeping: every
    program here logs JSON, so plain text is a traceback or a crash message (its last line names the
    exception).
    """
    if entry is None:
        stripped = text.strip()
        return stripped[:MAX_REASON] or None
    if str(entry.get("level", "")).lower() not in _ERROR_LEVELS:
        return None
    message = str(entry.get("msg") or "").strip()
    error = str(entry.get("error") or "").strip()
    joined = f"{message}: {error}" if message and error else message or error
    return joined[:MAX_REASON] or None


def _how(fields: Mapping[str, object]) -> str:
    if fields.get("signal"):
        return f"killed by {fields['signal']}"
    return f"exit status {fields.get('exit_status', '?')}"


@dataclass
class Supervision:
    fallback_enabled: bool
    loop_exits: int = LOOP_EXITS
    loop_window: float = LOOP_WINDOW
    proxy_served: bool = False
    fell_back: bool = False
    _exits: dict[str, deque[float]] = field(default_factory=dict)
    _last_error: dict[str, str] = field(default_factory=dict)

    def error_line(self, program: str, text: str) -> None:
        """Remember the newest error line of `program` (see error_text)."""
        self._last_error[program] = text

    def last_error(self, program: str) -> str:
        return self._last_error.get(program, "none logged")

    def event(self, fields: Mapping[str, object], now: float) -> Verdict | None:
        """A supervisord event (supervisor_log's fields); a verdict when the stack must act."""
        program = str(fields.get("program", ""))
        if program not in WATCHED or (program == "proxy" and self.fell_back):
            return None  # a helper, or the proxy already replaced (exits while it is being stopped)
        if fields.get("event") == "gave-up":
            return self._loop(program, "supervisord gave up on it (FATAL: it could not be spawned)")
        if fields.get("event") != "exited":
            return None
        if fields.get("exit_status") == CONFIG_EXIT:
            detail = f"refused its configuration (exit status {CONFIG_EXIT})"
            return Verdict("stop", program, EXIT_CONFIG_REFUSED, detail)
        times = self._exits.setdefault(program, deque())
        times.append(now)
        while times and now - times[0] > self.loop_window:
            times.popleft()
        if len(times) < self.loop_exits:
            return None
        span = now - times[0]
        return self._loop(program, f"{len(times)} exits in {span:.0f} s, the last {_how(fields)}")

    def _loop(self, program: str, detail: str) -> Verdict:
        detail = f"crash-looped ({detail})"
        if program == "proxy" and self.fallback_enabled and self.proxy_served and not self.fell_back:
            self.fell_back = True
            return Verdict("fallback", program, 0, detail)
        return Verdict("stop", program, EXIT_CRASH_LOOP, detail)

    def describe(self, verdict: Verdict) -> str:
        """The verdict in one sentence with the program's newest error line. Called as late as
        possible: a program's last lines may reach us after supervisord logged its exit."""
        return f"program '{verdict.program}' {verdict.detail}; last error: {self.last_error(verdict.program)}"
