"""Refuses a port another process already listens on, before anything starts.

Caddy binds with SO_REUSEPORT, so a second stack on a busy $PORT would start without a word and the
kernel would split connections between the two; uvicorn on a busy $API_PORT would crash-loop.
"""

from __future__ import annotations

import contextlib
import errno
import socket

from edge_sidecar.config import RuntimeConfig

# Where each program binds: Caddy's `:PORT` is every address (IPv4 and IPv6), the API loopback only.
PUBLIC_HOSTS = ("0.0.0.0", "::")  # noqa: S104 - probing the public port, not serving on it
API_HOSTS = ("127.0.0.1",)


def in_use(host: str, port: int) -> bool:
    """Whether binding (host, port) fails because something is bound there already.

    SO_REUSEADDR as uvicorn and Caddy set it, so connections in TIME_WAIT from a stack that just
    stopped do not count; a listening socket still does. No IPv6 on the machine is not "in use".
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError:
        return False
    with contextlib.closing(sock):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            sock.bind((host, port))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                return True
            if err.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                return False
            raise
    return False


def busy_port(config: RuntimeConfig) -> tuple[str, int] | None:
    """The first of PORT and (in sidecar mode over TCP) API_PORT that is in use, as (variable, port).
    With API_TRANSPORT=unix nothing binds API_PORT, so another program may hold it."""
    checks: list[tuple[str, int, tuple[str, ...]]] = [("PORT", config.port, PUBLIC_HOSTS)]
    if config.mode == "sidecar" and config.api_transport == "tcp":
        checks.append(("API_PORT", config.api_port, API_HOSTS))
    for variable, port, hosts in checks:
        if any(in_use(host, port) for host in hosts):
            return variable, port
    return None
