"""Notifications: real e-mail and webhook deliveries on 127.0.0.1, the words, the privacy.

Every message goes to a real SMTP server (aiosmtpd) or a real HTTP receiver started by
the test on a free loopback port; nothing is sent anywhere else.
"""

from __future__ import annotations

import base64
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from agent.cli.commands import app
from agent.config.settings import load_settings
from agent.core.money import Money
from agent.judge.alerts import ActionKind, Alert, AlertKind, Severity, SuggestedAction
from agent.notifications.messages import TEMPLATE_DIR, build_digest, digest_due, render
from agent.notifications.notify import (
    MASK,
    Notifier,
    check_channel_url,
    mask_secrets,
    url_secrets,
)
from tests.support.outbox_env import _isolated  # noqa: F401 (an autouse fixture)
from tests.support.receivers import (
    QUIET_AUTH_WARNING,
    SmtpReceiver,
    WebhookReceiver,
)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
runner = CliRunner()
pytestmark = pytest.mark.filterwarnings(QUIET_AUTH_WARNING)


@pytest.fixture
def screenshot(tmp_path: Path) -> Path:
    path = tmp_path / "evidence" / "offer-0.00-EUR.png"
    path.parent.mkdir()
    path.write_bytes(PNG)
    return path


def notifier(*channels: dict, time_zone: str = "Europe/Berlin") -> Notifier:
    settings = load_settings(notifications={"channels": list(channels), "time_zone": time_zone})
    return Notifier(settings.notifications)


def zero_offer(screenshot: Path | None = None, **changes) -> Alert:
    fields = dict(
        kind=AlertKind.ZERO_OFFER, severity=Severity.CRITICAL, dedupe_key="zero-offer:5001:p2",
        title="Seller offers 0.00 EUR on order 8215000000000004: reject it or get nothing",
        order_id="8215000000000004", dispute_id="5001", amount=Money(amount=Decimal("0.00"), currency="EUR"),
        deadline=NOW + timedelta(days=2),
        action=SuggestedAction(kind=ActionKind.REJECT, text="Reject the offer of 0.00 EUR, or the case closes with nothing",
                               not_after=NOW + timedelta(days=2)),
        facts={"item": "USB-C cable 2 m", "store": "Cable World", "asked": "12.40 EUR"},
        link="http://127.0.0.1:9/dispute/5001", screenshot=screenshot, created_at=NOW,
    )
    return Alert(**{**fields, **changes})


def attachments(message) -> list:
    return [part for part in message.walk() if part.get_content_disposition() == "attachment"]


# --- delivery -------------------------------------------------------------------------------


def test_a_critical_alert_arrives_by_email_with_its_screenshot(smtp: SmtpReceiver, screenshot: Path) -> None:
    result = notifier({"name": "mail", "url": smtp.url()}).deliver("mail", zero_offer(screenshot), NOW)

    assert result.ok and result.error is None
    [mail] = smtp.inbox
    assert mail["Subject"] == ("[dispute-agent] CRITICAL: Seller offers 0.00 EUR on order 8215000000000004: "
                               "reject it or get nothing")
    assert mail["To"].addresses[0].addr_spec == "buyer@example.com"
    body = mail.get_body(("plain",)).get_content()
    assert "The latest proposal refunds NOTHING" in body
    assert "Amount: 0.00 EUR (you asked 12.40 EUR)" in body
    assert "Deadline: Tue 24 Nov 2026, 10:00 CET (in 2 days)" in body  # the user's zone, not UTC
    assert "What to do: Reject the offer of 0.00 EUR" in body
    assert "Open: http://127.0.0.1:9/dispute/5001" in body
    assert "Screenshot: attached (offer-0.00-EUR.png)" in body
    [attached] = attachments(mail)
    assert attached.get_filename() == "offer-0.00-EUR.png"
    assert attached.get_content_type() == "image/png"
    assert attached.get_content() == PNG


