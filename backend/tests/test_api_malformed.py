"""Malformed input (docs/security.md §4): each bad input gets a JSON 4xx ``{"detail", "error"}``, never a 500.

The cases are what an outside review and a little fuzzing found: input FastAPI echoes back in a 422
that cannot be encoded (a lone UTF-16 surrogate, NaN, bytes that are not UTF-8, deep nesting), values
a database cannot store (NUL), and bodies Python's JSON parser gives up on (huge numbers). Each is
sent to an unauthenticated endpoint (login) and to an authenticated one (items).
"""

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from test_auth_support import bearer_headers

ITEMS = "/api/v1/items"
LOGIN = "/api/v1/auth/login"
JSON = "application/json"

# name -> (raw body, Content-Type or None); the body's one string field is what the endpoint reads.
BODIES: dict[str, tuple[bytes, str | None]] = {
    "lone-surrogate-value": (b'{"name": "\\ud800", "code": "\\ud800"}', JSON),
    "lone-low-surrogate": (b'{"name": "a\\udc00b", "code": "\\udc00"}', JSON),
    "lone-surrogate-key": (b'{"\\ud800": 1}', JSON),
    "surrogate-in-extra-field": (b'{"name": "ok", "x\\udfff": "\\udfff"}', JSON),
    "nul-in-string": (b'{"name": "a\\u0000b", "code": "a\\u0000b"}', JSON),
    "invalid-utf8-json": (b'{"name": "\xff\xfe", "code": "\xc3\x28"}', JSON),
    "invalid-utf8-no-content-type": (b'{"name": "\xff"}', None),
    "binary-as-text-plain": (b"\x00\xff\xfe\x80", "text/plain"),
    "not-json": (b"{not json", JSON),
    "truncated-json": (b'{"name": "x', JSON),
    "nan": (b'{"name": NaN, "code": NaN}', JSON),
    "infinity": (b'{"name": -Infinity, "code": Infinity}', JSON),
    "float-overflow": (b'{"name": 1e400, "code": 1e400}', JSON),
    "huge-int": (b'{"name": 1' + b"0" * 5000 + b', "code": 1' + b"0" * 5000 + b"}", JSON),
    "deep-nesting-value": (b'{"name": ' + b"[" * 500 + b"]" * 500 + b"}", JSON),
    "deep-nesting-parser-limit": (b"[" * 100_000 + b"]" * 100_000, JSON),
    "empty-body": (b"", JSON),
    "top-level-string": (b'"\\ud800"', JSON),
    "top-level-null": (b"null", JSON),
}

ENDPOINTS = {
    "login": (LOGIN, {"X-Requested-With": "XMLHttpRequest"}),
    "items": (ITEMS, {}),
}


