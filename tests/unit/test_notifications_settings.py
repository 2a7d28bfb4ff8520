"""The [notifications] settings: channels checked by Apprise, secrets never echoed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agent.config.settings import load_settings
from agent.core.errors import ConfigError
from agent.judge.alerts import Severity
from tests.support.isolation import isolate_environment

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "agent.example.toml"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def problems(**notifications) -> list[str]:
    with pytest.raises(ConfigError) as excinfo:
        load_settings(notifications=notifications)
    return excinfo.value.problems


def test_defaults() -> None:
    settings = load_settings().notifications

    assert settings.channels == []
    assert settings.time_zone == "UTC" and settings.zone.key == "UTC"
    assert settings.digest_hour == 8
    assert (settings.retry_backoff_seconds, settings.retry_max_seconds) == (60, 3600)


def test_channels_from_the_file(tmp_path: Path) -> None:
    config = write(tmp_path / "agent.toml", """
        [notifications]
        time_zone = "Europe/Berlin"
        digest_hour = 7
        retry_backoff_seconds = 30
        retry_max_seconds = 600

        [[notifications.channels]]
        name = "mail"
        url = "mailtos://me:Gm41l-app-pass@smtp.example.com?to=me@example.com"

        [[notifications.channels]]
        name = "phone"
        url = "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/987654321"
        severities = ["critical", "critical"]
        attach_screenshots = false
        """)

    settings = load_settings(config).notifications

    mail, phone = settings.channels
    assert (mail.name, mail.severities, mail.attach_screenshots) == ("mail", list(Severity), True)
    assert mail.url.get_secret_value().startswith("mailtos://me:Gm41l-app-pass@")
    assert (phone.name, phone.severities, phone.attach_screenshots) == ("phone", [Severity.CRITICAL], False)
    assert (settings.time_zone, settings.digest_hour) == ("Europe/Berlin", 7)
    assert (settings.retry_backoff_seconds, settings.retry_max_seconds) == (30, 600)
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    assert "Gm41l-app-pass" not in shown and "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in shown


def test_environment_overrides_keys_and_can_hold_the_channels(monkeypatch: pytest.MonkeyPatch) -> None:
    """A container can keep the URLs (secrets) out of the file."""
    monkeypatch.setenv("DISPUTE_AGENT_NOTIFICATIONS__DIGEST_HOUR", "6")
    monkeypatch.setenv("DISPUTE_AGENT_NOTIFICATIONS__CHANNELS",
                       '[{"name": "hook", "url": "json://127.0.0.1:9/hook", "severities": ["warning"]}]')

    settings = load_settings().notifications

    assert settings.digest_hour == 6
    assert [(c.name, c.severities) for c in settings.channels] == [("hook", [Severity.WARNING])]


def test_a_url_apprise_cannot_use_is_one_problem_naming_the_channel_not_the_secret() -> None:
    found = problems(channels=[{"name": "phone", "url": "tgram://Secr3t-bot-t0ken"}])

    assert len(found) == 1
    assert found[0].startswith("notifications.channels.0.url: channel 'phone': Apprise rejects this 'tgram://' URL")
    assert "Secr3t-bot-t0ken" not in found[0]


def test_an_unknown_scheme_is_named() -> None:
    [found] = problems(channels=[{"name": "mail", "url": "smtp://me:Pw-9x7@mail.example.com"}])

    assert "channel 'mail': unknown scheme 'smtp://'" in found
    assert "Pw-9x7" not in found


def test_a_url_without_a_scheme_is_refused_without_echoing_it() -> None:
    [found] = problems(channels=[{"name": "hook", "url": "hooks.example.com/T0ken-abc123"}])

    assert "must start with a scheme" in found and "T0ken-abc123" not in found


def test_a_secret_in_a_bad_url_stays_out_of_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(1)
    problems(channels=[{"name": "chat", "url": "discord://Wh00k-s3cret"},
                       {"name": "mail", "url": "mailto://me:Pa55-w0rd-x@"}])

    assert "Wh00k-s3cret" not in caplog.text and "Pa55-w0rd-x" not in caplog.text
    assert "discord://" in caplog.text  # Apprise did complain, masked


@pytest.mark.parametrize(("channel", "expected"), [
    ({"name": "my mail", "url": "json://127.0.0.1:9/x"}, "channels.0.name: must be 1-32 letters"),
    ({"name": "-x", "url": "json://127.0.0.1:9/x"}, "channels.0.name: must be 1-32 letters"),
    ({"name": "x", "url": "json://127.0.0.1:9/x", "severities": []}, "channels.0.severities: a channel with no"),
    ({"name": "x", "url": "json://127.0.0.1:9/x", "severities": ["urgent"]}, "channels.0.severities.0: Input"),
    ({"name": "x", "url": "json://127.0.0.1:9/x", "colour": "red"}, "channels.0.colour: unknown key"),
    ({"name": "x"}, "channels.0.url: Field required"),
])
def test_channel_mistakes(channel: dict, expected: str) -> None:
    found = problems(channels=[channel])
    assert any(line.startswith(f"notifications.{expected}") for line in found), found


def test_channel_names_are_unique() -> None:
    [found] = problems(channels=[{"name": "hook", "url": "json://127.0.0.1:9/a"},
                                 {"name": "hook", "url": "json://127.0.0.1:9/b"}])
    assert "channel names must be unique; used more than once: hook" in found


@pytest.mark.parametrize(("keys", "expected"), [
    ({"time_zone": "Mars/Olympus"}, "notifications.time_zone: unknown time zone 'Mars/Olympus'"),
    ({"digest_hour": 24}, "notifications.digest_hour: Input should be less than or equal to 23"),
    ({"digest_hour": -1}, "notifications.digest_hour: Input should be greater than or equal to 0"),
    ({"retry_backoff_seconds": 0}, "notifications.retry_backoff_seconds: Input should be greater than or equal to 1"),
    ({"retry_backoff_seconds": 600, "retry_max_seconds": 60},
     "notifications: retry_max_seconds must be at least retry_backoff_seconds"),
    ({"channel": []}, "notifications.channel: unknown key"),
])
def test_section_mistakes(keys: dict, expected: str) -> None:
    found = problems(**keys)
    assert any(line.startswith(expected) for line in found), found


def test_the_examples_in_the_example_file_are_valid(tmp_path: Path) -> None:
    """The commented [[notifications.channels]] tables load once uncommented."""
    text = EXAMPLE.read_text(encoding="utf-8")
    section = text[text.index("[notifications]"):]
    tables = re.findall(r"(?m)^# (\[\[notifications\.channels\]\]\n(?:# \w+ = .*\n)+)", section)
    assert len(tables) >= 2
    body = "".join(re.sub(r"(?m)^# ", "", table) + "\n" for table in tables)
    config = write(tmp_path / "agent.toml", body)

    channels = load_settings(config).notifications.channels

    assert [c.name for c in channels] == ["mail", "phone"]
    assert channels[1].severities == [Severity.CRITICAL]