def test_a_webhook_receives_the_message_as_json(hook: WebhookReceiver, screenshot: Path) -> None:
    result = notifier({"name": "hook", "url": hook.url("/alerts/in")}).deliver("hook", zero_offer(screenshot), NOW)

    assert result.ok
    [request] = hook.requests
    assert request["path"] == "/alerts/in"
    payload = request["json"]
    assert payload["title"].startswith("[dispute-agent] CRITICAL: Seller offers 0.00 EUR")
    assert "Deadline: Tue 24 Nov 2026, 10:00 CET" in payload["message"]
    assert payload["type"] == "failure"
    [attached] = payload["attachments"]
    assert base64.b64decode(attached["base64"]) == PNG


def test_the_screenshot_stays_home_when_the_channel_does_not_want_it(smtp: SmtpReceiver, screenshot: Path) -> None:
    channel = {"name": "mail", "url": smtp.url(), "attach_screenshots": False}
    assert notifier(channel).deliver("mail", zero_offer(screenshot), NOW).ok

    [mail] = smtp.inbox
    assert attachments(mail) == []
    assert f"Screenshot: kept on the agent's machine: {screenshot}" in mail.get_body(("plain",)).get_content()


def test_a_missing_screenshot_does_not_stop_the_message(smtp: SmtpReceiver, tmp_path: Path) -> None:
    gone = tmp_path / "gone.png"
    assert notifier({"name": "mail", "url": smtp.url()}).deliver("mail", zero_offer(gone), NOW).ok

    [mail] = smtp.inbox
    assert attachments(mail) == []
    assert "(no longer on disk)" in mail.get_body(("plain",)).get_content()


def test_a_channel_that_is_down_is_a_failed_result_not_an_exception(smtp: SmtpReceiver) -> None:
    sender = notifier({"name": "mail", "url": smtp.url()})
    smtp.stop()

    result = sender.deliver("mail", zero_offer(), NOW)

    assert not result.ok
    assert "127.0.0.1" in (result.error or "")


def test_a_webhook_answering_an_error_is_a_failure(hook: WebhookReceiver) -> None:
    hook.status = 500
    result = notifier({"name": "hook", "url": hook.url()}).deliver("hook", zero_offer(), NOW)

    assert not result.ok and result.error
    assert len(hook.requests) == 1


def test_an_unknown_channel_name_is_a_user_error(hook: WebhookReceiver) -> None:
    from agent.core.errors import UserInputError

    with pytest.raises(UserInputError, match="known channels: hook"):
        notifier({"name": "hook", "url": hook.url()}).deliver("mail", zero_offer(), NOW)


# --- privacy --------------------------------------------------------------------------------


def test_passwords_and_tokens_never_reach_the_logs_or_the_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(1)  # everything, including Apprise's TRACE of the URLs it parses
    password, token = "Pw-7hX2qLm", "Tk9fQ2zXwe"
    with SmtpReceiver(login="agent", password=password) as smtp, WebhookReceiver() as hook:
        sender = notifier({"name": "mail", "url": smtp.url()},
                          {"name": "hook", "url": hook.url(auth=f"bot:{token}@")})
        sent = [sender.deliver("mail", zero_offer(), NOW), sender.deliver("hook", zero_offer(), NOW)]
        assert smtp.logins == ["agent"]  # the password was really used
        assert hook.requests[0]["headers"]["Authorization"] == \
            "Basic " + base64.b64encode(f"bot:{token}".encode()).decode()
    failed = [sender.deliver("mail", zero_offer(), NOW), sender.deliver("hook", zero_offer(), NOW)]  # both down

    assert [r.ok for r in sent + failed] == [True, True, False, False]
    for secret in (password, token):
        assert secret not in caplog.text
        assert all(secret not in r.getMessage() for r in caplog.records)
        for result in sent + failed:
            assert secret not in result.target and secret not in (result.error or "")
    # Apprise did trace the URLs: masked, not silenced
    assert any("unpacked as" in r.getMessage() and MASK in r.getMessage() for r in caplog.records)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


