"""BrowserSession against real Chromium and a local web site.

What is pinned here: the saved session is private and brings a cookie back, failures
leave evidence and become the agent's errors, sessions move between machines, and a
browser that cannot start says how to fix it.
"""

from __future__ import annotations

import html
import json
import logging
import socket
import stat
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from agent.config.settings import Settings, load_settings
from agent.core.errors import (
    BrowserUnavailable,
    LoginRequired,
    PageChanged,
    SiteUnavailable,
    UserInputError,
)
from flows.browser import BrowserSession
from flows.session_file import export_storage_state, import_storage_state
from tests.support.isolation import isolate_environment, keep_traces
from tests.support.local_site import SESSION_COOKIE, LocalSite

SECRET = "hunter2-typed-secret"
NOON = datetime(2026, 9, 7, 10, 15, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def site() -> Iterator[LocalSite]:
    with LocalSite() as running:
        yield running


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_environment(monkeypatch, tmp_path)
    keep_traces(monkeypatch)  # these tests are about the evidence, traces included


def make_settings(state: Path, **browser: Any) -> Settings:
    return load_settings(state={"dir": state}, browser={"timeout_ms": 1500, **browser})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "state")


@pytest.fixture
def session(settings: Settings) -> Iterator[BrowserSession]:
    with BrowserSession(settings, clock=lambda: NOON) as opened:
        yield opened


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def log_in(settings: Settings, site: LocalSite) -> Path:
    """A session that visited /login (cookie + localStorage) and saved itself."""
    with BrowserSession(settings) as session:
        session.new_page().goto(f"{site.url}/login")
        return session.save_storage_state()


def cookie_seen_by_server(settings: Settings, site: LocalSite) -> str:
    with BrowserSession(settings) as session:
        page = session.new_page()
        page.goto(f"{site.url}/whoami")
        return page.text_content("#cookie") or ""


@pytest.mark.browser
def test_storage_state_is_private_and_brings_the_cookie_back(
    settings: Settings, site: LocalSite
) -> None:
    path = log_in(settings, site)

    assert path == settings.state.dir / "sessions" / "default.json"
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    saved = json.loads(path.read_text())
    assert sorted(c["name"] for c in saved["cookies"]) == ["aep_usuc_f", "sid"]  # English pinned
    assert saved["origins"][0]["localStorage"] == [{"name": "seen", "value": "yes"}]
    assert not list(path.parent.glob(".*.tmp"))  # the temporary file was renamed
    assert cookie_seen_by_server(settings, site) == SESSION_COOKIE


@pytest.mark.browser
def test_context_uses_user_agent_and_is_one_per_session(tmp_path: Path, site: LocalSite) -> None:
    settings = make_settings(tmp_path / "state", user_agent="dispute-agent-test/1.0")

    with BrowserSession(settings) as session:
        assert session.context() is session.context()
        page = session.new_page()
        page.goto(f"{site.url}/whoami")
        assert page.text_content("#agent") == "dispute-agent-test/1.0"


@pytest.mark.browser
def test_a_broken_session_file_means_a_fresh_context(settings: Settings, site: LocalSite) -> None:
    settings.session_file.parent.mkdir(parents=True)
    settings.session_file.write_text("{not json")

    assert cookie_seen_by_server(settings, site) == ""


@pytest.mark.browser
def test_timeout_leaves_evidence_and_raises_page_changed(
    session: BrowserSession, settings: Settings, site: LocalSite
) -> None:
    page = session.new_page()
    page.goto(site.url)

    with pytest.raises(PageChanged) as excinfo:
        with session.evidence(page, "find the/button"):
            page.locator("#no-such-button").click()

    folder = excinfo.value.evidence
    assert folder == settings.state.evidence_dir / "20260907T101530Z-find-the-button"
    assert mode(settings.state.evidence_dir) == 0o700
    assert (folder / "screenshot.png").read_bytes().startswith(b"\x89PNG")
    assert "id=\"home\"" in (folder / "page.html").read_text()
    assert (folder / "trace.zip").read_bytes().startswith(b"PK")
    assert "Locator.click" in (folder / "error.txt").read_text()
    assert "did not appear in time" in str(excinfo.value)
    assert str(folder) in str(excinfo.value)


@pytest.mark.browser
def test_evidence_folders_do_not_collide(session: BrowserSession, site: LocalSite) -> None:
    page = session.new_page()
    page.goto(site.url)

    first = session.save_evidence(page, "poll")
    second = session.save_evidence(page, "poll")

    assert first.name == "20260907T101530Z-action-poll"
    assert second.name == "20260907T101530Z-action-poll-2"
    assert (first / "screenshot.png").exists() and (first / "page.html").exists()
    assert not (first / "trace.zip").exists()


