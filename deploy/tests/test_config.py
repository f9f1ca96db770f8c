"""Runtime configuration: defaults from deploy/defaults.env, environment overrides, what Caddy is given."""

import pytest
from checkout import load_defaults

from edge_sidecar.config import caddy_duration, caddy_env, effective_env, parse_runtime
from edge_sidecar.policy import NEVER_RE, ConfigError

DEFAULTS = load_defaults()


def test_shipped_defaults_are_the_contract() -> None:
    config = parse_runtime(DEFAULTS)
    assert (config.mode, config.port, config.api_port, config.upstream_timeout) == ("sidecar", 8080, 8000, 30)
    assert config.policy.origins == ("https://app.zebra.associates", "http://localhost:3001")
    assert config.policy.methods == ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD")
    assert config.policy.expose == ("X-Request-ID",) and config.policy.max_age == 600
    assert config.policy.credentials
    assert config.fallback == "direct"


def test_environment_wins_even_when_empty() -> None:
    env = effective_env({"CORS_EXPOSE_HEADERS": "", "PORT": "9000"}, DEFAULTS)
    config = parse_runtime(env)
    assert config.port == 9000 and config.policy.expose == ()
    assert caddy_env(config)["EDGE_CORS_EXPOSE_ORIGIN_RE"] == NEVER_RE


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PORT", "abc"),
        ("PORT", "0"),
        ("PORT", "70000"),
        ("API_PORT", "8080"),  # same as PORT in sidecar mode
        ("PROXY_MODE", "bogus"),
        ("PROXY_MODE", ""),
        ("APP_MODULE", "nocolon"),
        ("APP_MODULE", "a:b; rm -rf /"),
        ("UPSTREAM_TIMEOUT", "abc"),
        ("UPSTREAM_TIMEOUT", "0"),
        ("UPSTREAM_TIMEOUT", "nan"),
        ("UPSTREAM_IDLE_CONNS", "0"),
        ("UPSTREAM_IDLE_CONNS", "many"),
        ("PROXY_FALLBACK", "restart"),
        ("PROXY_FALLBACK", ""),
        ("PROXY_FALLBACK", "Direct"),
    ],
)
def test_bad_runtime_variables(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_runtime({**DEFAULTS, variable: value})
    assert err.value.variable == variable


def test_direct_mode_may_share_the_port_number() -> None:
    assert parse_runtime({**DEFAULTS, "PROXY_MODE": "direct", "API_PORT": "8080"}).mode == "direct"


def test_credentials_off_sends_no_credentials_header() -> None:
    config = parse_runtime({**DEFAULTS, "CORS_ALLOW_CREDENTIALS": "false"})
    env = caddy_env(config)
    assert env["EDGE_CORS_CRED_ORIGIN_RE"] == NEVER_RE
    assert env["EDGE_CORS_ORIGIN_RE"] != NEVER_RE


@pytest.mark.parametrize(
    ("timeout", "try_duration", "upstream_timeout"),
    [
        ("30", "10s", "30s"),  # the default: the full 10 s window for a restarting API
        ("3600", "10s", "3600s"),
        ("10", "10s", "10s"),
        ("9.75", "9.75s", "9.75s"),  # never longer than the timeout: a timed-out GET is not replayed
        ("2", "2s", "2s"),
        ("1", "1s", "1s"),  # the least (UPSTREAM_TIMEOUT_RANGE)
        ("1.00001", "1.00001s", "1.00001s"),  # plain decimals
    ],
)
def test_retry_window_never_outlasts_the_upstream_timeout(
    timeout: str, try_duration: str, upstream_timeout: str
) -> None:
    env = caddy_env(parse_runtime({**DEFAULTS, "UPSTREAM_TIMEOUT": timeout}))
    assert env["EDGE_UPSTREAM_TRY_DURATION"] == try_duration
    assert env["EDGE_UPSTREAM_TIMEOUT"] == upstream_timeout


@pytest.mark.parametrize(
    ("seconds", "text"), [(30.0, "30s"), (1.25, "1.25s"), (1e-7, "0.0000001s"), (100.0, "100s")]
)
def test_caddy_duration(seconds: float, text: str) -> None:
    assert caddy_duration(seconds) == text
