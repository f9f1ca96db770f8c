"""Busy ports refused before anything starts (ports.py), against real sockets on loopback."""

import socket
from collections.abc import Iterator
from dataclasses import replace

import pytest
from checkout import load_defaults

from edge_sidecar.config import parse_runtime
from edge_sidecar.ports import busy_port, in_use


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def listener() -> Iterator[int]:
    """A socket listening on 127.0.0.1 only, with SO_REUSEPORT as Caddy sets it."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def test_a_listener_on_loopback_makes_the_port_busy_for_every_address(listener: int) -> None:
    assert in_use("127.0.0.1", listener) and in_use("0.0.0.0", listener)


def test_a_free_port_and_a_closed_one_are_not_busy() -> None:
    port = free_port()
    assert not in_use("0.0.0.0", port) and not in_use("::", port)


def test_a_connection_left_in_time_wait_does_not_count() -> None:
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        conn, _ = server.accept()
        conn.close()  # the server side closes first: its end goes to TIME_WAIT
        client.close()
    assert not in_use("0.0.0.0", port)


def test_busy_port_names_the_variable(listener: int) -> None:
    config = parse_runtime({**load_defaults(), "PORT": str(free_port()), "API_PORT": str(free_port())})
    assert busy_port(config) is None
    assert busy_port(replace(config, port=listener)) == ("PORT", listener)
    assert busy_port(replace(config, api_port=listener)) == ("API_PORT", listener)
    assert busy_port(replace(config, mode="direct", api_port=listener)) is None  # no API port in direct mode
