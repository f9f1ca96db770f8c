"""validate_access_token against a real local JWKS endpoint: the case table, then the cache."""

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from test_auth_support import (
    AUDIENCE,
    CLIENT_ID,
    FETCH_TIMEOUT,
    HANG_TIMEOUT,
    TENANT_CLAIM,
    FakeClock,
    JwksServer,
    Key,
    auth0_claims,
    b64url,
    hs256_with_public_key,
    jwks_server,
    make_key,
    sign,
    unsigned,
)

from edge_api.auth import (
    AuthSettings,
    AuthUnavailableError,
    ExpiredTokenError,
    InvalidTokenError,
    JWKSCache,
    MissingTokenError,
    validate_access_token,
)


@pytest.fixture(autouse=True)
def _no_auth0_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AUTH0_DOMAIN", "AUTH0_ISSUER", "AUTH0_AUDIENCE", "AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def key() -> Key:
    return make_key("key-1")


@pytest.fixture(scope="module")
def other_key() -> Key:
    """Never published: tokens it signs must fail."""
    return make_key("key-other")


@pytest.fixture
def server(key: Key) -> Iterator[JwksServer]:
    with jwks_server([key]) as running:
        yield running


def settings_for(server: JwksServer, **overrides: Any) -> AuthSettings:
    values: dict[str, Any] = {
        "auth0_issuer": server.issuer,
        "auth0_audience": AUDIENCE,
        "auth0_client_id": CLIENT_ID,
        "auth0_jwks_timeout": FETCH_TIMEOUT,
    }
    values.update(overrides)
    return AuthSettings(**values)


def cache_for(server: JwksServer, clock: FakeClock | None = None, **kwargs: Any) -> JWKSCache:
    return JWKSCache(
        server.jwks_url, timeout=FETCH_TIMEOUT, cooldown=30, clock=clock or time.monotonic, **kwargs
    )


def _tamper_signature(token: str) -> str:
    head, payload, signature = token.split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    return f"{head}.{payload}.{signature[:middle]}{flipped}{signature[middle + 1 :]}"


def _swap_payload(token: str, claims: dict[str, Any]) -> str:
    head, _, signature = token.split(".")
    return f"{head}.{b64url(json.dumps(claims).encode())}.{signature}"


Maker = Callable[[Key, Key, str], str]

