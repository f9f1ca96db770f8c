"""docs/security.md §6: configuration once accepted (or ending in a traceback) is refused by name."""

import subprocess
import sys
from pathlib import Path

import pytest
from checkout import load_defaults

from edge_sidecar.config import parse_runtime
from edge_sidecar.policy import ConfigError, parse_origin

DEFAULTS = load_defaults()
ENTRYPOINT = Path(__file__).resolve().parents[1] / "entrypoint.py"
PUBLIC = "is a public suffix, so every registrable name under"
OWN_DOMAIN = "list the origins or use a wildcard under your own domain"
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
REFUSED: list[tuple[str, str, str]] = [
    # Wildcards over a public suffix: ICANN (co.uk, com) and the private section (github.io, up.railway.app).
    ("CORS_ALLOW_ORIGINS", "https://*.up.railway.app", f"up.railway.app {PUBLIC} up.railway.app"),
    ("CORS_ALLOW_ORIGINS", "https://*.co.uk", f"co.uk {PUBLIC} co.uk"),
    ("CORS_ALLOW_ORIGINS", "https://*.github.io", f"github.io {PUBLIC} github.io"),
    ("CORS_ALLOW_ORIGINS", "https://*.vercel.app", OWN_DOMAIN),
    ("CORS_ALLOW_ORIGINS", "https://*.s3.amazonaws.com", OWN_DOMAIN),
    ("CORS_ALLOW_ORIGINS", "https://app.*.co.uk", f"co.uk {PUBLIC}"),  # the label after the wildcard counts
    ("CORS_ALLOW_ORIGINS", "https://app.zebra.associates https://*.pages.dev", OWN_DOMAIN),
    ("CORS_ALLOW_ORIGINS", "https://*.com", "one label"),  # already: two fixed labels after the wildcard
    # Numbers in ASCII digits only.
    ("PORT", arabic("18080"), NON_ASCII),
    ("PORT", fullwidth("8080"), NON_ASCII),
    ("PORT", SUPERSCRIPT_TWO, NON_ASCII),
    ("API_PORT", fullwidth("8000"), NON_ASCII),
    ("CORS_MAX_AGE", fullwidth("600"), NON_ASCII),
    ("CORS_MAX_AGE", SUPERSCRIPT_TWO, NON_ASCII),
    ("UPSTREAM_TIMEOUT", fullwidth("30"), NON_ASCII),
    ("UPSTREAM_TIMEOUT", "1e3", "not a number of seconds from 1 to 3600"),
    ("UPSTREAM_IDLE_CONNS", fullwidth("512"), NON_ASCII),
    ("UPSTREAM_IDLE_CONNS", SUPERSCRIPT_TWO, NON_ASCII),
    ("UPSTREAM_IDLE_CONNS", "1_000", "not a number of connections"),
    ("DB_HEALTH_TIMEOUT", fullwidth("0.8"), NON_ASCII),
    ("CORS_ALLOW_ORIGINS", fullwidth("http://localhost:3001"), "ASCII digits"),
    ("CORS_ALLOW_ORIGINS", arabic("http://1.1.1.1"), "ASCII"),
    # Out of range or degenerate.
    ("CORS_ALLOW_ORIGINS", "http://300.1.1.1", "300 is not an IPv4 octet (0-255)"),
    ("CORS_ALLOW_ORIGINS", "http://1.1.1.256:8080", "256 is not an IPv4 octet"),
    ("CORS_ALLOW_ORIGINS", "http://01.1.1.1", "as browsers send it (1.1.1.1)"),
    ("CORS_ALLOW_ORIGINS", "http://1.1.1", "four decimal numbers"),
    ("CORS_ALLOW_ORIGINS", "http://*.1.1.1", "cannot have a wildcard"),
    ("CORS_ALLOW_ORIGINS", "https://[::1]:8443", "IPv6 address origins are not supported"),
    ("UPSTREAM_TIMEOUT", "0.5", "too short to serve anything"),
    ("UPSTREAM_TIMEOUT", "0.001", "use at least 1"),
    ("UPSTREAM_TIMEOUT", "3601", "from 1 to 3600"),
    ("CORS_ALLOW_METHODS", "get", "methods are case-sensitive: did you mean GET?"),
    ("CORS_ALLOW_METHODS", "GET, Post", "did you mean POST?"),
    ("CORS_ALLOW_METHODS", "GET, patch", "did you mean PATCH?"),
    ("DB_HEALTH_TIMEOUT", "0", "above 0, at most 60"),
    ("DB_HEALTH_TIMEOUT", "61", "above 0, at most 60"),
    ("DB_HEALTH_TIMEOUT", "nan", "above 0, at most 60"),
    ("DB_HEALTH_TIMEOUT", "", "above 0, at most 60"),
    # DATABASE_URL checked before anything starts, never echoed.
    ("DATABASE_URL", "mysql://user:s3cret-pw@db/app", "unsupported driver 'mysql'"),
    ("DATABASE_URL", "postgresql://user:s3cret-pw@db:port/app", "could not be parsed"),
    ("DATABASE_URL", "user:s3cret-pw@db/app", "not a URL"),
    ("DATABASE_URL", "", "is empty"),
    # The previous setup's name for the origins.
    ("CORS_ORIGINS", "https://app.zebra.associates", "the sidecar, whose variable is CORS_ALLOW_ORIGINS"),
    ("CORS_ORIGINS", DEFAULTS["CORS_ALLOW_ORIGINS"], "unset CORS_ORIGINS or rename it to CORS_ALLOW_ORIGINS"),
]


