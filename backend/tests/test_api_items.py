"""Items API: CRUD, newest-first listing, tenant isolation, tenant header and body validation."""

import pytest
from fastapi.testclient import TestClient

ITEMS = "/api/v1/items"


def tenant(name: str) -> dict[str, str]:
    return {"X-Tenant-ID": name}


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
        ("GET", "/{id}", 404, {"detail": "Item not found"}),
        ("DELETE", "/{id}", 404, {"detail": "Item not found"}),
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


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"X-Tenant-ID": ""}, id="empty"),
        pytest.param({"X-Tenant-ID": "a" * 65}, id="too-long"),
        pytest.param({"X-Tenant-ID": "acme corp"}, id="space"),
        pytest.param({"X-Tenant-ID": "acme/../other"}, id="slash"),
        pytest.param({"X-Tenant-ID": "acme,other"}, id="comma"),
        pytest.param({"X-Tenant-ID": "äcme".encode()}, id="non-ascii"),
        pytest.param([("X-Tenant-ID", "acme"), ("X-Tenant-ID", "other")], id="repeated"),
    ],
)
@pytest.mark.parametrize(("method", "path"), [("GET", ""), ("POST", ""), ("GET", "/1"), ("DELETE", "/1")])
def test_bad_tenant_header_is_400(client: TestClient, headers: object, method: str, path: str) -> None:
    response = client.request(method, ITEMS + path, headers=headers, json={"name": "n"})
    assert response.status_code == 400
    assert set(response.json()) == {"detail"}
    assert "X-Tenant-ID" in response.json()["detail"]


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
