"""Opening disputes with one command: real Chromium, the sandbox as the judge of what was filed."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image
from pydantic import SecretStr
from typer.testing import CliRunner

from agent.cli.commands import app
from agent.config.secrets import Credentials
from agent.config.settings import load_settings
from agent.core.errors import NotEligible, PageChanged
from flows.browser import BrowserSession
from flows.dispute_form import DisputeForm, file_dispute
from tests.support.agent_env import logged_in_already, point_agent_at
from tests.support.isolation import isolate_environment
from tests.support.sandbox_pages import demo_scenario

pytestmark = pytest.mark.browser
runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]

AWAITING_12_DAYS = "8215000000000004"  # Vega Store, EUR 54.99, one line
AWAITING_40_DAYS = "8215000000000005"  # Tango Fashion, PLN
COMPLETED = "8215000000000010"  # Lumen, BRL 61.25, delivered: the "received" branch
TWO_LINES = "8215000000000018"  # Orbita Home, EUR, two lines
NOT_SHIPPED = "8215000000000008"
TOO_FRESH = "8215000000000006"  # shipped 2 days ago: no button yet
WINDOW_OVER = "8215000000000012"  # completed in June: everything is over
HAS_DISPUTE = "8215000000000014"
ENDING_SOON = "8215000000000001"  # 20 hours of protection left


@pytest.fixture
def user(server, tmp_path, monkeypatch):
    home = point_agent_at(server, monkeypatch, tmp_path)
    logged_in_already(server, home / "state")
    return home


def photo(path: Path, size: tuple[int, int] = (64, 48), noisy: bool = False) -> Path:
    if noisy:
        rng = random.Random(7)
        image = Image.frombytes("RGB", size, bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3)))
    else:
        image = Image.new("RGB", size, (200, 30, 30))
    image.save(path)
    return path


def disputes_on(server, order_id: str) -> list[dict]:
    return [d for d in server.state()["disputes"] if d["order_id"] == order_id]


def open_cli(*args: str):
    return runner.invoke(app, ["open", *args])


def test_not_received_full_refund_with_three_photos_and_a_video(user, server):
    files = [photo(user / f"p{i}.jpg") for i in range(3)]
    video = user / "unboxing.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(300_000))  # an MP4 header, random frames
    args = [AWAITING_12_DAYS, "--not-received", "--reason", "not_arrived", "--yes"]
    for path in [*files, video]:
        args += ["--attach", str(path)]
    result = open_cli(*args)
    assert result.exit_code == 0, result.output
    (case,) = disputes_on(server, AWAITING_12_DAYS)
    assert (case["received"], case["reason"], case["solution"], case["amount"]) == (False, "not_arrived",
                                                                                   "refund_only", "54.99")
    assert "Order 8215000000000004" in case["description"] or AWAITING_12_DAYS in case["description"]
    sent = {a["sha256"]: a["size"] for a in case["attachments"]}
    for path in [*files, video]:
        data = path.read_bytes()
        assert sent[hashlib.sha256(data).hexdigest()] == len(data)  # byte for byte
    log = json.loads(runner.invoke(app, ["log", AWAITING_12_DAYS, "--json"]).output)["entries"]
    assert [e["action"] for e in log] == ["open_dispute"] * 3  # the filled form, the summary, the outcome
    assert all(Path(e["evidence"], "screenshot.png").is_file() for e in log)
    assert "Your request has been submitted" in Path(log[-1]["evidence"], "page.html").read_text(encoding="utf-8")


def test_received_partial_refund_with_return_and_extra_photos_as_follow_up(user, server):
    files = [photo(user / f"p{i}.png") for i in range(5)]
    args = [COMPLETED, "--received", "--reason", "damaged", "--refund", "partial", "--amount", "20.00",
            "--return", "--message", "The glass of two bulbs is cracked.", "--yes"]
    for path in files:
        args += ["--attach", str(path)]
    result = open_cli(*args)
    assert result.exit_code == 0, result.output
    assert "2 more image(s) added as evidence" in result.output
    (case,) = disputes_on(server, COMPLETED)
    assert (case["received"], case["solution"], case["amount"]) == (True, "return_and_refund", "20.00")
    assert case["description"].rstrip().endswith("The glass of two bulbs is cracked.")
    assert len(case["attachments"]) == 5
    actions = [a["action"] for a in server.state()["actions"] if a["order"] == COMPLETED]
    assert actions == ["open_dispute", "evidence"]


def test_a_big_photo_is_resized_as_announced_and_accepted_by_the_site(user, server):
    big = photo(user / "big.png", size=(1400, 1200), noisy=True)
    assert big.stat().st_size > 2 * 1024 * 1024
    result = open_cli(AWAITING_40_DAYS, "--not-received", "--reason", "no_tracking", "--attach", str(big), "--yes")
    assert result.exit_code == 0, result.output
    assert "resized" in result.output
    (case,) = disputes_on(server, AWAITING_40_DAYS)
    (sent,) = case["attachments"]
    assert sent["size"] <= 2 * 1024 * 1024
    assert big.stat().st_size > 2 * 1024 * 1024  # the original is kept


def test_dry_run_fills_the_form_and_creates_nothing(user, server):
    result = open_cli(AWAITING_12_DAYS, "--not-received", "--reason", "not_arrived", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run" in result.output
    assert disputes_on(server, AWAITING_12_DAYS) == []
    log = json.loads(runner.invoke(app, ["log", "--json"]).output)["entries"]
    assert log[0]["outcome"] == "dry-run"
    assert Path(log[0]["evidence"], "screenshot.png").is_file()


def test_the_same_command_twice_opens_one_dispute(user, server):
    args = [AWAITING_12_DAYS, "--not-received", "--reason", "not_arrived", "--yes"]
    assert open_cli(*args).exit_code == 0
    again = open_cli(*args)
    assert again.exit_code == 2
    assert "already exists" in again.output
    assert len(disputes_on(server, AWAITING_12_DAYS)) == 1


def test_killed_after_submit_the_next_run_links_the_case_and_files_nothing(user, server):
    server.load(demo_scenario(site={"dispute_list_lag_minutes": 60}))  # the new case is not listed yet
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        import agent.storage.dispute_records as records
        original = records.DisputeRecords.mark_intent
        def killed(self, intent_id, status, *args, **kwargs):
            if status == "submitted":  # the site accepted the dispute; the agent has not recorded it
                os.kill(os.getpid(), signal.SIGKILL)
            return original(self, intent_id, status, *args, **kwargs)
        records.DisputeRecords.mark_intent = killed
        from agent.cli.commands import main
        main(sys.argv[1:])
    """)
    args = ["open", AWAITING_12_DAYS, "--not-received", "--reason", "not_arrived", "--yes"]
    died = subprocess.run([sys.executable, "-c", script, *args], env=os.environ.copy(), capture_output=True,
                          text=True, timeout=180)
    assert died.returncode == -9, died.stderr
    assert len(disputes_on(server, AWAITING_12_DAYS)) == 1
    again = open_cli(*args[1:])
    assert again.exit_code == 0, again.output
    assert "found and linked" in again.output
    assert len(disputes_on(server, AWAITING_12_DAYS)) == 1
    log = json.loads(runner.invoke(app, ["log", "--json"]).output)["entries"]
    assert log[-1]["action"] == "link_dispute"
    assert "the order's page" in log[-1]["detail"]  # the order said so before the list did


