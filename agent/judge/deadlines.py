"""A deadline read again is the same deadline: the first reading is kept.

Why: a deadline read from a live countdown ("Respond within: 1 day 23:59:58") lands a
few seconds or minutes apart at every poll, and the alerts' dedupe keys name a
deadline by its hour (``agent.judge.reminders.key_time``). However a key rounds, some
reading falls on the other side of the boundary (10:29:50, then 10:30:10) and the
same incident would be announced twice. So the store keeps the deadline it already
knows when a new reading is within ``DEADLINE_JITTER`` of it, and compares later
readings with that kept value, not with the last one: jitter never accumulates. A
deadline that really moved (a seller's extension, a new request) is days or hours
away and is recorded as new, so it is announced again.

Pure: the store calls it with the reading it holds and the one just made.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from agent.core.models import DisputeDetail, Proposal
from agent.judge.watch_state import proposal_ref

__all__ = ["DEADLINE_JITTER", "steady_dispute", "steady_moment"]

#: readings of one deadline this close are one deadline (countdowns drift by seconds, a slow page by minutes)
DEADLINE_JITTER = timedelta(minutes=10)


def steady_moment(moment: datetime | None, known: Iterable[datetime | None]) -> datetime | None:
    """The known moment nearest to ``moment`` if within the jitter, else ``moment`` itself."""
    if moment is None:
        return None
    close = [k for k in known if k is not None and abs(k - moment) <= DEADLINE_JITTER]
    return min(close, key=lambda k: abs(k - moment)) if close else moment


def steady_dispute(new: DisputeDetail, known: DisputeDetail | None) -> DisputeDetail:
    """``new`` with each deadline the known reading already had (same kind, same offer) kept as first read."""
    if known is None:
        return new
    deadlines = [d.model_copy(update={"ends_at": steady_moment(d.ends_at, [o.ends_at for o in known.deadlines
                                                                             if o.kind is d.kind])})
                 for d in new.deadlines]
    answer_by = {proposal_ref(p): p.respond_by for p in _proposals(known)}

    def offer(proposal: Proposal | None) -> Proposal | None:
        if proposal is None or proposal.respond_by is None:
            return proposal
        kept = steady_moment(proposal.respond_by, [answer_by.get(proposal_ref(proposal))])
        return proposal.model_copy(update={"respond_by": kept})

    mediator = new.mediator_request
    if mediator is not None and mediator.deadline is not None and known.mediator_request is not None:
        mediator = mediator.model_copy(update={"deadline": steady_moment(mediator.deadline,
                                                                         [known.mediator_request.deadline])})
    return new.model_copy(update={
        "deadlines": deadlines, "proposals": [offer(p) for p in new.proposals],
        "latest_proposal": offer(new.latest_proposal), "buyer_solution": offer(new.buyer_solution),
        "mediator_request": mediator,
    })


def _proposals(detail: DisputeDetail) -> list[Proposal]:
    return [p for p in (*detail.proposals, detail.latest_proposal, detail.buyer_solution) if p is not None]
