"""The CORS policy parser: what configuration is refused, and what the compiled regexes allow."""

import pytest

from edge_sidecar.policy import ConfigError, parse_policy

BASE = {
    "CORS_ALLOW_ORIGINS": "https://app.zebra.associates http://localhost:3001,https://*.preview.zebra.associates",
    "CORS_ALLOW_METHODS": "GET, POST, PUT",
    "CORS_ALLOW_HEADERS": "Authorization, Content-Type, X-Tenant-ID",
    "CORS_EXPOSE_HEADERS": "X-Request-ID",
    "CORS_MAX_AGE": "600",
    "CORS_ALLOW_CREDENTIALS": "true",
}


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CORS_ALLOW_ORIGINS", "https://app.zebra.associates/", "no path"),
        ("CORS_ALLOW_ORIGINS", "https://app.zebra.associates/api", "no path"),
        ("CORS_ALLOW_ORIGINS", "https://app.zebra.associates?x=1", "no path"),
        ("CORS_ALLOW_ORIGINS", "app.zebra.associates", "not scheme://host"),
        ("CORS_ALLOW_ORIGINS", "//app.zebra.associates", "not scheme://host"),
        ("CORS_ALLOW_ORIGINS", "ftp://app.zebra.associates", "http or https"),
        ("CORS_ALLOW_ORIGINS", "javascript://app.zebra.associates", "http or https"),
        ("CORS_ALLOW_ORIGINS", "https://app.zebra.associates:0", "1 to 65535"),
        ("CORS_ALLOW_ORIGINS", "https://app.zebra.associates:65536", "1 to 65535"),
        ("CORS_ALLOW_ORIGINS", "https://app.zebra.associates:http", "1 to 65535"),
        ("CORS_ALLOW_ORIGINS", "https://app.zebra.associates:443", "default port"),
        ("CORS_ALLOW_ORIGINS", "http://localhost:03001", "default port"),
        ("CORS_ALLOW_ORIGINS", "null", "'null'"),
        ("CORS_ALLOW_ORIGINS", "*", "cannot be used while"),
        ("CORS_ALLOW_ORIGINS", "https://*", "one label"),
        ("CORS_ALLOW_ORIGINS", "https://*.com", "one label"),
        ("CORS_ALLOW_ORIGINS", "https://*.*.example.com", "one label"),
        ("CORS_ALLOW_ORIGINS", "https://a*.example.com", "one label"),
        ("CORS_ALLOW_ORIGINS", "https://App.zebra.associates", "lowercase"),
        ("CORS_ALLOW_ORIGINS", "https://app..zebra.associates", "valid host name label"),
        ("CORS_ALLOW_ORIGINS", "https://-app.zebra.associates", "valid host name label"),
        ("CORS_ALLOW_ORIGINS", "https://user@app.zebra.associates", "valid host name label"),
        ("CORS_ALLOW_ORIGINS", "", "no origin"),
        ("CORS_ALLOW_ORIGINS", " , ", "no origin"),
        ("CORS_ALLOW_CREDENTIALS", "yes", "true or false"),
        ("CORS_MAX_AGE", "ten", "0 to 86400"),
        ("CORS_MAX_AGE", "-1", "0 to 86400"),
        ("CORS_MAX_AGE", "86401", "0 to 86400"),
        ("CORS_ALLOW_METHODS", "", "no method"),
        ("CORS_ALLOW_METHODS", "GET, P@ST", "valid method"),
        ("CORS_ALLOW_HEADERS", "X-Tenant-ID, X/Bad", "valid header name"),
        ("CORS_ALLOW_HEADERS", "*", "valid header name"),
        ("CORS_EXPOSE_HEADERS", "X-Request-ID;", "valid header name"),
    ],
)
def test_bad_configuration_names_the_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_policy({**BASE, variable: value})
    assert err.value.variable == variable
    assert message in str(err.value)


POLICY = parse_policy(BASE)


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://app.zebra.associates", True),
        ("http://localhost:3001", True),
        ("https://pr-42.preview.zebra.associates", True),
        ("https://x.preview.zebra.associates", True),
        # attacks and near misses
        ("https://app.zebra.associates.evil.test", False),  # suffix
        ("https://evilapp.zebra.associates", False),  # prefix
        ("https://appxzebra.associates", False),  # unescaped dot
        ("https://app.zebra.associates_.evil.test", False),  # underscore trick
        ("https://app.zebra.associates`.evil.test", False),  # backtick trick
        ("http://app.zebra.associates", False),  # downgrade
        ("https://localhost:3001", False),  # upgrade
        ("http://localhost:3002", False),  # port change
        ("http://localhost", False),
        ("https://app.zebra.associates/", False),  # trailing slash
        ("https://APP.ZEBRA.ASSOCIATES", False),  # case variant
        ("null", False),
        ("https://app.zebra.associates http://localhost:3001", False),  # two origins
        ("https://app.zebra.associates,http://localhost:3001", False),
        ("https://a.b.preview.zebra.associates", False),  # wildcard is one label
        ("https://.preview.zebra.associates", False),  # ... not zero
        ("https://preview.zebra.associates", False),
        ("https://-x.preview.zebra.associates", False),
        ("https://x.preview.zebra.associates.evil.test", False),
        ("https://app.zebra.associates\n", False),
        ("", False),
        (None, False),
    ],
)
def test_origin_matching(origin: str | None, allowed: bool) -> None:
    assert POLICY.allows_origin(origin) is allowed


@pytest.mark.parametrize(
    ("method", "headers", "granted"),
    [
        ("PUT", None, True),
        ("PUT", "", True),
        ("POST", "content-type", True),
        ("POST", "content-type,x-tenant-id", True),
        ("POST", "Content-Type, X-TENANT-ID ,authorization", True),
        # RFC 9110 5.6.1 list syntax: spaces or tabs around elements, empty elements ignored.
        ("POST", "content-type\t,\tx-tenant-id", True),
        ("POST", "content-type,,x-tenant-id", True),
        ("POST", ", content-type ,", True),
        ("POST", ",", True),
        ("POST", "content-type x-tenant-id", False),  # two names need a comma between them
        ("POST", "content-type,\nx-tenant-id", False),
        ("POST", "content-type,x-evil", False),
        ("POST", "x-tenant-id-x", False),
        ("put", None, False),  # methods are case-sensitive
        ("DELETE", None, False),  # not listed in BASE
        ("PUT|GET", None, False),
    ],
)
def test_preflight_decision(method: str, headers: str | None, granted: bool) -> None:
    assert POLICY.allows_preflight("https://app.zebra.associates", method, headers) is granted


def test_any_origin_only_without_credentials() -> None:
    policy = parse_policy({**BASE, "CORS_ALLOW_ORIGINS": "*", "CORS_ALLOW_CREDENTIALS": "false"})
    assert policy.any_origin and policy.allows_origin("https://anything.test")
    assert policy.allow_origin_value("https://anything.test") == "*"
    assert not policy.allows_origin("null")


def test_lists_are_deduplicated_and_ipv4_hosts_work() -> None:
    policy = parse_policy({**BASE, "CORS_ALLOW_ORIGINS": "http://127.0.0.1:5173 http://127.0.0.1:5173"})
    assert policy.origins == ("http://127.0.0.1:5173",)
    assert policy.allows_origin("http://127.0.0.1:5173")
    assert not policy.allows_origin("http://127.0.0.15:5173")