#: every place an Apprise URL can carry a secret: the password, tokens in the path, and
#: the query (custom headers ``+``, GET ``-`` and form ``:`` parameters, named tokens),
#: which Apprise's own privacy form shows in clear
SECRET_URLS = [
    ("json://127.0.0.1:{port}/hook?+X-Api-Key=KEYsecret123", ["KEYsecret123"], True),
    ("json://127.0.0.1:{port}/hook?-token=GETsecret456&+Authorization=Bearer%20hdrTok789", ["GETsecret456", "hdrTok789"], True),
    ("form://127.0.0.1:{port}/?:field=FORMsecret789", ["FORMsecret789"], True),
    ("xml://user:xPassSecret@127.0.0.1:{port}/?+X-Token=abcTOKEN42", ["xPassSecret", "abcTOKEN42"], True),
    ("ntfy://127.0.0.1:{port}/topic?token=tk_ntfySecret99", ["tk_ntfySecret99"], True),
    ("ntfy://user:ntfyPass42@127.0.0.1:{port}/topic", ["ntfyPass42"], True),
    ("gotify://127.0.0.1:{port}/Tk2gotifyTOKEN", ["Tk2gotifyTOKEN"], True),
    ("apprise://127.0.0.1:{port}/keySECRET77", ["keySECRET77"], True),
    ("mailto://agent:MailPass55@127.0.0.1:{port}?from=agent@example.com&to=me@example.com", ["MailPass55"], True),
    ("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/987654321", ["AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"], False),
    ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", ["JHMHI8qBe7bk2ZwO5U711o3dV_js"], False),
    ("slack://TokenA1xx/TokenB22yy/TokenC333zz/#chan", ["TokenA1xx", "TokenB22yy", "TokenC333zz"], False),
    ("pover://uKEYuserSecret@aTOKENappSecret", ["uKEYuserSecret", "aTOKENappSecret"], False),
]


@pytest.mark.parametrize(("template", "secrets", "try_sending"), SECRET_URLS)
def test_no_kind_of_channel_secret_reaches_a_log_a_status_or_an_error(
        caplog: pytest.LogCaptureFixture, template: str, secrets: list[str], try_sending: bool) -> None:
    caplog.set_level(1)
    url = template.format(port=_closed_port())
    sender = notifier({"name": "chan", "url": url})
    shown = sender.target("chan")
    results = [sender.deliver("chan", zero_offer(), NOW)] if try_sending else []
    logging_out = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    for secret in secrets:
        assert secret not in shown, shown
        assert secret not in check_channel_url(url)
        assert secret not in logging_out
        assert secret not in mask_secrets(f"failed at {url}")
        for result in results:
            assert not result.ok
            assert secret not in result.target and secret not in (result.error or "")
    assert "?" not in shown or all(value == MASK for _, value in parse_qsl(shown.split("?", 1)[1]))


def test_secret_parts_are_what_the_privacy_form_hides() -> None:
    url = "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/987654321"
    shown = check_channel_url(url)

    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in shown
    assert url_secrets(url, shown) >= {"AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"}
    assert "987654321" not in url_secrets(url, shown)  # the chat id is shown by Apprise too
    assert mask_secrets("sent with AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw to 987654321") == f"sent with {MASK} to 987654321"


def test_a_rejected_url_is_explained_without_its_secret() -> None:
    with pytest.raises(ValueError) as excinfo:
        check_channel_url("json://user:Zq81-secret@/nohost")
    assert "Zq81-secret" not in str(excinfo.value)
    assert "json://" in str(excinfo.value)

    with pytest.raises(ValueError, match="unknown scheme 'mailtoo://'"):
        check_channel_url("mailtoo://user:pw@example.com")


