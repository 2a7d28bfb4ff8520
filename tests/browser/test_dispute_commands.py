"""escalate / reject / evidence / accept / ship-return / disputes: the commands a user types
about a case, through the dispute page's own paths, under two class-name seeds and in both
escalation worlds (only the platform escalates; the page offers buyers a button)."""

from __future__ import annotations

import hashlib
import json

import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from typer.testing import CliRunner

from agent.cli.commands import app
from flows.capture import ApiCapture
from sandbox.scenario import SiteSpec, load_scenario
from tests.support.agent_env import logged_in_already, point_agent_at

pytestmark = pytest.mark.browser
runner = CliRunner()

ZERO_OFFER_ORDER = "8215000000000013"  # Vega Store: 0.00 USD offer pending at the start of the demo world
SILENT_ORDER = "8215000000000014"  # Nova Electronics: waiting for the seller
MEDIATOR_ORDER = "8215000000000015"  # escalated; the mediator asks for information


@pytest.fixture
def user(server, tmp_path, monkeypatch):
    home = point_agent_at(server, monkeypatch, tmp_path)
    logged_in_already(server, home / "state")
    return home


def demo_world(server, seed: str, buyer_escalation: bool = False) -> None:
    server.load(load_scenario().model_copy(update={"site": SiteSpec(class_seed=seed,
                                                                     buyer_escalation=buyer_escalation)}))


def case(server, order_id: str) -> dict:
    return next(d for d in server.state()["disputes"] if d["order_id"] == order_id)


def test_accept_refuses_a_zero_offer_without_accept_zero(user, server):
    dispute = case(server, ZERO_OFFER_ORDER)["reverse_line_id"]
    result = runner.invoke(app, ["accept", dispute, "--yes"])
    assert result.exit_code == 2
    assert "you get nothing" in result.output
    assert case(server, ZERO_OFFER_ORDER)["status"] == "WAIT_BUYER_RESPONSE"


@pytest.mark.parametrize("seed", ["cmd-a", "cmd-b"])
def test_accept_a_real_offer_after_confirmation(user, server, seed):
    demo_world(server, seed)
    dispute = case(server, SILENT_ORDER)["reverse_line_id"]
    server.seller(dispute, action="offer", amount="30.00", respond_days=2)
    result = runner.invoke(app, ["accept", dispute, "--yes"])
    assert result.exit_code == 0, result.output
    assert "30.00 BRL" in result.output
    after = case(server, SILENT_ORDER)
    assert (after["status"], after["result"], after["refund"]) == ("FINISHED", "WON", "30.00")


@pytest.mark.parametrize("seed", ["cmd-a", "cmd-b"])
def test_reject_with_a_counter_offer(user, server, seed):
    demo_world(server, seed)
    dispute = case(server, ZERO_OFFER_ORDER)["reverse_line_id"]
    result = runner.invoke(app, ["reject", dispute, "--counter", "8.00", "--message", "Nothing arrived.", "--yes"])
    assert result.exit_code == 0, result.output
    after = case(server, ZERO_OFFER_ORDER)
    assert after["status"] == "WAIT_SELLER_RESPONSE"
    assert after["proposals"][-1]["proposer"] == "BUYER" and after["proposals"][-1]["amount"] == "8.00"
    assert after["messages"][-1]["text"] == "Nothing arrived."
    log = json.loads(runner.invoke(app, ["log", ZERO_OFFER_ORDER, "--json"]).output)["entries"]
    assert log[-1]["action"] == "reject" and "counter-offer 8.00" in log[-1]["detail"]


def test_reject_counter_above_what_was_paid_is_refused_before_the_site(user, server):
    dispute = case(server, ZERO_OFFER_ORDER)["reverse_line_id"]
    result = runner.invoke(app, ["reject", dispute, "--counter", "9.00"])
    assert result.exit_code == 2
    assert "more than what was paid" in result.output
    assert case(server, ZERO_OFFER_ORDER)["status"] == "WAIT_BUYER_RESPONSE"


def test_reject_asks_first_and_does_nothing_without_an_answer(user, server):
    dispute = case(server, ZERO_OFFER_ORDER)["reverse_line_id"]
    result = runner.invoke(app, ["reject", dispute, "--counter", "5"])  # no terminal to ask on
    assert result.exit_code == 2
    assert f"Offer on dispute {dispute}: 0.00" in result.output and "counter-offer of 5" in result.output
    assert "no terminal to ask on: pass --yes" in result.output
    assert case(server, ZERO_OFFER_ORDER)["status"] == "WAIT_BUYER_RESPONSE"


def test_escalate_where_the_page_offers_none_says_when_aliexpress_steps_in_in_one_line(user, server):
    dispute = case(server, ZERO_OFFER_ORDER)["reverse_line_id"]
    refused = runner.invoke(app, ["escalate", dispute])
    assert refused.exit_code == 2
    lines = [line for line in refused.output.splitlines() if line.strip()]
    assert lines == [f"error: dispute {dispute}: the dispute page offers no escalation; AliExpress is expected to "
                     "step in by itself on Tue 24 Nov 2026, 09:00 UTC — until then answer any offer with "
                     "'dispute-agent reject'"]
    assert case(server, ZERO_OFFER_ORDER)["status"] == "WAIT_BUYER_RESPONSE"
    assert not [a for a in server.state()["actions"] if a["actor"] == "buyer"]


