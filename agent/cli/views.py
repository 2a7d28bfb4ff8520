"""What the CLI prints: tables for people, stable JSON for scripts.

The JSON shapes here are part of the public surface (documented in the README):
fields are only ever added, never renamed.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from agent.core.models import Order
from agent.core.readable import left as format_left
from agent.core.readable import short_moment
from agent.core.readable import size as _size
from agent.core.site_text import plain, safe_markup
from agent.storage.store import StoredOrder
from agent.usecases.sync import Progress as SyncProgressBase
from agent.usecases.view_models import (
    agenda_json,
    dispute_brief,
    dispute_rows,
    left,
    order_json,
    visible,
)


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
_WHOLE_COLUMNS = frozenset({"Order", "Dispute", "Total", "Protection ends", "When", "Last offer", "Deadline",
                            "Escalation from"})


def _column(table, title: str, justify: str = "left") -> None:
    """A table column; an id, an amount or a time is printed whole on a narrow terminal."""
    if title in _WHOLE_COLUMNS:
        table.add_column(title, justify=justify, no_wrap=True)
    else:
        table.add_column(title, justify=justify, overflow="fold")


#: a column of words is worth showing only this wide; narrower, the rows become blocks
_MIN_WORDS_WIDTH = 14


class Listing:
    """A table on a wide terminal; on a narrow one (80 columns), one block per row.

    Why blocks: a row of 16-digit ids, amounts and zoned times leaves a narrow terminal
    no room for words; squeezed, the words break every few letters. As blocks, each value
    is on a line of its own, labelled, and ids, amounts and times stay whole.
    """

    def __init__(self, title: str, columns: tuple[str, ...], right: tuple[str, ...] = ()) -> None:
        self.title, self.columns, self.right = title, columns, right
        self.rows: list[tuple[tuple[str, ...], str]] = []

    def add_row(self, *cells: str, style: str = "") -> None:
        self.rows.append((cells, style))

    def _fits(self, width: int) -> bool:
        needed = 0
        for index, title in enumerate(self.columns):
            if title in _WHOLE_COLUMNS:
                cells = [title] + [line for cells, _ in self.rows for line in Text.from_markup(cells[index]).plain.split("\n")]
                needed += max(len(cell) for cell in cells)
            else:
                needed += _MIN_WORDS_WIDTH
        return needed + 3 * len(self.columns) <= width

    def print(self) -> None:
        if self._fits(console.width):
            table = Table(title=self.title, header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
            for column in self.columns:
                _column(table, column, justify="right" if column in self.right else "left")
            for cells, style in self.rows:
                table.add_row(*cells, style=style)
            console.print(table)
            return
        console.print(f"[bold]{self.title}[/]")
        for cells, style in self.rows:
            console.print()
            console.print(f"[bold]{self.columns[0]} {cells[0]}[/]", style=style or None)
            for title, cell in zip(self.columns[1:], cells[1:]):
                if cell and cell != "—":
                    console.print(f"  {title}: " + cell.replace("\n", " — "), style=style or None)


#: (days left at most, colour), most urgent first
URGENCY = ((3, "bold red"), (7, "dark_orange"), (15, "yellow"))


def urgency_style(delta: timedelta | None) -> str:
    if delta is None or delta <= timedelta(0):
        return ""
    for days, style in URGENCY:
        if delta <= timedelta(days=days):
            return style
    return ""


def local(when: datetime | None, zone: ZoneInfo) -> str:
    """A time in a table cell, in the user's zone, zone named (``2026-11-24 10:00 CET``)."""
    return short_moment(when, zone)


def _dispute_cell(order: Order, disputes: list) -> str:
    """What covers the order: its disputes' states, else whether the site offers one now."""
    if disputes:
        return "; ".join(("closed" if d["finished"] else "open") + f": {d['status_text'] or d['stage'] or '?'}"
                         for d in disputes)
    return {True: "none (can open)", False: "none (not offered)", None: "none"}[order.can_open_dispute]