# --- words ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(AlertKind))
def test_every_kind_renders_from_its_template_or_the_fallback(kind: AlertKind) -> None:
    alert = zero_offer(kind=kind, severity=Severity.WARNING, title=f"Something about {kind.value}")
    message = render(alert, NOW, ZoneInfo("UTC"))

    assert message.subject.startswith("[dispute-agent]") and "\n" not in message.subject
    assert message.body and "{{" not in message.body and "\n\n\n" not in message.body
    if kind not in (AlertKind.DIGEST, AlertKind.TEST):
        assert message.body.startswith(alert.title)
        assert "Deadline: Tue 24 Nov 2026, 09:00 UTC (in 2 days)" in message.body


def test_kinds_without_templates_of_their_own_use_the_default() -> None:
    own = {path.name.split(".")[0] for path in TEMPLATE_DIR.glob("*.subject.txt")}
    assert "default" in own and (TEMPLATE_DIR / "default.body.txt").is_file()
    fallback = [kind for kind in AlertKind if kind.value not in own]
    assert fallback  # most kinds share the default subject: "[dispute-agent] <title>"
    message = render(zero_offer(kind=fallback[0], severity=Severity.INFO), NOW, ZoneInfo("UTC"))
    assert message.subject == f"[dispute-agent] {zero_offer().title}"


def test_time_left_is_counted_at_delivery_in_the_users_zone() -> None:
    alert = zero_offer()
    early = render(alert, NOW, ZoneInfo("America/New_York")).body
    late = render(alert, NOW + timedelta(hours=47, minutes=30), ZoneInfo("America/New_York")).body
    after = render(alert, NOW + timedelta(days=3), ZoneInfo("America/New_York")).body

    assert "Deadline: Tue 24 Nov 2026, 04:00 EST (in 2 days)" in early
    assert "(in 30 minutes)" in late
    assert "(already passed)" in after


def test_an_action_the_agent_takes_itself_says_so() -> None:
    action = SuggestedAction(kind=ActionKind.ESCALATE, text="The agent will escalate the dispute by itself",
                             not_after=NOW + timedelta(days=2), automatic=True)
    body = render(zero_offer(action=action), NOW, ZoneInfo("UTC")).body

    assert "The agent will: The agent will escalate the dispute by itself" in body
    assert "The agent never accepts an offer." in body


def test_the_digest_lists_open_disputes_and_coming_deadlines_soonest_first() -> None:
    digest = build_digest(
        [("Order 8215…04: seller offers 0.00 EUR", NOW + timedelta(hours=30)), ("Order 8215…07: waiting", None),
         ("Order 8215…05: mediator asks for photos", NOW + timedelta(hours=5))],
        [("Protection of order 8215…09 ends", NOW + timedelta(days=6))],
        NOW, "Europe/Berlin",
    )
    assert digest is not None and digest.kind is AlertKind.DIGEST and digest.severity is Severity.INFO
    message = render(digest, NOW, ZoneInfo("Europe/Berlin"))

    assert message.subject == "[dispute-agent] Daily digest Sun 22 Nov: 3 open disputes, 1 coming deadline"
    lines = message.body.splitlines()
    first, second, third = (lines.index(line) for line in lines if line.startswith("- Order"))
    assert "mediator" in lines[first] and "(in 5 hours)" in lines[first]
    assert "0.00 EUR" in lines[second] and "waiting" in lines[third]
    assert "- Protection of order 8215…09 ends: Sat 28 Nov 2026, 10:00 CET (in 6 days)" in lines


def test_the_digest_is_one_per_local_day_and_none_when_there_is_nothing() -> None:
    assert build_digest([], [], NOW) is None
    late_evening_utc = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)  # already the 23rd in Berlin
    digest = build_digest([("a dispute", None)], [], late_evening_utc, ZoneInfo("Europe/Berlin"))
    assert digest is not None and digest.dedupe_key == "digest:2026-11-23"


