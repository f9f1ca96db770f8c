"""Items API: CRUD, newest-first listing, tenant isolation, tenant header and body validation."""

import pytest
from fastapi.testclient import TestClient
from test_auth_support import bearer_headers

pytestmark = pytest.mark.both_databases

ITEMS = "/api/v1/items"


def tenant(name: str) -> dict[str, str]:
    """A user of tenant ``name``: the tenant comes from the access token's claim."""
    return bearer_headers(name)


def create(client: TestClient, tenant_id: str, name: str) -> dict[str, object]:
    response = client.post(ITEMS, json={"name": name}, headers=tenant(tenant_id))
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_crud_round_trip(client: TestClient) -> None:
    created = create(client, "acme", "first")
    assert created["name"] == "first"
    assert created["tenant_id"] == "acme"
    assert isinstance(created["id"], int)
    assert str(created["created_at"]).endswith(("Z", "+00:00"))

    item_url = f"{ITEMS}/{created['id']}"
    assert client.get(item_url, headers=tenant("acme")).json() == created
    assert client.get(ITEMS, headers=tenant("acme")).json() == [created]

    deleted = client.delete(item_url, headers=tenant("acme"))
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert client.get(item_url, headers=tenant("acme")).status_code == 404
    assert client.delete(item_url, headers=tenant("acme")).status_code == 404
    assert client.get(ITEMS, headers=tenant("acme")).json() == []


def test_no_cache_keeps_a_tenants_items(client: TestClient) -> None:
    item = create(client, "acme", "cached?")
    responses = [
        client.get(ITEMS, headers=tenant("acme")),
        client.get(f"{ITEMS}/{item['id']}", headers=tenant("acme")),
        client.post(ITEMS, json={"name": "x"}, headers=tenant("acme")),
    ]
    assert [(r.status_code, r.headers.get("cache-control")) for r in responses] == [
        (200, "no-store"),
        (200, "no-store"),
        (201, "no-store"),
    ]


def test_list_is_newest_first_and_limited(client: TestClient) -> None:
    names = [f"item-{n}" for n in range(5)]
    for name in names:
        create(client, "acme", name)
    listed = client.get(ITEMS, headers=tenant("acme")).json()
    assert [item["name"] for item in listed] == names[::-1]
    limited = client.get(ITEMS, params={"limit": 2}, headers=tenant("acme")).json()
    assert [item["name"] for item in limited] == ["item-4", "item-3"]


def test_name_is_stripped_and_200_chars_fit(client: TestClient) -> None:
    assert create(client, "acme", "  padded  ")["name"] == "padded"
    assert create(client, "acme", "x" * 200)["name"] == "x" * 200


@pytest.mark.parametrize(
    ("method", "path", "expected_status", "expected_body"),
    [
        ("GET", "/{id}", 404, {"detail": "Item not found", "error": "not_found"}),
        ("DELETE", "/{id}", 404, {"detail": "Item not found", "error": "not_found"}),
        ("GET", "", 200, []),
    ],
)
def test_other_tenant_sees_nothing(
    client: TestClient, method: str, path: str, expected_status: int, expected_body: object
) -> None:
    owned = create(client, "owner", "secret plans")
    response = client.request(method, ITEMS + path.format(id=owned["id"]), headers=tenant("intruder"))
    assert response.status_code == expected_status
    assert response.json() == expected_body
    # The owner still has it, untouched.
    assert client.get(f"{ITEMS}/{owned['id']}", headers=tenant("owner")).json() == owned


def test_missing_id_and_foreign_id_answer_alike(client: TestClient) -> None:
    owned = create(client, "owner", "x")
    foreign = client.get(f"{ITEMS}/{owned['id']}", headers=tenant("intruder"))
    missing = client.get(f"{ITEMS}/999999", headers=tenant("intruder"))
    assert (foreign.status_code, foreign.json()) == (missing.status_code, missing.json())


