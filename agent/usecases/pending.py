"""Settling a filing whose outcome is unknown, on positive evidence only.

A filing intent stays "pending" when the run died after pressing Submit, or when the
site failed to answer the submit (``SubmitUncertain``). The next ``open`` for that item
settles it before anything else, and never by absence alone: the site's dispute list
is not instant, so "the list does not show it" right after a submit proves nothing.
In order:

1. the dispute list shows a case for the line: the intent is linked to it;
2. the order's own answer links the line to a case (or says "dispute in progress" for
   an order of one item): the case's page, addressed by the line, names it; linked;
3. neither, and the site has had ``filing.pending_wait_minutes`` since the intent, on
   its own clock: the submit never arrived, the intent is abandoned and filing goes on;
4. neither, and it is sooner: ``SubmitUncertain`` says when to run again. Nothing is
   filed meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from agent.core.errors import SubmitUncertain
from agent.core.models import (
    DisputeDetail,
    DisputeSummary,
    Order,
    OrderLine,
    OrderStatus,
)
from agent.storage.dispute_records import DisputeRecords, Intent

#: reads the case of an order line from its page: (detail, the page's address)
ReadLineCase = Callable[[str], tuple[DisputeDetail, str]]


@dataclass
class Pending:
    records: DisputeRecords
    order: Order
    line: OrderLine
    #: the site's time, read with the order
    now: datetime
    wait: timedelta
    #: a moment as the user reads it
    local: Callable[[datetime], str]

    def resolve(self, disputes: list[DisputeSummary], read_case: ReadLineCase,
                say: Callable[[str], None]) -> str | None:
        """The case the pending intents turned out to be (linked), or None to go on filing.

        Raises ``SubmitUncertain`` while the site may still be about to show the case.
        """
        intents = self.records.intents_for_line(self.line.line_id, status="pending")
        if not intents:
            return None
        listed = [d for d in disputes if d.trade_line_id == self.line.line_id]
        if listed:
            return self._link(intents, listed[0].reverse_line_id, "the dispute list", say)
        if self.order_shows_case():
            detail, link = read_case(self.line.line_id)
            self.records.save_dispute(detail, link=link, opened_by_agent=True, opened_at=intents[0].site_time)
            return self._link(intents, detail.reverse_line_id, "the order's page", say)
        latest = max(intent.site_time for intent in intents)
        if self.now < latest + self.wait:
            raise SubmitUncertain(f"a filing from {self.local(latest)} for item {self.line.line_id} may still be "
                                  f"arriving on the site; run again after {self.local(latest + self.wait)}")
        for intent in intents:
            self.records.mark_intent(intent.id, "abandoned", note=f"not shown by the site {self.wait} after "
                                     "the submit, in its list or on the order: the submit never arrived")
        return None

    def order_shows_case(self) -> bool:
        """The order's own answer says this line has a case."""
        if self.line.has_dispute:
            return True
        return self.order.status is OrderStatus.DISPUTE_IN_PROGRESS and len(self.order.lines) == 1

    def _link(self, intents: list[Intent], case: str, where: str, say: Callable[[str], None]) -> str:
        for intent in intents:
            self.records.mark_intent(intent.id, "linked", case, note=f"found in {where} after an unfinished run")
        self.records.audit("link_dispute", "ok", order_id=self.order.order_id, dispute_id=case,
                           detail=f"an earlier run's submit had no known outcome; the case was found in {where} "
                                  "and linked")
        say(f"an earlier run was interrupted after submitting: case {case} found and linked; "
            "no second dispute opened")
        return case
