"""supervisord event listener: a program in FATAL (it cannot start) ends the whole container.

supervisord itself stays up with a FATAL program and exits 0 on SIGTERM, so a platform restart
policy that acts on non-zero exits (Railway's ON_FAILURE) would never fire. This listener writes
the program's name to $EDGE_RUN_DIR/fatal and stops supervisord; deploy/entrypoint.py then exits 1.
Protocol: http://supervisord.org/events.html#event-listener-notification-protocol
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from edge_sidecar.alerts import alert, log_event

MARKER = "fatal"


def parse_tokens(line: str) -> dict[str, str]:
    """`key:value key:value` as supervisord writes headers and payloads."""
    return dict(token.split(":", 1) for token in line.split() if ":" in token)


def main() -> None:
    run_dir = Path(os.environ["EDGE_RUN_DIR"])
    while True:
        sys.stdout.write("READY\n")
        sys.stdout.flush()
        header = parse_tokens(sys.stdin.readline())
        payload = parse_tokens(sys.stdin.read(int(header.get("len", "0"))))
        if header.get("eventname") == "PROCESS_STATE_FATAL":
            program = payload.get("processname", "?")
            (run_dir / MARKER).write_text(program)
            log_event("fatal", program=program, action="stopping the stack")
            alert(program, "FATAL: could not start; stopping the container (exit 1)")
            os.kill(os.getppid(), signal.SIGTERM)
        sys.stdout.write("RESULT 2\nOK")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
