"""Shared fixtures: each test gets its own SQLite file (via DATABASE_URL) and a freshly built app."""

import socket
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from edge_api.app import create_app
from edge_api.config import get_settings


@pytest.fixture(autouse=True)
def database_url(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[str]:
    """Points DATABASE_URL at a per-test SQLite file and makes get_settings() read it afresh."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("DB_HEALTH_TIMEOUT", raising=False)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """The app built from the environment, lifespan running (tables created)."""
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts TCP connections and never answers (a hung database)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])
