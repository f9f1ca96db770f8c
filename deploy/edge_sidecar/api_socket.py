"""The API's Unix socket (API_TRANSPORT=unix): bound 0700 for uvicorn, and dialled by the stack's probes.

uvicorn's own ``--uds`` makes the socket 0666 (uvicorn/server.py chmods it after binding), so whoever can
traverse the directory could talk to the API. Instead supervisord.conf starts the api program as
``python -m edge_sidecar.api_socket PATH uvicorn ... --fd 3``: this binds PATH with the stack user's
permission only (0700, as supervisord's own socket), puts it on fd 3 and execs uvicorn, which serves the
socket it is given (``--fd``, uvicorn's settings). exec keeps the PID, so supervisord's signals, stop and
restart reach uvicorn exactly as with TCP. The socket is not listened on here: until uvicorn has
imported the app and listens, a dial is refused (ECONNREFUSED), as a TCP port that is not open yet, so
Caddy's retry on a failed dial and the watchdog's start grace work unchanged.

Stdlib only: the watchdog imports :func:`get_status` without loading uvicorn.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import stat
import sys
from pathlib import Path

# The fd uvicorn is told to serve (supervisord.conf passes --fd with this number, launch.py LISTEN_ARGS).
LISTEN_FD = 3
SOCKET_MODE = 0o700
SOCKET_NAME = "api.sock"
# sockaddr_un.sun_path is 108 bytes on Linux, one of them the terminating NUL (unix(7)).
MAX_PATH_BYTES = 107


def bind(path: Path) -> socket.socket:
    """A Unix stream socket bound at ``path``, mode 0700 from the moment it exists, not yet listening.

    A socket file left by a run that was killed (uvicorn removes its own only on a clean exit, and not
    when given an fd) is replaced; anything else at ``path`` is an error, never deleted.
    """
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISSOCK(path.lstat().st_mode):
            path.unlink()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # bind creates the file with 0777 & ~umask: with 077 it is never, even briefly, wider than 0700.
    previous = os.umask(0o077)
    try:
        sock.bind(str(path))
    finally:
        os.umask(previous)
    os.chmod(path, SOCKET_MODE)
    return sock


def exec_on_socket(path: Path, argv: list[str]) -> None:
    """Bind ``path``, make it fd LISTEN_FD of this process, and replace this process by ``argv``."""
    sock = bind(path)
    if sock.fileno() != LISTEN_FD:
        os.dup2(sock.fileno(), LISTEN_FD, inheritable=True)
        sock.close()
    else:
        os.set_inheritable(LISTEN_FD, True)
    os.execvp(argv[0], argv)  # noqa: S606 - the api program's own command line (supervisord.conf)


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over a Unix socket: the probes' way to the API when it has no TCP port."""

    def __init__(self, socket_path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = socket_path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def get_status(socket_path: str, path: str, timeout: float) -> int:
    """The status of ``GET path`` over the socket. Raises FileNotFoundError (no socket yet),
    ConnectionRefusedError (bound, not listening), TimeoutError or another OSError."""
    conn = UnixHTTPConnection(socket_path, timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def main(args: list[str]) -> int:
    if len(args) < 2:
        print("usage: python -m edge_sidecar.api_socket SOCKET_PATH COMMAND [ARG...]", file=sys.stderr)
        return 2
    exec_on_socket(Path(args[0]), args[1:])
    return 1  # not reached: exec replaced this process or raised


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
