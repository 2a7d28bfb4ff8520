"""When a poll keeps a dispute page as a snapshot (agent.usecases.poll.worth_a_snapshot): on news, never on a clock's tick."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from agent.core.models import DeadlineKind, DisputeDeadline
from agent.usecases.poll import worth_a_snapshot
from tests.unit.test_rules import DAY, T0, detail, offer


def known(case, shot: Path | None):
    return SimpleNamespace(detail=case, screenshot=shot)


def test_a_snapshot_is_taken_of_news_only(tmp_path):
    shot = tmp_path / "screenshot.png"
    shot.write_bytes(b"png")
    due = DisputeDeadline(kind=DeadlineKind.BUYER_RESPOND, ends_at=T0 + 2 * DAY, raw_text="2 days 00:00 left")
    before = detail(offer("5.00"), deadlines=())
    before = before.model_copy(update={"deadlines": [due]})
    # the next poll: read a day later, its countdown worded anew, nothing else changed
    later = before.model_copy(update={"site_time": T0 + DAY, "deadlines": [
        due.model_copy(update={"raw_text": "1 day 00:00 left", "ends_at": due.ends_at + timedelta(seconds=30)})]})
    assert worth_a_snapshot(later, known(before, shot)) is False
    assert worth_a_snapshot(later, None) is True  # a new case
    assert worth_a_snapshot(later, known(before, tmp_path / "gone.png")) is True  # its snapshot was pruned
    assert worth_a_snapshot(later, known(before, None)) is True
    zero = detail(offer("0.00"), site_time=T0 + DAY).model_copy(update={"deadlines": later.deadlines})
    assert worth_a_snapshot(zero, known(before, shot)) is True  # a new offer
    moved = later.model_copy(update={"deadlines": [due.model_copy(update={"ends_at": due.ends_at + DAY})]})
    assert worth_a_snapshot(moved, known(before, shot)) is True  # a deadline that moved