# (case id, token maker(key, other_key, issuer), expected error class or None for a valid token)
CASES: list[tuple[str, Maker, type[Exception] | None]] = [
    ("valid", lambda k, o, iss: sign(k, auth0_claims(iss)), None),
    ("valid: aud a plain string", lambda k, o, iss: sign(k, auth0_claims(iss, aud=AUDIENCE)), None),
    ("valid: typ at+jwt", lambda k, o, iss: sign(k, auth0_claims(iss), typ="at+jwt"), None),
    ("valid: no typ header", lambda k, o, iss: sign(k, auth0_claims(iss), typ=None), None),
    (
        "valid: expired 10 s ago, within the 30 s leeway",
        lambda k, o, iss: sign(k, auth0_claims(iss, exp=int(time.time()) - 10)),
        None,
    ),
    (
        "expired",
        lambda k, o, iss: sign(k, auth0_claims(iss, iat=int(time.time()) - 7200, exp=int(time.time()) - 120)),
        ExpiredTokenError,
    ),
    (
        "wrong audience",
        lambda k, o, iss: sign(k, auth0_claims(iss, aud=["https://other.example/api", f"{iss}userinfo"])),
        InvalidTokenError,
    ),
    (
        "wrong issuer (another tenant)",
        lambda k, o, iss: sign(k, auth0_claims("https://evil.eu.auth0.com/")),
        InvalidTokenError,
    ),
    (
        "wrong issuer: missing trailing slash",
        lambda k, o, iss: sign(k, auth0_claims(iss.rstrip("/"))),
        InvalidTokenError,
    ),
    ("unknown kid", lambda k, o, iss: sign(o, auth0_claims(iss)), InvalidTokenError),
    (
        "known kid, signed by another key",
        lambda k, o, iss: sign(o, auth0_claims(iss), kid=k.kid),
        InvalidTokenError,
    ),
    (
        "alg none",
        lambda k, o, iss: unsigned({"alg": "none", "typ": "JWT", "kid": k.kid}, auth0_claims(iss)),
        InvalidTokenError,
    ),
    (
        "alg none, no kid",
        lambda k, o, iss: unsigned({"alg": "none"}, auth0_claims(iss)),
        InvalidTokenError,
    ),
    (
        "HS256 signed with the public key",
        lambda k, o, iss: hs256_with_public_key(k, auth0_claims(iss)),
        InvalidTokenError,
    ),
    (
        "tampered signature",
        lambda k, o, iss: _tamper_signature(sign(k, auth0_claims(iss))),
        InvalidTokenError,
    ),
    (
        "tampered payload (sub swapped)",
        lambda k, o, iss: _swap_payload(sign(k, auth0_claims(iss)), auth0_claims(iss, sub="auth0|admin")),
        InvalidTokenError,
    ),
    ("missing sub", lambda k, o, iss: sign(k, auth0_claims(iss, sub=None)), InvalidTokenError),
    ("empty sub", lambda k, o, iss: sign(k, auth0_claims(iss, sub="")), InvalidTokenError),
    ("missing exp", lambda k, o, iss: sign(k, auth0_claims(iss, exp=None)), InvalidTokenError),
    ("missing iat", lambda k, o, iss: sign(k, auth0_claims(iss, iat=None)), InvalidTokenError),
    (
        "issued in the future",
        lambda k, o, iss: sign(
            k, auth0_claims(iss, iat=int(time.time()) + 3600, exp=int(time.time()) + 7200)
        ),
        InvalidTokenError,
    ),
    (
        "not yet valid (nbf)",
        lambda k, o, iss: sign(k, auth0_claims(iss, nbf=int(time.time()) + 3600)),
        InvalidTokenError,
    ),
    (
        "ID token (aud is the client id)",
        lambda k, o, iss: sign(
            k,
            {
                "iss": iss,
                "sub": "auth0|dev-user",
                "aud": CLIENT_ID,
                "iat": int(time.time()),
                "exp": int(time.time()) + 600,
                "nonce": "n",
                "email": "dev@zebra.associates",
            },
        ),
        InvalidTokenError,
    ),
    (
        "API audience plus the client id",
        lambda k, o, iss: sign(k, auth0_claims(iss, aud=[AUDIENCE, CLIENT_ID])),
        InvalidTokenError,
    ),
    (
        "typ of another token kind",
        lambda k, o, iss: sign(k, auth0_claims(iss), typ="logout+jwt"),
        InvalidTokenError,
    ),
    (
        "tenant claim not a string",
        lambda k, o, iss: sign(k, auth0_claims(iss, **{TENANT_CLAIM: 7})),
        InvalidTokenError,
    ),
    (
        "permissions not a list",
        lambda k, o, iss: sign(k, auth0_claims(iss, permissions="all")),
        InvalidTokenError,
    ),
    ("not a JWT", lambda k, o, iss: "definitely-not-a-jwt", InvalidTokenError),
    ("two segments", lambda k, o, iss: "abc.def", InvalidTokenError),
    ("empty", lambda k, o, iss: "", MissingTokenError),
]


@pytest.mark.parametrize(("make", "expected"), [(m, e) for _, m, e in CASES], ids=[c[0] for c in CASES])
def test_validation_table(
    server: JwksServer, key: Key, other_key: Key, make: Maker, expected: type[Exception] | None
) -> None:
    settings = settings_for(server)
    token = make(key, other_key, server.issuer)
    jwks = cache_for(server)
    if expected is None:
        claims = validate_access_token(token, settings, jwks=jwks)
        assert claims.sub == "auth0|dev-user"
        assert AUDIENCE in claims.audience
        assert claims.issuer == server.issuer
        return
    with pytest.raises(expected) as error:
        validate_access_token(token, settings, jwks=jwks)
    assert isinstance(error.value, InvalidTokenError)
    assert error.value.status_code == 401
    challenge = error.value.www_authenticate()
    assert challenge.startswith('Bearer realm="edge-sidecar"')
    if expected is not MissingTokenError:
        assert 'error="invalid_token"' in challenge
    assert token[:20] not in challenge if token else True


