"""One place for every default: deploy/defaults.env holds each stack variable's, and the README says the same.

The README's first configuration table lists the stack's variables; the reference API's own settings
(the second table) keep their defaults in the API's code. Nothing else may carry a stack default: no
fallback in the parsers, no ENV in the Dockerfile (it would win over the file).
"""

import re

import pytest
from checkout import DEPLOY_DIR, REPO, load_defaults

from edge_sidecar.policy import ConfigError, parse_policy

ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]*)` \| ([^|]*) \|", re.MULTILINE)


def stack_table() -> dict[str, str]:
    """The README's stack table (the first under "## Configuration"): variable -> its default cell."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("\n## Configuration\n", 1)[1]
    table = re.search(r"\| variable \| default \| meaning \|\n\|---\|---\|---\|\n((?:\|.*\n)+)", section)
    assert table, "no table under ## Configuration"
    return {name: cell.strip() for name, cell in ROW.findall(table.group(1))}


def test_every_stack_variable_documented_has_its_default_in_the_file() -> None:
    defaults, documented = load_defaults(), stack_table()
    assert documented, "the README's stack table is empty"
    for name, cell in documented.items():
        if cell == "unset":
            assert name not in defaults, f"{name} is documented as unset but deploy/defaults.env sets it"
        else:
            assert cell == f"`{defaults.get(name)}`", f"{name}: README {cell}, file {defaults.get(name)!r}"


def test_every_default_in_the_file_is_documented() -> None:
    undocumented = set(load_defaults()) - set(stack_table())
    assert not undocumented, f"deploy/defaults.env sets variables the README's table lacks: {undocumented}"


def test_the_dockerfile_repeats_no_default() -> None:
    dockerfile = (DEPLOY_DIR / "Dockerfile").read_text()
    env_block = re.findall(r"^ENV (.*(?:\\\n.*)*)", dockerfile, re.MULTILINE)
    for name in load_defaults():
        assert not any(re.search(rf"\b{name}=", block) for block in env_block), f"ENV {name} (Dockerfile)"
    assert f"EXPOSE {load_defaults()['PORT']}\n" in dockerfile


@pytest.mark.parametrize("missing", ["CORS_ALLOW_CREDENTIALS", "CORS_MAX_AGE"])
def test_the_policy_parser_has_no_defaults_of_its_own(missing: str) -> None:
    env = {k: v for k, v in load_defaults().items() if k.startswith("CORS_") and k != missing}
    with pytest.raises(ConfigError) as refused:
        parse_policy(env)
    assert refused.value.variable == missing