def test_a_server_error_on_submit_may_have_filed_and_the_next_runs_file_once(user, server):
    server.add_fault("http500", "/h5/mtop.aliexpress.reverse.buyer.apply/", remaining=1)
    args = [AWAITING_12_DAYS, "--not-received", "--reason", "not_arrived", "--yes"]
    failed = open_cli(*args)
    assert failed.exit_code == 1, failed.output
    line = failed.output.strip().splitlines()[-1]
    assert "HTTP 500" in line and "may have been filed" in line and "will not file twice" in line, line
    assert disputes_on(server, AWAITING_12_DAYS) == []  # the 500 came before the site filed anything
    waiting = open_cli(*args)
    assert waiting.exit_code == 1, waiting.output
    assert re.search(r"a filing from .* may still be arriving on the site; run again after ", waiting.output)
    assert disputes_on(server, AWAITING_12_DAYS) == []
    server.advance(minutes=31)  # the site had its time to list a case: none came
    filed = open_cli(*args)
    assert filed.exit_code == 0, filed.output
    assert len(disputes_on(server, AWAITING_12_DAYS)) == 1


@pytest.mark.parametrize(("args", "message"), [
    ([NOT_SHIPPED, "--not-received", "--reason", "not_arrived"], "has not shipped"),
    ([TOO_FRESH, "--not-received", "--reason", "not_arrived"], "no 'Returns/refunds' button"),
    ([HAS_DISPUTE, "--not-received", "--reason", "not_arrived"], "already exists"),
    ([WINDOW_OVER, "--received", "--reason", "damaged"], "the time to open a dispute on order"),
    ([COMPLETED, "--received", "--reason", "damaged", "--refund", "partial", "--amount", "61.26"], "more than what was paid"),
    ([COMPLETED, "--received", "--reason", "damaged", "--refund", "partial", "--amount", "0"], "more than zero"),
    ([COMPLETED, "--received", "--reason", "damaged", "--refund", "partial", "--amount", "-5"], "more than zero"),
    ([COMPLETED, "--received", "--reason", "damaged", "--refund", "partial", "--amount", "5 USD"], "paid in BRL"),
    ([COMPLETED, "--received", "--reason", "not_arrived"], "--not-received"),
    ([COMPLETED, "--received", "--reason", "nonsense"], "unknown reason"),
    ([TWO_LINES, "--not-received", "--reason", "not_arrived"], "choose with --line"),
    ([AWAITING_12_DAYS, "--not-received", "--reason", "not_arrived", "--attach", "/nonexistent/photo.jpg"],
     "photo.jpg"),
])
def test_refusals_are_one_clear_line_and_file_nothing(user, server, args, message):
    result = open_cli(*args, "--yes")
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert sum(1 for d in server.state()["disputes"] if d["created_at"] >= "2026-11-20") == 0


