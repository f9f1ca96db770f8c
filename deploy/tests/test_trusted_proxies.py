"""TRUSTED_PROXIES: which edge may set X-Forwarded-*; parsed, refused, and handed to Caddy and uvicorn."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from checkout import DEPLOY_DIR, load_defaults

from edge_sidecar.config import caddy_env, parse_runtime
from edge_sidecar.launch import direct_argv
from edge_sidecar.policy import ConfigError

DEFAULTS = load_defaults()
ENTRYPOINT = DEPLOY_DIR / "entrypoint.py"
FORGE = "trusting (nearly) everyone lets any client forge its IP and scheme; name only the edge's addresses"


def allowed_ips(argv: list[str]) -> str:
    return argv[argv.index("--forwarded-allow-ips") + 1]


def test_default_is_railways_edge_range() -> None:
    assert DEFAULTS["TRUSTED_PROXIES"] == "100.64.0.0/10"
    config = parse_runtime(DEFAULTS)
    assert caddy_env(config)["EDGE_TRUSTED_PROXIES"] == "100.64.0.0/10"
    assert allowed_ips(direct_argv(config)) == "127.0.0.1,100.64.0.0/10"


GOOD: list[tuple[str, str]] = [
    # value, EDGE_TRUSTED_PROXIES (Caddy: one range per word; uvicorn gets the same, comma-joined)
    ("100.64.0.0/10", "100.64.0.0/10"),
    ("127.0.0.1", "127.0.0.1/32"),  # a plain address is one host
    ("::1", "::1/128"),
    ("10.0.0.0/8", "10.0.0.0/8"),  # the widest IPv4 range allowed
    ("2600::/16", "2600::/16"),  # the widest IPv6 range allowed
    ("2001:DB8::/32", "2001:db8::/32"),  # written canonically
    ("192.0.2.0/255.255.255.0", "192.0.2.0/24"),  # a netmask is read as its prefix
    ("::ffff:10.0.0.0/104", "::ffff:a00:0/104"),  # IPv4-mapped, as narrow as IPv4 /8
    (" 127.0.0.1,  100.64.0.0/10 ", "127.0.0.1/32 100.64.0.0/10"),
    ("127.0.0.1 ::1,,10.0.0.0/8", "127.0.0.1/32 ::1/128 10.0.0.0/8"),
    ("127.0.0.1 127.0.0.1/32", "127.0.0.1/32"),  # repeats dropped, order kept
]


@pytest.mark.parametrize(("value", "caddy"), GOOD)
def test_good_values(value: str, caddy: str) -> None:
    config = parse_runtime({**DEFAULTS, "TRUSTED_PROXIES": value})
    assert caddy_env(config)["EDGE_TRUSTED_PROXIES"] == caddy
    # Direct mode: uvicorn faces the edge itself; loopback stays trusted as in sidecar mode.
    assert allowed_ips(direct_argv(config)) == ",".join(["127.0.0.1", *caddy.split(" ")])


EMPTY = "empty; name the addresses of the TLS-terminating edge (default 100.64.0.0/10, Railway's)"
BAD: list[tuple[str, str]] = [
    ("", EMPTY),
    (" , ", EMPTY),
    ("edge", "'edge' is not an IPv4/IPv6 address or network (CIDR)"),
    ("127.0.0.1 railway", "'railway' is not an IPv4/IPv6 address or network (CIDR)"),
    ("*", "'*' is not an IPv4/IPv6 address or network (CIDR)"),
    ("127.1", "'127.1' is not an IPv4/IPv6 address or network (CIDR)"),
    ("010.0.0.1", "'010.0.0.1' is not an IPv4/IPv6 address or network (CIDR)"),  # octal or decimal?
    ("10.0.0.0/33", "'10.0.0.0/33' is not an IPv4/IPv6 address or network (CIDR)"),
    ("10.0.0.0/", "'10.0.0.0/' is not an IPv4/IPv6 address or network (CIDR)"),
    ("0.0.0.0/0", f"'0.0.0.0/0' is wider than /8: {FORGE}"),
    ("::/0", f"'::/0' is wider than /16: {FORGE}"),
    ("0.0.0.0/7", f"'0.0.0.0/7' is wider than /8: {FORGE}"),
    ("2000::/15", f"'2000::/15' is wider than /16: {FORGE}"),
    ("100.64.0.0/10 0.0.0.0/0", f"'0.0.0.0/0' is wider than /8: {FORGE}"),  # one bad item is enough
    ("::/16", f"'::/16' holds IPv4-mapped addresses wider than IPv4 /8: {FORGE}"),
    ("::ffff:0:0/96", f"'::ffff:0:0/96' holds IPv4-mapped addresses wider than IPv4 /8: {FORGE}"),
    (
        "100.64.0.1/10",
        "'100.64.0.1/10' has host bits set; write the network as 100.64.0.0/10 (or the address alone)",
    ),
    (
        "2001:db8::1/64",
        "'2001:db8::1/64' has host bits set; write the network as 2001:db8::/64 (or the address alone)",
    ),
    ("fe80::1%eth0", "'fe80::1%eth0': an IPv6 zone (%...) is not allowed; drop it"),
    ("١٢٧.0.0.1", "'١٢٧.0.0.1' has non-ASCII characters; write addresses with ASCII digits"),  # Arabic-Indic
    ("127.0.0.1/３２", "'127.0.0.1/３２' has non-ASCII characters; write addresses with ASCII digits"),  # noqa: RUF001
]


@pytest.mark.parametrize(("value", "message"), BAD)
def test_refused_values(value: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_runtime({**DEFAULTS, "TRUSTED_PROXIES": value})
    assert err.value.variable == "TRUSTED_PROXIES"
    assert str(err.value) == f"TRUSTED_PROXIES: {message}"


def run_entrypoint(value: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The real entrypoint as the image runs it, with only TRUSTED_PROXIES set."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "TRUSTED_PROXIES": value}
    return subprocess.run(
        [sys.executable, str(ENTRYPOINT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )


THROUGH_ENTRYPOINT = {"", "edge", "0.0.0.0/0", "::/0", "::/16", "100.64.0.1/10", "١٢٧.0.0.1"}


@pytest.mark.processes
@pytest.mark.parametrize(("value", "message"), [case for case in BAD if case[0] in THROUGH_ENTRYPOINT])
def test_the_entrypoint_refuses_in_one_line_with_exit_code_2(
    value: str, message: str, tmp_path: Path
) -> None:
    result = run_entrypoint(value, tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"edge-sidecar: invalid configuration: TRUSTED_PROXIES: {message}\n"
    assert result.stdout == ""
