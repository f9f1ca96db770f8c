"""The CORS policy: parse and validate the CORS_* variables once, for Caddy and for the app's fallback.

Both layers must decide identically, so the decisions are expressed as anchored regular expressions
that mean the same in Python's `re` and Go's RE2 (Caddy): no backslashes (Caddyfile quoting stays
trivial), no braces (Caddy would read them as placeholders), no look-arounds (RE2 has none).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from publicsuffixlist import PublicSuffixList

# One DNS label, lowercase: browsers serialise Origin hosts in lowercase, so an upper-case
# variant is a different (disallowed) origin byte for byte.
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_LABEL_RE = re.compile(_LABEL)
_HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_METHOD = re.compile(r"[A-Za-z]+")
_ORIGIN = re.compile(r"(?P<scheme>[^:/]+)://(?P<host>[^:/?#]*)(?::(?P<port>[^/?#]*))?(?P<rest>.*)", re.DOTALL)
# ASCII digits only: `\d` and str.isdigit() also take Arabic-Indic, full-width or superscript digits,
# which int()/float() accept (or choke on) but no browser, Caddy or uvicorn means by a number.
_IPV4 = re.compile(r"[0-9]+(?:\.[0-9]+){3}")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*")
_INTEGER = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")
# Method names browsers send in upper case whatever the page wrote (fetch normalises the first six), or
# standard ones: a lower-case `get` in the list never matches a preflight's Access-Control-Request-Method.
_STANDARD_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE")
_DEFAULT_PORTS = {"http": "80", "https": "443"}
# RFC 9110 5.6.3 OWS: space and horizontal tab (a literal tab, so no backslash reaches Caddy).
_OWS = " \t"
NEVER_RE = "^x^"  # RE2 and re: `^` after a character never matches, so this matches nothing.


class ConfigError(ValueError):
    """A configuration variable that does not parse; `variable` names it for the one-line error."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable = variable


def ascii_number(variable: str, raw: str, what: str, *, integer: bool = True) -> float:
    """`raw` as a plain decimal number in ASCII digits (no sign, exponent, `_` or non-ASCII digits).

    Python's int() and float() take Arabic-Indic and full-width digits (and str.isdigit() says yes to a
    superscript two, which int() refuses with a traceback): a number here is what every other program
    reading it means too.
    """
    value = raw.strip()
    if not value.isascii():
        raise ConfigError(variable, f"{value!r} has non-ASCII characters; expected {what}, in digits 0-9")
    if not (_INTEGER if integer else _DECIMAL).fullmatch(value):
        raise ConfigError(variable, f"{value!r} is not {what}")
    return int(value) if integer else float(value)


@lru_cache(maxsize=1)
def public_suffixes() -> PublicSuffixList:
    """The Public Suffix List shipped in the `publicsuffixlist` package (ICANN and private sections)."""
    return PublicSuffixList(only_icann=False)


def split_list(raw: str) -> list[str]:
    """Split a space- or comma-separated list, dropping empty items."""
    return [item for item in re.split(r"[\s,]+", raw.strip()) if item]


def _dot(text: str) -> str:
    # `.` is the only regex metacharacter a validated origin can contain.
    return text.replace(".", "[.]")


