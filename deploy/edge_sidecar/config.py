"""Runtime configuration: deploy/defaults.env overlaid by the environment, validated in one place.

The launcher (deploy/entrypoint.py) reads the defaults file and validates everything once; its children
(direct mode, the API's CSRF guard) get the result in their environment (handed_down_env) and never
read the file themselves.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from dotenv import dotenv_values

from edge_sidecar import cors_wire, request_ids
from edge_sidecar.limits import BodyLimits
from edge_sidecar.policy import NEVER_RE, ConfigError, CorsPolicy, ascii_number, parse_policy, split_list

# The defaults file's name in the deployment's directory (the entrypoint's: deploy/ in a checkout,
# /app/deploy in the image). The package itself is installed elsewhere (site-packages in the image), so
# it never derives that directory from its own location: the entrypoint hands it over.
DEFAULTS_NAME = "defaults.env"
MODES = ("sidecar", "direct")
# What the stack does when the proxy cannot be kept running after it served (see supervision.py).
FALLBACKS = ("direct", "exit")
# How Caddy reaches uvicorn in sidecar mode (API_TRANSPORT). `unix`: a socket in the stack's private run
# directory, mode 0700, so only the stack's own user can reach the API (api_socket.py); `tcp`:
# 127.0.0.1:$API_PORT, for an app that something else on the machine must reach on a port.
TRANSPORTS = ("unix", "tcp")
# uvicorn's --workers for the api program: 1. supervisord, the watchdog and supervision.py each assume one
# process per program; uvicorn's own worker manager would hide worker exits and hangs from them and leave
# orphans when it is killed (docs/bench/workers.md), so WEB_CONCURRENCY, which uvicorn would read, is not
# used. API_WORKERS_KNOB is internal, for tools/bench/workers.ts only: not a setting of the stack.
API_WORKERS_KNOB = "EDGE_API_WORKERS"
API_WORKERS_MAX = 8
_APP_MODULE = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")
# How long Caddy keeps retrying a request while the API restarts (its port refuses connections): a
# uvicorn restart takes 1-2 s, so 10 s leaves room on a busy machine without hanging callers forever.
RETRY_WINDOW_MAX = 10.0
# UPSTREAM_TIMEOUT: below 1 s Caddy answers 504 before the API's own readiness check can answer /health
# (it waits up to DB_HEALTH_TIMEOUT, 0.8 s by default, for the DB), and before an ordinary request that
# opens a database connection first; an hour is the most any caller waits behind a proxy.
UPSTREAM_TIMEOUT_RANGE = (1.0, 3600.0)
# DB_HEALTH_TIMEOUT (read by the reference API, edge_api/config.py): seconds, above 0, at most 60.
DB_HEALTH_TIMEOUT_MAX = 60.0
# Drivers the image ships (sync engine, requirements.lock) and the schemes platforms hand out for
# Postgres (Railway: postgresql://, Heroku-style: postgres://), mapped to psycopg 3.
SUPPORTED_DRIVERS = frozenset({"sqlite", "sqlite+pysqlite", "postgresql+psycopg"})
_POSTGRES_ALIASES = frozenset({"postgres", "postgresql"})
# The previous FastAPI setup's variable (its rollback plan: "reset CORS_ORIGINS to the previous
# configuration"). Not read: a second name for the policy would split it, so setting it is refused.
LEGACY_ORIGINS = "CORS_ORIGINS"
# TRUSTED_PROXIES: the widest network a proxy range may be. Wider ones (up to 0.0.0.0/0, ::/0) trust
# nearly every client, and a trusted client can forge its IP and scheme in X-Forwarded-For/-Proto.
MIN_PREFIX = {4: 8, 6: 16}
_IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


DEFAULT_BODY_LIMITS = BodyLimits()


@dataclass(frozen=True)
class RuntimeConfig:
    mode: str
    port: int
    api_port: int
    app_module: str
    upstream_timeout: float
    upstream_idle_conns: int
    policy: CorsPolicy
    fallback: str = "direct"
    # The TLS-terminating edge in front of the container, whose X-Forwarded-For/-Proto are believed.
    trusted_proxies: tuple[Network, ...] = (ipaddress.IPv4Network("100.64.0.0/10"),)
    # Request body limits (MAX_BODY_BYTES, AUTH_MAX_BODY_BYTES): the Caddyfile's and direct mode's.
    body_limits: BodyLimits = DEFAULT_BODY_LIMITS
    # API_TRANSPORT: in sidecar mode, whether uvicorn listens on a Unix socket or on 127.0.0.1:$API_PORT.
    api_transport: str = "tcp"
    # uvicorn worker processes of the api program (1; API_WORKERS_KNOB for a benchmark).
    api_workers: int = 1


def load_defaults(path: Path) -> dict[str, str]:
    """The KEY=value defaults shipped with the image (python-dotenv syntax), e.g. deploy/defaults.env."""
    if not path.is_file():  # dotenv_values would read a missing file as no defaults at all
        raise FileNotFoundError(f"edge-sidecar: the defaults file {path} is missing")
    return {k: v or "" for k, v in dotenv_values(path).items()}


def effective_env(env: Mapping[str, str], defaults: Mapping[str, str]) -> dict[str, str]:
    """Defaults first, then the environment: a variable that is set (even empty) wins."""
    return {**defaults, **env}


def _port(env: Mapping[str, str], name: str) -> int:
    what = "a port number from 1 to 65535"
    port = int(ascii_number(name, env.get(name, ""), what))
    if not 1 <= port <= 65535:
        raise ConfigError(name, f"{port} is not {what}")
    return port


def normalise_database_url(raw: str) -> str:
    """DATABASE_URL: map ``postgres://``/``postgresql://`` to psycopg 3, refuse URLs the service cannot use.

    Shared by the entrypoint (refused before anything starts) and the reference API (edge_api/config.py).
    Raises ValueError whose message never repeats the URL: it usually carries a password.
    """
    # Imported here: SQLAlchemy is only needed when DATABASE_URL is set.
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    value = raw.strip()
    if not value:
        raise ValueError("DATABASE_URL is empty")
    scheme, separator, rest = value.partition("://")
    if not separator:
        raise ValueError("DATABASE_URL is not a URL (expected scheme://...)")
    scheme = scheme.lower()
    if scheme in _POSTGRES_ALIASES:
        scheme = "postgresql+psycopg"
    value = f"{scheme}://{rest}"
    try:
        url = make_url(value)
    except (ArgumentError, ValueError):  # ValueError: e.g. a non-numeric port
        raise ValueError("DATABASE_URL could not be parsed") from None
    if url.drivername not in SUPPORTED_DRIVERS:
        raise ValueError(
            f"DATABASE_URL uses unsupported driver {url.drivername!r}; use sqlite:///<path> or postgresql://..."
        )
    return value


def check_database_url(env: Mapping[str, str]) -> None:
    """DATABASE_URL when set (unset: the API's SQLite default); ConfigError without the URL itself."""
    if "DATABASE_URL" not in env:
        return
    try:
        normalise_database_url(env["DATABASE_URL"])
    except ValueError as err:
        raise ConfigError("DATABASE_URL", str(err).removeprefix("DATABASE_URL ")) from None


def db_health_timeout(raw: str) -> float:
    """DB_HEALTH_TIMEOUT: seconds the readiness check waits for the DB, above 0 and at most 60."""
    what = f"a number of seconds above 0, at most {DB_HEALTH_TIMEOUT_MAX:g}"
    value = ascii_number("DB_HEALTH_TIMEOUT", raw, what, integer=False)
    if not 0 < value <= DB_HEALTH_TIMEOUT_MAX:
        raise ConfigError("DB_HEALTH_TIMEOUT", f"{raw.strip()!r} is not {what}")
    return value


def check_legacy_origins(env: Mapping[str, str]) -> None:
    """Refuse CORS_ORIGINS when set to anything: the sidecar reads CORS_ALLOW_ORIGINS only."""
    if env.get(LEGACY_ORIGINS, "").strip():
        raise ConfigError(
            LEGACY_ORIGINS,
            "not read by the sidecar, whose variable is CORS_ALLOW_ORIGINS (same format); "
            "unset CORS_ORIGINS or rename it to CORS_ALLOW_ORIGINS",
        )


def _proxy_network(token: str) -> Network:
    """One TRUSTED_PROXIES item: an address (as /32 or /128) or a network written without host bits."""
    name = "TRUSTED_PROXIES"
    if not token.isascii():
        raise ConfigError(name, f"{token!r} has non-ASCII characters; write addresses with ASCII digits")
    if "%" in token:  # Caddy refuses IPv6 zones in a range, and a zone names no proxy anyway
        raise ConfigError(name, f"{token!r}: an IPv6 zone (%...) is not allowed; drop it")
    try:
        network = ipaddress.ip_network(token, strict=False)
    except ValueError:
        raise ConfigError(name, f"{token!r} is not an IPv4/IPv6 address or network (CIDR)") from None
    forge = "trusting (nearly) everyone lets any client forge its IP and scheme; name only the edge's"
    least = MIN_PREFIX[network.version]
    if network.prefixlen < least:
        raise ConfigError(name, f"{token!r} is wider than /{least}: {forge} addresses")
    # An IPv6 range over ::ffff:0:0/96 holds IPv4 clients too (as IPv4-mapped addresses): that part is
    # held to the IPv4 bound, so ::/16 cannot trust every IPv4 client when 0.0.0.0/0 is refused.
    if network.version == 6 and network.overlaps(_IPV4_MAPPED) and network.prefixlen - 96 < MIN_PREFIX[4]:
        raise ConfigError(
            name, f"{token!r} holds IPv4-mapped addresses wider than IPv4 /{MIN_PREFIX[4]}: {forge} addresses"
        )
    # Host bits set (100.64.0.1/10) is a typo for an address or for another network: refused, not
    # silently widened to the network it falls in.
    if "/" in token and ipaddress.ip_address(token.split("/", 1)[0]) != network.network_address:
        raise ConfigError(
            name, f"{token!r} has host bits set; write the network as {network} (or the address alone)"
        )
    return network


def parse_trusted_proxies(raw: str) -> tuple[Network, ...]:
    """TRUSTED_PROXIES: a space/comma list of addresses or CIDRs, in order, without repeats."""
    tokens = split_list(raw)
    if not tokens:
        raise ConfigError(
            "TRUSTED_PROXIES",
            "empty; name the addresses of the TLS-terminating edge (default 100.64.0.0/10, Railway's)",
        )
    return tuple(dict.fromkeys(_proxy_network(token) for token in tokens))


def parse_runtime(env: Mapping[str, str]) -> RuntimeConfig:
    """Validate every variable of the contract; raise ConfigError naming the first bad one."""
    mode = env.get("PROXY_MODE", "").strip()
    if mode not in MODES:
        raise ConfigError("PROXY_MODE", f"{mode!r} is not one of {', '.join(MODES)}")
    port, api_port = _port(env, "PORT"), _port(env, "API_PORT")
    transport = env.get("API_TRANSPORT", "").strip()
    if transport not in TRANSPORTS:
        raise ConfigError("API_TRANSPORT", f"{transport!r} is not one of {', '.join(TRANSPORTS)}")
    # API_PORT is parsed whatever the transport (a bad value is refused before it is ever used), but
    # only a TCP listener needs it free of PORT.
    if mode == "sidecar" and transport == "tcp" and port == api_port:
        raise ConfigError("API_PORT", f"{api_port} is also PORT; the API needs a port of its own")
    app_module = env.get("APP_MODULE", "").strip()
    if not _APP_MODULE.fullmatch(app_module):
        raise ConfigError("APP_MODULE", f"{app_module!r} is not module:attribute")
    least, most = UPSTREAM_TIMEOUT_RANGE
    timeout_raw = env.get("UPSTREAM_TIMEOUT", "").strip()
    timeout_what = f"a number of seconds from {least:g} to {most:g}"
    timeout = ascii_number("UPSTREAM_TIMEOUT", timeout_raw, timeout_what, integer=False)
    if not 0 < timeout <= most:
        raise ConfigError("UPSTREAM_TIMEOUT", f"{timeout_raw!r} is not {timeout_what}")
    if timeout < least:
        raise ConfigError(
            "UPSTREAM_TIMEOUT",
            f"{timeout_raw!r} s is too short to serve anything: Caddy would answer 504 before the API's "
            f"own /health check (DB_HEALTH_TIMEOUT) or a first DB connection could; use at least {least:g}",
        )
    idle_what = "a number of connections from 1 to 65536"
    idle = int(ascii_number("UPSTREAM_IDLE_CONNS", env.get("UPSTREAM_IDLE_CONNS", ""), idle_what))
    if not 1 <= idle <= 65536:
        raise ConfigError("UPSTREAM_IDLE_CONNS", f"{idle} is not {idle_what}")
    fallback = env.get("PROXY_FALLBACK", "").strip()
    if fallback not in FALLBACKS:
        raise ConfigError("PROXY_FALLBACK", f"{fallback!r} is not one of {', '.join(FALLBACKS)}")
    trusted = parse_trusted_proxies(env.get("TRUSTED_PROXIES", ""))
    check_legacy_origins(env)
    policy = parse_policy(env)
    check_database_url(env)
    if "DB_HEALTH_TIMEOUT" in env:
        db_health_timeout(env["DB_HEALTH_TIMEOUT"])
    limits = body_limits(env)
    workers_what = f"a number of uvicorn workers from 1 to {API_WORKERS_MAX}"
    workers = int(ascii_number(API_WORKERS_KNOB, env.get(API_WORKERS_KNOB, "1"), workers_what))
    if not 1 <= workers <= API_WORKERS_MAX:
        raise ConfigError(API_WORKERS_KNOB, f"{workers} is not {workers_what}")
    return RuntimeConfig(
        mode, port, api_port, app_module, timeout, idle, policy, fallback, trusted, limits, transport, workers
    )


# A body limit below 1 KiB would refuse ordinary JSON; above 100 MiB it bounds nothing an API should hold.
BODY_LIMIT_RANGE = (1024, 100 * 1024 * 1024)


def body_limits(env: Mapping[str, str]) -> BodyLimits:
    """MAX_BODY_BYTES (every route) and AUTH_MAX_BODY_BYTES (/api/v1/auth/*, never above the other)."""
    least, most = BODY_LIMIT_RANGE
    what = f"a number of bytes from {least} to {most}"
    sizes = {}
    for name in ("MAX_BODY_BYTES", "AUTH_MAX_BODY_BYTES"):
        raw = env.get(name, "")
        size = int(ascii_number(name, raw, what))
        if not least <= size <= most:
            raise ConfigError(name, f"{raw.strip()!r} is not {what}")
        sizes[name] = size
    if sizes["AUTH_MAX_BODY_BYTES"] > sizes["MAX_BODY_BYTES"]:
        raise ConfigError(
            "AUTH_MAX_BODY_BYTES", "is larger than MAX_BODY_BYTES; the auth routes take tiny bodies"
        )
    return BodyLimits(default=sizes["MAX_BODY_BYTES"], auth=sizes["AUTH_MAX_BODY_BYTES"])


def upstream_try_duration(upstream_timeout: float) -> float:
    """Caddy's lb_try_duration: the retry window, never longer than the upstream timeout.

    Caddy stops retrying once the time since the request arrived reaches lb_try_duration, and a
    response-header timeout only fires after at least UPSTREAM_TIMEOUT has passed since then; so with
    this bound a GET that timed out is answered with one 504, never sent to the API a second time.
    """
    return min(RETRY_WINDOW_MAX, upstream_timeout)


def caddy_duration(seconds: float) -> str:
    """A Caddy (Go) duration for a number of seconds, in plain decimals (`:g` gives 1e-05, unparsable)."""
    text = format(Decimal(repr(seconds)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}s"


def caddy_env(config: RuntimeConfig) -> dict[str, str]:
    """What deploy/Caddyfile reads through {$EDGE_*}: the policy precompiled for Caddy.

    A Caddyfile cannot leave a header out depending on a variable, so a header that must not be sent
    (credentials off, nothing to expose) gets a matcher regex that never matches.
    """
    p = config.policy
    return {
        "EDGE_CORS_ORIGIN_RE": p.origin_re,
        "EDGE_CORS_CRED_ORIGIN_RE": p.origin_re if p.credentials else NEVER_RE,
        "EDGE_CORS_EXPOSE_ORIGIN_RE": p.origin_re if p.expose else NEVER_RE,
        "EDGE_CORS_ALLOW_HEADERS_ORIGIN_RE": p.origin_re if p.headers else NEVER_RE,
        "EDGE_CORS_METHOD_RE": p.method_re,
        "EDGE_CORS_HEADERS_RE": p.headers_re,
        "EDGE_CORS_ACAO": "*" if p.any_origin else "{http.request.header.Origin}",
        "EDGE_CORS_ALLOW_METHODS": ", ".join(p.methods),
        "EDGE_CORS_ALLOW_HEADERS": ", ".join(p.headers),
        "EDGE_CORS_EXPOSE_HEADERS": ", ".join(p.expose),
        "EDGE_CORS_MAX_AGE": str(p.max_age),
        # Literals direct mode emits too (cors_wire.py, request_ids.py): one definition for both.
        "EDGE_CORS_PREFLIGHT_VARY": cors_wire.PREFLIGHT_VARY,
        "EDGE_CORS_RESPONSE_VARY": cors_wire.RESPONSE_VARY,
        "EDGE_CORS_REFUSED_BODY": cors_wire.REFUSED_BODY,
        "EDGE_REQUEST_ID_RE": request_ids.PATTERN,
        "EDGE_UPSTREAM_TIMEOUT": caddy_duration(config.upstream_timeout),
        "EDGE_UPSTREAM_TRY_DURATION": caddy_duration(upstream_try_duration(config.upstream_timeout)),
        "EDGE_UPSTREAM_IDLE_CONNS": str(config.upstream_idle_conns),
        "EDGE_MAX_BODY_BYTES": str(config.body_limits.default),
        "EDGE_AUTH_MAX_BODY_BYTES": str(config.body_limits.auth),
        # Caddyfile `trusted_proxies static {$EDGE_TRUSTED_PROXIES}`: one range per word.
        "EDGE_TRUSTED_PROXIES": " ".join(str(n) for n in config.trusted_proxies),
    }


# What the launcher hands every child (launch.child_env) once it has validated the configuration: the CORS
# policy and the body limits, defaults applied, in canonical form. Direct mode and the API's CSRF guard read
# them from their environment (handed_down_policy, handed_down_limits), so the defaults file is read and the
# raw values are judged once, at the start, and every layer enforces the one policy the launcher accepted.
POLICY_VARIABLES = (
    "CORS_ALLOW_ORIGINS",
    "CORS_ALLOW_METHODS",
    "CORS_ALLOW_HEADERS",
    "CORS_EXPOSE_HEADERS",
    "CORS_MAX_AGE",
    "CORS_ALLOW_CREDENTIALS",
)
BODY_LIMIT_VARIABLES = ("MAX_BODY_BYTES", "AUTH_MAX_BODY_BYTES")


def handed_down_env(config: RuntimeConfig) -> dict[str, str]:
    """The validated policy and body limits as variables; they parse back to exactly ``config``'s."""
    p, limits = config.policy, config.body_limits
    return {
        "CORS_ALLOW_ORIGINS": " ".join(p.origins),
        "CORS_ALLOW_METHODS": ", ".join(p.methods),
        "CORS_ALLOW_HEADERS": ", ".join(p.headers),
        "CORS_EXPOSE_HEADERS": ", ".join(p.expose),
        "CORS_MAX_AGE": str(p.max_age),
        "CORS_ALLOW_CREDENTIALS": "true" if p.credentials else "false",
        "MAX_BODY_BYTES": str(limits.default),
        "AUTH_MAX_BODY_BYTES": str(limits.auth),
    }


def handed_down(env: Mapping[str, str], names: Iterable[str], reader: str) -> Mapping[str, str]:
    """``env`` when it holds every one of ``names``, as the launcher's children's always does.

    Anything else is a process started without the launcher (uvicorn by hand, a test in-process): a
    ConfigError naming the first missing variable, instead of a policy made up from partial values.
    """
    wanted = tuple(names)
    for name in wanted:
        if name not in env:
            raise ConfigError(
                name,
                f"not set; {reader} reads {', '.join(wanted)} from the environment the launcher "
                "(deploy/entrypoint.py: make serve, the image) hands it, defaults applied; start it through "
                "the launcher, or set all of them",
            )
    return env


def handed_down_policy(env: Mapping[str, str], reader: str) -> CorsPolicy:
    """The CORS policy the launcher validated, from a child's environment (see handed_down)."""
    return parse_policy(handed_down(env, POLICY_VARIABLES, reader))


def handed_down_limits(env: Mapping[str, str], reader: str) -> BodyLimits:
    """The body limits the launcher validated, from a child's environment (see handed_down)."""
    return body_limits(handed_down(env, BODY_LIMIT_VARIABLES, reader))
