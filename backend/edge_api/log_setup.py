"""Minimal logging for the ``edge_api`` loggers: one JSON stderr line per record, request id included."""

import logging
import sys
from typing import TextIO

from edge_api.request_id import RequestIdFilter
from edge_sidecar.jsonlog import JsonFormatter

LOGGER_NAME = "edge_api"
REQUEST_LOGGER_NAME = "edge_api.request"


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at emit time (test runners swap it), like logging.lastResort."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def _plain_handler() -> logging.Handler:
    handler = _StderrHandler()
    handler.addFilter(RequestIdFilter())
    # The stack's one line shape (edge_sidecar/logshape.py) even when no server configured logging.
    handler.setFormatter(JsonFormatter())
    return handler


def _configure(logger: logging.Logger) -> None:
    """A handler the server's log configuration (uvicorn ``--log-config``) already gave the logger
    keeps its format and only gains the request id; otherwise one JSON stderr line per record."""
    if any(isinstance(handler, _StderrHandler) for handler in logger.handlers):
        return
    if logger.handlers:
        for handler in logger.handlers:
            if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
                handler.addFilter(RequestIdFilter())
        return
    logger.addHandler(_plain_handler())
    logger.setLevel(logging.INFO)
    logger.propagate = False


def configure_logging() -> None:
    """Idempotent; leaves the root logger and uvicorn's loggers alone.

    ``edge_api.request`` (one line a request) has its own handler rather than propagating, so
    handlers added to ``edge_api`` see only the application's own records.
    """
    _configure(logging.getLogger(LOGGER_NAME))
    _configure(logging.getLogger(REQUEST_LOGGER_NAME))
