"""Finding or installing a browser: the order of attempts, and a clear end when all fail."""

from __future__ import annotations

import subprocess

import pytest

import agent.browser_install as install
from agent.errors import BrowserUnavailable


class Machine:
    """What the commands would do on a machine with no browser; records every command."""

    def __init__(self, download_works: bool, apt_works: bool, root: bool = True) -> None:
        self.commands: list[list[str]] = []
        self.installed: str | None = None
        self.download_works, self.apt_works, self.root = download_works, apt_works, root

    def run(self, command, timeout, env, stdin):
        self.commands.append(command)
        ok = False
        if "playwright" in command and self.download_works:
            self.installed, ok = "/playwright/chromium", True
        elif command[:2] == ["apt-get", "update"]:
            ok = self.apt_works
        elif command[:2] == ["apt-get", "install"] and self.apt_works:
            self.installed, ok = "/usr/bin/chromium", True
        return subprocess.CompletedProcess(command, 0 if ok else 1)


@pytest.fixture
def machine(monkeypatch):
    def make(**kwargs) -> Machine:
        fake = Machine(**kwargs)
        monkeypatch.setattr(install.subprocess, "run", fake.run)
        monkeypatch.setattr(install, "find_browser", lambda explicit=None: fake.installed)
        monkeypatch.setattr(install.shutil, "which", lambda name: "/usr/bin/apt-get" if name == "apt-get" else None)
        monkeypatch.setattr(install.os, "geteuid", lambda: 0 if fake.root else 1000)
        return fake

    return make


def test_a_browser_already_there_is_used_as_is(machine):
    fake = machine(download_works=False, apt_works=False)
    fake.installed = "/usr/bin/chromium"
    assert install.install_browser(say=lambda _: None) == "/usr/bin/chromium"
    assert fake.commands == []


def test_playwrights_download_comes_first(machine):
    fake = machine(download_works=True, apt_works=True)
    assert install.install_browser(say=lambda _: None) == "/playwright/chromium"
    assert len(fake.commands) == 1 and "playwright" in fake.commands[0]


def test_debians_package_where_the_download_is_not_reachable(machine):
    fake = machine(download_works=False, apt_works=True)
    assert install.install_browser(say=lambda _: None) == "/usr/bin/chromium"
    assert [c[:2] for c in fake.commands[1:]] == [["apt-get", "update"], ["apt-get", "install"]]
    assert "chromium" in fake.commands[-1]


def test_no_way_to_install_ends_with_the_remedy(machine):
    machine(download_works=False, apt_works=False, root=False)
    with pytest.raises(BrowserUnavailable, match="apt-get install chromium"):
        install.install_browser(say=lambda _: None)
