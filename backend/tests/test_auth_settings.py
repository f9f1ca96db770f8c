"""Auth0 settings: the issuer (https://<domain>/ or a loopback stand-in), derived URLs, one-line errors."""

import pytest

from edge_api.auth.settings import AuthConfigError, AuthSettings, get_auth_settings, load_auth_settings

AUTH0_VARS = (
    "AUTH0_DOMAIN",
    "AUTH0_ISSUER",
    "AUTH0_AUDIENCE",
    "AUTH0_CLIENT_ID",
    "AUTH0_CLIENT_SECRET",
    "AUTH0_TENANT_CLAIM",
    "AUTH0_LEEWAY",
    "AUTH0_JWKS_TIMEOUT",
    "AUTH0_JWKS_COOLDOWN",
    "AUTH0_JWKS_MAX_AGE",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in AUTH0_VARS:
        monkeypatch.delenv(name, raising=False)
    get_auth_settings.cache_clear()
    return monkeypatch


def test_production_settings(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("AUTH0_DOMAIN", "Zebra.EU.auth0.com")
    clean_env.setenv("AUTH0_AUDIENCE", "https://api.zebra.associates")
    clean_env.setenv("AUTH0_CLIENT_ID", "abc123")
    clean_env.setenv("AUTH0_CLIENT_SECRET", "s3cret-value")
    settings = load_auth_settings()
    assert settings.issuer == "https://zebra.eu.auth0.com/"
    assert settings.audience == "https://api.zebra.associates"
    assert settings.jwks_url == "https://zebra.eu.auth0.com/.well-known/jwks.json"
    assert settings.authorize_url == "https://zebra.eu.auth0.com/authorize"
    assert settings.token_url == "https://zebra.eu.auth0.com/oauth/token"
    assert settings.revoke_url == "https://zebra.eu.auth0.com/oauth/revoke"
    assert settings.logout_url == "https://zebra.eu.auth0.com/v2/logout"
    assert settings.auth0_leeway == 30
    assert settings.auth0_jwks_cooldown == 30
    assert settings.auth0_tenant_claim == "https://zebra.associates/tenant_id"
    assert settings.auth0_client_secret is not None
    assert settings.auth0_client_secret.get_secret_value() == "s3cret-value"
    assert "s3cret-value" not in repr(settings)
    assert get_auth_settings() is get_auth_settings()


@pytest.mark.parametrize(
    ("issuer", "expected"),
    [
        ("http://127.0.0.1:3002/", "http://127.0.0.1:3002/"),
        ("http://localhost:3002/", "http://localhost:3002/"),
        ("http://[::1]:3002/", "http://[::1]:3002/"),
    ],
)
def test_local_stand_in_issuer(clean_env: pytest.MonkeyPatch, issuer: str, expected: str) -> None:
    clean_env.setenv("AUTH0_ISSUER", issuer)
    clean_env.setenv("AUTH0_AUDIENCE", "https://api.zebra.associates")
    settings = load_auth_settings()
    assert settings.issuer == expected
    assert settings.jwks_url == f"{expected}.well-known/jwks.json"


def test_issuer_override_wins_over_domain(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("AUTH0_DOMAIN", "zebra.eu.auth0.com")
    clean_env.setenv("AUTH0_ISSUER", "http://127.0.0.1:3002/")
    clean_env.setenv("AUTH0_AUDIENCE", "https://api.zebra.associates")
    assert load_auth_settings().issuer == "http://127.0.0.1:3002/"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "AUTH0_AUDIENCE is required"),
        ({"AUTH0_AUDIENCE": "https://api"}, "AUTH0_DOMAIN is required"),
        (
            {"AUTH0_DOMAIN": "https://zebra.eu.auth0.com/", "AUTH0_AUDIENCE": "a"},
            "AUTH0_DOMAIN must be a host name",
        ),
        ({"AUTH0_DOMAIN": "zebra.eu.auth0.com/", "AUTH0_AUDIENCE": "a"}, "AUTH0_DOMAIN must be a host name"),
        ({"AUTH0_DOMAIN": "localhost", "AUTH0_AUDIENCE": "a"}, "AUTH0_DOMAIN must be a host name"),
        ({"AUTH0_DOMAIN": "zebra.auth0.com:443", "AUTH0_AUDIENCE": "a"}, "AUTH0_DOMAIN must be a host name"),
        ({"AUTH0_ISSUER": "https://zebra.eu.auth0.com/", "AUTH0_AUDIENCE": "a"}, "AUTH0_ISSUER is only for"),
        ({"AUTH0_ISSUER": "http://127.0.0.1:3002", "AUTH0_AUDIENCE": "a"}, "AUTH0_ISSUER is only for"),
        ({"AUTH0_ISSUER": "http://127.0.0.1:3002/x/", "AUTH0_AUDIENCE": "a"}, "AUTH0_ISSUER is only for"),
        ({"AUTH0_ISSUER": "http://127.0.0.1:99999/", "AUTH0_AUDIENCE": "a"}, "AUTH0_ISSUER"),
        ({"AUTH0_ISSUER": "ftp://127.0.0.1/", "AUTH0_AUDIENCE": "a"}, "AUTH0_ISSUER is only for"),
        ({"AUTH0_DOMAIN": "t.auth0.com", "AUTH0_AUDIENCE": " padded "}, "AUTH0_AUDIENCE must be"),
        (
            {"AUTH0_DOMAIN": "t.auth0.com", "AUTH0_AUDIENCE": "same", "AUTH0_CLIENT_ID": "same"},
            "AUTH0_AUDIENCE must be the API identifier, not AUTH0_CLIENT_ID",
        ),
        ({"AUTH0_DOMAIN": "t.auth0.com", "AUTH0_AUDIENCE": "a", "AUTH0_LEEWAY": "-1"}, "AUTH0_LEEWAY"),
        (
            {"AUTH0_DOMAIN": "t.auth0.com", "AUTH0_AUDIENCE": "a", "AUTH0_JWKS_TIMEOUT": "soon"},
            "AUTH0_JWKS_TIMEOUT",
        ),
        (
            {"AUTH0_DOMAIN": "t.auth0.com", "AUTH0_AUDIENCE": "a", "AUTH0_JWKS_COOLDOWN": "nan"},
            "AUTH0_JWKS_COOLDOWN",
        ),
    ],
)
def test_invalid_configuration_is_one_line_naming_the_variable(
    clean_env: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        clean_env.setenv(name, value)
    with pytest.raises(AuthConfigError) as error:
        load_auth_settings()
    text = str(error.value)
    assert message in text
    assert "\n" not in text


def test_errors_never_echo_the_secret(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("AUTH0_CLIENT_SECRET", "very-secret-value")
    clean_env.setenv("AUTH0_ISSUER", "https://not-loopback.example/")
    clean_env.setenv("AUTH0_AUDIENCE", "a")
    with pytest.raises(AuthConfigError) as error:
        load_auth_settings()
    assert "very-secret-value" not in str(error.value)


def test_direct_construction_for_tests_and_tools() -> None:
    settings = AuthSettings(auth0_domain="t.auth0.com", auth0_audience="https://api")
    assert settings.issuer == "https://t.auth0.com/"