def test_claims_carry_what_the_api_needs(server: JwksServer, key: Key) -> None:
    claims = validate_access_token(
        sign(key, auth0_claims(server.issuer)), settings_for(server), jwks=cache_for(server)
    )
    assert claims.tenant_id == "demo"
    assert claims.azp == CLIENT_ID
    assert claims.scopes == {"openid", "profile", "email", "offline_access", "read:items"}
    assert claims.permissions == {"read:items", "write:items"}
    assert claims.audience == (AUDIENCE, f"{server.issuer}userinfo")
    assert claims.expires_at - claims.issued_at == 600


def test_production_issuer_must_match_exactly(server: JwksServer, key: Key) -> None:
    """With AUTH0_DOMAIN the issuer is https://<domain>/; a token from the local stand-in is refused."""
    settings = AuthSettings(auth0_domain="tenant.eu.auth0.com", auth0_audience=AUDIENCE)
    assert settings.issuer == "https://tenant.eu.auth0.com/"
    with pytest.raises(InvalidTokenError, match="issuer"):
        validate_access_token(sign(key, auth0_claims(server.issuer)), settings, jwks=cache_for(server))


# --- the cache, through validation -------------------------------------------------------------------------


def test_cached_key_still_validates_while_the_jwks_endpoint_is_down(server: JwksServer, key: Key) -> None:
    settings = settings_for(server)
    jwks = cache_for(server)
    validate_access_token(sign(key, auth0_claims(server.issuer)), settings, jwks=jwks)
    assert server.fetches == 1

    server.mode = "down"
    for _ in range(5):
        claims = validate_access_token(sign(key, auth0_claims(server.issuer)), settings, jwks=jwks)
        assert claims.sub == "auth0|dev-user"
    assert server.fetches == 1, "known kid: no fetch at all"
    # An unknown kid during the outage: one attempt (after the cooldown), failure keeps the cached keys.
    jwks_clock = FakeClock()
    outage = cache_for(server, clock=jwks_clock)
    server.mode = "up"
    validate_access_token(sign(key, auth0_claims(server.issuer)), settings, jwks=outage)
    server.mode = "down"
    jwks_clock.advance(31)
    with pytest.raises(InvalidTokenError, match="unknown key"):
        validate_access_token(sign(key, auth0_claims(server.issuer), kid="rotated-in"), settings, jwks=outage)
    assert outage.stats().failures == 1
    assert validate_access_token(sign(key, auth0_claims(server.issuer)), settings, jwks=outage).sub


def test_cached_key_survives_a_hanging_jwks_endpoint_within_the_timeout(server: JwksServer, key: Key) -> None:
    settings = settings_for(server)
    clock = FakeClock()
    jwks = JWKSCache(server.jwks_url, timeout=HANG_TIMEOUT, cooldown=30, clock=clock)
    validate_access_token(sign(key, auth0_claims(server.issuer)), settings, jwks=jwks)
    server.mode = "hang"
    clock.advance(31)
    started = time.monotonic()
    with pytest.raises(InvalidTokenError):
        validate_access_token(sign(key, auth0_claims(server.issuer), kid="new"), settings, jwks=jwks)
    assert time.monotonic() - started < HANG_TIMEOUT + 10, "the fetch is bounded by its timeout"
    assert validate_access_token(sign(key, auth0_claims(server.issuer)), settings, jwks=jwks).sub


def test_jwks_down_at_cold_start_is_503_not_401(server: JwksServer, key: Key) -> None:
    server.mode = "down"
    with pytest.raises(AuthUnavailableError) as error:
        validate_access_token(
            sign(key, auth0_claims(server.issuer)), settings_for(server), jwks=cache_for(server)
        )
    assert error.value.status_code == 503


