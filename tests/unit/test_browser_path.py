"""Which Chromium is launched: explicit choice, then PATH (headless shell first for
headless runs), then Playwright's own. PATH is a real folder of executables here."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config.settings import BROWSER_ENV
from agent.core.errors import BrowserUnavailable
from flows.browser_path import is_headless_shell, resolve_chromium


@pytest.fixture
def path_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(BROWSER_ENV, raising=False)

    def make(*names: str) -> Path:
        folder = tmp_path / "bin"
        folder.mkdir(exist_ok=True)
        for name in names:
            program = folder / name
            program.write_text("#!/bin/sh\n")
            program.chmod(0o755)
        monkeypatch.setenv("PATH", str(folder))
        return folder

    return make


@pytest.mark.parametrize(
    ("on_path", "headless", "expected"),
    [
        (("chromium", "chromium-headless-shell"), True, "chromium-headless-shell"),
        (("chromium", "chromium-headless-shell"), False, "chromium"),
        (("chromium",), True, "chromium"),
        (("chromium-browser",), True, "chromium-browser"),
        (("chromium-headless-shell",), True, "chromium-headless-shell"),
        (("chromium-headless-shell",), False, None),  # a visible window needs the full browser
        ((), True, None),  # Playwright's own build
    ],
)
def test_path_lookup(path_with, on_path, headless, expected) -> None:
    folder = path_with(*on_path)
    found = resolve_chromium(headless=headless)
    assert found == (str(folder / expected) if expected else None)


def test_an_explicit_choice_wins_over_path(path_with, monkeypatch) -> None:
    folder = path_with("chromium", "chromium-headless-shell", "my-chrome")
    assert resolve_chromium(str(folder / "my-chrome")) == str(folder / "my-chrome")
    monkeypatch.setenv(BROWSER_ENV, "my-chrome")  # a bare name is looked up on PATH
    assert resolve_chromium() == str(folder / "my-chrome")


def test_a_missing_explicit_choice_is_an_error_not_a_fallback(path_with) -> None:
    path_with("chromium")
    with pytest.raises(BrowserUnavailable, match="not found or not executable"):
        resolve_chromium("/nowhere/chrome")


def test_a_visible_browser_never_runs_in_an_explicit_headless_shell(path_with, monkeypatch) -> None:
    folder = path_with("chromium-headless-shell")
    shell = str(folder / "chromium-headless-shell")
    assert resolve_chromium(shell) == shell
    with pytest.raises(BrowserUnavailable, match="cannot show a window.*apt install chromium"):
        resolve_chromium(shell, headless=False)
    path_with("chromium")
    assert resolve_chromium(shell, headless=False) == str(folder / "chromium")
    monkeypatch.setenv(BROWSER_ENV, shell)
    assert resolve_chromium(headless=False) == str(folder / "chromium")


def test_is_headless_shell() -> None:
    assert is_headless_shell("/usr/bin/chromium-headless-shell")
    assert is_headless_shell("/home/me/.cache/ms-playwright/chromium_headless_shell-1200/"
                             "chrome-headless-shell-linux64/chrome-headless-shell")
    assert is_headless_shell("/home/me/.cache/ms-playwright/chromium_headless_shell-1148/chrome-linux/headless_shell")
    assert is_headless_shell("C:/Users/me/ms-playwright/chrome-headless-shell-win64/chrome-headless-shell.exe")
    assert not is_headless_shell("/usr/bin/chromium")
    assert not is_headless_shell(None)