def print_orders(stored: list[StoredOrder], now: datetime, show_all: bool, as_json: bool, zone: ZoneInfo,
                 disputes: dict[str, list] | None = None) -> None:
    disputes = disputes or {}
    orders = sorted((s.order for s in stored), key=lambda o: (o.timer is None, o.timer.ends_at.timestamp() if o.timer else 0, o.order_id))
    shown = [o for o in orders if visible(o, now, show_all, bool(disputes.get(o.order_id)))]
    if as_json:
        print(json.dumps({"now": now.isoformat(), "orders": [order_json(o, now, disputes.get(o.order_id))
                                                             for o in shown]}, indent=2))
        return
    if not stored:
        console.print("No orders stored yet: run 'dispute-agent sync'.")
        return
    table = Listing(f"Orders by protection end ({len(shown)} of {len(orders)}), times in {zone.key}",
                    ("Order", "Item", "Total", "Protection ends", "Left", "Dispute status"), right=("Total",))
    for order in shown:
        remaining = left(order, now)
        briefs = [dispute_brief(d) for d in disputes.get(order.order_id, [])]
        item = order.lines[0].title if order.lines else "?"
        more = f" (+{len(order.lines) - 1})" if len(order.lines) > 1 else ""
        about = " · ".join(part for part in (order.store_name, order.status_text or order.status.value) if part)
        table.add_row(order.order_id, f"{safe_markup(item)}{more}\n[dim]{safe_markup(about)}[/]",
                      str(order.total) if order.total else "?",
                      local(order.timer.ends_at if order.timer else None, zone),
                      format_left(remaining), safe_markup(_dispute_cell(order, briefs)),
                      style=urgency_style(remaining))
    table.print()
    hidden = len(orders) - len(shown)
    if hidden:
        console.print(f"{hidden} more without a running timer: see them with --all")


def print_order(stored: StoredOrder, now: datetime, as_json: bool, zone: ZoneInfo, disputes: list | None = None) -> None:
    order = stored.order
    briefs = [dispute_brief(d) for d in disputes or []]
    if as_json:
        data = order_json(order, now, disputes)
        data["now"] = now.isoformat()
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
        how_long = f"{format_left(remaining)} left" if remaining and remaining > timedelta(0) else "ended"
        console.print(f"  Protection: ends {local(order.timer.ends_at, zone)} ({how_long}), "
                      f"read from the {order.timer.source.value.replace('_', ' ')}", style=urgency_style(remaining))
    else:
        console.print("  Protection: unknown (no timer on the page)")
    console.print(f"  Dispute now: {({True: 'yes', False: 'no', None: 'unknown'})[order.can_open_dispute]}")
    for line in order.lines:
        price = f"{line.unit_price} x{line.quantity}" if line.unit_price else f"x{line.quantity}"
        console.print(f"  • {safe_markup(line.title)} ({safe_markup(line.sku or 'no variant')}) {price} "
                      f"[dim]line {safe_markup(line.line_id)}[/]")
    for brief in briefs:
        state = "closed" if brief["finished"] else "open"
        result = f", {brief['result'].lower()}" if brief["result"] else ""
        console.print(f"  Dispute {brief['dispute_id']} ({state}{result}): "
                      f"{safe_markup(brief['status_text'] or brief['stage'] or '?')} [dim]line {brief['line_id']}; "
                      f"dispute-agent disputes[/]")
    if not briefs:
        console.print("  Disputes: none known (dispute-agent poll reads them)")
    if stored.timer_history:
        table = Table(title=f"Timer history (times in {zone.key})", header_style="bold")
        for column in ("Observed", "Ends", "Source"):
            table.add_column(column)
        for at, timer in stored.timer_history:
            table.add_row(local(at, zone), local(timer.ends_at, zone), timer.source.value)
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

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is not None:  # the error's one line says it all: no half-filled bars after it
            self._bar.live.transient = True
        self._bar.stop()

    def listed(self, page: int, count: int) -> None:
        self._bar.update(self._list_task, completed=page, description=f"order list: {count} orders")

    def details_started(self, total: int) -> None:
        self._bar.update(self._list_task, total=self._bar.tasks[0].completed or 1)
        self._detail_task = self._bar.add_task("order details", total=total)

    def detail_done(self, order: Order) -> None:
        self._bar.advance(self._detail_task)


class PollProgress(SyncProgress):
    """The sync's bars on stderr, then the dispute pages, the automatic actions and the delivery."""

    def __init__(self) -> None:
        super().__init__()
        self._dispute_task = None
        self._step_task = None

    def disputes_started(self, total: int) -> None:
        self._dispute_task = self._bar.add_task("dispute pages", total=total)

    def dispute_done(self, dispute_id: str) -> None:
        self._bar.advance(self._dispute_task)

    def acting(self, total: int) -> None:
        self._step(f"answering {total} zero offer{'s' if total != 1 else ''}")

    def delivering(self) -> None:
        self._step("sending messages")

    def delivered(self, messages: int) -> None:
        self._bar.update(self._step_task, total=1, completed=1,
                         description=f"{messages} message{'s' if messages != 1 else ''} sent")

    def _step(self, description: str) -> None:
        if self._step_task is None:
            self._step_task = self._bar.add_task(description, total=None)
        else:
            self._bar.update(self._step_task, description=description, total=None, completed=0)


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


