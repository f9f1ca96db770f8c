"""docs/security.md §6 in the API's own settings: non-ASCII numbers and degenerate values refused by name."""

import pytest
from pydantic import ValidationError

from edge_api.auth.settings import (
    JWKS_COOLDOWN_MIN,
    AuthConfigError,
    describe_validation_error,
    load_auth_settings,
)
from edge_api.config import Settings

NON_ASCII = "has non-ASCII characters"


def fullwidth(text: str) -> str:
    """ASCII digits as full-width digits (U+FF10...), which int() and float() accept."""
    return text.translate({ord("0") + i: 0xFF10 + i for i in range(10)})


def arabic(text: str) -> str:
    """ASCII digits as Arabic-Indic digits (U+0660...), which int() and float() accept."""
    return text.translate({ord("0") + i: 0x0660 + i for i in range(10)})


# str.isdigit() says yes to it, int() raises: a traceback in the entrypoint before.
SUPERSCRIPT_TWO = "\u00b2"


# (variable, value, words the one-line message must contain)
AUTH_REFUSED = [
    ("AUTH0_LEEWAY", fullwidth("30"), NON_ASCII),
    ("AUTH0_LEEWAY", arabic("30"), NON_ASCII),
    ("AUTH0_LEEWAY", SUPERSCRIPT_TWO, NON_ASCII),
    ("AUTH0_JWKS_TIMEOUT", fullwidth("2"), NON_ASCII),
    ("AUTH0_JWKS_COOLDOWN", fullwidth("30"), NON_ASCII),
    ("AUTH0_JWKS_MAX_AGE", fullwidth("600"), NON_ASCII),
    ("AUTH0_HTTP_TIMEOUT", fullwidth("5"), NON_ASCII),
    ("AUTH0_REFRESH_COOKIE_MAX_AGE", fullwidth("2592000"), NON_ASCII),
    # 0 would refetch the JWKS on every token with an unknown kid: a junk-token flood hits the tenant.
    ("AUTH0_JWKS_COOLDOWN", "0", "AUTH0_JWKS_COOLDOWN must be at least 1 s"),
    ("AUTH0_JWKS_COOLDOWN", "0.5", "every token with an unknown kid makes a JWKS request"),
    ("AUTH0_JWKS_COOLDOWN", "-1", "at least 1 s"),
]


@pytest.mark.parametrize(("variable", "value", "words"), AUTH_REFUSED)
def test_auth_numbers_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, words: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(AuthConfigError) as error:
        load_auth_settings()
    text = str(error.value)
    assert variable in text and words in text and "\n" not in text


@pytest.mark.parametrize("value", ["1", "30", "3600"])
def test_jwks_cooldown_from_the_minimum(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("AUTH0_JWKS_COOLDOWN", value)
    assert load_auth_settings().auth0_jwks_cooldown == float(value) >= JWKS_COOLDOWN_MIN


SETTINGS_REFUSED = [
    ("DB_HEALTH_TIMEOUT", fullwidth("0.8"), NON_ASCII),
    ("DB_HEALTH_TIMEOUT", arabic("0.5"), NON_ASCII),
    ("DB_HEALTH_TIMEOUT", "0", "above 0, at most 60"),
    ("DB_HEALTH_TIMEOUT", "1e1", "above 0, at most 60"),
    ("DATABASE_URL", "mysql://user:s3cret-pw@db/app", "unsupported driver 'mysql'"),
]


@pytest.mark.parametrize(("variable", "value", "words"), SETTINGS_REFUSED)
def test_service_settings_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, words: str
) -> None:
    """The same check as the entrypoint's (edge_sidecar.config), so the API and the stack agree."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as error:
        Settings()
    text = describe_validation_error(error.value)
    assert variable in text and words in text and "s3cret-pw" not in text
