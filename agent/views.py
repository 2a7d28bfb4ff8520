"""What the CLI prints: tables for people, stable JSON for scripts.

The JSON shapes here are part of the public surface (documented in the README):
fields are only ever added, never renamed.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from agent.models import Order, OrderStatus
from agent.money import Money
from agent.site_text import plain, safe_markup
from agent.store import StoredOrder
from agent.sync import Progress as SyncProgressBase

def _console(stderr: bool = False) -> Console:
    """Rich's console; piped output (no terminal, no COLUMNS) gets 120 columns, not 80,
    so tables of 16-digit order ids stay readable in logs and files."""
    import os

    made = Console(stderr=stderr)
    if not made.is_terminal and "COLUMNS" not in os.environ:
        made = Console(stderr=stderr, width=120)
    return made


console = _console()
err_console = _console(stderr=True)

#: columns whose values are never cut or wrapped (ids, amounts, times): the others wrap
_WHOLE_COLUMNS = frozenset({"Order", "Dispute", "Total", "Protection ends", "Left", "When", "Last offer",
                            "Next deadline"})


def _column(table, title: str, justify: str = "left") -> None:
    """A table column; an id, an amount or a time is printed whole on a narrow terminal."""
    if title in _WHOLE_COLUMNS:
        table.add_column(title, justify=justify, no_wrap=True)
    else:
        table.add_column(title, justify=justify, overflow="fold")

#: (days left at most, colour), most urgent first
URGENCY = ((3, "bold red"), (7, "dark_orange"), (15, "yellow"))
OPEN = {OrderStatus.AWAITING_DELIVERY, OrderStatus.AWAITING_SHIPMENT, OrderStatus.PROCESSING,
        OrderStatus.COMPLETED, OrderStatus.DISPUTE_IN_PROGRESS, OrderStatus.UNKNOWN}


def money_json(money: Money | None) -> dict[str, str] | None:
    return None if money is None else {"amount": str(money.amount), "currency": money.currency}


def left(order: Order, now: datetime) -> timedelta | None:
    return order.timer.ends_at - now if order.timer else None


def format_left(delta: timedelta | None) -> str:
    if delta is None:
        return "?"
    if delta <= timedelta(0):
        return "over"
    days, rest = divmod(int(delta.total_seconds()), 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {rest // 60}m"


def urgency_style(delta: timedelta | None) -> str:
    if delta is None or delta <= timedelta(0):
        return ""
    for days, style in URGENCY:
        if delta <= timedelta(days=days):
            return style
    return ""


def local(when: datetime | None) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M") if when else "—"


def order_json(order: Order, now: datetime) -> dict[str, Any]:
    remaining = left(order, now)
    return {
        "order_id": order.order_id,
        "status": order.status.value,
        "status_text": order.status_text,
        "store": order.store_name,
        "total": money_json(order.total),
        "placed_on": order.placed_on.isoformat() if order.placed_on else None,
        "shipped_on": order.shipped_on.isoformat() if order.shipped_on else None,
        "completed_on": order.completed_on.isoformat() if order.completed_on else None,
        "protection_ends_at": order.timer.ends_at.isoformat() if order.timer else None,
        "timer_source": order.timer.source.value if order.timer else None,
        "seconds_left": int(remaining.total_seconds()) if remaining is not None else None,
        "can_open_dispute": order.can_open_dispute,
        "lines": [
            {"line_id": line.line_id, "title": line.title, "sku": line.sku, "quantity": line.quantity,
             "unit_price": money_json(line.unit_price), "can_open_dispute": line.can_open_dispute}
            for line in order.lines
        ],
    }


def sort_key(order: Order) -> tuple:
    return (order.timer is None, order.timer.ends_at if order.timer else datetime.max.replace(tzinfo=None).isoformat(),
            order.order_id)


def visible(order: Order, now: datetime, show_all: bool) -> bool:
    if show_all:
        return True
    return order.status in OPEN and order.timer is not None and order.timer.ends_at > now


def print_orders(stored: list[StoredOrder], now: datetime, show_all: bool, as_json: bool) -> None:
    orders = sorted((s.order for s in stored), key=lambda o: (o.timer is None, o.timer.ends_at.timestamp() if o.timer else 0, o.order_id))
    shown = [o for o in orders if visible(o, now, show_all)]
    if as_json:
        print(json.dumps({"now": now.isoformat(), "orders": [order_json(o, now) for o in shown]}, indent=2))
        return
    if not stored:
        console.print("No orders stored yet: run 'dispute-agent sync'.")
        return
    table = Table(title=f"Orders by protection end ({len(shown)} of {len(orders)})", header_style="bold")
    for column in ("Order", "Status", "Store", "Total", "Protection ends", "Left", "Dispute now"):
        _column(table, column, justify="right" if column in ("Total", "Left") else "left")
    for order in shown:
        remaining = left(order, now)
        can = {True: "yes", False: "no", None: "?"}[order.can_open_dispute]
        table.add_row(order.order_id, safe_markup(order.status_text or order.status.value),
                      safe_markup(order.store_name or ""),
                      str(order.total) if order.total else "?", local(order.timer.ends_at if order.timer else None),
                      format_left(remaining), can, style=urgency_style(remaining))
    console.print(table)
    hidden = len(orders) - len(shown)
    if hidden:
        console.print(f"{hidden} more without a running timer: see them with --all")


def print_order(stored: StoredOrder, now: datetime, as_json: bool) -> None:
    order = stored.order
    if as_json:
        data = order_json(order, now)
        data["timer_history"] = [
            {"observed_at": at.isoformat(), "ends_at": t.ends_at.isoformat(), "source": t.source.value,
             "read_at": t.read_at.isoformat(), "text": t.raw_text}
            for at, t in stored.timer_history
        ]
        data["status_history"] = [{"observed_at": at.isoformat(), "status": s, "status_text": text}
                                  for at, s, text in stored.status_history]
        print(json.dumps({"now": now.isoformat(), **data}, indent=2))
        return
    remaining = left(order, now)
    console.print(f"[bold]Order {order.order_id}[/] — {safe_markup(order.status_text or order.status.value)}")
    for label, value in (("Store", order.store_name), ("Total", order.total), ("Placed", order.placed_on),
                         ("Paid", order.paid_on), ("Shipped", order.shipped_on), ("Completed", order.completed_on)):
        if value:
            console.print(f"  {label + ':':11} {safe_markup(value)}")
    if order.timer:
        console.print(f"  Protection: ends {local(order.timer.ends_at)} ({format_left(remaining)} left), "
                      f"read from the {order.timer.source.value.replace('_', ' ')}", style=urgency_style(remaining))
    else:
        console.print("  Protection: unknown (no timer on the page)")
    console.print(f"  Dispute now: {({True: 'yes', False: 'no', None: 'unknown'})[order.can_open_dispute]}")
    for line in order.lines:
        price = f"{line.unit_price} x{line.quantity}" if line.unit_price else f"x{line.quantity}"
        console.print(f"  • {safe_markup(line.title)} ({safe_markup(line.sku or 'no variant')}) {price} "
                      f"[dim]line {safe_markup(line.line_id)}[/]")
    if stored.timer_history:
        table = Table(title="Timer history", header_style="bold")
        for column in ("Observed", "Ends", "Source"):
            table.add_column(column)
        for at, timer in stored.timer_history:
            table.add_row(local(at), local(timer.ends_at), timer.source.value)
        console.print(table)


def _now_json(now: datetime | None) -> str:
    """Every --json output is an object with ``now``: when it was made (the site's clock
    where the command knows it)."""
    from datetime import UTC

    return (now or datetime.now(UTC)).isoformat()


def print_parsed(parsed: Any, as_json: bool) -> None:
    from pydantic import TypeAdapter

    model = getattr(parsed, "model", parsed)
    kind = getattr(parsed, "kind", type(model).__name__)
    data = TypeAdapter(type(model)).dump_python(model, mode="json")  # models and dataclasses alike
    if as_json:
        print(json.dumps({"now": _now_json(None), "kind": str(kind), "data": data}, indent=2))
        return
    console.print(f"[bold]{kind}[/]")
    console.print(data)


class SyncProgress(SyncProgressBase):
    """A progress bar on stderr while the list and the detail pages are read."""

    def __init__(self) -> None:
        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=err_console, transient=False)
        self._list_task = None
        self._detail_task = None

    def __enter__(self) -> SyncProgress:
        self._bar.start()
        self._list_task = self._bar.add_task("order list pages", total=None)
        return self

    def __exit__(self, *exc) -> None:
        self._bar.stop()

    def listed(self, page: int, count: int) -> None:
        self._bar.update(self._list_task, completed=page, description=f"order list: {count} orders")

    def details_started(self, total: int) -> None:
        self._bar.update(self._list_task, total=self._bar.tasks[0].completed or 1)
        self._detail_task = self._bar.add_task("order details", total=total)

    def detail_done(self, order: Order) -> None:
        self._bar.advance(self._detail_task)


def _size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def print_plan(plan, dry_run: bool) -> None:
    """The whole form, as it will be submitted, before anything is typed into the site."""
    solution = {"refund_only": "refund only", "return_and_refund": "return and refund"}[plan.solution]
    console.print(f"[bold]{'Dry run: ' if dry_run else ''}dispute for order {plan.order.order_id}[/]")
    console.print(f"  Item:        {safe_markup(plan.line.title)} ({safe_markup(plan.line.sku or 'no variant')}) "
                  f"x{plan.line.quantity} [dim]line {safe_markup(plan.line.line_id)}[/]")
    console.print(f"  Branch:      {'received' if plan.reason.branch.value == 'received' else 'not received'}")
    console.print(f"  Reason:      {plan.reason.label} [dim]({plan.reason.key})[/]")
    console.print(f"  Solution:    {solution}, {'full' if plan.full else 'partial'} refund of {plan.amount}")
    console.print("  Description:")
    for paragraph in plan.description.split("\n"):
        console.print(f"    {plain(paragraph)}", markup=False, highlight=False)
    files = plan.attachments.form + plan.attachments.extra
    if not files:
        console.print("  Files:       none")
    for item in plan.attachments.form:
        note = f" — {item.note}" if item.note else ""
        console.print(f"  File:        {plain(item.original.name)} ({item.kind}, {_size(item.size)}){plain(note)}",
                      markup=False)
    for item in plan.attachments.extra:
        console.print(f"  Later:       {plain(item.original.name)} ({_size(item.size)}) — added as evidence "
                      "after opening",
                      markup=False)
    for warning in plan.attachments.warnings + plan.warnings:
        console.print(f"  [yellow]Warning:[/] {safe_markup(warning)}")


def print_log(entries, as_json: bool, now: datetime | None = None) -> None:
    if as_json:
        print(json.dumps({"now": _now_json(now), "entries": [
            {"at": e.at.isoformat(), "action": e.action, "outcome": e.outcome, "order_id": e.order_id,
             "dispute_id": e.dispute_id, "detail": e.detail, "evidence": e.evidence} for e in entries]}, indent=2))
        return
    if not entries:
        console.print("The agent has not acted on the site yet.")
        return
    table = Table(title="What the agent did", header_style="bold")
    for column in ("When", "Action", "Outcome", "Order", "Dispute", "Detail", "Evidence"):
        _column(table, column)
    for e in entries:
        table.add_row(*(safe_markup(cell) for cell in (local(e.at), e.action, e.outcome, e.order_id or "",
                                                  e.dispute_id or "", e.detail, e.evidence or "")))
    console.print(table)


_SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


def dispute_rows(state, now: datetime, policy) -> list[dict[str, Any]]:
    """One row per dispute: what it is, what is on the table, what comes next, what to do."""
    from agent.rules import judge
    from agent.watch_state import pending_offers

    alerts = judge(state, now, policy)
    rows = []
    for view in state.disputes:
        detail = view.latest
        offers = pending_offers(detail)
        offer = offers[-1] if offers else detail.latest_proposal
        upcoming = sorted(d.ends_at for d in detail.deadlines if d.ends_at > now)
        mine = sorted((a for a in alerts if a.dispute_id == detail.reverse_line_id and a.action is not None),
                      key=lambda a: _SEVERITY_RANK[a.severity.value])
        rows.append({
            "dispute_id": detail.reverse_line_id,
            "order_id": detail.trade_order_id,
            "item": detail.item_title,
            "stage": detail.stage.value,
            "status_text": detail.page_status_text or detail.stage_text,
            "asked": money_json(detail.buyer_solution.refund if detail.buyer_solution else None),
            "offer": money_json(offer.refund if offer else None),
            "offer_status": offer.status.value if offer and offer.status else None,
            "offer_is_zero": bool(offer and offer.refund is not None and offer.refund.amount <= 0),
            "next_deadline": upcoming[0].isoformat() if upcoming else None,
            "suggested_action": mine[0].action.text if mine else None,
            "result": detail.finish.result.value if detail.finish and detail.finish.result else None,
            "link": view.link,
        })
    return sorted(rows, key=lambda r: (r["next_deadline"] is None, r["next_deadline"] or ""))


def print_disputes(state, now: datetime, policy, as_json: bool) -> None:
    rows = dispute_rows(state, now, policy)
    if as_json:
        print(json.dumps({"now": now.isoformat(), "disputes": rows}, indent=2))
        return
    if not rows:
        console.print("No disputes known: run 'dispute-agent poll'.")
        return
    table = Table(title="Disputes", header_style="bold")
    for column in ("Dispute", "Order", "Status", "Last offer", "Next deadline", "What to do"):
        _column(table, column)
    for row in rows:
        offer = row["offer"]
        offer_cell = f"{offer['amount']} {offer['currency']}" if offer else "—"
        if row["offer_is_zero"]:
            offer_cell = f"[bold red]{offer_cell}[/]"
        deadline = local(datetime.fromisoformat(row["next_deadline"])) if row["next_deadline"] else "—"
        table.add_row(row["dispute_id"], row["order_id"], safe_markup(row["status_text"] or row["stage"]), offer_cell,
                      deadline, safe_markup(row["suggested_action"] or ""))
    console.print(table)