def test_escalate_where_the_page_offers_it_and_refused_when_too_early(user, server):
    demo_world(server, "cmd-b", buyer_escalation=True)
    too_early = case(server, SILENT_ORDER)["reverse_line_id"]  # opened 2 days ago: escalation from day 3
    refused = runner.invoke(app, ["escalate", too_early])
    assert refused.exit_code == 2
    assert refused.stderr.splitlines() == [
        f"error: dispute {too_early}: escalation opens on Sat 21 Nov 2026, 12:00 UTC (the dispute page offers it "
        "from then); until then answer any offer with 'dispute-agent reject'"]
    dispute = case(server, ZERO_OFFER_ORDER)["reverse_line_id"]
    result = runner.invoke(app, ["escalate", dispute])
    assert result.exit_code == 0, result.output
    assert case(server, ZERO_OFFER_ORDER)["status"] == "ESCALATED"


def test_ship_return_enters_the_tracking_number_of_an_agreed_return(user, server):
    dispute = case(server, SILENT_ORDER)["reverse_line_id"]
    server.seller(dispute, action="change_solution", amount="47.30")
    assert runner.invoke(app, ["accept", dispute, "--yes"]).exit_code == 0
    assert case(server, SILENT_ORDER)["status"] == "WAIT_RETURN_SHIPMENT"
    result = runner.invoke(app, ["ship-return", dispute, "--tracking", "RR123456789CN"])
    assert result.exit_code == 0, result.output
    after = case(server, SILENT_ORDER)
    shipped = [a for a in server.state()["actions"] if a["action"] == "ship_return"]
    assert len(shipped) == 1 and "RR123456789CN" in shipped[0]["detail"]
    assert (after["status"], after["result"], after["refund"]) == ("FINISHED", "WON", "47.30")


def test_accept_takes_only_the_offer_the_person_confirmed(user, server):
    dispute = case(server, SILENT_ORDER)["reverse_line_id"]
    server.seller(dispute, action="offer", amount="30.00", respond_days=2)

    from agent.config.settings import load_settings
    from agent.storage.store import Store
    from agent.usecases.acting import act

    settings = load_settings(None)

    def change_of_mind(detail, offer) -> bool:  # the seller changes the offer while the person decides
        server.seller(dispute, action="offer", amount="1.00", respond_days=2)
        return True

    from agent.core.errors import NotEligible

    with pytest.raises(NotEligible, match="the page shows 0 solutions of 30.00 BRL to accept"):
        act(settings, Store(settings.state.db_path), dispute, "accept", confirm=change_of_mind, say=lambda _: None)
    after = case(server, SILENT_ORDER)
    assert after["status"] == "WAIT_BUYER_RESPONSE" and after["result"] is None


def test_evidence_sends_files_in_batches_the_form_takes(user, server):
    dispute = case(server, MEDIATOR_ORDER)["reverse_line_id"]
    paths = []
    for index in range(4):
        path = user / f"label-{index}.png"
        Image.new("RGB", (40 + index, 30), (index * 40, 10, 10)).save(path)
        paths.append(path)
    args = ["evidence", dispute, "--message", "Photos of the parcel label."]
    for path in paths:
        args += ["--attach", str(path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    sent = {a["sha256"] for a in case(server, MEDIATOR_ORDER)["attachments"]}
    assert {hashlib.sha256(p.read_bytes()).hexdigest() for p in paths} <= sent
    batches = [a for a in server.state()["actions"] if a["order"] == MEDIATOR_ORDER and a["action"] == "evidence"]
    assert len(batches) == 2  # 3 images per submission, then 1


def test_disputes_table_shows_the_zero_offer_and_what_to_do(user, server):
    assert runner.invoke(app, ["poll", "--no-deliver"]).exit_code == 0
    data = json.loads(runner.invoke(app, ["disputes", "--json"]).output)
    rows = {row["order_id"]: row for row in data["disputes"]}
    zero = rows[ZERO_OFFER_ORDER]
    assert zero["offer_is_zero"] and zero["offer"] == {"amount": "0.00", "currency": "USD"}
    assert zero["next_deadline"] is not None
    assert "reject" in (zero["suggested_action"] or "").lower()
    table = runner.invoke(app, ["disputes"])
    assert table.exit_code == 0 and ZERO_OFFER_ORDER in table.output


def test_an_unknown_dispute_is_one_clear_line(user, server):
    result = runner.invoke(app, ["escalate", "6499999999999999"])
    assert result.exit_code in (1, 2)
    assert "Traceback" not in result.output
    assert "6499999999999999" in result.output


@pytest.mark.parametrize("slow_listener", [False, True], ids=["as-it-comes", "answer-read-late"])
def test_a_server_error_after_the_final_button_is_no_refusal_it_may_have_gone_through(user, server, monkeypatch,
                                                                                      slow_listener):
    if slow_listener:  # a busy machine: the page shows its alert before the listener has read the failed answer
        read = ApiCapture._read_body

        def late(api, response):
            if response.status >= 500:
                try:
                    response.frame.page.wait_for_timeout(1500)
                except PlaywrightError:  # the flow ended and closed the browser meanwhile
                    pass
            return read(api, response)

        monkeypatch.setattr(ApiCapture, "_read_body", staticmethod(late))
    dispute = case(server, MEDIATOR_ORDER)["reverse_line_id"]
    server.add_fault("http500", "/h5/mtop.aliexpress.reverse.buyer.action/")
    try:
        result = runner.invoke(app, ["evidence", dispute, "--message", "Photos of the parcel label."])
    finally:
        server.clear_faults()
    assert result.exit_code == 1, result.output  # not 2: the user's input was fine
    assert "HTTP 500" in result.output and "may or may not have been done" in result.output
    assert "Traceback" not in result.output
