"""ASGI entry point for uvicorn: ``edge_api.main:app`` (the default APP_MODULE), settings from the env."""

import sys

from pydantic import ValidationError

from edge_api.app import create_app
from edge_api.auth.settings import AuthConfigError, describe_validation_error
from edge_api.config import get_settings
from edge_api.db import migrate_before_serving
from edge_api.migrate import MigrationError
from edge_sidecar.logshape import log_line

# EX_CONFIG (sysexits.h): the stack stops at once on it instead of restarting a program that can
# only fail again (deploy/edge_sidecar/supervision.py); any APP_MODULE may use it the same way.
CONFIG_EXIT = 78

try:
    app = create_app()
    migrate_before_serving(get_settings().database_url)
except (AuthConfigError, ValidationError, MigrationError) as error:
    # One line naming the variable (or the migration) instead of a traceback, then the configuration
    # exit status: restarting cannot help either.
    if isinstance(error, AuthConfigError):
        reason = f"invalid auth configuration: {error}"
    elif isinstance(error, MigrationError):
        reason = f"{error}; the API does not start"
    else:
        reason = f"invalid configuration: {describe_validation_error(error)}"
    # Not through logging: this runs before any server configured it, and must be one line whatever it did.
    sys.stderr.write(log_line("error", "edge_api", reason).decode())
    sys.stderr.flush()
    raise SystemExit(CONFIG_EXIT) from None
