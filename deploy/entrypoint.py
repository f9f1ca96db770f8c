#!/usr/bin/env python3
"""The one way the stack starts, in the image and under `make serve`: validate, then launch.

Bad configuration stops the start here with one line on stderr naming the variable, exit code 2:
plain text, as the contract asks, since nothing runs yet. Once the stack starts, every line on
stdout and stderr is a JSON object (launch.py).
"""

import os
import sys

from edge_sidecar.config import effective_env, load_defaults, parse_runtime
from edge_sidecar.launch import missing_programs, run, say
from edge_sidecar.policy import ConfigError


def main() -> int:
    env = effective_env(os.environ, load_defaults())
    try:
        config = parse_runtime(env)
    except ConfigError as err:
        print(f"edge-sidecar: invalid configuration: {err}", file=sys.stderr)
        return 2
    missing = missing_programs(config)
    if missing:
        print(f"edge-sidecar: not installed: {', '.join(missing)} (run `make install`)", file=sys.stderr)
        return 2
    say(
        "info",
        f"edge-sidecar: {config.mode} mode on :{config.port}",
        event="start",
        mode=config.mode,
        port=config.port,
    )
    return run(config, env)


if __name__ == "__main__":
    sys.exit(main())
