"""Opening disputes with one command: real Chromium, the sandbox as the judge of what was filed."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from agent.cli import app
from tests.support.agent_env import point_agent_at

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
    return point_agent_at(server, monkeypatch, tmp_path)


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
    video.write_bytes(os.urandom(300_000))
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
    log = json.loads(runner.invoke(app, ["log", AWAITING_12_DAYS, "--json"]).output)
    assert [e["action"] for e in log] == ["open_dispute", "open_dispute"]
    assert all(Path(e["evidence"], "screenshot.png").is_file() for e in log)


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
    log = json.loads(runner.invoke(app, ["log", "--json"]).output)
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
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        import agent.dispute_records as records
        original = records.DisputeRecords.mark_intent
        def killed(self, intent_id, status, *args, **kwargs):
            if status == "submitted":  # the site accepted the dispute; the agent has not recorded it
                os.kill(os.getpid(), signal.SIGKILL)
            return original(self, intent_id, status, *args, **kwargs)
        records.DisputeRecords.mark_intent = killed
        from agent.cli import main
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
    log = json.loads(runner.invoke(app, ["log", "--json"]).output)
    assert log[-1]["action"] == "link_dispute"


@pytest.mark.parametrize(("args", "message"), [
    ([NOT_SHIPPED, "--not-received", "--reason", "not_arrived"], "has not shipped"),
    ([TOO_FRESH, "--not-received", "--reason", "not_arrived"], "no 'Returns/refunds' button"),
    ([HAS_DISPUTE, "--not-received", "--reason", "not_arrived"], "already exists"),
    ([WINDOW_OVER, "--received", "--reason", "damaged"], "are over too"),
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