def _with(headers: dict[str, str], *extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [*headers.items(), *extra]


# Who may act for which tenant: (headers, status, error code). The token decides; the header may only agree.
ACME = bearer_headers("acme")
TENANCY_CASES = [
    pytest.param([], 401, "invalid_token", id="no-token"),
    pytest.param([("Authorization", "Basic YTpi")], 401, "invalid_token", id="not-bearer"),
    pytest.param([("Authorization", "Bearer")], 401, "invalid_token", id="bearer-without-token"),
    pytest.param(
        _with(ACME, ("Authorization", "Bearer x.y.z")),
        401,
        "invalid_token",
        id="two-tokens",
    ),
    pytest.param(_with(bearer_headers(None)), 403, "no_tenant", id="no-tenant-claim"),
    pytest.param(_with(bearer_headers("acme corp")), 403, "no_tenant", id="tenant-claim-with-space"),
    pytest.param(_with(bearer_headers("a" * 65)), 403, "no_tenant", id="tenant-claim-too-long"),
    pytest.param(_with(ACME, ("X-Tenant-ID", "other")), 403, "tenant_mismatch", id="header-differs"),
    pytest.param(
        _with(ACME, ("X-Tenant-ID", "acme"), ("X-Tenant-ID", "acme")),
        403,
        "tenant_mismatch",
        id="header-repeated",
    ),
    pytest.param(_with(ACME, ("X-Tenant-ID", "acme")), None, None, id="header-agrees"),
]


@pytest.mark.parametrize(("headers", "status", "error"), TENANCY_CASES)
@pytest.mark.parametrize(
    ("method", "path", "ok"), [("GET", "", 200), ("POST", "", 201), ("DELETE", "/1", 404)]
)
def test_tenancy_comes_from_the_token(
    client: TestClient,
    headers: list[tuple[str, str]],
    status: int | None,
    error: str | None,
    method: str,
    path: str,
    ok: int,
) -> None:
    response = client.request(method, ITEMS + path, headers=headers, json={"name": "n"})
    assert response.status_code == (status or ok), response.text
    if error is not None:
        assert response.json()["error"] == error
        assert response.headers["cache-control"] == "no-store"
    if status == 401:
        assert response.headers["www-authenticate"].startswith('Bearer realm="edge-sidecar"')


@pytest.mark.parametrize("tenant_id", ["a", "A-z_0-9", "t" * 64])
def test_valid_tenant_ids(client: TestClient, tenant_id: str) -> None:
    assert create(client, tenant_id, "n")["tenant_id"] == tenant_id


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="no-name"),
        pytest.param({"name": ""}, id="empty"),
        pytest.param({"name": "   "}, id="blank"),
        pytest.param({"name": "x" * 201}, id="too-long"),
        pytest.param({"name": 123}, id="not-a-string"),
        pytest.param({"name": None}, id="null"),
        pytest.param({"name": "n", "tenant_id": "other"}, id="tenant-in-body"),
        pytest.param(["n"], id="not-an-object"),
    ],
)
def test_invalid_body_is_422(client: TestClient, body: object) -> None:
    response = client.post(ITEMS, json=body, headers=tenant("acme"))
    assert response.status_code == 422
    assert "detail" in response.json()


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", f"{ITEMS}?limit=0"),
        ("GET", f"{ITEMS}?limit=101"),
        ("GET", f"{ITEMS}?limit=ten"),
        ("GET", f"{ITEMS}/abc"),
        ("GET", f"{ITEMS}/0"),
        ("GET", f"{ITEMS}/{2**63}"),
        ("DELETE", f"{ITEMS}/-1"),
    ],
)
def test_invalid_parameters_are_422(client: TestClient, method: str, url: str) -> None:
    assert client.request(method, url, headers=tenant("acme")).status_code == 422


def test_invalid_json_is_422(client: TestClient) -> None:
    response = client.post(
        ITEMS, content=b"{not json", headers={**tenant("acme"), "Content-Type": "application/json"}
    )
    assert response.status_code == 422