@pytest.mark.browser
def test_network_error_becomes_site_unavailable(session: BrowserSession) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    page = session.new_page()

    with pytest.raises(SiteUnavailable, match="net::ERR_CONNECTION_REFUSED") as excinfo:
        with session.evidence(page, "open-orders"):
            page.goto(f"http://127.0.0.1:{closed_port}/")

    assert excinfo.value.evidence is not None and excinfo.value.evidence.is_dir()


@pytest.mark.browser
def test_site_errors_keep_their_type_and_get_evidence(
    session: BrowserSession, site: LocalSite
) -> None:
    page = session.new_page()
    page.goto(site.url)
    raised = LoginRequired("the session is gone; run 'dispute-agent login'")

    with pytest.raises(LoginRequired) as excinfo:
        with session.evidence(page, "orders"):
            raise raised

    assert excinfo.value is raised
    assert (raised.evidence / "screenshot.png").exists()


@pytest.mark.browser
def test_nested_blocks_save_one_folder_with_the_trace(
    session: BrowserSession, settings: Settings, site: LocalSite
) -> None:
    page = session.new_page()
    page.goto(site.url)

    with pytest.raises(PageChanged) as excinfo:
        with session.evidence(page, "outer"):
            with session.evidence(page, "inner"):
                page.locator("#missing").click()

    assert [p.name for p in settings.state.evidence_dir.iterdir()] == [excinfo.value.evidence.name]
    assert excinfo.value.evidence.name.endswith("-inner")
    assert (excinfo.value.evidence / "trace.zip").exists()


@pytest.mark.browser
def test_other_errors_are_reraised_unchanged_with_evidence_logged(
    session: BrowserSession, site: LocalSite, caplog: pytest.LogCaptureFixture
) -> None:
    page = session.new_page()
    page.goto(site.url)

    with pytest.raises(ZeroDivisionError):
        with session.evidence(page, "compute"):
            1 / 0

    assert "compute failed (ZeroDivisionError); evidence in" in caplog.text


