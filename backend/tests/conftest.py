"""Shared fixtures: a per-test database (DATABASE_URL), a fake Auth0 tenant (AUTH0_*), a fresh app.

The app runs in-process, without the launcher, so each test gets what the launcher would hand it: the
validated CORS policy of the shipped defaults (CORS_*, tools/test/fixtures/checkout.py).

The database is a SQLite file; tests marked ``both_databases`` run a second time on a fresh database
in a throwaway PostgreSQL cluster (tools/test/fixtures/pg_cluster.py), started once per session.
"""

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from checkout import launcher_env
from fastapi.testclient import TestClient
from pg_cluster import Cluster
from test_auth_support import AUDIENCE, CLIENT_ID, HANG_TIMEOUT, JwksServer, shared_tenant

from edge_api.app import create_app
from edge_api.config import get_settings

CLIENT_SECRET = "test-client-secret"
# The launcher's hand-down for the shipped defaults, computed once.
LAUNCHER_ENV = launcher_env()


# The PostgreSQL run starts a cluster (a process), so make test-unit leaves it out.
BACKENDS = ("sqlite", pytest.param("postgres", marks=pytest.mark.processes))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker("both_databases"):
        metafunc.parametrize("database_url", BACKENDS, indirect=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    cluster = Cluster()
    yield cluster
    cluster.destroy()


@pytest.fixture(autouse=True)
def database_url(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    """Points DATABASE_URL at a fresh database and makes get_settings() read it afresh."""
    backend = getattr(request, "param", "sqlite")
    if backend == "postgres":
        url = request.getfixturevalue("postgres").createdb()
    else:
        url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("DB_HEALTH_TIMEOUT", raising=False)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def fake_tenant(monkeypatch: pytest.MonkeyPatch) -> JwksServer:
    """AUTH0_* pointing at the shared fake tenant, which serves its JWKS and has nothing scripted yet."""
    tenant = shared_tenant()
    tenant.mode = "up"
    tenant.script.clear()
    tenant.posts.clear()
    for name, value in {
        "AUTH0_ISSUER": tenant.issuer,
        "AUTH0_AUDIENCE": AUDIENCE,
        "AUTH0_CLIENT_ID": CLIENT_ID,
        "AUTH0_CLIENT_SECRET": CLIENT_SECRET,
        "AUTH0_HTTP_TIMEOUT": str(HANG_TIMEOUT),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AUTH0_DOMAIN", raising=False)
    for name, value in LAUNCHER_ENV.items():
        monkeypatch.setenv(name, value)
    return tenant


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
