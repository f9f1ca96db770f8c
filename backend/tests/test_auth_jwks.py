"""JWKSCache and its fetch: which keys count, what a failed fetch leaves behind, bounded fetches."""

import json
import time
from collections.abc import Iterator

import pytest
from test_auth_support import FETCH_TIMEOUT, HANG_TIMEOUT, FakeClock, JwksServer, Key, jwks_server, make_key

from edge_api.auth.jwks import (
    JWKSCache,
    JWKSFetchError,
    JWKSUnavailableError,
    KeyNotFoundError,
    parse_jwks,
    urllib_fetch,
)


@pytest.fixture(scope="module")
def key() -> Key:
    return make_key("k1")


@pytest.fixture
def server(key: Key) -> Iterator[JwksServer]:
    with jwks_server([key]) as running:
        yield running


def test_parse_keeps_rs256_signing_keys_only(key: Key) -> None:
    good = key.public_jwk()
    document = {
        "keys": [
            good,
            {**good, "kid": "enc", "use": "enc"},
            {**good, "kid": "ps", "alg": "PS256"},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "x", "y": "y"},
            {k: v for k, v in good.items() if k != "kid"},
            {**good, "kid": "broken", "n": "!!"},
            "not a key",
        ]
    }
    assert list(parse_jwks(json.dumps(document).encode())) == ["k1"]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"keys": {}}',
        b'{"keys": []}',
        b'{"keys": [{"kty": "oct", "kid": "h", "k": "AA"}]}',
    ],
)
def test_parse_refuses_documents_without_a_usable_key(body: bytes) -> None:
    with pytest.raises(JWKSFetchError):
        parse_jwks(body)


def test_fetch_counts_and_serves_known_kids_from_memory(server: JwksServer) -> None:
    cache = JWKSCache(server.jwks_url, timeout=FETCH_TIMEOUT)
    for _ in range(10):
        assert cache.get_signing_key("k1").key_id == "k1"
    assert server.fetches == 1
    assert cache.stats().fetches == 1
    assert cache.stats().keys == ("k1",)


def test_failed_fetch_keeps_the_last_good_keys(server: JwksServer) -> None:
    clock = FakeClock()
    cache = JWKSCache(server.jwks_url, timeout=HANG_TIMEOUT, cooldown=30, clock=clock)
    cache.get_signing_key("k1")
    for mode in ("down", "huge", "hang"):
        server.mode = mode
        clock.advance(30)
        assert cache.refresh() is False
        assert cache.get_signing_key("k1").key_id == "k1", mode
    stats = cache.stats()
    assert stats.failures == 3
    assert stats.last_error is not None
    assert "k1" in stats.keys


def test_refresh_respects_the_cooldown(server: JwksServer) -> None:
    clock = FakeClock()
    cache = JWKSCache(server.jwks_url, timeout=FETCH_TIMEOUT, cooldown=30, clock=clock)
    assert cache.refresh() is True
    assert cache.refresh() is False
    clock.advance(29.9)
    with pytest.raises(KeyNotFoundError):
        cache.get_signing_key("nope")
    assert server.fetches == 1
    clock.advance(0.1)
    with pytest.raises(KeyNotFoundError):
        cache.get_signing_key("nope")
    assert server.fetches == 2


def test_never_fetched_means_unavailable(server: JwksServer) -> None:
    server.mode = "down"
    clock = FakeClock()
    cache = JWKSCache(server.jwks_url, timeout=FETCH_TIMEOUT, cooldown=30, clock=clock)
    with pytest.raises(JWKSUnavailableError, match="503"):
        cache.get_signing_key("k1")
    with pytest.raises(JWKSUnavailableError):
        cache.get_signing_key("k1")
    assert server.fetches == 1, "a dead endpoint is retried once per cooldown, not per request"
    server.mode = "up"
    clock.advance(30)
    assert cache.get_signing_key("k1").key_id == "k1"


def test_fetch_is_bounded_by_its_timeout(server: JwksServer) -> None:
    server.mode = "hang"
    started = time.monotonic()
    with pytest.raises(JWKSFetchError, match=r"unreachable|deadline"):
        urllib_fetch(server.jwks_url, 0.3)
    assert time.monotonic() - started < 10, "a hung endpoint costs the timeout, not forever"


def test_fetch_refuses_oversized_documents_http_errors_and_redirects(server: JwksServer) -> None:
    server.mode = "huge"
    with pytest.raises(JWKSFetchError, match="larger"):
        urllib_fetch(server.jwks_url, 2.0, max_bytes=64 * 1024)
    server.mode = "down"
    with pytest.raises(JWKSFetchError, match="HTTP 503"):
        urllib_fetch(server.jwks_url, 2.0)
    server.mode = "redirect"
    with pytest.raises(JWKSFetchError, match="HTTP 302"):
        urllib_fetch(server.jwks_url, 2.0)


def test_fetch_refuses_non_http_urls_and_dead_ports(closed_port: int) -> None:
    with pytest.raises(JWKSFetchError, match="http"):
        urllib_fetch("file:///etc/passwd", 1.0)
    with pytest.raises(JWKSFetchError, match="unreachable"):
        urllib_fetch(f"http://127.0.0.1:{closed_port}/.well-known/jwks.json", 1.0)


def test_rejects_nonsense_timing() -> None:
    with pytest.raises(ValueError):
        JWKSCache("http://127.0.0.1:1/", timeout=0)
    with pytest.raises(ValueError):
        JWKSCache("http://127.0.0.1:1/", cooldown=-1)


def test_rotation_replaces_the_key_set(server: JwksServer, key: Key) -> None:
    clock = FakeClock()
    cache = JWKSCache(server.jwks_url, timeout=FETCH_TIMEOUT, cooldown=30, clock=clock)
    cache.get_signing_key("k1")
    server.keys = [make_key("k2")]
    clock.advance(30)
    assert cache.get_signing_key("k2").key_id == "k2"
    with pytest.raises(KeyNotFoundError):
        cache.get_signing_key("k1")