def test_the_digest_is_due_after_the_hour_in_the_users_zone() -> None:
    settings = load_settings(notifications={"time_zone": "Europe/Berlin", "digest_hour": 8}).notifications
    assert not digest_due(datetime(2026, 11, 22, 6, 59, tzinfo=UTC), settings)  # 07:59 in Berlin
    assert digest_due(datetime(2026, 11, 22, 7, 0, tzinfo=UTC), settings)


# --- dispute-agent notify-test ------------------------------------------------------------------


def config_file(tmp_path: Path, *channels: tuple[str, str]) -> Path:
    tables = "".join(f'\n[[notifications.channels]]\nname = "{name}"\nurl = "{url}"\n' for name, url in channels)
    path = tmp_path / "agent.toml"
    path.write_text(f'[notifications]\ntime_zone = "Europe/Berlin"\n{tables}', encoding="utf-8")
    return path


def test_notify_test_reports_every_channel(tmp_path: Path, smtp: SmtpReceiver, hook: WebhookReceiver) -> None:
    config = config_file(tmp_path, ("mail", smtp.url()), ("hook", hook.url()))

    result = runner.invoke(app, ["notify-test", "--config", str(config)])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("mail: ok (mailto://") and lines[1].startswith("hook: ok (json://")
    [mail] = smtp.inbox
    assert mail["Subject"] == "[dispute-agent] Test message for channel 'mail'"
    assert "Deadlines are worded in Europe/Berlin" in mail.get_body(("plain",)).get_content()
    assert hook.requests[0]["json"]["title"] == "[dispute-agent] Test message for channel 'hook'"


def test_notify_test_one_channel(tmp_path: Path, smtp: SmtpReceiver, hook: WebhookReceiver) -> None:
    config = config_file(tmp_path, ("mail", smtp.url()), ("hook", hook.url()))

    result = runner.invoke(app, ["notify-test", "hook", "--config", str(config)])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("hook: ok")
    assert smtp.inbox == [] and len(hook.requests) == 1


def test_notify_test_exits_1_when_a_channel_fails(tmp_path: Path, smtp: SmtpReceiver, hook: WebhookReceiver) -> None:
    secret = "Qv4-pass-word"
    with SmtpReceiver(login="agent", password=secret) as down:
        config = config_file(tmp_path, ("mail", down.url()), ("hook", hook.url()))
    result = runner.invoke(app, ["notify-test", "--config", str(config)])

    assert result.exit_code == 1
    assert "mail: failed: Connection error while submitting email to \"127.0.0.1\"" in result.output
    assert "hook: ok" in result.output
    assert secret not in result.output


def test_notify_test_exits_2_on_an_unknown_channel(tmp_path: Path, hook: WebhookReceiver) -> None:
    config = config_file(tmp_path, ("hook", hook.url()), ("chat", hook.url("/chat")))

    result = runner.invoke(app, ["notify-test", "phone", "--config", str(config)])

    assert result.exit_code == 2
    assert "unknown channel 'phone'; known channels: hook, chat" in result.output
    assert hook.requests == []


def test_notify_test_without_channels_says_how_to_add_one(tmp_path: Path) -> None:
    result = runner.invoke(app, ["notify-test", "--config", str(config_file(tmp_path))])

    assert result.exit_code == 2
    assert "[[notifications.channels]]" in result.output


def test_notify_test_has_help() -> None:
    result = runner.invoke(app, ["notify-test", "--help"])
    assert result.exit_code == 0 and "dispute-agent notify-test mail" in result.output


def test_opening_a_store_does_not_load_apprise_or_jinja() -> None:
    """``Store`` imports ``agent.notifications.outbox`` for its tables: that must stay cheap."""
    code = "import sys, agent.notifications.notify, agent.notifications.messages, agent.notifications.outbox; print(sorted(m for m in ('apprise', 'jinja2') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