def print_log(entries, as_json: bool, zone: ZoneInfo, now: datetime | None = None) -> None:
    if as_json:
        print(json.dumps({"now": _now_json(now), "entries": [
            {"at": e.at.isoformat(), "action": e.action, "outcome": e.outcome, "order_id": e.order_id,
             "dispute_id": e.dispute_id, "detail": e.detail, "evidence": e.evidence} for e in entries]}, indent=2))
        return
    if not entries:
        console.print("The agent has not acted on the site yet.")
        return
    table = Listing(f"What the agent did (times in {zone.key})",
                    ("When", "Action", "Outcome", "Order", "Dispute", "Detail", "Evidence"))
    for e in entries:
        table.add_row(*(safe_markup(cell) for cell in (local(e.at, zone), e.action, e.outcome, e.order_id or "",
                                                  e.dispute_id or "", e.detail, e.evidence or "")))
    table.print()


def print_disputes(state, now: datetime, policy, as_json: bool, zone: ZoneInfo) -> None:
    rows = dispute_rows(state, now, policy)
    if as_json:
        print(json.dumps({"now": now.isoformat(), "disputes": rows}, indent=2))
        return
    if not rows:
        console.print("No disputes known: run 'dispute-agent poll'.")
        return
    table = Listing(f"Disputes, soonest deadline first (times in {zone.key})",
                    ("Dispute", "Order", "Status", "Last offer", "Deadline", "Escalation from", "What to do"))
    for row in rows:
        offer = row["offer"]
        offer_cell = f"{offer['amount']} {offer['currency']}" if offer else "—"
        if row["offer_is_zero"]:
            offer_cell = f"[bold red]{offer_cell}[/]"
        deadline = "—"
        if row["next_deadline"]:
            deadline = f"{local(datetime.fromisoformat(row['next_deadline']), zone)}\n[dim]{row['next_deadline_what']}[/]"
        escalation = local(datetime.fromisoformat(row["escalation_from"]), zone) if row["escalation_from"] else "—"
        table.add_row(row["dispute_id"], row["order_id"], safe_markup(row["status_text"] or row["stage"]), offer_cell,
                      deadline, escalation, safe_markup(row["suggested_action"] or ""))
    table.print()


def print_agenda(items, now: datetime, as_json: bool, zone: ZoneInfo, health_line: str | None = None) -> None:
    """Everything that needs the user, soonest deadline first: one block per order or dispute."""
    if as_json:
        print(json.dumps(agenda_json(items, now), indent=2))
        return
    if health_line:
        console.print(f"[bold red]{safe_markup(health_line)}[/]")
    if not items:
        console.print(f"Nothing needs you now ({short_moment(now, zone)}). 'dispute-agent orders' lists every "
                      "order; 'dispute-agent sync' or 'poll' reads the site again.")
        return
    console.print(f"[bold]What needs you[/] ({len(items)}), soonest first — times in {zone.key}")
    for item in items:
        remaining = item.deadline - now if item.deadline else None
        style = urgency_style(remaining) or "default"
        head = f"Dispute {item.dispute_id} · order {item.order_id}" if item.dispute_id else f"Order {item.order_id}"
        console.print()
        console.print(f"[bold]{head}[/]")
        if item.deadline:  # the time first: a narrow terminal wraps the words after it, never the time
            console.print(f"  By:    [{style}]{local(item.deadline, zone)} ({format_left(remaining)} left): "
                          f"{safe_markup(item.deadline_what)}[/]")
        else:
            console.print("  By:    no deadline of yours")
        facts = " · ".join(part for part in (item.item, item.store, str(item.amount) if item.amount else None,
                                            item.status) if part)
        console.print(f"  What:  {safe_markup(facts)}")
        if item.offer is not None:
            offer = f"[bold red]{item.offer}[/]" if item.offer_is_zero else str(item.offer)
            said = f' — "{safe_markup(item.seller_said)}"' if item.seller_said else ""
            console.print(f"  Offer: {offer}{said}")
        if item.escalation_from or item.platform_steps_in:
            parts = ([f"escalation possible from {local(item.escalation_from, zone)}"] if item.escalation_from else [])
            parts += ([f"AliExpress steps in {local(item.platform_steps_in, zone)}"] if item.platform_steps_in else [])
            console.print(f"  Later: [dim]{'; '.join(parts)}[/]")
        if item.what_to_do:
            console.print(f"  To do: {safe_markup(item.what_to_do)}")
        if item.command:
            console.print(f"  Run:   {safe_markup(item.command)}", highlight=False)
