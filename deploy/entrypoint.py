#!/usr/bin/env python3
"""The one way the stack starts, in the image and under `make serve`: validate, then launch.

Bad configuration, or a port another process already listens on, stops the start here with one
line on stderr naming the variable, exit code 2: plain text, as the contract asks, since nothing
runs yet. That covers the stack's variables and the service's DATABASE_URL and DB_HEALTH_TIMEOUT
(the same checks the reference API runs, edge_sidecar/config.py), in both modes. Once the stack
starts, every line on stdout and stderr is a JSON object (launch.py).

This file's directory is the deployment's (deploy/ in a checkout, /app/deploy in the image): the
defaults file, supervisord.conf and the Caddyfile sit next to it, while the edge_sidecar package is
installed (editable in .venv, site-packages in the image). The defaults are read here, once; the
children get the validated values in their environment.
"""

import os
import sys
from pathlib import Path

from edge_sidecar.config import DEFAULTS_NAME, effective_env, load_defaults, parse_runtime
from edge_sidecar.launch import missing_programs, run, say
from edge_sidecar.policy import ConfigError
from edge_sidecar.ports import busy_port

DEPLOY_DIR = Path(__file__).resolve().parent


def main() -> int:
    env = effective_env(os.environ, load_defaults(DEPLOY_DIR / DEFAULTS_NAME))
    try:
        config = parse_runtime(env)
    except ConfigError as err:
        print(f"edge-sidecar: invalid configuration: {err}", file=sys.stderr)
        return 2
    missing = missing_programs(config)
    if missing:
        print(f"edge-sidecar: not installed: {', '.join(missing)} (run `make install`)", file=sys.stderr)
        return 2
    busy = busy_port(config)
    if busy:
        variable, port = busy
        print(
            f"edge-sidecar: cannot start: {variable} {port} is already in use on this machine "
            f"(another stack or program listens there); stop it or set another {variable}",
            file=sys.stderr,
        )
        return 2
    say(
        "info",
        f"edge-sidecar: {config.mode} mode on :{config.port}",
        event="start",
        mode=config.mode,
        port=config.port,
    )
    return run(config, env, DEPLOY_DIR)


if __name__ == "__main__":
    sys.exit(main())
