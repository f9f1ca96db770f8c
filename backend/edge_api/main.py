"""ASGI entry point for uvicorn: ``edge_api.main:app`` (the default APP_MODULE), settings from the env."""

import json
import sys

from pydantic import ValidationError

from edge_api.app import create_app
from edge_api.auth.settings import AuthConfigError, describe_validation_error

# EX_CONFIG (sysexits.h): the stack stops at once on it instead of restarting a program that can
# only fail again (deploy/edge_sidecar/supervision.py); any APP_MODULE may use it the same way.
CONFIG_EXIT = 78

try:
    app = create_app()
except (AuthConfigError, ValidationError) as error:
    # One line naming the variable instead of a traceback, then the configuration exit status.
    if isinstance(error, AuthConfigError):
        reason = f"invalid auth configuration: {error}"
    else:
        reason = f"invalid configuration: {describe_validation_error(error)}"
    line = {"level": "error", "logger": "edge_api", "msg": reason}
    print(json.dumps(line), file=sys.stderr, flush=True)
    raise SystemExit(CONFIG_EXIT) from None
