"""Browser origins the auth endpoints trust: the CORS policy Caddy enforces, read from the same variables.

Login redirects (``redirect_uri``, logout ``returnTo``) and the ``Origin`` of cookie-bound POSTs are
checked against it, so a page the CORS policy does not admit can neither receive a login code through
this API nor drive its cookie endpoints. The policy is the one the launcher validated and handed to the
API in its environment (the CORS_* variables, defaults applied: ``edge_sidecar.config.handed_down_env``),
parsed by ``edge_sidecar.policy`` (the installed edge-sidecar package): one parser, one meaning. The API
never reads the defaults file; run without the launcher (a test in-process, uvicorn by hand), it needs
every CORS_* variable set and says which one is missing.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from edge_api.auth.settings import AuthConfigError
from edge_sidecar.config import handed_down_policy
from edge_sidecar.policy import ConfigError, CorsPolicy

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class TrustedOrigins:
    policy: CorsPolicy

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "TrustedOrigins":
        try:
            return cls(handed_down_policy(env, "the API's CSRF guard (edge_api.auth.origins)"))
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
