"""The launcher validates once and hands the result down: children read it from their env, never the file."""

import importlib.metadata
from pathlib import Path

import pytest
from checkout import DEPLOY_DIR, launcher_env, load_defaults

from edge_sidecar import config, direct, launch
from edge_sidecar.policy import parse_policy

POLICIES = [
    {},
    {"CORS_ALLOW_ORIGINS": "https://*.preview.zebra.associates, http://localhost:3001 http://localhost:3001"},
    {"CORS_ALLOW_ORIGINS": "*", "CORS_ALLOW_CREDENTIALS": "false", "CORS_EXPOSE_HEADERS": ""},
    {"CORS_ALLOW_HEADERS": "", "CORS_ALLOW_METHODS": "GET,POST", "CORS_MAX_AGE": "0"},
    {"MAX_BODY_BYTES": "4096", "AUTH_MAX_BODY_BYTES": "2048"},
]


def runtime(overrides: dict[str, str]) -> config.RuntimeConfig:
    return config.parse_runtime(config.effective_env(overrides, load_defaults()))


@pytest.mark.parametrize("overrides", POLICIES)
def test_what_is_handed_down_parses_back_to_the_validated_policy(overrides: dict[str, str]) -> None:
    validated = runtime(overrides)
    handed = config.handed_down_env(validated)
    assert set(handed) == {*config.POLICY_VARIABLES, *config.BODY_LIMIT_VARIABLES}
    assert parse_policy(handed) == config.handed_down_policy(handed, "a test") == validated.policy
    assert config.handed_down_limits(handed, "a test") == validated.body_limits


def test_the_children_get_the_validated_values_not_the_raw_ones(tmp_path: Path) -> None:
    raw = {"CORS_ALLOW_ORIGINS": " http://localhost:3001,,http://localhost:3001 ", "CORS_MAX_AGE": " 60"}
    env = config.effective_env(raw, load_defaults())
    child = launch.child_env(env, config.parse_runtime(env), tmp_path, DEPLOY_DIR)
    assert child["CORS_ALLOW_ORIGINS"] == "http://localhost:3001"
    assert child["CORS_MAX_AGE"] == "60"
    assert child["EDGE_DEPLOY_DIR"] == str(DEPLOY_DIR)


def test_edge_sidecar_is_installed_not_put_on_the_path() -> None:
    env = config.effective_env({"PYTHONPATH": "/ext"}, load_defaults())
    child = launch.child_env(env, config.parse_runtime(env), None, DEPLOY_DIR)
    # The user's entry first (their APP_MODULE wins), then the reference app's directory; not deploy/.
    assert child["PYTHONPATH"].split(":") == ["/ext", str(DEPLOY_DIR.parent / "backend")]
    assert importlib.metadata.version("edge-sidecar")
    assert any(r.startswith("edge-sidecar") for r in importlib.metadata.requires("edge-api") or [])


def test_the_log_config_ships_inside_the_package() -> None:
    assert launch.LOG_CONFIG.is_file()
    assert launch.LOG_CONFIG.parent == Path(config.__file__).resolve().parent
    assert "--log-config %(ENV_EDGE_LOG_CONFIG)s" in (DEPLOY_DIR / "supervisord.conf").read_text()


def test_direct_mode_never_reads_the_defaults_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_path: Path) -> dict[str, str]:
        raise AssertionError("a child read the defaults file")

    for name, value in launcher_env({"CORS_ALLOW_ORIGINS": "http://localhost:3001"}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(config, "load_defaults", refuse)
    monkeypatch.setattr(direct, "import_from_string", lambda _name: object())
    monkeypatch.delenv("EDGE_FALLBACK", raising=False)
    direct.create_app()  # refuse() raises if building the app reads the defaults file


@pytest.mark.parametrize("missing", [*config.POLICY_VARIABLES, *config.BODY_LIMIT_VARIABLES, "APP_MODULE"])
def test_direct_mode_without_the_launcher_says_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], missing: str
) -> None:
    for name, value in launcher_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(missing)
    with pytest.raises(SystemExit) as stopped:
        direct.create_app()
    assert stopped.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"edge-sidecar: invalid configuration: {missing}: not set; direct mode")
    assert "deploy/entrypoint.py" in line
