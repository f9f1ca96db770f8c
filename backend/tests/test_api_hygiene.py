"""docs/security.md §7 app settings: OpenAPI docs only with API_DOCS=true; no redirect built from Host."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from edge_api.app import DocsSettings, create_app

DOCS_PATHS = ["/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"]


@pytest.fixture(autouse=True)
def no_api_docs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("API_DOCS", raising=False)


@pytest.mark.parametrize("path", DOCS_PATHS)
def test_docs_are_off_by_default(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "swagger" not in response.text.lower()
    assert "openapi" not in response.text.lower()


@pytest.mark.parametrize("raw", ["true", "TRUE", " true\n"])
def test_api_docs_true_serves_them(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("API_DOCS", raw)
    with TestClient(create_app()) as client:
        for path in ("/docs", "/redoc"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.headers["content-type"].startswith("text/html")
        spec = client.get("/openapi.json").json()
        assert spec["openapi"].startswith("3.")
        assert "/api/v1/items" in spec["paths"]


@pytest.mark.parametrize("raw", ["false", "False", ""])
def test_api_docs_false_or_unset_keeps_them_off(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    if raw:
        monkeypatch.setenv("API_DOCS", raw)
    assert DocsSettings().api_docs is False


def test_the_argument_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_DOCS", "true")
    with TestClient(create_app(api_docs=False)) as client:
        assert client.get("/openapi.json").status_code == 404


@pytest.mark.parametrize("raw", ["yes", "1", "on", "maybe", " ", "true false"])
def test_api_docs_other_values_are_refused(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("API_DOCS", raw)
    with pytest.raises(ValidationError) as error:
        DocsSettings()
    assert "API_DOCS must be true or false" in str(error.value)


@pytest.mark.processes
def test_a_bad_api_docs_stops_the_service_with_the_config_exit_status() -> None:
    """One JSON line naming API_DOCS and exit status 78, as for every other variable the API reads."""
    backend = Path(__file__).resolve().parents[1]
    env = os.environ | {"API_DOCS": "maybe"}
    env["PYTHONPATH"] = str(backend)  # edge_sidecar is an installed package
    result = subprocess.run(
        [sys.executable, "-c", "import edge_api.main"], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 78, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert json.loads(line)["msg"] == "invalid configuration: API_DOCS must be true or false"


def test_no_route_is_declared_with_a_trailing_slash() -> None:
    """redirect_slashes is off, so a route declared as ".../" would be unreachable without the slash."""
    app = create_app(api_docs=True)
    assert app.router.redirect_slashes is False
    paths = list(app.openapi()["paths"])
    assert "/api/v1/items" in paths
    assert [p for p in paths if p != "/" and p.endswith("/")] == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/items/",
        "/api/v1/items/42/",
        "/api/v1/auth/me/",
        "/health/",
        "/health/live/",
        "//evil.example/api/v1/items/",
        "//evil.example/health/live/",
    ],
)
@pytest.mark.parametrize("host", ["evil.example", "evil.example:8443", "testserver"])
def test_no_redirect_is_built_from_the_host(client: TestClient, path: str, host: str) -> None:
    for method in ("GET", "POST"):
        response = client.request(method, path, headers={"Host": host}, follow_redirects=False)
        where = f"{method} {path}: {response.status_code} {response.headers.get('location')}"
        assert not response.is_redirect, where
        assert "location" not in response.headers
        assert response.status_code == 404