def parse_origin(origin: str, *, variable: str = "CORS_ALLOW_ORIGINS") -> str:
    """Validate one configured origin and return its regex (anchoring is done by the caller)."""
    if origin == "null":
        raise ConfigError(variable, "'null' is not an allowed origin (sandboxed iframes and file:// send it)")
    if origin.partition("://")[2].startswith("["):
        # `[` and `]` would need escaping in both regex dialects, and no browser app is served from one.
        raise ConfigError(variable, f"{origin!r}: IPv6 address origins are not supported; use a host name")
    m = _ORIGIN.fullmatch(origin)
    if not m:
        raise ConfigError(variable, f"{origin!r} is not scheme://host[:port]")
    scheme, host, port, rest = m["scheme"], m["host"], m["port"], m["rest"]
    if scheme not in _DEFAULT_PORTS:
        raise ConfigError(variable, f"{origin!r}: scheme must be http or https")
    if rest:
        raise ConfigError(variable, f"{origin!r}: an origin has no path, query or trailing slash")
    if port is not None:
        if not port.isascii():
            raise ConfigError(variable, f"{origin!r}: write the port with ASCII digits 0-9")
        if not _INTEGER.fullmatch(port) or not 1 <= int(port) <= 65535:
            raise ConfigError(variable, f"{origin!r}: port must be a number from 1 to 65535")
        if port != str(int(port)) or port == _DEFAULT_PORTS[scheme]:
            # Browsers omit the default port and never send leading zeros: such an entry never matches.
            raise ConfigError(variable, f"{origin!r}: write the port as browsers send it (no default port)")
    if host != host.lower():
        raise ConfigError(variable, f"{origin!r}: host must be lowercase (browsers send it lowercase)")
    if not host.isascii():
        raise ConfigError(
            variable, f"{origin!r}: write the host as browsers send it, in ASCII (punycode xn--... for IDNs)"
        )
    labels = host.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        # A host ending in a number is an IPv4 address to a browser (WHATWG URL): it sends the canonical
        # dotted quad, and refuses the URL outright when an octet is over 255.
        host_re = _dot(_ipv4_host(origin, host, variable))
    else:
        if "*" in host and (labels.count("*") != 1 or len(labels) - labels.index("*") < 3):
            raise ConfigError(
                variable,
                f"{origin!r}: a wildcard stands for exactly one label and needs two fixed labels after it",
            )
        for label in labels:
            if label != "*" and not _LABEL_RE.fullmatch(label):
                raise ConfigError(variable, f"{origin!r}: {label!r} is not a valid host name label")
        if "*" in labels:
            _check_wildcard_suffix(origin, ".".join(labels[labels.index("*") + 1 :]), variable)
        host_re = "[.]".join(_LABEL if label == "*" else label for label in labels)
    return f"{scheme}://{host_re}" + (f":{port}" if port else "")


def _ipv4_host(origin: str, host: str, variable: str) -> str:
    """A numeric host: exactly four decimal octets from 0 to 255, without leading zeros."""
    if "*" in host:
        raise ConfigError(variable, f"{origin!r}: an IP address cannot have a wildcard")
    if not _IPV4.fullmatch(host):
        raise ConfigError(variable, f"{origin!r}: an IPv4 address is four decimal numbers a.b.c.d")
    for octet in host.split("."):
        if int(octet) > 255:
            raise ConfigError(variable, f"{origin!r}: {octet} is not an IPv4 octet (0-255)")
    canonical = ".".join(str(int(octet)) for octet in host.split("."))
    if canonical != host:
        raise ConfigError(variable, f"{origin!r}: write the address as browsers send it ({canonical})")
    return host


def _check_wildcard_suffix(origin: str, fixed: str, variable: str) -> None:
    """Refuse a wildcard whose fixed part is a public suffix (`*.co.uk`, `*.github.io`, `*.up.railway.app`).

    Under a public suffix every label is someone else's registrable name: the wildcard would give
    credentialed CORS to anyone who registers one (a platform preview domain is free to take).
    """
    psl = public_suffixes()
    if psl.privatesuffix(fixed) is None:
        suffix = psl.publicsuffix(fixed) or fixed
        raise ConfigError(
            variable,
            f"{origin!r}: {suffix} is a public suffix, so every registrable name under {suffix} would get "
            "credentialed CORS; list the origins or use a wildcard under your own domain",
        )


def _methods(raw: str) -> tuple[str, ...]:
    """CORS_ALLOW_METHODS: case-sensitive tokens; a standard method in another case is a mistake."""
    methods = _tokens("CORS_ALLOW_METHODS", raw, _METHOD, "method")
    for method in methods:
        upper = method.upper()
        if upper in _STANDARD_METHODS and method != upper:
            raise ConfigError(
                "CORS_ALLOW_METHODS", f"{method!r}: methods are case-sensitive: did you mean {upper}?"
            )
    return methods


def _tokens(variable: str, raw: str, pattern: re.Pattern[str], what: str) -> tuple[str, ...]:
    items = split_list(raw)
    for item in items:
        if not pattern.fullmatch(item):
            raise ConfigError(variable, f"{item!r} is not a valid {what}")
    return tuple(dict.fromkeys(items))  # de-duplicate, keep order


def _alternation(items: Iterable[str]) -> str:
    return "(?:" + "|".join(items) + ")"


