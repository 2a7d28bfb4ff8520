"""The deadline simulation's world and its verdict, without a browser.

``lifecycles(n, rng, start)`` draws ``n`` random dispute lifecycles and returns them as
orders of one sandbox scenario (each lifecycle is one order of one account, so a single
poll reads many of them): sellers that offer 0.00, a part or everything, change their
offer, withdraw it or stay silent; mediators that ask for information; orders whose
protection runs out; orders whose dispute window closed long ago; orders on their way
too long, on which the buyer opens a dispute with the agent's own command
(``Lifecycle.file_at`` says when; the seller then plays one of ``AFTER_FILING``).

``count(...)`` compares what really happened (the sandbox's state and log) with what the
agent did (its store) and what the receivers got, and returns the six counts of the
promise. Kept pure so a failure it reports can be replayed in a unit test.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

COUNTS = ("zero_offers_unflagged", "protection_lapsed_unwarned", "filed_twice", "notifications_lost",
          "notifications_duplicated", "false_alerts")

KINDS = ("zero", "zero_then_partial", "partial_then_zero", "zero_withdrawn", "partial", "full", "silent",
         "mediator", "protection", "expired", "file")

#: what the seller does on a dispute the buyer opens through the agent (a ``file`` lifecycle)
AFTER_FILING = ("zero", "partial", "zero_then_partial", "silent")


@dataclass
class Lifecycle:
    order_id: str
    kind: str
    #: when the order's protection ends, for ``protection`` lifecycles
    protection_end: datetime | None = None
    #: when the buyer asks the agent to open a dispute, for ``file`` lifecycles
    file_at: datetime | None = None


@dataclass
class Received:
    """One message a receiver got: on which channel, when (virtual time), its words."""

    channel: str
    at: datetime
    subject: str
    body: str
    critical: bool

    @property
    def text(self) -> str:
        return f"{self.subject}\n{self.body}"


@dataclass
class Verdict:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    #: one line per failure: what, which order, why
    failures: list[str] = field(default_factory=list)
    #: ``file`` lifecycles: how many the buyer asked for, and on how many lines a case stands
    filings_asked: int = 0
    filings_done: int = 0

    def add(self, name: str, line: str) -> None:
        self.counts[name] += 1
        self.failures.append(f"{name}: {line}")


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def lifecycles(n: int, rng: random.Random, start: datetime, first_id: int = 1,
               span_days: float = 2.5) -> tuple[list[Lifecycle], dict[str, Any]]:
    """``n`` lifecycles and the scenario (as a dict) holding them, all on ``start``'s clock.

    Every event falls within ``span_days`` of ``start``; offers give at least a day to answer.
    """
    stores = [{"id": "s", "name": "Sim Store"}]
    orders: list[dict[str, Any]] = []
    drawn: list[Lifecycle] = []
    for index in range(n):
        number = first_id + index
        order_id = f"{8300000000000000 + number}"
        kind = rng.choice(KINDS)
        price = Decimal(rng.randrange(300, 9000)) / 100
        order: dict[str, Any] = {
            "id": order_id, "store": "s", "currency": rng.choice(("USD", "EUR")),
            "placed": _iso(start - timedelta(days=30, minutes=number)),
            "paid": _iso(start - timedelta(days=30, minutes=number) + timedelta(minutes=5)),
            "shipped": _iso(start - timedelta(days=25)),
            "lines": [{"id": f"{9300000000000000 + number}", "title": f"Item {number}", "price": str(price)}],
        }
        life = Lifecycle(order_id=order_id, kind=kind)
        if kind == "protection":
            ends = start + timedelta(hours=rng.uniform(6, span_days * 24 - 6))
            order["protection_days"] = 60
            order["shipped"] = _iso(ends - timedelta(days=60))
            order["paid"] = _iso(ends - timedelta(days=61))
            order["placed"] = _iso(ends - timedelta(days=61, minutes=5))
            life.protection_end = ends
        elif kind == "expired":  # completed, its window long over: nothing may invite a dispute
            placed = start - timedelta(days=rng.uniform(130, 200))
            order.update(placed=_iso(placed), paid=_iso(placed + timedelta(minutes=3)),
                         shipped=_iso(placed + timedelta(days=2)), delivered=_iso(placed + timedelta(days=15)),
                         completed=_iso(placed + timedelta(days=16)))
        elif kind == "file":  # on its way too long: the buyer opens a dispute with the agent's command
            order["script"] = _script(rng.choice(AFTER_FILING), rng, span_days)
            life.file_at = start + timedelta(hours=rng.uniform(1, 12))
        else:
            order["script"] = _script(kind, rng, span_days)
            opened = start - timedelta(hours=rng.uniform(1, 12))
            order["disputes"] = [{"line": order["lines"][0]["id"], "opened": _iso(opened),
                                  **({"escalated": _iso(opened + timedelta(hours=1))} if kind == "mediator" else {})}]
        orders.append(order)
        drawn.append(life)
    scenario = {
        "name": f"simulation-{first_id}", "clock": {"start": _iso(start)},
        "account": {"login": "buyer@example.com", "password": "sandbox-pass", "session_days": 30},
        "rules": {"page_size": 50, "platform_escalation_days": None, "upload_thumbnail_ms": 0},
        "site": {"class_seed": "sim", "list_seed": first_id},
        "stores": stores, "orders": orders,
    }
    return drawn, scenario


def _script(kind: str, rng: random.Random, span_days: float) -> dict[str, Any]:
    """The seller's (or mediator's) moves, in days after the dispute was opened."""
    first = round(rng.uniform(0.2, 0.8), 3)
    respond = round(rng.uniform(1.0, 1.6), 3)

    def offer(day: float, amount: str | None = None, percent: int | None = None) -> dict[str, Any]:
        step: dict[str, Any] = {"day": day, "action": "offer", "respond_days": respond}
        if amount is not None:
            step["amount"] = amount
        if percent is not None:
            step["percent"] = percent
        return step

    later = round(first + rng.uniform(0.4, 0.8), 3)
    if kind == "zero":
        return {"seller": [offer(first, "0.00")]}
    if kind == "zero_then_partial":
        return {"seller": [offer(first, "0.00"), offer(later, percent=rng.randrange(20, 90))]}
    if kind == "partial_then_zero":
        return {"seller": [offer(first, percent=rng.randrange(20, 90)), offer(later, "0.00")]}
    if kind == "zero_withdrawn":
        return {"seller": [offer(first, "0.00"), {"day": later, "action": "withdraw"}]}
    if kind == "partial":
        return {"seller": [offer(first, percent=rng.randrange(10, 95))]}
    if kind == "full":
        return {"seller": [rng.choice([offer(first, percent=100), {"day": first, "action": "agree"}])]}
    if kind == "mediator":
        return {"mediator": [{"day": first, "action": "request_info", "respond_days": respond,
                              "message": "Please send a photo of the package."}]}
    return {}  # silent: the seller never answers


# --- the verdict ----------------------------------------------------------------------------


def count(drawn: list[Lifecycle], state: dict[str, Any], alerts: list[dict[str, Any]],
          received: list[Received], channels: list[str], end: datetime, resolution: timedelta,
          outages: dict[str, list[tuple[datetime, datetime]]] | None = None) -> Verdict:
    """The six counts for one world.

    ``state``: the sandbox's ``/__sandbox__/state`` at the end; ``alerts``: the agent's
    alert rows (``kind``, ``title``, ``order_id``, ``severity``); ``received``: every
    message the receivers got, stamped with the virtual time it arrived; ``end``: the
    virtual time the run stopped; ``resolution``: how long a state must last before the
    agent can be expected to have seen it (its poll interval and a margin); ``outages``:
    when each channel was down — a channel is owed a flag only if it was up for at least
    ``resolution`` while the offer stood (no one reaches a mail server that is down).
    """
    verdict = Verdict()
    by_order = {life.order_id: life for life in drawn}
    _zero_offers(state, received, channels, end, resolution, verdict, outages or {})
    _protection(drawn, received, channels, end, verdict)
    _filed_twice(state, verdict)
    _filings(drawn, state, verdict)
    _lost_and_duplicated(alerts, received, channels, verdict)
    _false_alerts(by_order, state, alerts, received, verdict)
    return verdict


def _names(message: Received, order_id: str) -> bool:
    return order_id in message.text


def _flagged(message: Received, order_id: str) -> bool:
    """Critical about ``order_id``, or saying the agent answered its zero offer."""
    if not _names(message, order_id):
        return False
    return message.critical or bool(re.search(rf"offered 0(\.00)?\b[^\n]*{order_id}[^\n]*the agent", message.text))


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def up_time(outages: list[tuple[datetime, datetime]], start: datetime, until: datetime) -> timedelta:
    """How long a channel was up between ``start`` and ``until``."""
    down = sum((max(timedelta(0), min(until, b) - max(start, a)) for a, b in outages), timedelta(0))
    return max(timedelta(0), until - start - down)


def _zero_offers(state: dict[str, Any], received: list[Received], channels: list[str], end: datetime,
                 resolution: timedelta, verdict: Verdict,
                 outages: dict[str, list[tuple[datetime, datetime]]]) -> None:
    actions = state["actions"]
    for dispute in state["disputes"]:
        for proposal in dispute["proposals"]:
            if proposal["proposer"] == "BUYER" or Decimal(proposal["amount"]) != 0 or not proposal["deadline"]:
                continue
            made, deadline = _when(proposal["created_at"]), _when(proposal["deadline"])
            until = min(deadline, end)
            # replaced or withdrawn by the seller: the flag was due while it stood; answered by
            # the agent: the money is safe, yet the user is still told before the deadline
            later = [_when(a["at"]) for a in actions
                     if a["dispute"] == dispute["reverse_line_id"] and a["actor"] == "seller" and made < _when(a["at"])]
            if proposal["status"] in ("WITHDRAWN", "EXPIRED") and later:
                until = min(until, min(later))
            if until - made < resolution:
                continue  # gone before the agent could be expected to see it
            order_id = dispute["order_id"]
            for channel in channels:
                if up_time(outages.get(channel, []), made, until) < resolution:
                    continue  # the channel was down nearly all the time the offer stood
                if not any(m.channel == channel and m.at <= until and m.at >= made and _flagged(m, order_id)
                           for m in received):
                    verdict.add("zero_offers_unflagged", f"order {order_id} offer {proposal['id']} made "
                                f"{_iso(made)}, answer by {_iso(deadline)}: not flagged on {channel}")


def _protection(drawn: list[Lifecycle], received: list[Received], channels: list[str], end: datetime,
                verdict: Verdict) -> None:
    for life in drawn:
        if life.protection_end is None or life.protection_end > end:
            continue
        for channel in channels:
            if not any(m.channel == channel and m.at <= life.protection_end and _names(m, life.order_id)
                       for m in received):
                verdict.add("protection_lapsed_unwarned", f"order {life.order_id}: protection ended "
                            f"{_iso(life.protection_end)} with no warning on {channel}")


def _filed_twice(state: dict[str, Any], verdict: Verdict) -> None:
    lines = Counter(dispute["line_id"] for dispute in state["disputes"])
    for line, times in lines.items():
        for _ in range(times - 1):
            verdict.add("filed_twice", f"line {line}: {times} disputes")


def _filings(drawn: list[Lifecycle], state: dict[str, Any], verdict: Verdict) -> None:
    """Each dispute the buyer asked the agent to open is on the site (once: ``_filed_twice``)."""
    lines = {dispute["order_id"] for dispute in state["disputes"]}
    for life in drawn:
        if life.file_at is None:
            continue
        verdict.filings_asked += 1
        if life.order_id in lines:
            verdict.filings_done += 1
        else:
            verdict.failures.append(f"filing: order {life.order_id}: the buyer asked for a dispute from "
                                    f"{_iso(life.file_at)} on, and none was opened")


def _lost_and_duplicated(alerts: list[dict[str, Any]], received: list[Received], channels: list[str],
                         verdict: Verdict) -> None:
    """Every alert the agent recorded reaches every channel exactly once (a summary or a
    merged message counts as its one delivery). Alerts worded alike (two reminders of one
    offer) are counted together: as many messages as alerts."""
    groups: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    for alert in alerts:
        if alert["kind"] != "test":
            groups.setdefault((alert["title"], alert.get("order_id")), []).append(alert)
    for same in groups.values():
        alert = same[0]
        for channel in channels:
            said = sum(1 for m in received if m.channel == channel and _carries(m, alert))
            if said < len(same):
                verdict.add("notifications_lost", f"{alert['kind']} {alert['title']!r} reached {channel} "
                            f"{said} of {len(same)} times")
            elif said > len(same):
                verdict.add("notifications_duplicated", f"{alert['kind']} {alert['title']!r} reached {channel} "
                            f"{said} times for {len(same)} alert(s)")


def _carries(message: Received, alert: dict[str, Any]) -> bool:
    if alert["title"] in message.text:
        return True
    order_id = alert.get("order_id")
    if alert["kind"] in ("zero_offer", "action_taken", "action_failed", "escalation_possible") and order_id:
        # a zero offer and what the agent did about it go out as one message, worded anew
        return bool(re.search(rf"order {order_id}[^\n]*the agent", message.text))
    return False


def _false_alerts(by_order: dict[str, Lifecycle], state: dict[str, Any], alerts: list[dict[str, Any]],
                  received: list[Received], verdict: Verdict) -> None:
    zero_orders = {d["order_id"] for d in state["disputes"]
                   if any(p["proposer"] != "BUYER" and Decimal(p["amount"]) == 0 for p in d["proposals"])}
    for alert in alerts:
        if alert["kind"] in ("zero_offer", "zero_offer_reminder") and alert.get("order_id") not in zero_orders:
            verdict.add("false_alerts", f"order {alert.get('order_id')}: called a zero offer, none was made")
    expired = [life.order_id for life in by_order.values() if life.kind == "expired"]
    for order_id in expired:
        told = [m for m in received if _names(m, order_id)]
        if told:
            verdict.add("false_alerts", f"order {order_id}: its dispute window closed long ago, yet "
                        f"{len(told)} message(s) named it ({told[0].subject!r})")
