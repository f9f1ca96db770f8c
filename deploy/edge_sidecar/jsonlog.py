"""JSON log lines for uvicorn and the API: one object per line, like every other log of the stack.

uvicorn-log.json beside this module (passed with ``--log-config``; it lives in edge_sidecar/ so the
image's copy of this package carries it) routes uvicorn's and ``edge_api``'s loggers through
:class:`JsonFormatter` to stderr.
"""

import json
import logging

# Attributes every LogRecord has; anything else on a record came from ``extra=`` (or a filter).
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's ANSI-coloured duplicate of the message
    "taskName",
}


class JsonFormatter(logging.Formatter):
    """``time`` (epoch), ``level``, ``logger``, ``message``, then ``request_id`` and extras, ``exc``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": record.created,
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)