@pytest.fixture
def logged() -> Iterator[list[logging.LogRecord]]:
    """Every record at ERROR or above from any logger while the test runs (tracebacks included)."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect(logging.ERROR)
    root = logging.getLogger()
    root.addHandler(handler)
    yield records
    root.removeHandler(handler)


def assert_json_4xx(response: object, *, status: int | None = None) -> dict[str, object]:
    from httpx import Response

    assert isinstance(response, Response)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    if status is not None:
        assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("application/json")
    body = json.loads(response.content)
    assert isinstance(body, dict)
    assert isinstance(body.get("detail"), str) and body["detail"], body
    assert isinstance(body.get("error"), str) and body["error"], body
    return body


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("case", list(BODIES))
def test_malformed_body_is_a_json_4xx(
    database_url: str, case: str, endpoint: str, logged: list[logging.LogRecord]
) -> None:
    from edge_api.app import create_app

    raw, content_type = BODIES[case]
    path, headers = ENDPOINTS[endpoint]
    headers = {**headers, **(bearer_headers("acme") if endpoint == "items" else {})}
    if content_type is not None:
        headers["Content-Type"] = content_type
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        response = client.post(path, content=raw, headers=headers)
    body = assert_json_4xx(response)
    # Whatever was sent is not reflected: no echoed input, nothing that was not valid UTF-8.
    assert "input" not in response.text
    response.content.decode("utf-8")
    assert body["error"] in {"invalid_request", "csrf_rejected", "login_required"}
    assert [r.getMessage() for r in logged] == []


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"name": "a\\u0000b"}', id="nul-in-item-name"),
        pytest.param(b'{"name": "\\ud800"}', id="lone-surrogate-item-name"),
        pytest.param(b'{"name": "ok \\udbff"}', id="lone-high-surrogate-at-end"),
    ],
)
def test_values_a_database_cannot_store_never_reach_it(
    client: TestClient, raw: bytes, logged: list[logging.LogRecord]
) -> None:
    # Valid for the item schema: before the fix NUL was stored (PostgreSQL refuses it) and a lone
    # surrogate made the database write raise (a 500).
    response = client.post(ITEMS, content=raw, headers={**bearer_headers("acme"), "Content-Type": JSON})
    assert_json_4xx(response, status=422)
    assert client.get(ITEMS, headers=bearer_headers("acme")).json() == []
    assert [r.getMessage() for r in logged] == []


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        pytest.param("GET", f"{ITEMS}?limit=%ED%A0%80", 422, id="query-encoded-surrogate"),
        pytest.param("GET", f"{ITEMS}?limit=%FF%FE", 422, id="query-invalid-utf8"),
        pytest.param("GET", f"{ITEMS}?limit=%00", 422, id="query-nul"),
        pytest.param("GET", f"{ITEMS}?limit=1{'0' * 5000}", 422, id="query-huge-int"),
        pytest.param("GET", f"{ITEMS}/%ED%A0%80", 422, id="path-encoded-surrogate"),
        pytest.param("GET", f"{ITEMS}/%00", 422, id="path-nul"),
        pytest.param("GET", f"{ITEMS}/1{'0' * 5000}", 422, id="path-huge-int"),
        pytest.param("GET", f"{ITEMS}/1e400", 422, id="path-float-overflow"),
        pytest.param(
            "GET", "/api/v1/auth/auth0-url?redirect_uri=%ED%A0%80", 400, id="redirect-uri-surrogate"
        ),
        pytest.param("GET", "/no-such-path/%ED%A0%80", 404, id="unknown-path"),
        pytest.param("PATCH", ITEMS, 405, id="method-not-allowed"),
    ],
)
def test_malformed_query_and_path_are_json_4xx(
    client: TestClient, method: str, url: str, status: int, logged: list[logging.LogRecord]
) -> None:
    response = client.request(method, url, headers=bearer_headers("acme"))
    assert_json_4xx(response, status=status)
    assert [r.getMessage() for r in logged] == []


@pytest.mark.parametrize(
    ("name", "value", "status"),
    [
        pytest.param("X-Tenant-ID", b"\xff\xfe", 403, id="tenant-header-latin1"),
        pytest.param("X-Tenant-ID", b"\xed\xa0\x80", 403, id="tenant-header-utf8-surrogate"),
        pytest.param("Authorization", b"Bearer \xff\xfe\x80", 401, id="authorization-latin1"),
        pytest.param(
            "Authorization", b"Bearer \xed\xa0\x80.\xed\xa0\x80.x", 401, id="authorization-surrogate"
        ),
        pytest.param("Cookie", b"edge_auth_tx=\xff\xfe", 400, id="login-cookie-latin1"),
    ],
)
def test_malformed_headers_are_json_4xx(
    client: TestClient, name: str, value: bytes, status: int, logged: list[logging.LogRecord]
) -> None:
    headers: dict[str, bytes | str] = {name: value}
    if name != "Authorization":
        headers.update(bearer_headers("acme"))
    if name == "Cookie":
        url, method = LOGIN, "POST"
        headers["X-Requested-With"] = "x"
    else:
        url, method = ITEMS, "GET"
    response = client.request(method, url, headers=headers, json={"code": "c", "state": "s"})
    assert_json_4xx(response, status=status)
    assert [r.getMessage() for r in logged] == []


def test_the_validation_error_names_the_field_but_never_echoes_the_input(client: TestClient) -> None:
    secret = "s3cret-" + "x" * 300
    response = client.post(ITEMS, json={"name": secret}, headers=bearer_headers("acme"))
    body = assert_json_4xx(response, status=422)
    assert secret not in response.text
    assert body["error"] == "invalid_request"
    assert "body.name" in str(body["detail"])
    errors = body["errors"]
    assert isinstance(errors, list) and errors
    assert set(errors[0]) == {"loc", "msg", "type"}
    assert errors[0]["loc"] == ["body", "name"]


def test_bad_json_says_where(client: TestClient) -> None:
    response = client.post(
        ITEMS, content=b'{"name": ', headers={**bearer_headers("acme"), "Content-Type": JSON}
    )
    body = assert_json_4xx(response, status=422)
    assert body["errors"][0]["type"] == "json_invalid"  # type: ignore[index]
    assert "Expecting value" in str(body["detail"])


def test_many_errors_are_bounded(client: TestClient) -> None:
    extra = {f"k{n}": n for n in range(500)}
    response = client.post(ITEMS, json={"name": "ok", **extra}, headers=bearer_headers("acme"))
    body = assert_json_4xx(response, status=422)
    assert len(body["errors"]) <= 20  # type: ignore[arg-type]
    assert "more" in str(body["detail"])


def test_http_exceptions_carry_an_error_code(client: TestClient) -> None:
    response = client.get(f"{ITEMS}/12345", headers=bearer_headers("acme"))
    assert response.status_code == 404
    assert response.json() == {"detail": "Item not found", "error": "not_found"}
    allowed = client.request("PUT", ITEMS, headers=bearer_headers("acme"))
    assert allowed.status_code == 405
    assert allowed.json() == {"detail": "Method Not Allowed", "error": "method_not_allowed"}
    assert allowed.headers["allow"]  # the exception's headers are kept


def test_good_input_still_works(client: TestClient) -> None:
    for name in ["plain", "emoji \U0001f600 and \u00e9", "pair \\ud83d\\ude00 escaped"]:
        raw = (
            json.dumps({"name": name}).encode() if "\\" not in name else b'{"name": "' + name.encode() + b'"}'
        )
        response = client.post(ITEMS, content=raw, headers={**bearer_headers("acme"), "Content-Type": JSON})
        assert response.status_code == 201, response.text
    assert response.json()["name"] == "pair \U0001f600 escaped"


@pytest.mark.parametrize(
    ("raw", "ok"),
    [
        (b'{"a": [1, 2.5, "x", null, true]}', True),
        (b'"\\ud83d\\ude00"', True),
        (b'"\\ud800"', False),
        (b'{"\\udc00": 1}', False),
        (b'["\\u0000"]', False),
        (b"NaN", False),
        (b"[1e999]", False),
        (b"[" * 32 + b"]" * 32, True),
        (b"[" * 33 + b"]" * 33, False),
        (b"\xff", False),
    ],
)
def test_parse_json(raw: bytes, ok: bool) -> None:
    from edge_api.strict_json import MAX_DEPTH, parse_json

    assert MAX_DEPTH == 32
    if ok:
        assert parse_json(raw) == json.loads(raw)
    else:
        with pytest.raises(json.JSONDecodeError):
            parse_json(raw)
