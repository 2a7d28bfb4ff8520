"""'dispute-agent web password': only the hash reaches the settings file, the rest of it kept."""

from __future__ import annotations

import io
import stat
import sys

from agent.config.settings import load_settings
from agent.web.auth import password_matches


def test_web_password_writes_only_the_hash_into_the_settings_file(agent_home, run_cli, monkeypatch):
    config = agent_home / "agent.toml"
    config.write_text('# mine\ntime_zone = "Europe/Paris"\n\n[site]\nbase_url = "https://www.aliexpress.com"  # real\n')
    config.chmod(0o600)
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough secret\n"))
    code, _out, err = run_cli("web", "password", "--config", str(config))
    assert code == 0, err
    text = config.read_text()
    assert "a long enough secret" not in text and "# mine" in text and "# real" in text
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    stored = load_settings(config).web.password_hash.get_secret_value()
    assert password_matches(stored, "a long enough secret")
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    code, _out, err = run_cli("web", "password", "--config", str(config))
    assert code == 2 and "at least 8 characters" in err
    assert load_settings(config).web.password_hash.get_secret_value() == stored


def test_web_refuses_to_open_to_the_network_without_a_password(agent_home, run_cli):
    code, _out, err = run_cli("web", "--host", "0.0.0.0", "--port", "0")
    assert code == 2
    assert err.startswith("error: the page would be open to the network on 0.0.0.0 without a password")


def test_the_daemon_serves_the_page_only_with_a_password_or_a_proxy(agent_home):
    import httpx
    import pytest
    from argon2 import PasswordHasher

    from agent.core.errors import ConfigError
    from agent.web.serve import start_page

    settings = load_settings(None, web={"enabled": True, "port": 0})
    with pytest.raises(ConfigError, match="dispute-agent web password"):
        start_page(settings)
    assert start_page(load_settings(None)) is None  # not enabled: no page, nothing imported
    hashed = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("a long enough secret")
    page = start_page(load_settings(None, web={"enabled": True, "port": 0, "password_hash": hashed}))
    try:
        assert page.url.startswith("http://127.0.0.1:")
        assert httpx.get(page.url + "/signin", timeout=10).status_code == 200
        assert httpx.get(page.url + "/orders", timeout=10).status_code == 401
    finally:
        page.stop()


def test_a_page_that_cannot_start_leaves_the_daemon_watching(agent_home, caplog):
    """Its port taken or no password set: the log says so and the schedule runs without it."""
    from agent.core.errors import ConfigError
    from agent.storage.store import Store
    from agent.usecases.daemon import Daemon

    settings = load_settings(None, web={"enabled": True, "port": 0})

    def no_page(_settings):
        raise ConfigError("the page needs a password: run 'dispute-agent web password'")

    store = Store(settings.state.db_path)
    try:
        with caplog.at_level("ERROR", logger="dispute_agent"):
            assert Daemon(settings, store, page=no_page)._start_page() is None
        assert "the page is not served" in caplog.text and "watches without it" in caplog.text
    finally:
        store.close()