@pytest.mark.parametrize(("variable", "value", "words"), REFUSED)
def test_refused_by_name(variable: str, value: str, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_runtime({**DEFAULTS, variable: value})
    assert err.value.variable == variable
    text = str(err.value)
    assert text.startswith(f"{variable}: ") and words in text and "\n" not in text
    assert "s3cret-pw" not in text


@pytest.mark.processes
@pytest.mark.parametrize("mode", ["sidecar", "direct"])
@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PORT", SUPERSCRIPT_TWO),
        ("CORS_ALLOW_ORIGINS", "https://*.github.io"),
        ("DATABASE_URL", "mysql://user:s3cret-pw@db/app"),
        ("CORS_ORIGINS", "https://x.example.com"),
    ],
)
def test_the_entrypoint_refuses_in_one_line_with_exit_2(mode: str, variable: str, value: str) -> None:
    env = {"PATH": str(Path(sys.executable).parent), "PROXY_MODE": mode, variable: value}
    done = subprocess.run(
        [sys.executable, str(ENTRYPOINT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith(f"edge-sidecar: invalid configuration: {variable}: ")
    assert done.stderr.count("\n") == 1 and "s3cret-pw" not in done.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CORS_ALLOW_ORIGINS", "https://*.preview.zebra.associates"),  # under a registrable name: fine
        ("CORS_ALLOW_ORIGINS", "https://*.zebra.github.io"),  # one user's pages, under github.io
        ("CORS_ALLOW_ORIGINS", "https://*.zebra.up.railway.app"),
        ("CORS_ALLOW_ORIGINS", "https://github.io"),  # an exact origin is one origin, suffix or not
        ("CORS_ALLOW_ORIGINS", "http://10.0.0.255:8080 http://0.0.0.0:3001"),
        ("CORS_ALLOW_METHODS", "GET, PROPFIND, MkCol"),  # non-standard names keep their case
        ("CORS_ALLOW_METHODS", "GET, Purge"),
        ("UPSTREAM_TIMEOUT", "1"),
        ("UPSTREAM_TIMEOUT", "2.5"),
        ("DB_HEALTH_TIMEOUT", "0.25"),
        ("DATABASE_URL", "postgresql://user:pw@db:5432/app"),
        ("DATABASE_URL", "sqlite:///data/x.db"),
        ("CORS_ORIGINS", ""),  # set but empty: nothing to be mistaken for configuration
        ("CORS_ORIGINS", "  "),
    ],
)
def test_still_accepted(variable: str, value: str) -> None:
    parse_runtime({**DEFAULTS, variable: value})


def test_a_wildcard_under_your_own_domain_still_matches_one_label() -> None:
    pattern = parse_origin("https://*.preview.zebra.associates")
    assert pattern == "https://[a-z0-9](?:[a-z0-9-]*[a-z0-9])?[.]preview[.]zebra[.]associates"
