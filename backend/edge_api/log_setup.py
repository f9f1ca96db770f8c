"""Minimal logging for the ``edge_api`` loggers: one stderr line per record, request id included."""

import logging
import sys
from typing import TextIO

from edge_api.request_id import RequestIdFilter

LOGGER_NAME = "edge_api"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s request_id=%(request_id)s %(message)s"


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


def configure_logging() -> None:
    """Idempotent; leaves the root logger and uvicorn's loggers alone."""
    logger = logging.getLogger(LOGGER_NAME)
    if any(isinstance(handler, _StderrHandler) for handler in logger.handlers):
        return
    handler = _StderrHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
