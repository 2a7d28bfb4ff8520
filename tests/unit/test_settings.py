"""Settings: sources and their order, defaults, and errors a user can act on."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from agent.config.settings import Settings, load_settings
from agent.core.errors import ConfigError
from tests.support.isolation import isolate_environment

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "agent.example.toml"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)
    monkeypatch.delenv("DISPUTE_AGENT_BROWSER__TRACE_ON_FAILURE")  # the agent's own defaults


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(excinfo: pytest.ExceptionInfo[ConfigError]) -> list[str]:
    return excinfo.value.problems


def test_defaults_without_any_file(tmp_path: Path) -> None:
    settings = load_settings()

    assert settings.config_file is None
    assert settings.site.base_url == "https://www.aliexpress.com"
    assert settings.site.time_zone == "UTC"
    assert settings.state.dir == tmp_path / "state" / "dispute-agent"
    assert settings.state.db_path == settings.state.dir / "agent.db"
    assert settings.state.sessions_dir == settings.state.dir / "sessions"
    assert settings.state.evidence_dir == settings.state.dir / "evidence"
    assert settings.session_file == settings.state.dir / "sessions" / "default.json"
    assert settings.browser.headless is True
    assert settings.browser.executable is None and settings.browser.cdp_url is None
    assert (settings.browser.timeout_ms, settings.browser.navigation_timeout_ms) == (30000, 45000)
    assert settings.browser.trace_on_failure is True
    assert (settings.politeness.min_delay_ms, settings.politeness.max_delay_ms) == (400, 1200)
    assert (settings.politeness.detail_concurrency, settings.politeness.dispute_concurrency) == (2, 1)
    assert (settings.account.name, settings.account.login) == ("default", None)
    assert settings.secrets.keyring_backend is None
    assert settings.secrets.allow_plaintext_keyring is False


def test_toml_file_is_read(tmp_path: Path) -> None:
    config = write(
        tmp_path / "agent.toml",
        """
        [site]
        base_url = "http://127.0.0.1:8080/"
        time_zone = "Europe/Berlin"
        [state]
        dir = "~/agent-state"
        [browser]
        headless = false
        timeout_ms = 5000
        [account]
        name = "me.second_1"
        login = "buyer@example.com"
        """,
    )

    settings = load_settings(config)

    assert settings.config_file == config
    assert settings.site.base_url == "http://127.0.0.1:8080"  # trailing slash dropped
    assert settings.site.zone.key == "Europe/Berlin"
    assert settings.state.dir == Path("~/agent-state").expanduser()
    assert settings.browser.headless is False
    assert settings.browser.timeout_ms == 5000
    assert settings.browser.navigation_timeout_ms == 45000  # untouched keys keep defaults
    assert settings.session_file.name == "me.second_1.json"


def test_default_file_in_user_config_dir_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "config" / "dispute-agent"
    folder.mkdir(parents=True)
    write(folder / "agent.toml", "[politeness]\ndetail_concurrency = 4\n")

    settings = load_settings()

    assert settings.politeness.detail_concurrency == 4
    assert settings.config_file == folder / "agent.toml"


def test_environment_beats_file_and_arguments_beat_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(tmp_path / "agent.toml", "[browser]\ntimeout_ms = 5000\nheadless = true\n")
    monkeypatch.setenv("DISPUTE_AGENT_BROWSER__TIMEOUT_MS", "7000")
    monkeypatch.setenv("DISPUTE_AGENT_SITE__BASE_URL", "http://sandbox:8000")

    from_env = load_settings(config)
    from_args = load_settings(config, browser={"timeout_ms": 9000})

    assert from_env.browser.timeout_ms == 7000
    assert from_env.site.base_url == "http://sandbox:8000"
    assert from_env.browser.headless is True  # the file's other keys are kept
    assert from_args.browser.timeout_ms == 9000
    assert from_args.browser.headless is True


def test_bare_browser_variable_names_the_executable_not_a_section(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPUTE_AGENT_BROWSER", "/usr/bin/chromium")  # not JSON for the section
    monkeypatch.setenv("DISPUTE_AGENT_PASSWORD", "not a setting")

    assert load_settings().browser.executable == "/usr/bin/chromium"


def test_browser_variable_beats_the_file_and_loses_to_the_long_name_and_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(tmp_path / "agent.toml", '[browser]\nexecutable = "/opt/from-file"\nheadless = false\n')
    assert load_settings(config).browser.executable == "/opt/from-file"

    monkeypatch.setenv("DISPUTE_AGENT_BROWSER", "/opt/short-variable")
    from_short = load_settings(config)
    assert from_short.browser.executable == "/opt/short-variable"
    assert from_short.browser.headless is False  # the file's other keys are kept
    assert load_settings(config, browser={"executable": "/opt/argument"}).browser.executable == "/opt/argument"

    monkeypatch.setenv("DISPUTE_AGENT_BROWSER__EXECUTABLE", "/opt/long-variable")
    assert load_settings(config).browser.executable == "/opt/long-variable"


def test_invalid_file_gives_one_line_per_problem_naming_key_and_file(tmp_path: Path) -> None:
    config = write(
        tmp_path / "agent.toml",
        """
        [browser]
        timeout_ms = "soon"
        [politeness]
        detail_concurrency = 20
        [site]
        time_zone = "Mars/Olympus_Mons"
        [account]
        name = "../etc/passwd"
        """,
    )

    with pytest.raises(ConfigError) as excinfo:
        load_settings(config)

    problems = problems_of(excinfo)
    assert len(problems) == 4
    assert all("\n" not in line and str(config) in line for line in problems)
    by_key = {line.split(":", 1)[0]: line for line in problems}
    assert set(by_key) == {
        "browser.timeout_ms",
        "politeness.detail_concurrency",
        "site.time_zone",
        "account.name",
    }
    assert "browser.timeout_ms: Input should be a valid integer" in by_key["browser.timeout_ms"]
    assert "soon" not in by_key["browser.timeout_ms"]  # values are never echoed
    assert excinfo.value.exit_code == 2
    assert str(excinfo.value).endswith("(every key is described in config/agent.example.toml)")


def test_problem_from_environment_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPUTE_AGENT_BROWSER__HEADLESS", "perhaps")

    with pytest.raises(ConfigError) as excinfo:
        load_settings()

    assert problems_of(excinfo) == [
        "browser.headless: Input should be a valid boolean, unable to interpret input "
        "(from environment variable DISPUTE_AGENT_BROWSER__HEADLESS)"
    ]


@pytest.mark.parametrize(
    "text, key",
    [
        ("[browser]\ntimeot_ms = 100\n", "browser.timeot_ms"),
        ("[sites]\nbase_url = 'https://x'\n", "sites"),
        ("top_level = 1\n", "top_level"),
    ],
)
def test_unknown_key_is_rejected(tmp_path: Path, text: str, key: str) -> None:
    config = write(tmp_path / "agent.toml", text)

    with pytest.raises(ConfigError) as excinfo:
        load_settings(config)

    assert problems_of(excinfo) == [f"{key}: unknown key (a typo?) (in {config})"]


def test_cross_field_rule_names_its_section(tmp_path: Path) -> None:
    config = write(tmp_path / "agent.toml", "[politeness]\nmin_delay_ms = 900\nmax_delay_ms = 9\n")

    with pytest.raises(ConfigError) as excinfo:
        load_settings(config)

    assert problems_of(excinfo) == [
        f"politeness: max_delay_ms must be at least min_delay_ms (in {config})"
    ]


def test_toml_syntax_error_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    config = write(tmp_path / "agent.toml", "[site]\nbase_url = 'https://x'\ntime_zone = \n")

    with pytest.raises(ConfigError) as excinfo:
        load_settings(config)

    (line,) = problems_of(excinfo)
    assert line.startswith(f"{config}: line 3, column ")
    assert "TOML syntax error" in line


@pytest.mark.parametrize("make_dir", [False, True])
def test_missing_explicit_file_is_an_error(tmp_path: Path, make_dir: bool) -> None:
    missing = tmp_path / "nowhere.toml"
    if make_dir:
        missing.mkdir()

    with pytest.raises(ConfigError) as excinfo:
        load_settings(missing)

    assert problems_of(excinfo)[0].startswith(f"{missing}: ")
    assert str(missing) in str(excinfo.value)


@pytest.mark.parametrize(
    "overrides, key",
    [
        ({"site": {"base_url": "ftp://example.com"}}, "site.base_url"),
        ({"browser": {"cdp_url": "chromium:9222"}}, "browser.cdp_url"),
        ({"browser": {"timeout_ms": 0}}, "browser.timeout_ms"),
        ({"account": {"name": ".hidden"}}, "account.name"),
        ({"account": {"name": "a/b"}}, "account.name"),
        ({"secrets": {"keyring_backend": "not a path"}}, "secrets.keyring_backend"),
        ({"politeness": {"detail_concurrency": 0}}, "politeness.detail_concurrency"),
    ],
)
def test_invalid_values_are_refused(overrides: dict, key: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_settings(**overrides)

    (line,) = problems_of(excinfo)
    assert line.startswith(f"{key}: ") and line.endswith("(from arguments)")


def test_example_file_loads_and_documents_every_key() -> None:
    """The example is the reference: it must load, and name every key of every section."""
    settings = load_settings(EXAMPLE)
    assert settings.browser == load_settings().browser  # all commented out: defaults

    text = EXAMPLE.read_text(encoding="utf-8")
    tomllib.loads(text)
    sections = dict(re.findall(r"(?ms)^\[(\w+)\]\n(.*?)(?=^\[|\Z)", text))
    preamble = text.split("\n[", 1)[0]
    for name, field in Settings.model_fields.items():
        if name == "time_zone":  # the one top-level key, before any section
            assert re.search(r"(?m)^# time_zone = ", preamble), "time_zone undocumented"
            continue
        assert name in sections, f"[{name}] missing from {EXAMPLE.name}"
        for key in field.annotation.model_fields:
            if key == "time_zone" and name in ("notifications", "schedule", "policy"):
                continue  # read from old files only; the top-level time_zone replaced them
            assert re.search(rf"(?m)^# {key} = ", sections[name]), f"{name}.{key} undocumented"
