"""The stack's output paths: which stdout a child can open by path, and where Caddy's access log goes."""

import os
import socket
import stat
import tempfile
from pathlib import Path

import pytest

from edge_sidecar.relays import VIA_SUPERVISORD, Relays, access_log_path, needs_relay

REG, FIFO, SOCK, CHR = stat.S_IFREG | 0o644, stat.S_IFIFO | 0o600, stat.S_IFSOCK | 0o777, stat.S_IFCHR | 0o620


@pytest.mark.parametrize(
    ("mode", "flags", "relay"),
    [
        (FIFO, os.O_WRONLY, False),  # a pipe or FIFO (Docker's, containerd's stdout): shared as it is
        (CHR, os.O_RDWR, False),  # a terminal, /dev/null
        (REG, os.O_WRONLY | os.O_APPEND, False),  # `>> log`: every writer appends
        (REG, os.O_WRONLY, True),  # `> log 2>&1`: a reopened file has its own offset; ours would overwrite
        (SOCK, os.O_RDWR, True),  # Node's child_process, systemd's journal: open() fails with ENXIO
    ],
)
def test_needs_relay(mode: int, flags: int, relay: bool) -> None:
    assert needs_relay(mode, flags) is relay


def test_access_log_path_is_our_descriptor_by_its_proc_path() -> None:
    read_end, write_end = os.pipe()
    try:
        path = access_log_path(write_end, {})
        assert path == f"/proc/{os.getpid()}/fd/{write_end}"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)  # what Caddy does (modules/logging/filewriter.go)
        os.write(fd, b"line\n")
        os.close(fd)
        assert os.read(read_end, 100) == b"line\n"
    finally:
        os.close(read_end)
        os.close(write_end)


def test_access_log_path_falls_back_to_supervisords_copy() -> None:
    assert access_log_path(1, {"EDGE_ACCESS_LOG": "/dev/stdout"}) == "/dev/stdout"  # chosen (the bench)
    read_end, write_end = os.pipe()
    os.close(write_end)
    os.close(read_end)
    assert access_log_path(write_end, {}) == VIA_SUPERVISORD  # a closed descriptor: nothing to open
    with tempfile.TemporaryDirectory() as scratch:
        fifo = Path(scratch) / "out"
        os.mkfifo(fifo)
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        writer = os.open(fifo, os.O_WRONLY)
        os.close(reader)  # a FIFO nobody reads any more: Caddy's open would block, so it is not chosen
        try:
            assert access_log_path(writer, {}) == VIA_SUPERVISORD
        finally:
            os.close(writer)


def test_a_socket_stdout_is_relayed_in_whole_lines() -> None:
    ours, theirs = socket.socketpair()
    relays = Relays(observe=lambda _item: None)
    fd = relays.stdout_for_children(theirs.fileno())
    assert fd != theirs.fileno()
    path = access_log_path(fd, {})
    relays.start()
    writer = os.open(path, os.O_WRONLY | os.O_APPEND)
    os.write(writer, b'{"a": 1}\n{"b"')  # a line in two writes arrives whole, after the first
    os.write(writer, b": 2}\n")
    os.close(writer)
    relays.close_own_ends()
    relays.join(5)
    theirs.close()
    received = b""
    while chunk := ours.recv(65536):
        received += chunk
    ours.close()
    assert received == b'{"a": 1}\n{"b": 2}\n'
