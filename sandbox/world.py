"""The sandbox world: orders, disputes and the session, moved by the virtual clock.

The world holds what a scenario starts with plus everything that happened since
(disputes filed, proposals, actions, files received). Order states are derived
from dates and the clock; disputes move through events processed in time order by
``advance`` (seller and mediator scripts, deadlines). Every public method takes the
world's lock and first brings the world up to the clock's "now", so what a page shows
is always consistent with the time it reports in ``curTime``.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from .clock import VirtualClock
from .lifecycle import (
    BuyerError,
    Dispute,
    Proposal,
    Received,
    advance_dispute,
    reason_names,
)
from .scenario import Order as OrderSpec
from .scenario import Scenario, Script
from .uploads import Uploads

__all__ = ["Attachment", "BuyerError", "World"]

ZERO = Decimal("0.00")


@dataclass
class Attachment:
    name: str
    size: int
    sha256: str
    kind: str  # "image" | "video"
    received_at: datetime
    data: bytes = field(repr=False)

    def public(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "size": self.size,
            "sha256": self.sha256,
            "kind": self.kind,
            "received_at": self.received_at.isoformat(),
        }


@dataclass
class Fault:
    kind: str  # http500 | slow | api_shape | dom_layout
    path: str = "/"
    remaining: int | None = None
    delay_ms: int = 0

    def public(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, "remaining": self.remaining,
                "delay_ms": self.delay_ms}


FAULT_KINDS = ("http500", "slow", "api_shape", "dom_layout")


class World:
    def __init__(self, scenario: Scenario, clock: VirtualClock | None = None) -> None:
        self.lock = threading.RLock()
        self.scenario = scenario
        self.rules = scenario.rules
        self.clock = clock or VirtualClock(scenario.clock.start, scenario.clock.rate)
        self.stores = {store.id: store for store in scenario.stores}
        self.orders: dict[str, OrderSpec] = {order.id: order for order in scenario.orders}
        self.line_owner = {line.id: order.id for order in scenario.orders for line in order.lines}
        self.disputes: dict[str, Dispute] = {}
        self.sessions: dict[str, datetime] = {}
        self.pending_logins: dict[str, dict[str, Any]] = {}
        self.captcha = bool(scenario.account.captcha)
        #: "dialog" (after "Sign in") or "punish" (in front of every page)
        self.captcha_kind = "punish" if scenario.account.captcha == "punish" else "dialog"
        #: slider challenges shown and passes earned (``sandbox/web_challenge.py``)
        self.challenges: dict[str, dict[str, Any]] = {}
        #: the language pages come in without a cookie naming one (see sandbox/i18n.py)
        self.account_language = scenario.account.language
        self.ignore_locale_cookie = scenario.site.ignore_locale_cookie
        #: how long a new case stays out of the dispute list (``site.dispute_list_lag_minutes``)
        self.list_lag = timedelta(minutes=scenario.site.dispute_list_lag_minutes)
        #: orders placed the same day come in a new order on every list call; seeded by
        #: the scenario, so a run can be repeated exactly
        seed = scenario.site.list_seed
        self.list_rng = random.Random(seed if seed is not None else f"order-list|{scenario.name}")
        self.faults: list[Fault] = []
        self.actions: list[dict[str, Any]] = []
        #: how far the seller moved each order's protection end (control API), by order id
        self.protection_moves: dict[str, timedelta] = {}
        self.logins = 0
        #: the dispute form's uploaded files, until a request names them
        self.uploads = Uploads()
        self._ids = itertools.count(1)
        for order in scenario.orders:
            for existing in order.disputes:
                self._seed_dispute(order, existing)
        self.advance()

    # --- time -----------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def advance(self) -> datetime:
        """Process every dispute event due up to now, in time order."""
        with self.lock:
            now = self.now()
            for _ in range(100_000):
                due = [(d.next_event_time(self.rules), d) for d in self.disputes.values()]
                due = [(t, d) for t, d in due if t is not None and t <= now]
                if not due:
                    break
                when, dispute = min(due, key=lambda pair: (pair[0], pair[1].reverse_line_id))
                for entry in advance_dispute(dispute, when, self.rules, self._next_id):
                    self._log(entry["actor"], entry["action"], dispute, entry.get("detail", ""), when)
            return now

    def _next_id(self) -> int:
        return next(self._ids)

    # --- orders ---------------------------------------------------------------------

    def order(self, order_id: str) -> OrderSpec:
        try:
            return self.orders[order_id]
        except KeyError:
            raise KeyError(f"unknown order id {order_id!r}") from None

    def listed_orders(self) -> list[OrderSpec]:
        """The order list's order: the newest placing day first, and within a day a new
        order on every call. The list shows dates only, and the live list is not stably
        sorted: a page boundary inside one day can skip an order or show one twice."""
        with self.lock:
            ties = {order.id: self.list_rng.random() for order in self.orders.values()}
        return sorted(self.orders.values(), key=lambda o: (o.placed.date(), ties[o.id]), reverse=True)

    def line_paid(self, order: OrderSpec, line_id: str) -> Decimal:
        line = next(line for line in order.lines if line.id == line_id)
        return line.price * line.quantity

    def order_total(self, order: OrderSpec) -> Decimal:
        return sum((line.price * line.quantity for line in order.lines), ZERO) + order.shipping

    def protection_end(self, order: OrderSpec) -> datetime | None:
        """End of the delivery protection (the countdown), for shipped orders, as far as the
        seller moved it."""
        if order.shipped is None:
            return None
        days = order.protection_days or self.rules.protection_days
        return order.shipped + timedelta(days=days) + self.protection_moves.get(order.id, timedelta(0))

    def move_protection(self, order_id: str, days: float) -> datetime:
        """The seller extends (``days`` > 0) or shortens the protection of an order in transit;
        the new end."""
        with self.lock:
            now = self.advance()
            order = self.order(order_id)
            if self.status(order, now) != "awaiting_delivery":
                raise ValueError(f"order {order_id} is not awaiting delivery: its protection cannot move")
            end = self.protection_end(order) + timedelta(days=days)
            if end <= now:
                raise ValueError(f"days: the protection of order {order_id} would end before now")
            self.protection_moves[order_id] = self.protection_moves.get(order_id, timedelta(0)) + timedelta(days=days)
            self.actions.append({"at": now.isoformat(), "actor": "seller",
                                 "action": "extend_protection" if days > 0 else "shorten_protection",
                                 "dispute": None, "order": order_id, "detail": f"protection ends {end.isoformat()}"})
            return end

    def completed_at(self, order: OrderSpec, now: datetime) -> datetime | None:
        """When the order became complete: confirmed by the buyer or closed by the timer."""
        if order.completed is not None and order.completed <= now:
            return order.completed
        end = self.protection_end(order)
        if end is not None and end <= now and order.cancelled is None:
            return end
        return None

    def dispute_window_end(self, order: OrderSpec) -> datetime:
        """"…open a dispute within 90 days after order was placed" (day granularity)."""
        placed_day = order.placed.replace(hour=0, minute=0, second=0, microsecond=0)
        return placed_day + timedelta(days=self.rules.completed_dispute_days)

    def status(self, order: OrderSpec, now: datetime) -> str:
        """A status code: unpaid | awaiting_shipment | awaiting_delivery | completed | closed | cancelled."""
        if order.cancelled is not None and order.cancelled <= now:
            return "cancelled"
        if order.paid is None or order.paid > now:
            return "unpaid"
        if order.shipped is None or order.shipped > now:
            return "awaiting_shipment"
        refunded = {d.line_id for d in self.disputes_of(order.id)
                    if d.status == "FINISHED" and d.refund is not None
                    and d.refund >= self.line_paid(order, d.line_id)}
        if refunded and refunded >= {line.id for line in order.lines}:
            return "closed"
        if self.completed_at(order, now) is None:
            return "awaiting_delivery"
        return "completed"

    def timer_end(self, order: OrderSpec, now: datetime) -> datetime | None:
        """The deadline the order's page shows now (the agent must read exactly this)."""
        status = self.status(order, now)
        if status == "awaiting_delivery":
            return self.protection_end(order)
        if status == "completed":
            return self.dispute_window_end(order)
        return None

    def disputes_of(self, order_id: str) -> list[Dispute]:
        return [d for d in self.disputes.values() if d.order_id == order_id]

    def open_dispute_for_line(self, line_id: str) -> Dispute | None:
        for dispute in self.disputes.values():
            if dispute.line_id == line_id:
                return dispute
        return None

    def can_open_dispute(self, order: OrderSpec, line_id: str, now: datetime) -> tuple[bool, str]:
        """Whether the OPEN_DISPUTE button is offered for a line, and if not, why."""
        status = self.status(order, now)
        if status in ("unpaid", "awaiting_shipment", "cancelled"):
            return False, "the order has not shipped yet"
        if status == "closed":
            return False, "the order is closed"
        if now < order.shipped + timedelta(days=self.rules.dispute_button_after_shipment_days):
            return False, (f"disputes can be opened {self.rules.dispute_button_after_shipment_days:g}"
                           " days after shipment")
        end = self.timer_end(order, now)
        if end is None or now >= end:
            return False, "the protection period is over"
        if self.open_dispute_for_line(line_id) is not None:
            return False, "a dispute already exists for this item"
        return True, ""

    # --- sessions -------------------------------------------------------------------

    def new_session(self, *, signed_in: bool = True) -> str:
        """A session token; ``signed_in`` counts it as a sign-in on the login pages (a
        session handed over by the control API, like one imported from a desktop, is not)."""
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.sessions[token] = self.now() + timedelta(days=self.scenario.account.session_days)
            if signed_in:
                self.logins += 1
        return token

    def session_valid(self, token: str | None) -> bool:
        if not token:
            return False
        with self.lock:
            expires = self.sessions.get(token)
            return expires is not None and self.now() < expires

    def expire_sessions(self) -> int:
        with self.lock:
            count = len(self.sessions)
            self.sessions.clear()
            return count

    # --- buyer actions --------------------------------------------------------------

    def open_dispute(
        self,
        *,
        line_id: str,
        received: bool,
        reason: str,
        solution: str,
        amount: Decimal | None,
        description: str,
        files: list[tuple[str, bytes]],
    ) -> Dispute:
        """File a dispute as the form does; ``BuyerError`` carries the page's message."""
        with self.lock:
            now = self.advance()
            order_id = self.line_owner.get(line_id)
            if order_id is None:
                raise BuyerError("line", "This item was not found in your orders.")
            order = self.orders[order_id]
            allowed, why = self.can_open_dispute(order, line_id, now)
            if not allowed:
                raise BuyerError("order", f"You can't open a dispute for this item: {why}.")
            branch = Received.YES if received else Received.NO
            if reason not in reason_names(branch):
                raise BuyerError("reason", "Please select a reason for this type of problem.")
            if solution not in ("refund_only", "return_and_refund"):
                raise BuyerError("solution", "Please choose a solution.")
            if not received and solution != "refund_only":
                raise BuyerError("solution", "For items not received you can only ask for a refund.")
            paid = self.line_paid(order, line_id)
            if amount is None:
                amount = paid
            if amount <= 0:
                raise BuyerError("amount", "The refund amount must be greater than 0.")
            if amount > paid:
                raise BuyerError("amount", "The refund amount can't be more than you paid for this item.")
            if len(description.strip()) < 10:
                raise BuyerError("description", "Please describe the problem (at least 10 characters).")
            attachments = self.check_files(files, now, existing=[])
            number = self._next_id()
            dispute = Dispute(
                reverse_order_id=f"63{number:014d}",
                reverse_line_id=f"64{number:014d}",
                order_id=order_id,
                line_id=line_id,
                currency=order.currency,
                received=received,
                reason=reason,
                solution=solution,
                amount=amount,
                description=description.strip(),
                created_at=now,
                script=self._script_for(order),
            )
            dispute.start(self.rules, now, self._next_id)
            dispute.attachments.extend(attachments)
            self.disputes[dispute.reverse_line_id] = dispute
            self._log("buyer", "open_dispute", dispute,
                      f"{reason}, {solution}, {amount} {order.currency}, {len(attachments)} file(s)", now)
            return dispute

    def check_files(self, files: list[tuple[str, bytes]], now: datetime,
                    existing: list[Attachment]) -> list[Attachment]:
        """Enforce the form's limits: types, counts, size per file."""
        rules = self.rules
        result: list[Attachment] = []
        images = sum(1 for a in existing if a.kind == "image")
        videos = sum(1 for a in existing if a.kind == "video")
        for name, data in files:
            if not name and not data:
                continue
            ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
            if ext in rules.image_types:
                kind, limit = "image", rules.image_max_bytes
                images += 1
                if images > rules.max_images:
                    raise BuyerError("files", f"You can upload up to {rules.max_images} images.")
            elif ext in rules.video_types:
                kind, limit = "video", rules.video_max_bytes
                videos += 1
                if videos > rules.max_videos:
                    raise BuyerError("files", f"You can upload up to {rules.max_videos} video.")
            else:
                allowed = ", ".join(rules.image_types + rules.video_types)
                raise BuyerError("files", f"{name}: file type not supported (allowed: {allowed}).")
            if len(data) == 0:
                raise BuyerError("files", f"{name}: the file is empty.")
            if len(data) > limit:
                raise BuyerError("files", f"{name}: the file is too large (max {limit // (1024 * 1024)} MB).")
            result.append(Attachment(name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                                     kind=kind, received_at=now, data=data))
        return result

    def dispute(self, reverse_line_id: str) -> Dispute:
        try:
            return self.disputes[reverse_line_id]
        except KeyError:
            raise KeyError(f"unknown dispute id {reverse_line_id!r}") from None

    def dispute_for_line(self, trade_line_id: str, reverse_line_id: str = "") -> Dispute:
        """The case of an order line (one per line, ever), as the dispute page finds it;
        a ``reverse_line_id`` the page also sends must name that same case."""
        for dispute in self.disputes.values():
            if dispute.line_id == trade_line_id and reverse_line_id in ("", dispute.reverse_line_id):
                return dispute
        raise KeyError(f"unknown dispute for order line {trade_line_id!r}")

    def buyer_action(self, reverse_line_id: str, action: str, *, amount: Decimal | None = None,
                     message: str = "", files: list[tuple[str, bytes]] | None = None,
                     tracking_number: str = "", proposal_id: str = "") -> Dispute:
        """Accept, reject (optionally with a counter amount), escalate, add evidence, answer."""
        with self.lock:
            now = self.advance()
            dispute = self.dispute(reverse_line_id)
            order = self.orders[dispute.order_id]
            attachments = []
            if files:
                # the limits apply per submission: more evidence can be added during the case
                attachments = self.check_files(files, now, existing=[])
            detail = dispute.buyer_action(
                action, now, self.rules, self._next_id, amount=amount, message=message,
                paid=self.line_paid(order, dispute.line_id), has_files=bool(attachments),
                tracking_number=tracking_number, proposal_id=proposal_id,
                buyer_escalation=self.scenario.site.buyer_escalation,
            )
            dispute.attachments.extend(attachments)
            if attachments:
                detail += f" ({len(attachments)} file(s))"
            self._log("buyer", action, dispute, detail, now)
            return dispute

    # --- control --------------------------------------------------------------------

    def trigger(self, reverse_line_id: str, actor: str, step: dict[str, Any]) -> Dispute:
        """Make the seller or the mediator act now (control API)."""
        from .scenario import MediatorStep, SellerStep

        with self.lock:
            now = self.advance()
            dispute = self.dispute(reverse_line_id)
            if actor == "seller":
                parsed = SellerStep.model_validate({"day": 0, **step})
                detail = dispute.seller_move(parsed, now, self.rules, self._next_id)
            elif actor == "mediator":
                parsed = MediatorStep.model_validate({"day": 0, **step})
                detail = dispute.mediator_move(parsed, now, self.rules, self._next_id)
            else:
                raise ValueError("actor must be 'seller' or 'mediator'")
            self._log(actor, parsed.action, dispute, detail, now)
            return dispute

    def add_fault(self, fault: Fault) -> None:
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; use one of {', '.join(FAULT_KINDS)}")
        with self.lock:
            self.faults.append(fault)

    def take_fault(self, kind: str, path: str) -> Fault | None:
        """The first active fault of ``kind`` matching ``path``, counting one use."""
        with self.lock:
            for fault in self.faults:
                if fault.kind == kind and path.startswith(fault.path):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self.faults.remove(fault)
                    return fault
            return None

    def has_fault(self, kind: str, path: str) -> bool:
        with self.lock:
            return any(f.kind == kind and path.startswith(f.path) for f in self.faults)

    # --- helpers --------------------------------------------------------------------

    def _script_for(self, order: OrderSpec) -> Script:
        if order.script is not None:
            return order.script
        return self.stores[order.store].script

    def _seed_dispute(self, order: OrderSpec, spec) -> None:
        number = self._next_id()
        paid = self.line_paid(order, spec.line)
        dispute = Dispute(
            reverse_order_id=f"63{number:014d}",
            reverse_line_id=f"64{number:014d}",
            order_id=order.id,
            line_id=spec.line,
            currency=order.currency,
            received=spec.received,
            reason=spec.reason,
            solution=spec.solution,
            amount=spec.amount if spec.amount is not None else paid,
            description=spec.description,
            created_at=spec.opened,
            script=self._script_for(order),
        )
        dispute.start(self.rules, spec.opened, self._next_id)
        if spec.escalated is not None:
            dispute.escalate(spec.escalated, self.rules)
        if spec.finished is not None:
            refund = spec.refund if spec.refund is not None else (dispute.amount if spec.finished == "won" else ZERO)
            dispute.finish(spec.finished.upper(), refund, spec.escalated or spec.opened)
        self.disputes[dispute.reverse_line_id] = dispute

    def _log(self, actor: str, action: str, dispute: Dispute | None, detail: str, when: datetime) -> None:
        self.actions.append({
            "at": when.isoformat(),
            "actor": actor,
            "action": action,
            "dispute": dispute.reverse_line_id if dispute else None,
            "order": dispute.order_id if dispute else None,
            "detail": detail,
        })

    # --- the whole world as JSON ----------------------------------------------------

    def state(self) -> dict[str, Any]:
        with self.lock:
            now = self.advance()
            orders = []
            for order in self.orders.values():
                end = self.timer_end(order, now)
                orders.append({
                    "id": order.id,
                    "store": self.stores[order.store].name,
                    "currency": order.currency,
                    "status": self.status(order, now),
                    "total": str(self.order_total(order)),
                    "placed": order.placed.isoformat(),
                    "shipped": order.shipped.isoformat() if order.shipped else None,
                    "completed": (c.isoformat() if (c := self.completed_at(order, now)) else None),
                    "protection_ends_at": (p.isoformat() if (p := self.protection_end(order)) else None),
                    "timer_ends_at": end.isoformat() if end else None,
                    "lines": [
                        {"id": line.id, "title": line.title, "price": str(line.price),
                         "quantity": line.quantity,
                         "can_open_dispute": self.can_open_dispute(order, line.id, now)[0]}
                        for line in order.lines
                    ],
                })
            return {
                "clock": {"now": now.isoformat(), "epoch_ms": int(now.timestamp() * 1000),
                          "rate": self.clock.rate},
                "account": {"login": self.scenario.account.login, "captcha": self.captcha,
                            "captcha_kind": self.captcha_kind,
                            "email_code": self.scenario.account.email_code,
                            "language": self.account_language,
                            "ignore_locale_cookie": self.ignore_locale_cookie,
                            "sessions": len(self.sessions), "logins": self.logins},
                "orders": orders,
                "disputes": [d.public(self.rules) for d in self.disputes.values()],
                "actions": list(self.actions),
                "faults": [f.public() for f in self.faults],
            }


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


__all__ += ["Dispute", "Proposal", "Fault", "FAULT_KINDS"]