@dataclass(frozen=True)
class CorsPolicy:
    """A validated CORS policy and the regexes both enforcement layers use."""

    origins: tuple[str, ...]
    any_origin: bool
    methods: tuple[str, ...]
    headers: tuple[str, ...]
    expose: tuple[str, ...]
    max_age: int
    credentials: bool
    origin_re: str
    method_re: str
    headers_re: str

    def allows_origin(self, origin: str | None) -> bool:
        return origin is not None and re.fullmatch(self.origin_re, origin) is not None

    def allows_preflight(self, origin: str | None, method: str, request_headers: str | None) -> bool:
        """Origin allowed, method listed (case-sensitive), every requested header listed (any case)."""
        return (
            self.allows_origin(origin)
            and re.fullmatch(self.method_re, method) is not None
            and re.fullmatch(self.headers_re, request_headers or "") is not None
        )

    def allow_origin_value(self, origin: str) -> str:
        """The Access-Control-Allow-Origin value for an allowed origin."""
        return "*" if self.any_origin else origin


def parse_policy(env: Mapping[str, str]) -> CorsPolicy:
    """Build the policy from CORS_* variables; raise ConfigError naming the first bad one."""
    # No fallback values here: every default is deploy/defaults.env's (the launcher applies it).
    credentials_raw = env.get("CORS_ALLOW_CREDENTIALS", "").strip().lower()
    if credentials_raw not in ("true", "false"):
        raise ConfigError("CORS_ALLOW_CREDENTIALS", f"{credentials_raw!r} is not true or false")
    credentials = credentials_raw == "true"

    origins = tuple(dict.fromkeys(split_list(env.get("CORS_ALLOW_ORIGINS", ""))))
    if not origins:
        raise ConfigError("CORS_ALLOW_ORIGINS", "no origin given; list at least one scheme://host[:port]")
    any_origin = "*" in origins
    if any_origin:
        if credentials:
            raise ConfigError("CORS_ALLOW_ORIGINS", "'*' cannot be used while CORS_ALLOW_CREDENTIALS is true")
        if len(origins) > 1:
            raise ConfigError("CORS_ALLOW_ORIGINS", "'*' already allows every origin; list nothing else")
        # Any serialised origin, but never `null` or a list: still one scheme://host[:port].
        origin_re = "^https?://[^ ,/]+$"
    else:
        origin_re = "^" + _alternation(parse_origin(o) for o in origins) + "$"

    methods = _methods(env.get("CORS_ALLOW_METHODS", ""))
    if not methods:
        raise ConfigError("CORS_ALLOW_METHODS", "no method given")
    headers = _tokens("CORS_ALLOW_HEADERS", env.get("CORS_ALLOW_HEADERS", ""), _HEADER_NAME, "header name")
    expose = _tokens("CORS_EXPOSE_HEADERS", env.get("CORS_EXPOSE_HEADERS", ""), _HEADER_NAME, "header name")

    max_age_what = "a number of seconds from 0 to 86400"
    max_age = int(ascii_number("CORS_MAX_AGE", env.get("CORS_MAX_AGE", ""), max_age_what))
    if max_age > 86400:
        raise ConfigError("CORS_MAX_AGE", f"{max_age} is not {max_age_what}")

    # Access-Control-Request-Headers: an RFC 9110 5.6.1 list of names (any case), possibly empty or
    # absent: optional whitespace (space or tab) around elements, and empty elements (`a,,b`, a leading
    # or trailing comma) ignored, as the RFC asks of recipients. Two names are always parted by a comma.
    # The tab is a literal character, not `\t`: the regex stays free of backslashes (module docstring).
    ows = _OWS
    if headers:
        name = _alternation(h.lower() for h in headers)
        headers_re = f"(?i)^[{ows},]*(?:{name}(?:[{ows}]*,[{ows},]*{name})*)?[{ows},]*$"
    else:
        headers_re = f"^[{ows},]*$"
    return CorsPolicy(
        origins=origins,
        any_origin=any_origin,
        methods=methods,
        headers=headers,
        expose=expose,
        max_age=max_age,
        credentials=credentials,
        origin_re=origin_re,
        method_re="^" + _alternation(methods) + "$",
        headers_re=headers_re,
    )
