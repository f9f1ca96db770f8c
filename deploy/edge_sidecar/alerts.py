"""Alerts: a short Slack-compatible JSON post to ALERT_WEBHOOK_URL; failures to deliver are logged only."""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request

from edge_sidecar.logshape import log_line


def log_event(logger: str, level: str, event: str, msg: str, **fields: object) -> None:
    """One line on stderr in the stack's common shape (logshape.py), `event` first among its fields."""
    sys.stderr.write(log_line(level, logger, msg, {"event": event, **fields}).decode())
    sys.stderr.flush()


def alert(program: str, reason: str, url: str | None = None, timeout: float = 3.0) -> bool:
    """Post {"text", "program", "reason", "time"}; return whether it was delivered."""
    url = url if url is not None else os.environ.get("ALERT_WEBHOOK_URL", "")
    if not url:
        return False
    now = time.time()
    text = f"edge-sidecar: {program}: {reason} at {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now))}"
    body = json.dumps({"text": text, "program": program, "reason": reason, "time": now}).encode()
    request = urllib.request.Request(  # noqa: S310 - the operator's own webhook URL
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read()
    except Exception as err:  # any failure to deliver is only worth a log line
        log_event("edge-sidecar.alerts", "warn", "alert-failed",
                  f"alert for {program} not delivered: {type(err).__name__}",
                  program=program, reason=reason, error=type(err).__name__)  # fmt: skip
        return False
    return True
