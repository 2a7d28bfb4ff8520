"""Finding or installing a browser: the order of attempts, and a clear end when all fail.

The machine is simulated (commands recorded, PATH modelled); the resolution itself is
the real one.
"""

from __future__ import annotations

import subprocess

import pytest
from typer.testing import CliRunner

import agent.usecases.browser_install as install
from agent.cli.commands import app
from agent.core.errors import BrowserUnavailable
from tests.support.isolation import isolate_environment

PACKAGES = {"chromium": "/usr/bin/chromium", "chromium-headless-shell": "/usr/bin/chromium-headless-shell"}


class Machine:
    """A machine with what ``on_path`` names; records every command it is asked to run."""

    def __init__(self, download_works: bool, apt_works: bool, root: bool = True,
                 on_path: tuple[str, ...] = (), shell_packaged: bool = True, apt_locked: bool = False) -> None:
        self.commands: list[list[str]] = []
        self.on_path = {name: PACKAGES[name] for name in on_path}
        self.downloaded = False
        self.download_works, self.apt_works, self.root = download_works, apt_works, root
        self.shell_packaged = shell_packaged
        self.apt_locked = apt_locked  # another apt run holds the lock: installs fail for now

    def run(self, command, **_):
        self.commands.append(command)
        ok, out = False, ""
        if "playwright" in command and self.download_works:
            self.downloaded = ok = True
        elif command[:2] == ["apt-get", "update"]:
            ok = self.apt_works
        elif command[:2] == ["apt-get", "install"] and self.apt_works and not self.apt_locked:
            package = command[-1]
            ok = package == "chromium" or self.shell_packaged
            if ok:
                self.on_path[package] = PACKAGES[package]
        elif command[:2] == ["apt-cache", "policy"]:
            # apt-cache prints nothing for a package its lists do not know
            ok, out = True, f"{command[-1]}:\n  Installed: (none)\n  Candidate: 130.0-1\n" if self.shell_packaged else ""
        return subprocess.CompletedProcess(command, 0 if ok else 1, stdout=out)

    def which(self, name: str) -> str | None:
        return "/usr/bin/apt-get" if name == "apt-get" else self.on_path.get(name)

    def installs(self) -> list[str]:
        return [c[-1] for c in self.commands if c[:2] == ["apt-get", "install"]]


@pytest.fixture
def note(tmp_path, monkeypatch):
    """The memo of a failed headless-shell install, kept out of the user's cache."""
    path = tmp_path / "cache" / "headless-shell-not-installable"
    monkeypatch.setattr(install, "shell_failure_note", lambda: path)
    return path


@pytest.fixture
def machine(monkeypatch, note):
    def make(**kwargs) -> Machine:
        fake = Machine(**kwargs)
        monkeypatch.delenv("DISPUTE_AGENT_BROWSER", raising=False)
        monkeypatch.setattr(install.subprocess, "run", fake.run)
        monkeypatch.setattr(install.shutil, "which", fake.which)
        monkeypatch.setattr(install, "playwright_own_chromium",
                            lambda: "/playwright/chromium" if fake.downloaded else None)
        monkeypatch.setattr(install.os, "geteuid", lambda: 0 if fake.root else 1000)
        return fake

    return make


def quiet(_: str) -> None:
    pass


def test_a_browser_already_there_is_used_as_is(machine):
    fake = machine(download_works=False, apt_works=True, on_path=("chromium", "chromium-headless-shell"))
    assert install.install_browser(say=quiet) == "/usr/bin/chromium-headless-shell"
    assert fake.commands == []


def test_playwrights_download_comes_first(machine):
    fake = machine(download_works=True, apt_works=True)
    assert install.install_browser(say=quiet) == "/playwright/chromium"
    assert len(fake.commands) == 1 and "playwright" in fake.commands[0]


def test_debians_packages_where_the_download_is_not_reachable(machine):
    fake = machine(download_works=False, apt_works=True)
    assert install.install_browser(say=quiet) == "/usr/bin/chromium-headless-shell"
    assert [c[:2] for c in fake.commands[1:]] == [["apt-get", "update"], ["apt-get", "install"], ["apt-get", "install"]]
    assert fake.installs() == ["chromium", "chromium-headless-shell"]


