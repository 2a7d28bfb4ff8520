"""The agent's sign-in against every variant of the login host: real Chromium, the sandbox.

The sandbox's state is the judge: a login that worked opened exactly one session, one
that stopped opened none; a stop always names its reason and leaves evidence without the
password in it.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from pydantic import SecretStr

from agent.config.secrets import Credentials
from agent.config.settings import Settings, load_settings
from agent.core.errors import CaptchaRequired, LoginRequired
from flows import site
from flows.browser import BrowserSession
from flows.login import open_page, wait_for_person
from sandbox.scenario import load_scenario
from tests.support.isolation import isolate_environment

pytestmark = pytest.mark.browser

PASSWORD = "sandbox-pass"
ACCOUNT = Credentials(login="buyer@example.com", password=SecretStr(PASSWORD), source="test")


@pytest.fixture
def settings(server, tmp_path, monkeypatch) -> Settings:
    isolate_environment(monkeypatch, tmp_path)
    server.reset()
    return load_settings(None, site={"base_url": server.url}, state={"dir": str(tmp_path / "state")},
                         browser={"timeout_ms": 10_000})


def with_account(server, **changes) -> None:
    demo = load_scenario()
    server.load(demo.model_copy(update={"account": demo.account.model_copy(update=changes)}))


def visit(settings: Settings, url: str, account: Credentials = ACCOUNT) -> str:
    """Open ``url`` as the flows do (logging in when asked); the address it ended on."""
    with BrowserSession(settings) as session:
        page = session.new_page()
        with session.evidence(page, "visit"):
            open_page(session, page, url, lambda: account)
        return page.url


def logins(server) -> int:
    return server.state()["account"]["logins"]


def evidence_bytes(folder: Path) -> bytes:
    found = b""
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                found += b"".join(archive.read(name) for name in archive.namelist())
        elif path.is_file():
            found += path.read_bytes()
    return found


@pytest.mark.parametrize("account", [
    {}, {"login_form": "two_step_email"}, {"login_form": "one_page"},
    {"remembered": True}, {"remembered": "someone.else@example.com"},
], ids=["two-steps", "2025-label", "one-page-form", "chooser-same-account", "chooser-another-account"])
def test_the_agent_signs_in_on_each_layout_and_keeps_the_session(settings, server, account):
    with_account(server, **account)
    orders = site.order_list_url(server.url)
    assert visit(settings, orders) == orders
    assert logins(server) == 1
    assert settings.session_file.stat().st_mode & 0o777 == 0o600


def test_a_logged_out_visit_to_a_mobile_page_signs_in_returns_there_and_the_session_is_kept(settings, server):
    disputes = site.mobile_base(server.url) + site.DISPUTE_LIST_PATH
    assert visit(settings, disputes) == disputes
    # the saved session serves the other host too, without another login
    orders = site.order_list_url(server.url)
    assert visit(settings, orders, Credentials(login="x", password=SecretStr("y"), source="unused")) == orders
    assert logins(server) == 1


def test_a_wrong_password_is_login_required_quoting_the_site(settings, server):
    wrong = Credentials(login=ACCOUNT.login, password=SecretStr("not-it-at-all"), source="test")
    with pytest.raises(LoginRequired, match=r"refused the login \(Your account name or password is incorrect\.\)"):
        visit(settings, site.order_list_url(server.url), wrong)
    assert logins(server) == 0
    assert b"not-it-at-all" not in evidence_bytes(settings.state.evidence_dir)


def test_an_unknown_account_is_refused_at_the_first_step(settings, server):
    stranger = Credentials(login="nobody@example.com", password=SecretStr(PASSWORD), source="test")
    with pytest.raises(LoginRequired, match="refused the account") as error:
        visit(settings, site.order_list_url(server.url), stranger)
    assert error.value.evidence is not None and (error.value.evidence / "screenshot.png").is_file()


def test_an_email_code_is_handed_to_a_person(settings, server):
    with_account(server, email_code="135790")
    with pytest.raises(CaptchaRequired, match="one-time code") as error:
        visit(settings, site.order_list_url(server.url))
    assert "login --headed" in str(error.value)
    assert logins(server) == 0
    assert PASSWORD.encode() not in evidence_bytes(error.value.evidence)


def test_the_dialog_captcha_is_handed_to_a_person_with_evidence(settings, server):
    server.set_captcha(True, "dialog")
    with pytest.raises(CaptchaRequired, match="slider captcha") as error:
        visit(settings, site.order_list_url(server.url))
    folder = error.value.evidence
    assert (folder / "screenshot.png").stat().st_size > 0
    assert "baxia-dialog" in (folder / "page.html").read_text()
    assert not (folder / "trace.zip").exists()
    assert PASSWORD.encode() not in evidence_bytes(folder)
    assert logins(server) == 0


def test_a_punish_page_on_an_ordinary_page_is_handed_to_a_person(settings, server):
    with BrowserSession(settings) as session:
        page = session.new_page()
        open_page(session, page, site.order_list_url(server.url), lambda: ACCOUNT)
        server.set_captcha(True, "punish")
        with pytest.raises(CaptchaRequired, match="anti-bot page") as error:
            with session.evidence(page, "order-detail"):
                open_page(session, page, site.order_detail_url(server.url, "8215000000000002"), lambda: ACCOUNT)
    assert "_____tmd_____/punish" in (error.value.evidence / "error.txt").read_text()
    assert logins(server) == 1


def test_a_punish_page_before_any_login_stops_without_typing_anything(settings, server):
    server.set_captcha(True, "punish")

    def no_credentials() -> Credentials:
        raise AssertionError("a captcha in front of the page must not lead to a login")

    with BrowserSession(settings) as session, pytest.raises(CaptchaRequired):
        page = session.new_page()
        with session.evidence(page, "visit"):
            open_page(session, page, site.order_list_url(server.url), no_credentials)


def test_a_person_passes_the_punish_page_and_the_sign_in_while_the_agent_waits(settings, server):
    """``login --headed``: the agent waits across the hosts; the "person" acts between its polls."""
    server.set_captcha(True, "punish")
    done: list[str] = []

    def person(_seconds: float) -> None:
        if site.is_challenge_url(page.url) and not done:
            knob, track = page.locator("#nc_1_n1z").bounding_box(), page.locator("#nc_1_n1t").bounding_box()
            y = knob["y"] + knob["height"] / 2
            page.mouse.move(knob["x"] + 5, y)
            page.mouse.down()
            page.mouse.move(track["x"] + track["width"] + 20, y, steps=15)
            page.mouse.up()
            done.append("slider")
        elif site.is_login_url(page.url) and done == ["slider"]:
            field = page.locator("input[label='Email or phone number']")
            field.fill(ACCOUNT.login)
            field.blur()
            page.get_by_role("button", name="Continue").click()
            page.locator("#fm-login-password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in", exact=True).click()
            done.append("sign-in")
        else:
            page.wait_for_timeout(200)

    orders = site.order_list_url(server.url)
    with BrowserSession(settings) as session:
        page = session.new_page()
        wait_for_person(page, orders, timeout_s=60, sleep=person)
        assert page.url == orders
    assert done == ["slider", "sign-in"]
    assert logins(server) == 1
