"""The verified-token cache through validate_access_token: hits, expiry, key rotation, bounds, refusals."""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError
from test_auth_support import (
    AUDIENCE,
    CLIENT_ID,
    FETCH_TIMEOUT,
    FakeClock,
    JwksServer,
    Key,
    auth0_claims,
    jwks_server,
    make_key,
    sign,
)
from test_auth_tokens import _tamper_signature

from edge_api.auth import AuthSettings, InvalidTokenError, JWKSCache, validate_access_token
from edge_api.auth.token_cache import VerifiedTokens
from edge_api.auth.tokens import Claims


@pytest.fixture
def key() -> Key:
    return make_key("cache-key-1")


@pytest.fixture
def server(key: Key) -> Iterator[JwksServer]:
    with jwks_server([key]) as running:
        yield running


@pytest.fixture
def settings(server: JwksServer) -> AuthSettings:
    return AuthSettings(auth0_issuer=server.issuer, auth0_audience=AUDIENCE, auth0_client_id=CLIENT_ID)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def jwks(server: JwksServer, clock: FakeClock) -> JWKSCache:
    return JWKSCache(server.jwks_url, timeout=FETCH_TIMEOUT, cooldown=30, clock=clock)


def token(key: Key, server: JwksServer, **claims: object) -> str:
    return sign(key, auth0_claims(server.issuer, **claims))


def test_a_token_validated_once_is_answered_from_the_cache(
    key: Key, server: JwksServer, settings: AuthSettings, jwks: JWKSCache
) -> None:
    verified = VerifiedTokens[Claims](8)
    first, second = token(key, server, sub="a"), token(key, server, sub="b")
    claims = validate_access_token(first, settings, jwks=jwks, verified=verified)
    assert validate_access_token(first, settings, jwks=jwks, verified=verified) is claims  # no second check
    other = validate_access_token(second, settings, jwks=jwks, verified=verified)
    assert other is not claims and other.sub == "b"
    assert len(verified) == 2


def test_a_rotated_out_key_drops_its_tokens(
    key: Key, server: JwksServer, settings: AuthSettings, jwks: JWKSCache, clock: FakeClock
) -> None:
    verified = VerifiedTokens[Claims](8)
    old = token(key, server)
    validate_access_token(old, settings, jwks=jwks, verified=verified)
    server.keys = [make_key("cache-key-2")]  # the tenant rotated its key and withdrew the old one
    clock.advance(31)
    assert jwks.refresh()
    with pytest.raises(InvalidTokenError, match="unknown key"):
        validate_access_token(old, settings, jwks=jwks, verified=verified)
    assert len(verified) == 0


def test_a_refetched_key_set_means_one_fresh_check(
    key: Key, server: JwksServer, settings: AuthSettings, jwks: JWKSCache, clock: FakeClock
) -> None:
    verified = VerifiedTokens[Claims](8)
    kept = token(key, server)
    before = validate_access_token(kept, settings, jwks=jwks, verified=verified)
    clock.advance(31)
    assert jwks.refresh()  # same key, new objects: entries verified with the old ones are not served
    after = validate_access_token(kept, settings, jwks=jwks, verified=verified)
    assert after is not before and after == before
    assert validate_access_token(kept, settings, jwks=jwks, verified=verified) is after


def test_a_token_within_the_leeway_is_valid_but_never_cached(
    key: Key, server: JwksServer, settings: AuthSettings, jwks: JWKSCache
) -> None:
    verified = VerifiedTokens[Claims](8)
    late = token(key, server, exp=int(time.time()) - 5)  # expired, accepted for the 30 s leeway
    first = validate_access_token(late, settings, jwks=jwks, verified=verified)
    assert validate_access_token(late, settings, jwks=jwks, verified=verified) is not first
    assert len(verified) == 0


def test_refused_tokens_are_not_cached(
    key: Key, server: JwksServer, settings: AuthSettings, jwks: JWKSCache
) -> None:
    verified = VerifiedTokens[Claims](8)
    bad = _tamper_signature(token(key, server))
    for _ in range(2):
        with pytest.raises(InvalidTokenError, match="signature"):
            validate_access_token(bad, settings, jwks=jwks, verified=verified)
    assert len(verified) == 0


@pytest.mark.parametrize(("size", "cached"), [(0, 0), (1, 1), (2, 2), (3, 3), (4, 3)])
def test_the_cache_is_bounded(
    key: Key, server: JwksServer, settings: AuthSettings, jwks: JWKSCache, size: int, cached: int
) -> None:
    verified = VerifiedTokens[Claims](size)
    tokens = [token(key, server, sub=f"user-{n}") for n in range(3)]
    first = [validate_access_token(t, settings, jwks=jwks, verified=verified) for t in tokens]
    assert len(verified) == cached
    # The least recently used went first: newest first, the `cached` newest are hits, the rest checked again.
    hits = [
        validate_access_token(t, settings, jwks=jwks, verified=verified) is claims
        for t, claims in reversed(list(zip(tokens, first, strict=True)))
    ]
    assert hits == [True] * cached + [False] * (3 - cached)


@pytest.mark.parametrize(("now", "served"), [(999.0, True), (1000.0, False), (1001.0, False)])
def test_an_entry_is_never_served_at_or_past_exp(now: float, served: bool) -> None:
    clock = FakeClock()
    cache = VerifiedTokens[str](4, clock=clock)
    clock.now = 990.0
    cache.put("t", "key", 1000, "claims")
    clock.now = now
    assert (cache.get("t", "key") == "claims") is served
    assert cache.get("t", "another key") is None


SIZES = [("0", True), ("1024", True), ("100000", True), ("-1", False), ("100001", False), ("\uff11", False)]


@pytest.mark.parametrize(("raw", "ok"), [*SIZES, ("many", False)])
def test_auth0_token_cache_size_is_checked(server: JwksServer, raw: str, ok: bool) -> None:
    # Raw strings, as the environment gives them: the settings parse and check them.
    values: dict[str, Any] = {
        "auth0_issuer": server.issuer,
        "auth0_audience": AUDIENCE,
        "auth0_token_cache_size": raw,
    }
    if ok:
        assert AuthSettings(**values).auth0_token_cache_size == int(raw)
    else:
        with pytest.raises(ValidationError, match="auth0_token_cache_size"):
            AuthSettings(**values)
