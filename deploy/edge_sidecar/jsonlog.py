"""JSON log lines for uvicorn and the API: one object per line, in the stack's common shape (logshape.py).

uvicorn-log.json beside this module (passed with ``--log-config``; it lives in edge_sidecar/ so the
image's copy of this package carries it) routes uvicorn's and ``edge_api``'s loggers through
:class:`JsonFormatter` to program_log.ProgramLogHandler: into the entrypoint's FIFO for the program
under the stack's supervisord, to stderr otherwise. edge_api.log_setup uses the formatter too when no
server configured logging.
"""

import json
import logging

from edge_sidecar.logshape import iso_utc, level_name

# Attributes every LogRecord has; anything else on a record came from ``extra=`` (or a filter).
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's ANSI-coloured duplicate of the message
    "taskName",
}
# edge_api.request_id.RequestIdFilter's value outside a request: there is no request id to report.
_NO_REQUEST_ID = (None, "-")


class JsonFormatter(logging.Formatter):
    """``time`` (ISO 8601 UTC), ``level`` (lowercase, ``warn``), ``logger``, ``msg``, then ``event``,
    ``request_id`` and the other extras, ``exc``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": iso_utc(record.created),
            "level": level_name(record.levelname),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key in entry:
                continue
            if key == "request_id" and value in _NO_REQUEST_ID:
                continue
            entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)
