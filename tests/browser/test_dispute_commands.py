"""escalate / reject / evidence / accept / disputes: the commands a user types about a case."""

from __future__ import annotations

import hashlib
import json

import pytest
from PIL import Image
from typer.testing import CliRunner

from agent.cli import app
from tests.support.agent_env import point_agent_at

pytestmark = pytest.mark.browser
runner = CliRunner()

ZERO_OFFER_ORDER = "8215000000000013"  # Vega Store: 0.00 USD offer pending at the start of the demo world
SILENT_ORDER = "8215000000000014"  # Nova Electronics: waiting for the seller
MEDIATOR_ORDER = "8215000000000015"  # escalated; the mediator asks for information


@pytest.fixture
def user(server, tmp_path, monkeypatch):
    return point_agent_at(server, monkeypatch, tmp_path)


def case(server, order_id: str) -> dict:
    return next(d for d in server.state()["disputes"] if d["order_id"] == order_id)


def test_accept_refuses_a_zero_offer_without_accept_zero(user, server):
    dispute = case(server, ZERO_OFFER_ORDER)["reverse_line_id"]
    result = runner.invoke(app, ["accept", dispute, "--yes"])
    assert result.exit_code == 2
    assert "you get nothing" in result.output
    assert case(server, ZERO_OFFER_ORDER)["status"] == "WAIT_BUYER_RESPONSE"


def test_accept_a_real_offer_after_confirmation(user, server):
    dispute = case(server, SILENT_ORDER)["reverse_line_id"]
    server.seller(dispute, action="offer", amount="30.00", respond_days=2)
    result = runner.invoke(app, ["accept", dispute, "--yes"])
    assert result.exit_code == 0, result.output
    assert "30.00 BRL" in result.output
    after = case(server, SILENT_ORDER)
    assert (after["status"], after["result"], after["refund"]) == ("FINISHED", "WON", "30.00")


def test_reject_with_a_counter_offer(user, server):
    dispute = case(server, ZERO_OFFER_ORDER)["reverse_line_id"]
    result = runner.invoke(app, ["reject", dispute, "--counter", "8.00", "--message", "Nothing arrived."])
    assert result.exit_code == 0, result.output
    after = case(server, ZERO_OFFER_ORDER)
    assert after["status"] == "WAIT_SELLER_RESPONSE"
    assert after["proposals"][-1]["proposer"] == "BUYER" and after["proposals"][-1]["amount"] == "8.00"
    log = json.loads(runner.invoke(app, ["log", ZERO_OFFER_ORDER, "--json"]).output)
    assert log[-1]["action"] == "reject" and "counter-offer 8.00" in log[-1]["detail"]


def test_reject_counter_above_what_was_paid_is_refused_before_the_site(user, server):
    dispute = case(server, ZERO_OFFER_ORDER)["reverse_line_id"]
    result = runner.invoke(app, ["reject", dispute, "--counter", "9.00"])
    assert result.exit_code == 2
    assert "more than what was paid" in result.output
    assert case(server, ZERO_OFFER_ORDER)["status"] == "WAIT_BUYER_RESPONSE"


def test_escalate_when_possible_and_refused_when_too_early(user, server):
    too_early = case(server, SILENT_ORDER)["reverse_line_id"]  # opened 2 days ago: escalation from day 3
    refused = runner.invoke(app, ["escalate", too_early])
    assert refused.exit_code == 2
    assert "no 'escalate' action" in refused.output
    dispute = case(server, ZERO_OFFER_ORDER)["reverse_line_id"]
    result = runner.invoke(app, ["escalate", dispute])
    assert result.exit_code == 0, result.output
    assert case(server, ZERO_OFFER_ORDER)["status"] == "ESCALATED"


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