def test_little_protection_left_is_a_warning_not_a_refusal(user, server):
    result = open_cli(ENDING_SOON, "--not-received", "--reason", "not_arrived", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "protection left" in result.output


def test_monthly_limit_refuses_and_force_passes(user, server, monkeypatch):
    monkeypatch.setenv("DISPUTE_AGENT_FILING__MAX_PER_30_DAYS", "1")
    refused = open_cli(AWAITING_12_DAYS, "--not-received", "--reason", "not_arrived", "--yes")
    assert refused.exit_code == 2
    assert "--force" in refused.output
    forced = open_cli(AWAITING_12_DAYS, "--not-received", "--reason", "not_arrived", "--yes", "--force")
    assert forced.exit_code == 0, forced.output


# --- the filing flow itself, against pages that differ from what it expects -----------------

FREE_ORDER, FREE_LINE = "8215000000000020", "8215100000020001"  # Nova, USD 59.00, nothing filed yet
OTHER_ORDER, OTHER_LINE = "8215000000000026", "8215100000026001"  # Nova, USD 24.80
DESCRIPTION = "The package never arrived and tracking has not moved for weeks."
ACCOUNT = Credentials(login="buyer@example.com", password=SecretStr("sandbox-pass"), source="test")
REMOVE_BUTTONS = """new MutationObserver(() => document.querySelectorAll('button').forEach((b) => {
  if (b.textContent.trim() === 'Returns/refunds') b.remove(); })).observe(document, {childList: true, subtree: true});"""
# polled, not observed: a tab opened by the page keeps its first window, not its first document
RENAME_REASON = """setInterval(() => document.querySelectorAll('.comet-v2-menu-item').forEach((i) => {
  if (i.textContent === 'Package did not arrive in time') i.textContent = 'Package did not arrive'; }), 20);"""


@pytest.fixture
def flow(server, tmp_path, monkeypatch):
    """A browser session of the agent, the demo world fresh; ``file(form, **options)`` files."""
    isolate_environment(monkeypatch, tmp_path)
    server.reset()
    logged_in_already(server, tmp_path / "state")
    settings = load_settings(None, site={"base_url": server.url}, state={"dir": str(tmp_path / "state")},
                             browser={"timeout_ms": 15_000})
    with BrowserSession(settings) as session:
        def file(form: DisputeForm, timeout_ms: float = 15_000, **options):
            return file_dispute(session, server.url, form, lambda: ACCOUNT, timeout_ms=timeout_ms, **options)
        file.session = session
        yield file


def free_form(**changes) -> DisputeForm:
    fields = {"order_id": FREE_ORDER, "line_id": FREE_LINE, "received": False, "reason": "not_arrived",
              "solution": "refund_only", "amount": None, "description": DESCRIPTION, "paid": Decimal("59.00")}
    return DisputeForm(**{**fields, **changes})


def assert_changed_page_with_evidence(error: PageChanged, server, *shown: str) -> None:
    folder = error.evidence
    assert folder is not None and (folder / "screenshot.png").is_file()
    html = (folder / "page.html").read_text(encoding="utf-8")
    assert all(text in html for text in shown), shown
    assert server.state()["disputes"] == [d for d in server.state()["disputes"] if d["created_at"] < "2026-11-20"]


def test_the_flow_returns_both_ids_from_the_answer_under_two_class_seeds(flow, server, tmp_path):
    seen = set()
    for seed, (order, line, paid) in zip(("alpha", "beta"), ((FREE_ORDER, FREE_LINE, "59.00"),
                                                              (OTHER_ORDER, OTHER_LINE, "24.80"))):
        server.load(demo_scenario(site={"class_seed": seed}))
        photo_path = photo(tmp_path / f"{seed}.png")
        recorded: list[int] = []

        def record(into: list[int] = recorded) -> None:
            into.append(len(server.state()["disputes"]))

        result = flow(free_form(order_id=order, line_id=line, paid=Decimal(paid), files=(photo_path,)),
                      before_submit=record)
        (case,) = [d for d in server.state()["disputes"] if d["line_id"] == line]
        assert recorded == [len(server.state()["disputes"]) - 1]  # the intent came before the filing
        assert (result.reverse_line_id, result.reverse_order_id, result.trade_line_id) == (
            case["reverse_line_id"], case["reverse_order_id"], line)
        assert [a["sha256"] for a in case["attachments"]] == [hashlib.sha256(photo_path.read_bytes()).hexdigest()]
        assert case["amount"] == paid
        form_html = (result.form_evidence / "page.html").read_text(encoding="utf-8")
        seen.add(re.search(r"commet--textarea--(\w{7})", form_html).group(1))
        for folder in (result.before_evidence, result.confirmation_evidence):
            assert (folder / "screenshot.png").is_file()
    assert len(seen) == 2  # two different releases of the class names, one flow


def test_the_form_is_heard_from_its_first_answer_on_a_busy_machine(flow, server):
    """A machine too busy to announce the new tab before the form's first call is answered."""
    flow.session.context().on("page", lambda _tab: time.sleep(1.5))  # runs before the flow's own listener
    result = flow(free_form(), dry_run=True)
    assert result.dry_run and (result.form_evidence / "page.html").is_file()


def test_no_open_dispute_in_the_answer_is_not_eligible(flow, server):
    with pytest.raises(NotEligible, match="site's own answer .* offers no 'Returns/refunds'"):
        flow(free_form(order_id=TOO_FRESH, line_id="8215100000006001"))


def test_a_missing_button_while_the_answer_offers_it_is_a_changed_page(flow, server):
    flow.session.context().add_init_script(REMOVE_BUTTONS)
    with pytest.raises(PageChanged, match="the page changed, not the item's eligibility") as error:
        flow(free_form())
    assert_changed_page_with_evidence(error.value, server, "Mini Projector 1080p")


@pytest.mark.parametrize("path, shown", [
    ("/p/order/", "cmt-modal"),  # the question's dialog is no longer a .comet-modal
    ("/p/reverse-pages/", "cmt-v2-select-show-arrow"),  # the form's dropdown renamed
])
def test_a_redesigned_page_is_a_changed_page_with_evidence(flow, server, path, shown):
    server.add_fault("dom_layout", path)
    with pytest.raises(PageChanged) as error:
        flow(free_form())
    assert_changed_page_with_evidence(error.value, server, shown)


def test_thumbnails_that_never_show_stop_before_anything_is_sent(flow, server, tmp_path):
    server.load(demo_scenario(rules={"upload_thumbnail_ms": 120_000}))
    called = []
    with pytest.raises(PageChanged, match="0 of 1 file thumbnail") as error:
        flow(free_form(files=(photo(tmp_path / "late.png"),)), before_submit=lambda: called.append(1),
             timeout_ms=8_000)
    assert called == []
    assert_changed_page_with_evidence(error.value, server, "upload--imageContainer--")


def test_a_reason_the_form_does_not_offer_lists_what_it_offers(flow, server):
    flow.session.context().add_init_script(RENAME_REASON)
    with pytest.raises(NotEligible, match=r"offers no reason 'Package did not arrive in time' \(not_arrived\)") as error:
        flow(free_form())
    assert "Package did not arrive (no --reason for it)" in str(error.value)
    assert "Tracked as returned/canceled/lost (returned_to_sender)" in str(error.value)


def test_the_sites_refusals_are_not_eligible_in_its_own_words(flow, server, tmp_path):
    program = tmp_path / "invoice.exe"
    program.write_bytes(b"MZ" * 64)
    with pytest.raises(NotEligible, match="refused a file: invoice.exe: file type not supported"):
        flow(free_form(files=(program,)))
    called = []
    with pytest.raises(NotEligible, match=r"refused the dispute: Please describe the problem \(at least 10"):
        flow(free_form(description="short"), before_submit=lambda: called.append(1))
    assert called == [1]
    assert [d for d in server.state()["disputes"] if d["line_id"] == FREE_LINE] == []


def test_a_stale_answer_meets_the_forms_refusal_in_its_words(flow, server):
    """The order's answer offers the button (here: rewritten on the way), the form knows better."""
    case = next(d for d in server.state()["disputes"] if d["order_id"] == HAS_DISPUTE)

    def offer_anyway(route):  # fetched by address: only the browser resolves *.localhost
        parts = urlsplit(route.request.url)
        text = httpx.get(f"{server.address_url}{parts.path}?{parts.query}",
                         headers={"cookie": route.request.all_headers().get("cookie", "")}).text
        callback, body = re.fullmatch(r"(\w+)\((.*)\)", text, re.DOTALL).groups()
        answer = json.loads(body)
        for component in answer["data"]["data"].values():
            for product in component.get("fields", {}).get("productVOList", []):
                product["buttonVOS"].append({"type": "OPEN_DISPUTE", "text": "Returns/refunds", "extMap": {
                    "title": "Have you received your package?",
                    "okButton": {"text": "Yes", "href": ""}, "cancelButton": {"text": "No", "href": ""}}})
        route.fulfill(body=f"{callback}({json.dumps(answer)})", content_type="application/javascript")

    flow.session.context().route(re.compile(r"/h5/mtop\.aliexpress\.trade\.buyer\.order\.detail/"), offer_anyway)
    with pytest.raises(NotEligible, match=f"a dispute already exists for this item.*case {case['reverse_line_id']}"):
        flow(free_form(order_id=HAS_DISPUTE, line_id=case["line_id"], paid=Decimal("47.30")))
    assert len([d for d in server.state()["disputes"] if d["order_id"] == HAS_DISPUTE]) == 1


def test_a_dispute_list_announcing_more_than_it_lets_be_read_is_never_cut_short(flow, server):
    """A full page without a count, and no next-page control: there may be more cases."""
    from flows.disputes import read_dispute_list

    answer = json.loads((ROOT / "tests" / "fixtures" / "refund-list.json").read_text(encoding="utf-8"))
    module = answer["data"]["module"]
    del module["total"]
    module["pageSize"] = len(module["items"])  # a full page: the site says nothing of the rest
    flow.session.context().route(re.compile(r"/h5/mtop\.aliexpress\.buyer\.reverse\.queryreverseorderpagelistforbuyer/"),
                                 lambda route: route.fulfill(json=answer))
    with pytest.raises(PageChanged, match="stopped at 3 cases while its data announces more pages"):
        read_dispute_list(flow.session, server.url, lambda: ACCOUNT, timeout_ms=8_000)
