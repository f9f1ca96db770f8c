"""Browser origins the auth endpoints trust: the CORS policy Caddy enforces, read from the same variables.

Login redirects (``redirect_uri``, logout ``returnTo``) and the ``Origin`` of cookie-bound POSTs are
checked against it, so a page the CORS policy does not admit can neither receive a login code through
this API nor drive its cookie endpoints. The policy is parsed by ``edge_sidecar.policy`` (the sidecar's
own module, on the path wherever the API runs from this repository or image): one parser, one meaning.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from edge_api.auth.settings import AuthConfigError
from edge_sidecar.config import effective_env, load_defaults
from edge_sidecar.policy import ConfigError, CorsPolicy, parse_policy

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class TrustedOrigins:
    policy: CorsPolicy

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "TrustedOrigins":
        try:
            return cls(parse_policy(effective_env(env, load_defaults())))
        except ConfigError as error:
            raise AuthConfigError(str(error)) from None

    def allows(self, origin: str | None) -> bool:
        """True for an origin the credentialed CORS policy admits; never with ``*`` (no credentials then)."""
        return not self.policy.any_origin and self.policy.allows_origin(origin)

    def check_redirect(self, url: str, name: str) -> str:
        """``url`` when it is an absolute http(s) URL on a trusted origin, else ValueError naming ``name``."""
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port = -1
        origin = f"{parts.scheme}://{parts.hostname or ''}" + (
            f":{port}" if port is not None and port != _DEFAULT_PORTS.get(parts.scheme) else ""
        )
        if (
            parts.scheme not in _DEFAULT_PORTS
            or parts.username is not None
            or parts.password is not None
            or parts.fragment
            or "#" in url
            or port == -1
            # Exactly as a browser serialises the origin (lower-case host, no default port).
            or f"{parts.scheme}://{parts.netloc}" != origin
            or not self.allows(origin)
        ):
            raise ValueError(f"{name} must be an absolute URL on an allowed origin (CORS_ALLOW_ORIGINS)")
        return url
