"""Health: liveness never needs the database; readiness pings it within a deadline and leaks nothing."""

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_auth_support import bearer_headers

from edge_api.app import create_app
from edge_api.config import Settings

READY_OK = {"status": "ok", "checks": {"api": "ok", "db": "ok"}}
READY_DOWN = {"status": "unavailable", "checks": {"api": "ok", "db": "unavailable"}, "failing": "db"}


@pytest.mark.both_databases
@pytest.mark.parametrize("path", ["/health/live", "/health/ready", "/health"])
def test_health_with_working_database(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.json() == ({"status": "ok"} if path == "/health/live" else READY_OK)
    assert response.headers["cache-control"] == "no-store"


def test_sqlite_directory_is_created_on_startup(tmp_path: Path) -> None:
    database = tmp_path / "nested" / "dir" / "app.db"
    app = create_app(Settings(database_url=f"sqlite:///{database}"))
    assert not database.parent.exists()
    with TestClient(app) as client:
        assert client.get("/health/ready").status_code == 200
    assert database.is_file()


def unreachable_url(port: int) -> str:
    return f"postgresql://edge_user:s3cr3t-pw@127.0.0.1:{port}/edge_db"


@pytest.mark.parametrize("path", ["/health/ready", "/health"])
def test_ready_is_503_when_database_refuses(closed_port: int, path: str) -> None:
    url = unreachable_url(closed_port)
    with TestClient(create_app(Settings(database_url=url))) as client:
        response = client.get(path)
        assert client.get("/health/live").status_code == 200
    assert response.status_code == 503
    assert response.json() == READY_DOWN
    for fragment in ("s3cr3t", "edge_user", "edge_db", "127.0.0.1", str(closed_port), "postgres", "psycopg"):
        assert fragment not in response.text


# libpq's smallest connect_timeout: the URL's own wins over db.py's 5 s, so startup (which waits it out
# once) is short, and a readiness check not bounded by db_health_timeout would wait this long.
HUNG_CONNECT_TIMEOUT = 2


def test_ready_answers_within_timeout_when_database_hangs(silent_port: int) -> None:
    url = f"{unreachable_url(silent_port)}?connect_timeout={HUNG_CONNECT_TIMEOUT}"
    settings = Settings(database_url=url, db_health_timeout=0.2)
    with TestClient(create_app(settings)) as client:
        started = time.monotonic()
        responses = [client.get("/health/ready") for _ in range(3)]
        elapsed = time.monotonic() - started
    assert [r.status_code for r in responses] == [503, 503, 503]
    assert responses[0].json() == READY_DOWN
    # Three checks that each waited for the connect timeout would take 3 x 2 s; bounded ones take ~0.6 s.
    # The margin between is for a loaded machine.
    assert elapsed < 2 * HUNG_CONNECT_TIMEOUT


def test_ready_recovers_and_creates_tables_once_database_opens(tmp_path: Path) -> None:
    """An app started while its database could not be opened serves items once it can."""
    database = tmp_path / "app.db"
    database.mkdir()  # a directory where the SQLite file should be: opening it fails
    with TestClient(create_app(Settings(database_url=f"sqlite:///{database}"))) as client:
        assert client.get("/health/ready").status_code == 503
        database.rmdir()
        assert client.get("/health/ready").json() == READY_OK
        created = client.post("/api/v1/items", json={"name": "n"}, headers=bearer_headers("t"))
        assert created.status_code == 201
