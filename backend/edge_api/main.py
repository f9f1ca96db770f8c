"""ASGI entry point for uvicorn: ``edge_api.main:app`` (the default APP_MODULE), settings from the env."""

import json
import sys

from edge_api.app import create_app
from edge_api.auth.settings import AuthConfigError

try:
    app = create_app()
except AuthConfigError as error:
    # One line naming the variable instead of a traceback; the non-zero exit makes supervisord give up
    # (FATAL), and the container then exits 1 (deploy/edge_sidecar/fatal_listener.py).
    line = {"level": "error", "logger": "edge_api", "msg": f"invalid auth configuration: {error}"}
    print(json.dumps(line), file=sys.stderr, flush=True)
    raise SystemExit(3) from None
