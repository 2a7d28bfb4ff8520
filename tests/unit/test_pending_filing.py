"""A filing with no known outcome is settled only by what the site shows, or by time (real SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from agent.core.errors import SubmitUncertain
from agent.core.models import (
    DisputeDetail,
    DisputeStage,
    DisputeSummary,
    Order,
    OrderLine,
    OrderStatus,
)
from agent.storage.dispute_records import DisputeRecords
from agent.storage.store import Store
from agent.usecases.pending import Pending

FILED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # on the site's clock
LOCAL_NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)  # this machine's clock: another day altogether
WAIT = timedelta(minutes=30)
LINE = "8215100000004001"


@pytest.fixture
def records(tmp_path):
    store = Store(tmp_path / "agent.db")
    yield DisputeRecords(store, now=lambda: LOCAL_NOW)
    store.close()


def intent(records: DisputeRecords, at: datetime = FILED) -> int:
    return records.record_intent(order_id="8215000000000004", line_id=LINE, branch="not_received",
                                 reason="not_arrived", solution="refund_only", amount=Decimal("54.99"),
                                 currency="EUR", site_time=at)


def order(*, has_dispute: bool | None = False, status: OrderStatus = OrderStatus.AWAITING_DELIVERY) -> Order:
    line = OrderLine(line_id=LINE, title="Mini projector", quantity=1, has_dispute=has_dispute)
    return Order(order_id="8215000000000004", status=status, lines=[line], site_time=FILED)


def listed(line_id: str = LINE) -> DisputeSummary:
    return DisputeSummary(reverse_order_id="RO9", reverse_line_id="6400000000000099", trade_order_id="8215000000000004",
                          trade_line_id=line_id, reverse_status=2)


def case() -> DisputeDetail:
    return DisputeDetail(reverse_order_id="RO9", reverse_line_id="6400000000000099", trade_order_id="8215000000000004",
                         trade_line_id=LINE, reverse_status=2, stage=DisputeStage.WAIT_SELLER_RESPONSE,
                         site_time=FILED + timedelta(minutes=5))


def settle(records, now: datetime, *, shown: Order | None = None, disputes=(), read=None, said=None):
    subject = shown or order()
    pending = Pending(records, subject, subject.lines[0], now, WAIT, lambda at: at.strftime("%d %b %H:%M"))
    reader = read or (lambda line_id: pytest.fail("the case's page was read without a reason"))
    return pending.resolve(list(disputes), reader, (said if said is not None else []).append)


def statuses(records) -> list[str]:
    return [i.status for i in records.intents_for_line(LINE)]


def test_a_list_that_does_not_show_the_case_yet_files_nothing_until_the_wait_is_over(records):
    intent(records)
    with pytest.raises(SubmitUncertain, match="a filing from 20 Nov 09:00 .* may still be arriving on the site; "
                                              "run again after 20 Nov 09:30"):
        settle(records, FILED + timedelta(minutes=29))
    assert statuses(records) == ["pending"]
    assert settle(records, FILED + WAIT) is None  # the site had its time: the submit never arrived
    assert statuses(records) == ["abandoned"]


def test_the_case_in_the_list_is_linked(records):
    intent(records)
    said: list[str] = []
    assert settle(records, FILED + timedelta(minutes=1), disputes=[listed("other"), listed()], said=said) \
        == "6400000000000099"
    assert statuses(records) == ["linked"]
    assert "found and linked" in said[0]
    assert records.audit_entries()[-1].action == "link_dispute"


def test_the_orders_own_answer_is_evidence_and_names_the_case_through_its_page(records):
    intent(records)
    read: list[str] = []

    def page_of(line_id: str):
        read.append(line_id)
        return case(), "https://m.example/p/refund-amount/detail.html?tradeOrderLineId=" + line_id

    assert settle(records, FILED + timedelta(minutes=1), shown=order(has_dispute=True), read=page_of) \
        == "6400000000000099"
    assert read == [LINE] and statuses(records) == ["linked"]
    saved = records.dispute("6400000000000099")
    assert saved.opened_by_agent and saved.opened_at == FILED


def test_a_single_item_order_in_dispute_is_evidence_too(records):
    intent(records)
    shown = order(has_dispute=None, status=OrderStatus.DISPUTE_IN_PROGRESS)
    assert settle(records, FILED, shown=shown, read=lambda line_id: (case(), "u")) == "6400000000000099"


def test_the_wait_counts_from_the_latest_pending_intent_on_the_sites_clock(records):
    intent(records, FILED)
    intent(records, FILED + timedelta(minutes=20))
    with pytest.raises(SubmitUncertain, match="run again after 20 Nov 09:50"):
        settle(records, FILED + timedelta(minutes=45))
    assert settle(records, FILED + timedelta(minutes=50)) is None
    assert statuses(records) == ["abandoned", "abandoned"]


def test_no_pending_intent_reads_nothing(records):
    assert settle(records, FILED, shown=order(has_dispute=True)) is None
