"""uvicorn's httptools protocol for the API's Unix socket: its peer counts as loopback for proxy headers.

Over a Unix socket uvicorn knows no client address (scope["client"] is None), and its proxy-headers
middleware then trusts no X-Forwarded-For/-Proto at all, short of trusting every peer (a wildcard in
``--forwarded-allow-ips``), which would also take the leftmost, client-written X-Forwarded-For entry as
the client (uvicorn issues 713, 931; PR 2760 proposes a "unix:" literal, not released). The only peer of
this socket is a process of the stack's own user (it is 0700, api_socket.py), i.e. Caddy, as 127.0.0.1
is over TCP: so a Unix peer is given the address 127.0.0.1, already in the trusted list, and the app
sees the same scheme and client over either transport. Passed as ``uvicorn --http
edge_sidecar.unix_peer:UnixPeerProtocol`` (launch.py).
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# What the API sees as the peer of a Unix-socket connection (port 0: a socket has none).
UNIX_PEER = ("127.0.0.1", 0)


class UnixPeerProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family == socket.AF_UNIX:
            self.client = UNIX_PEER