def test_unknown_kid_flood_fetches_at_most_once_per_cooldown(
    server: JwksServer, key: Key, other_key: Key
) -> None:
    settings = settings_for(server)
    clock = FakeClock()
    jwks = cache_for(server, clock=clock)
    validate_access_token(sign(key, auth0_claims(server.issuer)), settings, jwks=jwks)
    assert server.fetches == 1

    def flood(count: int) -> int:
        rejected = 0
        for _ in range(count):
            token = sign(other_key, auth0_claims(server.issuer), kid=uuid.uuid4().hex)
            with pytest.raises(InvalidTokenError):
                validate_access_token(token, settings, jwks=jwks)
            rejected += 1
        return rejected

    # Inside the cooldown that started with the warm-up fetch: no fetch at all.
    assert flood(50) == 50
    assert server.fetches == 1
    # Each new window allows exactly one fetch, however many unknown kids arrive in it.
    for window in range(1, 4):
        clock.advance(30)
        assert flood(50) == 50
        assert server.fetches == 1 + window
    # Known-kid tokens keep working throughout.
    assert validate_access_token(sign(key, auth0_claims(server.issuer)), settings, jwks=jwks).sub


def test_concurrent_unknown_kid_flood_is_one_fetch(server: JwksServer, key: Key, other_key: Key) -> None:
    """50 threads at once (FastAPI's threadpool) with random kids, on a cold cache: exactly one JWKS fetch."""
    settings = settings_for(server)
    jwks = cache_for(server)
    tokens = [sign(other_key, auth0_claims(server.issuer), kid=uuid.uuid4().hex) for _ in range(50)]
    start = threading.Barrier(len(tokens))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(token: str) -> None:
        start.wait(timeout=10)
        try:
            validate_access_token(token, settings, jwks=jwks)
            outcome = "accepted"
        except InvalidTokenError:
            outcome = "rejected"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert outcomes.count("rejected") == 50
    assert server.fetches == 1
    assert jwks.stats().fetches == 1


def test_rotation_new_key_is_picked_up_after_the_cooldown(server: JwksServer, key: Key) -> None:
    settings = settings_for(server)
    clock = FakeClock()
    jwks = cache_for(server, clock=clock, max_age=60)
    validate_access_token(sign(key, auth0_claims(server.issuer)), settings, jwks=jwks)
    new_key = make_key("key-2")
    server.keys = [new_key, key]  # Auth0 publishes the next key, then signs with it
    clock.advance(30)
    claims = validate_access_token(sign(new_key, auth0_claims(server.issuer)), settings, jwks=jwks)
    assert claims.sub == "auth0|dev-user"
    assert server.fetches == 2
    assert validate_access_token(sign(key, auth0_claims(server.issuer)), settings, jwks=jwks).sub
    # Retired: once the old key leaves the JWKS and the keys reach max_age, a refresh drops it.
    server.keys = [new_key]
    clock.advance(60)
    with pytest.raises(InvalidTokenError, match="unknown key"):
        validate_access_token(sign(key, auth0_claims(server.issuer)), settings, jwks=jwks)
    assert server.fetches == 3
    assert validate_access_token(sign(new_key, auth0_claims(server.issuer)), settings, jwks=jwks).sub


def test_stale_keys_are_refreshed_but_kept_when_the_refresh_fails(server: JwksServer, key: Key) -> None:
    settings = settings_for(server)
    clock = FakeClock()
    jwks = cache_for(server, clock=clock, max_age=600)
    validate_access_token(sign(key, auth0_claims(server.issuer)), settings, jwks=jwks)
    clock.advance(601)
    server.mode = "down"
    assert validate_access_token(sign(key, auth0_claims(server.issuer)), settings, jwks=jwks).sub
    assert server.fetches == 2, "one refresh attempt for stale keys"
    assert validate_access_token(sign(key, auth0_claims(server.issuer)), settings, jwks=jwks).sub
    assert server.fetches == 2, "and no more until the cooldown has passed"


def test_shared_cache_per_tenant(server: JwksServer, key: Key) -> None:
    """Without an explicit cache, validate_access_token shares one per JWKS URL (the app's normal use)."""
    settings = settings_for(server)
    for _ in range(3):
        validate_access_token(sign(key, auth0_claims(server.issuer)), settings)
    assert server.fetches == 1
