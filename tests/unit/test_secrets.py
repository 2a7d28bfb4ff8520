"""Credentials: where they come from, in which order, and that they never leak."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import keyring
import pytest

from agent.config.secrets import (
    KEYRING_SERVICE,
    Credentials,
    get_credentials,
    store_password,
)
from agent.config.settings import Settings, load_settings
from agent.core.errors import SecretError
from tests.support.isolation import isolate_environment
from tests.support.memory_keyring import (
    MEMORY_KEYRING,
    NOT_RECOMMENDED_KEYRING,
    PLAINTEXT_KEYRING,
    MemoryKeyring,
)

PASSWORD = "hunter2-very-secret"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)
    MemoryKeyring.reset()


def settings_with(**secrets: Any) -> Settings:
    account = {"login": secrets.pop("login")} if "login" in secrets else {}
    return load_settings(secrets=secrets, account=account)


def credentials_dir(tmp_path: Path, login: str | None, password: str | None) -> Path:
    folder = tmp_path / "credentials"
    folder.mkdir()
    if login is not None:
        (folder / "login").write_text(login + "\n")
    if password is not None:
        (folder / "password").write_text(password + "\n")
    return folder


def test_credentials_directory_wins_over_environment_and_keyring(tmp_path: Path) -> None:
    folder = credentials_dir(tmp_path, "dir@example.com", "from-dir")
    MemoryKeyring().set_password(KEYRING_SERVICE, "dir@example.com", "from-keyring")
    settings = settings_with(
        credentials_dir=folder, keyring_backend=MEMORY_KEYRING, login="dir@example.com"
    )
    env = {"DISPUTE_AGENT_LOGIN": "env@example.com", "DISPUTE_AGENT_PASSWORD": "from-env"}

    creds = get_credentials(settings, env)

    assert (creds.login, creds.password.get_secret_value(), creds.source) == (
        "dir@example.com",
        "from-dir",  # exactly one trailing newline stripped
        "credentials_dir",
    )


def test_systemd_credentials_directory_variable_is_used(tmp_path: Path) -> None:
    folder = credentials_dir(tmp_path, "sd@example.com", "pass word \n")

    creds = get_credentials(load_settings(), {"CREDENTIALS_DIRECTORY": str(folder)})

    assert creds.password.get_secret_value() == "pass word \n"  # only the last newline goes
    assert creds.source == "credentials_dir"


def test_environment_wins_over_keyring() -> None:
    MemoryKeyring().set_password(KEYRING_SERVICE, "env@example.com", "from-keyring")
    settings = settings_with(keyring_backend=MEMORY_KEYRING)
    env = {"DISPUTE_AGENT_LOGIN": "env@example.com", "DISPUTE_AGENT_PASSWORD": "from-env"}

    creds = get_credentials(settings, env)

    assert (creds.login, creds.password.get_secret_value(), creds.source) == (
        "env@example.com",
        "from-env",
        "environment",
    )


def test_environment_is_the_default_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPUTE_AGENT_LOGIN", "env@example.com")
    monkeypatch.setenv("DISPUTE_AGENT_PASSWORD", "from-env")

    assert get_credentials(load_settings()).source == "environment"


def test_keyring_is_used_last_with_the_configured_login() -> None:
    MemoryKeyring().set_password(KEYRING_SERVICE, "ring@example.com", "from-keyring")
    settings = settings_with(keyring_backend=MEMORY_KEYRING, login="ring@example.com")

    creds = get_credentials(settings, {})

    assert (creds.login, creds.password.get_secret_value(), creds.source) == (
        "ring@example.com",
        "from-keyring",
        "keyring",
    )
    assert isinstance(keyring.get_keyring(), MemoryKeyring)  # set explicitly, not guessed


def test_store_password_then_read_it_back() -> None:
    settings = settings_with(keyring_backend=MEMORY_KEYRING, login="ring@example.com")

    store_password(settings, "ring@example.com", PASSWORD)

    assert get_credentials(settings, {}).password.get_secret_value() == PASSWORD


def test_keyring_is_not_used_without_an_explicit_backend() -> None:
    MemoryKeyring().set_password(KEYRING_SERVICE, "ring@example.com", "from-keyring")

    with pytest.raises(SecretError):
        get_credentials(settings_with(login="ring@example.com"), {})
    with pytest.raises(SecretError, match="no keyring backend configured"):
        store_password(settings_with(), "ring@example.com", PASSWORD)


@pytest.mark.parametrize("backend", [PLAINTEXT_KEYRING, NOT_RECOMMENDED_KEYRING])
def test_unsafe_backend_refused_unless_allowed(backend: str) -> None:
    MemoryKeyring().set_password(KEYRING_SERVICE, "ring@example.com", "from-keyring")

    refused = settings_with(keyring_backend=backend, login="ring@example.com")
    with pytest.raises(SecretError, match="refused.*allow_plaintext_keyring"):
        get_credentials(refused, {})
    with pytest.raises(SecretError, match="refused"):
        store_password(refused, "ring@example.com", PASSWORD)

    allowed = settings_with(
        keyring_backend=backend, login="ring@example.com", allow_plaintext_keyring=True
    )
    assert get_credentials(allowed, {}).password.get_secret_value() == "from-keyring"


@pytest.mark.parametrize(
    "backend, message",
    [
        ("tests.support.no_such_module.Keyring", "cannot be loaded"),
        ("tests.support.memory_keyring.NoSuchClass", "cannot be loaded"),
        ("tests.support.memory_keyring.MEMORY_KEYRING", "not a keyring backend class"),
    ],
)
def test_bad_backend_path_is_a_secret_error(backend: str, message: str) -> None:
    settings = settings_with(keyring_backend=backend, login="ring@example.com")

    with pytest.raises(SecretError, match=message):
        get_credentials(settings, {})


def test_missing_credentials_lists_the_three_ways() -> None:
    with pytest.raises(SecretError) as excinfo:
        get_credentials(load_settings(), {})

    message = str(excinfo.value)
    assert "credentials directory" in message
    assert "DISPUTE_AGENT_LOGIN" in message and "DISPUTE_AGENT_PASSWORD" in message
    assert "keyring" in message and "dispute-agent secrets set" in message


def test_password_without_login_says_what_is_missing(tmp_path: Path) -> None:
    folder = credentials_dir(tmp_path, None, "from-dir")

    with pytest.raises(SecretError, match="no login"):
        get_credentials(settings_with(credentials_dir=folder), {})
    with pytest.raises(SecretError, match="DISPUTE_AGENT_LOGIN"):
        get_credentials(load_settings(), {"DISPUTE_AGENT_PASSWORD": "x"})


def test_login_from_settings_completes_a_directory_with_only_a_password(tmp_path: Path) -> None:
    folder = credentials_dir(tmp_path, None, "from-dir")

    creds = get_credentials(settings_with(credentials_dir=folder, login="cfg@example.com"), {})

    assert creds.login == "cfg@example.com"


def test_password_file_readable_by_others_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = credentials_dir(tmp_path, "dir@example.com", "from-dir")
    (folder / "password").chmod(0o644)

    get_credentials(settings_with(credentials_dir=folder), {})

    assert "readable by other users" in caplog.text


def test_configured_directory_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SecretError, match="does not exist"):
        get_credentials(settings_with(credentials_dir=tmp_path / "absent"), {})


def test_secret_never_shown_in_repr_str_or_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    folder = credentials_dir(tmp_path, "dir@example.com", PASSWORD)

    creds = get_credentials(settings_with(credentials_dir=folder), {})

    assert isinstance(creds, Credentials)
    for text in (repr(creds), str(creds), repr(creds.password), str(creds.password), caplog.text):
        assert PASSWORD not in text
    assert creds.model_dump_json().count(PASSWORD) == 0
    assert creds.password.get_secret_value() == PASSWORD


def test_an_expired_session_without_a_stored_password_is_login_needed() -> None:
    """A set-up that only imports sessions: the site asks for a login, nothing can answer it."""
    from agent.core.errors import LoginRequired
    from agent.storage.health import failure_kind
    from agent.usecases.sync import credentials_provider

    provide = credentials_provider(settings_with())
    with pytest.raises(LoginRequired) as caught:
        provide()
    assert failure_kind(caught.value) == "login_needed"
    assert "dispute-agent login --headed" in str(caught.value) and "session import" in str(caught.value)
    assert "DISPUTE_AGENT_PASSWORD" in str(caught.value)
    assert caught.value.exit_code == LoginRequired.exit_code
