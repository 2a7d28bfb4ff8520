"""A deadline read again and again, seconds or minutes apart across a half hour, is one incident.

Keys name a deadline by its nearest hour: a countdown read at 10:29:50 and then at
10:30:10 used to give two keys, so two alerts for one deadline. The readings go
through the real store (SQLite) and the real judge here, as a poll does.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.core.models import (
    DeadlineKind,
    DisputeDeadline,
    DisputeDetail,
    DisputeStage,
    MediatorRequest,
    Order,
    OrderLine,
    OrderStatus,
    Proposal,
    Proposer,
    ProtectionTimer,
    TimerSource,
)
from agent.core.money import Money
from agent.judge.alerts import AlertKind
from agent.judge.policy import Policy
from agent.judge.rules import judge
from agent.storage.dispute_records import DisputeRecords
from agent.storage.store import Store
from agent.usecases.poll import watch_state

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
#: on the half hour: the boundary of the nearest-hour rounding in the keys
DEADLINE = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
#: incidents whose first alert has the deadline in its key (not the reminders, which come later)
TIMED = {AlertKind.SELLER_SILENT, AlertKind.MEDIATOR_REQUEST, AlertKind.RETURN_SHIPMENT}


def reading(stage: DisputeStage, deadline: datetime, site_time: datetime) -> DisputeDetail:
    """One poll's reading of a case whose deadline was read as ``deadline``."""
    kind = {DisputeStage.WAIT_SELLER_RESPONSE: DeadlineKind.SELLER_RESPOND,
            DisputeStage.WAIT_BUYER_INFO: DeadlineKind.MEDIATOR_INFO,
            DisputeStage.WAIT_RETURN_SHIPMENT: DeadlineKind.RETURN_SHIPMENT}[stage]
    asked = Proposal(proposer=Proposer.BUYER, solution_type=1, refund=Money(amount=Decimal("20.00"), currency="EUR"))
    return DisputeDetail(
        reverse_order_id="RO1", reverse_line_id="6400000000000001", trade_order_id="8215000000000001",
        trade_line_id="82150000000000011", reverse_status=2, stage=stage, buyer_solution=asked,
        deadlines=[DisputeDeadline(kind=kind, ends_at=deadline)], site_time=site_time,
        mediator_request=MediatorRequest(text="Send a video", deadline=deadline)
        if stage is DisputeStage.WAIT_BUYER_INFO else None)


def first_alert_keys(readings: list[DisputeDetail]) -> set[str]:
    """Every key a run of polls would store for the case's timed incidents (the outbox keeps each once)."""
    keys: set[str] = set()
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "agent.db")
        try:
            records = DisputeRecords(store)
            for detail in readings:
                records.save_dispute(detail)
                keys |= {a.dedupe_key for a in judge(watch_state(store), detail.site_time, Policy())
                         if a.kind in TIMED and ":reminder:" not in a.dedupe_key}
        finally:
            store.close()
    return keys


JITTER = st.lists(st.integers(-5 * 60, 5 * 60), min_size=2, max_size=6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(offsets=JITTER, stage=st.sampled_from([DisputeStage.WAIT_SELLER_RESPONSE, DisputeStage.WAIT_BUYER_INFO,
                                                DisputeStage.WAIT_RETURN_SHIPMENT]))
def test_a_deadline_that_jitters_across_the_half_hour_is_one_alert(offsets, stage):
    polls = [reading(stage, DEADLINE + timedelta(seconds=s), T0 + timedelta(hours=i)) for i, s in enumerate(offsets)]
    assert len(first_alert_keys(polls)) == 1


def test_a_deadline_that_really_moved_is_announced_again():
    polls = [reading(DisputeStage.WAIT_SELLER_RESPONSE, DEADLINE, T0),
             reading(DisputeStage.WAIT_SELLER_RESPONSE, DEADLINE + timedelta(days=2), T0 + timedelta(hours=1))]
    assert len(first_alert_keys(polls)) == 2



@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(offsets=JITTER)
def test_a_protection_end_that_jitters_across_the_half_hour_is_one_alert(offsets):
    keys: set[str] = set()
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "agent.db")
        try:
            for i, seconds in enumerate(offsets):
                now = DEADLINE - timedelta(days=2) + timedelta(hours=i)
                timer = ProtectionTimer(ends_at=DEADLINE + timedelta(seconds=seconds), source=TimerSource.COUNTDOWN,
                                        read_at=now)
                store.save_orders([Order(order_id="8215000000000002", status=OrderStatus.AWAITING_DELIVERY,
                                         site_time=now, timer=timer, timers=[timer],
                                         lines=[OrderLine(line_id="82150000000000021", title="Cable", quantity=1)])])
                keys |= {a.dedupe_key for a in judge(watch_state(store), now, Policy())
                         if a.kind is AlertKind.PROTECTION_ENDING}
        finally:
            store.close()
    assert len(keys) == 1
