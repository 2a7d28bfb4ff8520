"""Use case: read every order and its protection timer from the site into the store.

Reads the list, then the detail page of each order whose state or timer can still
change (``agent.judge.detail_rule``: settled history is not read again every day), and stores what it read even when the site stops it half-way (an expired session
keeps the orders already read; the error is raised after they are saved). A list
read through to its end but missing a few orders (its order moved while it was read)
still has the details of the orders it did read fetched before the error is raised:
their timers are what protect the money.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from agent.config.secrets import Credentials, get_credentials
from agent.config.settings import Settings
from agent.core.clock import Now, SiteClock, system_now
from agent.core.errors import LoginRequired, SecretError
from agent.core.models import Order, OrderStatus, ProtectionTimer, TimerSource
from agent.judge.detail_rule import Known, ListStop, needs_detail
from agent.storage.store import Store

if TYPE_CHECKING:  # the flows import Playwright: only where a browser is used
    from flows.orders import StopAfter

OFFSET_KEY = "site_clock_offset_seconds"
LAST_SYNC_KEY = "last_sync_at"
#: the site time of the last read of the whole order list that showed every order
FULL_LIST_KEY = "last_full_list_at"
#: a read of the whole list at least this often, whatever the newest pages say (decision 0025)
FULL_LIST_EVERY = timedelta(days=7)


@dataclass
class SyncReport:
    orders: int
    details: int
    source: str
    site_time: datetime | None
    #: stored orders the list was not read down to: settled, not read again (decision 0025)
    settled_unread: int = 0


class Progress:
    """What a long sync tells the user; the CLI shows it as a progress bar."""

    def listed(self, page: int, count: int) -> None: ...

    def details_started(self, total: int) -> None: ...

    def detail_done(self, order: Order) -> None: ...


def site_clock(store: Store, local: Now = system_now) -> SiteClock:
    from datetime import timedelta

    offset = store.get_meta(OFFSET_KEY)
    return SiteClock(timedelta(seconds=float(offset)) if offset else timedelta(0), local)


def credentials_provider(settings: Settings) -> Callable[[], Credentials]:
    """The credentials, read only when the site asks for a login.

    Called only then: the saved session has expired. A set-up that imports sessions and
    stores no password is then "login needed" like any other — not a configuration error
    that would raise no alert.
    """

    def provide() -> Credentials:
        from agent.core.display import login_by_hand

        try:
            return get_credentials(settings)
        except SecretError as error:
            how = str(error).split(";", 1)[-1].strip()
            raise LoginRequired(
                "the site asks for a login (no saved session, or it expired) and no password is stored; "
                f"{login_by_hand()}, or store the password to let the agent log in: {how}"
            ) from None

    return provide


def known_orders(store: Store) -> dict[str, Known]:
    """Each stored order's last detail reading: its status then, its latest timer,
    whether a dispute covers it (``CaseCover.covered``, the judge's notion), and whether its
    cases all ended after that reading (``CaseCover.ended``).

    One query of small tuples, not the orders with their lines and histories: a sync of
    an account with years of orders keeps only this in memory to decide what to read.
    """
    from sqlalchemy import func, select

    from agent.storage.dispute_records import DisputeRecords
    from agent.storage.store import OrderRow, TimerObservation

    rank = func.row_number().over(partition_by=TimerObservation.order_id,
                                  order_by=(TimerObservation.observed_at.desc(), TimerObservation.id.desc()))
    latest = select(TimerObservation.order_id, TimerObservation.ends_at, TimerObservation.source,
                    TimerObservation.read_at, rank.label("rank")).subquery()
    query = (select(OrderRow.order_id, OrderRow.detail_status, OrderRow.detail_read_at, latest.c.ends_at,
                    latest.c.source, latest.c.read_at)
             .outerjoin(latest, (latest.c.order_id == OrderRow.order_id) & (latest.c.rank == 1)))
    covered, ended = DisputeRecords(store).case_cover()
    known: dict[str, Known] = {}
    with store.transaction() as session:
        for order_id, status, page_read_at, ends_at, source, read_at in session.execute(query):
            timer = (ProtectionTimer(ends_at=ends_at, source=TimerSource(source), read_at=read_at)
                     if ends_at is not None else None)
            known[order_id] = Known(read_status=OrderStatus(status) if status else None, timer=timer,
                                    disputed=order_id in covered,
                                    ended_unread=order_id in ended and not read_since(page_read_at, ended[order_id]))
    return known


def page_politeness(settings: Settings, concurrency: int):
    """The pauses of ``settings.politeness`` with ``concurrency`` pages at once (order pages:
    ``detail_concurrency``; dispute pages: ``dispute_concurrency``)."""
    from flows.orders import Politeness

    polite = settings.politeness
    return Politeness(polite.min_delay_ms, polite.max_delay_ms, concurrency)


def read_since(page_read_at: datetime | None, case_ended: datetime) -> bool:
    """A page of the order was read after its last case ended (a page read at the same moment
    was read first: the sync reads orders before the poll reads cases)."""
    return page_read_at is not None and page_read_at > case_ended


def sync_orders(settings: Settings, store: Store, progress: Progress | None = None,
                credentials: Callable[[], Credentials] | None = None, session=None) -> SyncReport:
    """Read and store every order; opens its own browser unless ``session`` is given."""
    from contextlib import nullcontext

    from flows.browser import BrowserSession

    opened = nullcontext(session) if session is not None else BrowserSession(settings)
    with opened as active:
        return _sync_in(active, settings, store, progress or Progress(),
                        credentials or credentials_provider(settings))


def _sync_in(session, settings: Settings, store: Store, progress: Progress,
             credentials: Callable[[], Credentials]) -> SyncReport:
    from flows.orders import read_order_details, read_order_list

    clock = site_clock(store)
    politeness = page_politeness(settings, settings.politeness.detail_concurrency)
    timeout = settings.browser.timeout_ms
    known = known_orders(store)  # before the list is saved: the rules compare with what was read before
    listing = read_order_list(session, settings.site.base_url, credentials, progress.listed, timeout,
                              stop_after=list_stop(store, known, settings.policy.after_close))
    store.save_orders(listing.orders)
    if listing.orders:
        clock.observe(listing.orders[0].site_time)
        store.set_meta(OFFSET_KEY, str(clock.offset.total_seconds()))
        if listing.complete and not listing.stopped_early:
            store.set_meta(FULL_LIST_KEY, listing.orders[0].site_time.isoformat())
    if listing.missing:  # orders left unread: the next sync reads the whole list again
        store.set_meta(FULL_LIST_KEY, "")
    if listing.error is not None and not listing.missing:
        raise listing.error
    now, after_close = clock(), settings.policy.after_close
    wanted = [order.order_id for order in listing.orders
              if needs_detail(order, known.get(order.order_id), now, after_close)]
    progress.details_started(len(wanted))
    details = read_order_details(session, settings.site.base_url, wanted, credentials, politeness,
                                 settings.site.zone, progress.detail_done, timeout)
    store.save_orders(details.orders)
    if details.error is not None:
        raise details.error
    if listing.error is not None:
        raise listing.error
    site_time = listing.orders[0].site_time if listing.orders else None
    store.set_meta(LAST_SYNC_KEY, clock().isoformat())
    unread = len(set(known) - {order.order_id for order in listing.orders}) if listing.stopped_early else 0
    return SyncReport(orders=len(listing.orders), details=len(details.orders), source=listing.source,
                      site_time=site_time, settled_unread=unread)


def list_stop(store: Store, known: dict[str, Known], after_close: timedelta) -> StopAfter | None:
    """Where this sync's read of the order list may stop (``ListStop``), asked after each
    page; None when it reads the whole list: no whole read yet, or the last read left
    orders unread. The whole list is also read when the last whole read is
    ``FULL_LIST_EVERY`` old by the site's clock, as the first page's answer gives it (the
    offset stored from the previous sync may be days old)."""
    from sqlalchemy import select

    from agent.storage.store import OrderRow

    last = store.get_meta(FULL_LIST_KEY)
    if not last:
        return None
    last_whole = datetime.fromisoformat(last)
    with store.transaction() as session:
        stored = {order_id: _status(status) for order_id, status in session.execute(
            select(OrderRow.order_id, OrderRow.status))}
    rule: list[ListStop | None] = []  # decided at the first page, by its site time

    def after(page: list[Order], seen: Collection[str], repeated: bool) -> bool:
        if not rule:
            now = page[0].site_time if page else None
            due = now is None or now - last_whole >= FULL_LIST_EVERY
            rule.append(None if due else ListStop(known=known, stored=stored, now=now, after_close=after_close))
        return rule[0] is not None and rule[0].after_page([(o.order_id, o.status) for o in page], seen, repeated)

    return after


def _status(value: str) -> OrderStatus:
    try:
        return OrderStatus(value)
    except ValueError:  # a status stored by a later version: not history
        return OrderStatus.UNKNOWN