@pytest.mark.browser
def test_evidence_failure_never_masks_the_original_error(
    session: BrowserSession, site: LocalSite, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    page = session.new_page()
    page.goto(site.url)

    with pytest.raises(KeyError, match="original"):
        with session.evidence(page, "closing"):
            page.close()  # the screenshot and HTML cannot be taken any more
            raise KeyError("original")

    assert "no screenshot" in caplog.text


@pytest.mark.browser
def test_typed_secrets_are_scrubbed_from_errors(session: BrowserSession, site: LocalSite) -> None:
    page = session.new_page()
    page.set_content("<input id='password' type='password' disabled>")

    with pytest.raises(PageChanged) as excinfo:
        with session.evidence(page, "login", trace=False):
            page.locator("#password").fill(SECRET, timeout=500)

    folder = excinfo.value.evidence
    cause = excinfo.value.__cause__
    assert "fill(<redacted>)" in str(cause)
    for text in (str(excinfo.value), str(cause), cause.message, (folder / "error.txt").read_text()):
        assert SECRET not in text
    assert not (folder / "trace.zip").exists()


def _evidence_of_a_failed_step(session: BrowserSession, page: Page) -> Path:
    with pytest.raises(PageChanged) as excinfo:
        with session.evidence(page, "order-list"):
            page.locator("#missing").click(timeout=500)
    return excinfo.value.evidence


def _trace_text(trace: Path) -> str:
    import zipfile

    with zipfile.ZipFile(trace) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


#: a password field whose page script copies what is typed into the HTML attribute,
#: and sends it once more a little later (as a login form's script may)
SECRET_FORM = ("<input id='password' type='password' oninput=\"this.setAttribute('value', this.value)\">"
               "<input id='locked' disabled>"
               "<script>function later() { setTimeout(() => fetch('/after-login', {method: 'POST', "
               "body: window.typed}).catch(() => {}), 100); }</script>")


@pytest.mark.browser
@pytest.mark.parametrize("secret_step_fails", [True, False])
def test_a_secret_typed_inside_a_traced_block_never_reaches_the_evidence(
    session: BrowserSession, site: LocalSite, secret_step_fails: bool
) -> None:
    page = session.new_page()
    page.goto(site.url)
    page.set_content(SECRET_FORM)

    with pytest.raises(PageChanged) as excinfo:
        with session.evidence(page, "sync"):
            page.locator("#password").wait_for()  # traced before the login: dropped with it
            with session.evidence(page, "login", trace=False):
                page.locator("#password").fill(SECRET)
                assert SECRET in page.content()  # the page really put it into its HTML
                page.evaluate("(s) => { window.typed = s; later(); }", SECRET)
                if secret_step_fails:
                    page.locator("#locked").fill(SECRET, timeout=500)
            with page.expect_request("**/after-login"):  # the page sends it after the login
                pass
            page.locator("#missing").click(timeout=500)

    folder = excinfo.value.evidence
    assert SECRET not in (folder / "page.html").read_text()
    assert SECRET not in (folder / "error.txt").read_text()
    assert not (folder / "trace.zip").exists()
    # and nothing more is traced in this browser session
    assert not (_evidence_of_a_failed_step(session, page) / "trace.zip").exists()


#: a sign-in page whose script keeps what was typed elsewhere: in a hidden field (as a
#: form that sends it later might), in an attribute, and in a text field a person sees
KEEPING_FORM = ("<input id='password' type='password' oninput=\"document.querySelector('#kept').value = "
                "this.value; document.body.dataset.typed = this.value; "
                "document.querySelector('#shown').value = this.value\">"
                "<input id='kept' type='hidden'><input id='shown' type='text'><input id='locked' disabled>")


@pytest.mark.browser
@pytest.mark.parametrize("secret", [SECRET, 'pa"ss<&>\'word'])
def test_a_redacted_secret_the_page_kept_elsewhere_never_reaches_the_evidence(
    session: BrowserSession, site: LocalSite, secret: str
) -> None:
    page = session.new_page()
    page.goto(site.url)
    page.set_content(KEEPING_FORM)
    session.redact(secret)

    with pytest.raises(PageChanged) as excinfo:
        with session.evidence(page, "login", trace=False):
            page.locator("#password").fill(secret)
            assert page.locator("#kept").input_value() == secret
            page.locator("#locked").fill(secret, timeout=500)

    folder = excinfo.value.evidence
    saved = (folder / "page.html").read_text()
    assert "<redacted>" in saved  # the attribute, replaced in the HTML
    for text in (saved, (folder / "error.txt").read_text(), str(excinfo.value)):
        assert secret not in text and html.escape(secret) not in text
    assert page.locator("#shown").input_value() == ""  # emptied before the screenshot


@pytest.mark.browser
def test_the_next_session_is_traced_again(settings: Settings, site: LocalSite) -> None:
    with BrowserSession(settings) as first:
        page = first.new_page()
        page.set_content(SECRET_FORM)
        with first.evidence(page, "login", trace=False):
            page.locator("#password").fill(SECRET)
    with BrowserSession(settings) as second:
        folder = _evidence_of_a_failed_step(second, second.new_page())
        assert "#missing" in _trace_text(folder / "trace.zip")


@pytest.mark.browser
def test_an_interrupted_step_leaves_later_failures_their_trace(session: BrowserSession) -> None:
    page = session.new_page()
    page.set_content("<p>orders</p>")

    with pytest.raises(KeyboardInterrupt):
        with session.evidence(page, "sync"):
            raise KeyboardInterrupt

    assert "#missing" in _trace_text(_evidence_of_a_failed_step(session, page) / "trace.zip")


@pytest.mark.browser
def test_a_traced_run_of_steps_saves_its_whole_trace_with_the_failing_step(session: BrowserSession) -> None:
    first, second = session.new_page(), session.new_page()
    first.set_content("<p id='first'>one</p>")
    second.set_content("<p>two</p>")

    with pytest.raises(PageChanged) as excinfo:
        with session.traced():
            with session.evidence(first, "order-detail"):
                assert first.locator("#first").inner_text() == "one"
            first.close()  # a worker page replaced on the way
            with session.evidence(second, "order-detail"):
                second.locator("#missing").click(timeout=500)

    trace = _trace_text(excinfo.value.evidence / "trace.zip")
    assert "#first" in trace and "#missing" in trace
    assert (excinfo.value.evidence / "screenshot.png").exists()


@pytest.mark.browser
def test_an_error_outside_any_step_leaves_no_evidence_and_tracing_goes_on(
    session: BrowserSession, settings: Settings
) -> None:
    page = session.new_page()
    page.set_content("<p>ready</p>")

    with pytest.raises(ValueError, match="the store refused"):
        with session.traced():
            with session.evidence(page, "order-detail"):
                page.locator("p").inner_text()
            raise ValueError("the store refused")  # e.g. a callback saving what was read

    assert not settings.state.evidence_dir.exists() or not any(settings.state.evidence_dir.iterdir())
    with pytest.raises(PageChanged) as excinfo:
        with session.evidence(page, "order-list"):
            page.locator("#missing").click(timeout=500)
    assert "#missing" in _trace_text(excinfo.value.evidence / "trace.zip")


@pytest.mark.browser
def test_pausing_for_answers_records_no_dom_snapshots(session: BrowserSession, site: LocalSite) -> None:
    import time

    from flows.capture import pause

    page = session.new_page()
    page.set_content("<p>" + "text " * 200 + "</p>")

    def snapshots_of_a_failing_step(pauses: int) -> int:
        with pytest.raises(PageChanged) as excinfo:
            with session.evidence(page, "waiting"):
                for _ in range(pauses):
                    pause(session.context(), 10)
                page.locator("#missing").click(timeout=500)
        trace = _trace_text(excinfo.value.evidence / "trace.zip")
        assert trace.count('"type":"before"') >= pauses
        return trace.count('"type":"frame-snapshot"')

    # page.wait_for_timeout would add two snapshots per pause
    assert snapshots_of_a_failing_step(10) == snapshots_of_a_failing_step(0)

    started = time.monotonic()
    # an answer ends a long pause early
    page.evaluate("url => { setTimeout(() => fetch(url, {mode: 'no-cors'}), 100); }", f"{site.url}/login")
    pause(session.context(), 5_000)
    assert time.monotonic() - started < 4


@pytest.mark.browser
def test_export_import_round_trip(tmp_path: Path, settings: Settings, site: LocalSite) -> None:
    log_in(settings, site)
    outbox = tmp_path / "outbox"
    outbox.mkdir()

    exported = export_storage_state(settings, outbox)
    other_machine = make_settings(tmp_path / "other-state")
    imported = import_storage_state(other_machine, exported)

    assert exported == outbox / "default.json" and mode(exported) == 0o600
    assert imported == other_machine.session_file and mode(imported) == 0o600
    assert mode(imported.parent) == 0o700
    assert json.loads(imported.read_text()) == json.loads(settings.session_file.read_text())
    assert cookie_seen_by_server(other_machine, site) == SESSION_COOKIE


@pytest.mark.parametrize(
    "content, problem",
    [
        ("{broken", "cannot be read as JSON"),
        ('["a list"]', "not a JSON object"),
        ('{"cookies": []}', "no 'origins' list"),
        ('{"cookies": {}, "origins": []}', "no 'cookies' list"),
    ],
)
def test_import_refuses_what_is_not_a_session(
    tmp_path: Path, settings: Settings, content: str, problem: str
) -> None:
    source = tmp_path / "session.json"
    source.write_text(content)

    with pytest.raises(UserInputError, match=problem):
        import_storage_state(settings, source)
    assert not settings.session_file.exists()


def test_export_without_a_saved_session_says_how_to_get_one(
    tmp_path: Path, settings: Settings
) -> None:
    with pytest.raises(UserInputError, match="dispute-agent login"):
        export_storage_state(settings, tmp_path / "out.json")


@pytest.mark.browser
@pytest.mark.parametrize("executable", ["/nonexistent/chromium", "/bin/false"])
def test_a_browser_that_cannot_start_is_browser_unavailable(
    tmp_path: Path, executable: str
) -> None:
    settings = make_settings(tmp_path / "state", executable=executable)

    with pytest.raises(BrowserUnavailable, match="browser.executable"):
        with BrowserSession(settings):
            pass  # pragma: no cover


@pytest.mark.browser
def test_an_unreachable_remote_browser_is_browser_unavailable(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cdp_url = f"http://127.0.0.1:{port}/?token=abc"
    settings = make_settings(tmp_path / "state", cdp_url=cdp_url, navigation_timeout_ms=3000)

    with pytest.raises(BrowserUnavailable, match="browser.cdp_url") as excinfo:
        with BrowserSession(settings):
            pass  # pragma: no cover
    assert "token=abc" not in str(excinfo.value)


@pytest.mark.browser
def test_a_step_traced_without_dom_snapshots_keeps_its_actions_and_the_next_step_has_snapshots_again(
    session: BrowserSession,
) -> None:
    """The order list's tracing: a failure there still has its trace (actions, no page copies)."""
    page = session.new_page()
    page.set_content("<p>" + "row " * 200 + "</p>")
    with session.without_dom_snapshots():
        lean = _trace_text(_evidence_of_a_failed_step(session, page) / "trace.zip")
    assert "#missing" in lean and '"type":"frame-snapshot"' not in lean
    full = _trace_text(_evidence_of_a_failed_step(session, page) / "trace.zip")
    assert "#missing" in full and '"type":"frame-snapshot"' in full