def test_a_missing_headless_shell_package_leaves_the_full_browser(machine, note):
    fake = machine(download_works=False, apt_works=True, shell_packaged=False)
    assert install.install_browser(say=quiet) == "/usr/bin/chromium"
    assert fake.installs() == ["chromium", "chromium-headless-shell"]
    assert note.exists()


def test_a_headless_shell_that_could_not_be_installed_is_not_retried_on_every_run(machine, note):
    fake = machine(download_works=False, apt_works=True, on_path=("chromium",), shell_packaged=False)
    assert install.install_browser(say=quiet) == "/usr/bin/chromium"
    assert fake.installs() == ["chromium-headless-shell", "chromium-headless-shell"]  # before and after an update
    fake.commands.clear()
    said: list[str] = []
    assert install.install_browser(say=said.append) == "/usr/bin/chromium"
    assert fake.commands == []
    assert any(str(note) in line for line in said)  # how to try again
    note.unlink()
    fake.shell_packaged = True  # e.g. a newer release of the distribution
    assert install.install_browser(say=quiet) == "/usr/bin/chromium-headless-shell"


@pytest.mark.parametrize("trouble", [{"apt_locked": True}, {"apt_works": False}], ids=["apt-locked", "offline"])
def test_a_passing_apt_failure_is_tried_again_next_time(machine, note, trouble):
    fake = machine(**{"download_works": False, "apt_works": True, "on_path": ("chromium",), **trouble})
    assert install.install_browser(say=quiet) == "/usr/bin/chromium"
    assert not note.exists()
    fake.apt_locked, fake.apt_works = False, True
    assert install.install_browser(say=quiet) == "/usr/bin/chromium-headless-shell"


def test_the_headless_shell_is_added_beside_a_full_chromium(machine):
    fake = machine(download_works=False, apt_works=True, on_path=("chromium",))
    assert install.install_browser(say=quiet) == "/usr/bin/chromium-headless-shell"
    assert fake.installs() == ["chromium-headless-shell"]


def test_without_root_the_full_chromium_is_used_with_a_tip(machine):
    fake = machine(download_works=False, apt_works=True, root=False, on_path=("chromium",))
    said: list[str] = []
    assert install.install_browser(say=said.append) == "/usr/bin/chromium"
    assert fake.commands == []
    assert any("apt-get install chromium-headless-shell" in line for line in said)


def test_an_explicit_browser_gets_nothing_added(machine, tmp_path):
    fake = machine(download_works=False, apt_works=True, on_path=("chromium",))
    chosen = tmp_path / "chrome"
    chosen.write_text("#!/bin/sh\n")
    chosen.chmod(0o755)
    assert install.install_browser(str(chosen), say=quiet) == str(chosen)
    assert fake.commands == []


def test_no_way_to_install_ends_with_the_remedy(machine):
    machine(download_works=False, apt_works=False, root=False)
    with pytest.raises(BrowserUnavailable, match="apt-get install chromium"):
        install.install_browser(say=quiet)


def test_the_settings_browser_is_an_explicit_choice(machine, tmp_path, monkeypatch):
    fake = machine(download_works=False, apt_works=True, on_path=("chromium",))
    isolate_environment(monkeypatch, tmp_path)
    chosen = tmp_path / "chrome"
    chosen.write_text("#!/bin/sh\n")
    chosen.chmod(0o755)
    config = tmp_path / "agent.toml"
    config.write_text(f'[browser]\nexecutable = "{chosen}"\n')
    result = CliRunner().invoke(app, ["install-browser", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert f"browser: {chosen}" in result.output
    monkeypatch.setenv("DISPUTE_AGENT_BROWSER__EXECUTABLE", str(chosen))
    result = CliRunner().invoke(app, ["install-browser"])
    assert result.exit_code == 0, result.output
    assert f"browser: {chosen}" in result.output
    assert fake.commands == []


def test_unreadable_settings_do_not_stop_the_install(machine, tmp_path, monkeypatch):
    machine(download_works=False, apt_works=True, on_path=("chromium", "chromium-headless-shell"))
    isolate_environment(monkeypatch, tmp_path)
    config = tmp_path / "agent.toml"
    config.write_text("[browser]\nheadless = 'sometimes'\n")
    result = CliRunner().invoke(app, ["install-browser", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "settings not read" in result.output
    assert "browser: /usr/bin/chromium-headless-shell" in result.output
