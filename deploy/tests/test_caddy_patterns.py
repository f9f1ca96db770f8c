"""The patterns deploy/Caddyfile embeds: safe inside a CEL string literal, and never matching a joined value.

The Caddyfile tests {http.request.header.Origin} (several Origin lines joined with ",") against the origin
pattern, and the preflight grant is a CEL expression with the patterns inside "...": a backslash or a quote
would change their meaning there, and a pattern that admits a comma would grant two Origin lines.
"""

import checkout
import pytest

from edge_sidecar import config

POLICIES = [
    "https://app.zebra.associates http://localhost:3001",
    "https://*.zebra.associates",
    "http://127.0.0.1:3001 https://localhost:8443",
    "https://app.zebra.associates,https://admin.zebra.associates",
]


def _caddy_env(origins: str) -> dict[str, str]:
    env = config.effective_env({"CORS_ALLOW_ORIGINS": origins}, checkout.load_defaults())
    return config.caddy_env(config.parse_runtime(env))


@pytest.mark.parametrize("origins", POLICIES)
def test_patterns_have_no_backslash_or_quote(origins: str) -> None:
    env = _caddy_env(origins)
    for name in ("EDGE_CORS_ORIGIN_RE", "EDGE_CORS_METHOD_RE", "EDGE_CORS_HEADERS_RE"):
        assert "\\" not in env[name] and '"' not in env[name], name


@pytest.mark.parametrize("origins", POLICIES)
def test_two_allowed_origins_joined_never_match(origins: str) -> None:
    import re

    env = _caddy_env(origins)
    first = origins.replace(",", " ").split()[0].replace("*", "x")
    origin = re.compile(env["EDGE_CORS_ORIGIN_RE"])
    assert origin.fullmatch(first)
    for joined in (f"{first},{first}", f"{first}, {first}", f"{first},https://evil.example"):
        assert not origin.search(joined), joined
    method = re.compile(env["EDGE_CORS_METHOD_RE"])
    assert method.search("GET") and not method.search("GET,GET") and not method.search("GET, POST")
