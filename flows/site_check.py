"""What ``check-site`` makes of the read-only pass: one line per assumption about the site.

Why a fixed list: the user must see every assumption the agent depends on, also the
ones this pass could not reach (no open dispute, a session that is gone), so each one
is listed up front (``EXPECTED``) and ends as ✓ holds, ✗ differs (with what was seen
instead) or – not reachable now (with why). A line whose assumption is a registered
guess names its key in ``flows/assumptions.py``.

Why the agent's own readers judge: a check that read the answer its own way could
pass where the agent fails. The fields are judged by the parsers the flows use, the
page's language as ``flows/language.py`` judges it, the selectors and texts are those
of ``flows/site.py``, and a dispute page is read twice and compared as the poll does.
Where a step reaches a line several times (three dispute pages), the first difference
is shown and the others counted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any

from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from agent.core.errors import LoginRequired, SiteError
from agent.core.models import CheckLine, Verdict
from flows import site
from flows.capture import pause
from flows.disputes import SETTLE_MS, page_texts
from flows.language import language_name
from flows.parsers.dispute_page import api_amount, compare_readings, read_page
from flows.parsers.disputes import parse_dispute_detail, stage_of_text
from flows.parsers.orders import parse_order_detail, parse_order_list
from flows.parsers.refunds import parse_refund_list
from flows.parsers.status import label_language
from flows.parsers.tracking import parse_tracking
from flows.site_pass import (
    STEP_DISPUTE_LIST,
    STEP_DISPUTE_PAGE,
    STEP_ORDER_LIST,
    STEP_ORDER_LIST_MORE,
    STEP_ORDER_PAGE,
    STEP_TRACKING,
    STEPS,
    Visit,
)

__all__ = ["EXPECTED", "Expected", "SiteChecker"]

#: how long a page may take to draw the answer it received
RENDER_MS = 5_000


@dataclass(frozen=True)
class Expected:
    check: str
    what: str
    #: the steps of the pass that reach it (empty: every step)
    steps: tuple[str, ...]
    assumption: str | None = None


_ROW_PARTS = {
    "status": site.SEL_ORDER_STATUS, "order info": site.SEL_ORDER_HEADER_INFO, "store": site.SEL_ORDER_STORE,
    "item": site.SEL_ORDER_ITEM, "item title": site.SEL_ORDER_ITEM_TITLE, "total": site.SEL_ORDER_TOTAL,
}
#: the APIs the pages load, by step: (check, API, answered as JSONP)
_APIS = {
    STEP_ORDER_LIST: ("api:order.list", site.API_ORDER_LIST, True),
    STEP_ORDER_LIST_MORE: ("api:order.list.more", site.API_ORDER_LIST, False),
    STEP_ORDER_PAGE: ("api:order.detail", site.API_ORDER_DETAIL, True),
    STEP_TRACKING: ("api:tracking", site.API_TRACKING, True),
    STEP_DISPUTE_LIST: ("api:refund.list", site.API_REFUND_LIST, False),
    STEP_DISPUTE_PAGE: ("api:dispute.detail", site.API_DISPUTE_DETAIL, False),
}


def _api_lines() -> list[Expected]:
    lines = []
    for step, (check, api, jsonp) in _APIS.items():
        lines.append(Expected(check, f"the {step} loads {api}, answered as {'JSONP' if jsonp else 'JSON'}", (step,)))
        lines.append(Expected("fields" + check[3:], f"the {api} answer has every field the agent reads", (step,),
                              {STEP_ORDER_LIST_MORE: "order-list-later-pages",
                               STEP_DISPUTE_PAGE: "dispute-detail-shape"}.get(step)))
    return lines


EXPECTED: tuple[Expected, ...] = (
    Expected("login", "the saved session is logged in", ()),
    Expected("language", f"pages come in English (the {site.LOCALE_COOKIE} cookie asks for {site.READ_LOCALE})", (),
             "locale-cookie"),
    Expected("html-lang", "each page's <html lang> names the language of its texts", (), "html-lang"),
    *_api_lines(),
    Expected("selector:order-rows", f"the order list shows one {site.SEL_ORDER_ROW} per order of its answer",
             (STEP_ORDER_LIST,)),
    Expected("selector:order-row-parts", "an order row shows " + ", ".join(
        f"its {name} ({selector})" for name, selector in _ROW_PARTS.items()), (STEP_ORDER_LIST,)),
    Expected("selector:order-more", f"'View orders' ({site.SEL_ORDER_MORE}) while the list has more",
             (STEP_ORDER_LIST,)),
    Expected("text:dispute-button", f"an order page offers '{site.TEXT_DISPUTE_BUTTON}' where its answer does",
             (STEP_ORDER_PAGE,)),
    Expected("selector:dispute-rows", f"the dispute list shows one {site.SEL_DISPUTE_LIST_ROW} per case of its answer",
             (STEP_DISPUTE_LIST,)),
    Expected("selector:dispute-next", f"the dispute list has its paging control ({site.SEL_DISPUTE_LIST_NEXT})",
             (STEP_DISPUTE_LIST,)),
    Expected("selector:dispute-status", f"a dispute page shows its status line ({site.SEL_DISPUTE_STATUS})",
             (STEP_DISPUTE_PAGE,)),
    Expected("text:dispute-stage", "the status line's words name a known stage, the one of the answer",
             (STEP_DISPUTE_PAGE,), "dispute-stage-texts"),
    Expected("selector:dispute-amount", f"a dispute page shows the amount of its answer ({site.SEL_DISPUTE_AMOUNT})",
             (STEP_DISPUTE_PAGE,), "dispute-page-amount"),
    Expected("selector:dispute-deadline", f"a dispute page writes the deadline of its answer "
                                          f"({site.SEL_DISPUTE_DEADLINE})", (STEP_DISPUTE_PAGE,),
             "dispute-page-deadline"),
    Expected("text:escalate", f"a dispute page shows '{site.TEXT_ESCALATE}' exactly where its answer offers it",
             (STEP_DISPUTE_PAGE,), "dispute-other-actions"),
)


@dataclass
class _Seen:
    held: list[str] = field(default_factory=list)
    differed: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)


class SiteChecker:
    """The observer of the pass that judges each assumption (``flows.site_pass.Observer``)."""

    def __init__(self, tz: tzinfo = UTC, timeout_ms: float = 30_000) -> None:
        self.tz = tz
        self.timeout_ms = timeout_ms
        self._seen: dict[str, _Seen] = {e.check: _Seen() for e in EXPECTED}
        self._skipped: dict[str, str] = {}
        self._stopped: str | None = None
        #: what stopped the pass other than the login (the site down, a page that never loaded)
        self.error: str | None = None

    # --- what the pass reports ---------------------------------------------------------

    def visited(self, visit: Visit) -> None:
        self._hold("login", visit.step)
        self._language(visit)
        parsed = self._answer(visit)
        judge = {STEP_ORDER_LIST: self._order_list, STEP_ORDER_PAGE: self._order_page,
                 STEP_DISPUTE_LIST: self._dispute_list, STEP_DISPUTE_PAGE: self._dispute_page}.get(visit.step)
        if judge is not None:
            judge(visit, parsed)

    def skipped(self, step: str, reason: str) -> None:
        self._skipped.setdefault(step, reason)

    def stopped(self, error: SiteError) -> None:
        """The pass ended early: a session that is gone fails the login line; what was not
        reached yet is unreachable, with the reason."""
        if isinstance(error, LoginRequired):
            self._differ("login", str(error))
            self._stopped = "not logged in"
        else:
            self.error = str(error)
            self._stopped = f"the pass stopped: {error}"

    # --- the result ------------------------------------------------------------------

    def lines(self) -> list[CheckLine]:
        return [self._line(expected) for expected in EXPECTED]

    def _line(self, expected: Expected) -> CheckLine:
        seen = self._seen[expected.check]
        if seen.differed:
            more = len(seen.differed) - 1
            verdict, detail = Verdict.DIFFERS, seen.differed[0] + (f" (and {more} more)" if more else "")
        elif seen.held:
            verdict, detail = Verdict.HOLDS, "; ".join(dict.fromkeys(seen.held))
        else:
            verdict, detail = Verdict.UNREACHABLE, self._why_unreachable(expected, seen)
        return CheckLine(check=expected.check, what=expected.what, assumption=expected.assumption,
                         verdict=verdict, detail=detail)

    def _why_unreachable(self, expected: Expected, seen: _Seen) -> str:
        if seen.unreachable:
            return seen.unreachable[0]
        for step in expected.steps or STEPS:
            if step in self._skipped:
                return f"{step}: {self._skipped[step]}"
        return self._stopped or "not reached"

    def _hold(self, check: str, where: str) -> None:
        self._seen[check].held.append(where)

    def _differ(self, check: str, seen: str) -> None:
        self._seen[check].differed.append(seen)

    def _cannot(self, check: str, why: str) -> None:
        self._seen[check].unreachable.append(why)

    # --- every page ------------------------------------------------------------------

    def _language(self, visit: Visit) -> None:
        tag = (visit.page.evaluate("() => document.documentElement.getAttribute('lang') || ''") or "").strip()
        if not tag:
            self._differ("html-lang", f"{visit.step}: <html> has no lang attribute")
            return
        self._hold("html-lang", visit.step)
        if tag.replace("_", "-").split("-", 1)[0].lower() != "en":
            self._differ("language", f"{visit.step}: {language_name(tag)} (<html lang=\"{tag}\">)")
        else:
            self._hold("language", visit.step)

    def _answer(self, visit: Visit) -> Any:
        """The API line and the fields line of the visit; what the agent reads, or None."""
        check, api, jsonp = _APIS[visit.step]
        fields = "fields" + check[3:]
        answer = visit.answer
        if answer is None:
            self._differ(check, f"{visit.step}: no {api} answer within {self.timeout_ms / 1000:.0f} s")
            self._cannot(fields, f"{visit.step}: no answer to read")
            return None
        if answer.jsonp != jsonp:
            self._differ(check, f"{visit.step}: answered as {'JSONP' if answer.jsonp else 'JSON'}")
        else:
            self._hold(check, visit.step)
        if answer.body is None:
            self._differ(fields, f"{visit.step}: {answer.error}")
            return None
        try:
            parsed = _PARSERS[visit.step](answer, self.tz)
        except LoginRequired:
            raise
        except SiteError as error:
            self._differ(fields, f"{visit.step}: {error}")
            return None
        self._hold(fields, visit.step)
        return parsed

    # --- pages ------------------------------------------------------------------------

    def _order_list(self, visit: Visit, listing: Any) -> None:
        page = visit.page
        if listing is not None:
            self._labels(listing.orders)
        want = len(listing.orders) if listing is not None else None
        shown = _wait_count(page, site.SEL_ORDER_ROW, want)
        if shown == 0:
            self._differ("selector:order-rows", f"{visit.step}: nothing matches {site.SEL_ORDER_ROW}")
            self._cannot("selector:order-row-parts", f"{visit.step}: no order row to look into")
        else:
            if want is not None and shown != want:
                self._differ("selector:order-rows", f"{visit.step}: {shown} rows for {want} orders")
            else:
                self._hold("selector:order-rows", visit.step)
            row = page.locator(site.SEL_ORDER_ROW).first
            absent = [f"{name} ({selector})" for name, selector in _ROW_PARTS.items()
                      if row.locator(selector).count() == 0]
            if absent:
                self._differ("selector:order-row-parts", f"{visit.step}: the first row has no " + ", ".join(absent))
            else:
                self._hold("selector:order-row-parts", visit.step)
        if listing is None:
            self._cannot("selector:order-more", f"{visit.step}: its answer could not be read to know if more pages exist")
        elif not listing.has_more:
            self._cannot("selector:order-more", f"{visit.step}: the list has a single page")
        elif page.locator(site.SEL_ORDER_MORE).count() == 0:
            self._differ("selector:order-more", f"{visit.step}: the list has more pages but nothing matches "
                                                f"{site.SEL_ORDER_MORE}")
        else:
            self._hold("selector:order-more", visit.step)

    def _labels(self, orders: list[Any]) -> None:
        for order in orders:
            found = label_language(order.status_text)
            if found is not None and found != "en":
                self._differ("language", f"{STEP_ORDER_LIST}: order {order.order_id}'s status "
                                         f"{order.status_text!r} is {language_name(found)}")
                return

    def _order_page(self, visit: Visit, order: Any) -> None:
        if order is None or not order.can_open_dispute:
            return
        button = visit.page.get_by_role("button", name=site.TEXT_DISPUTE_BUTTON, exact=True)
        try:
            button.first.wait_for(state="visible", timeout=RENDER_MS)
        except PlaywrightTimeoutError:
            self._differ("text:dispute-button", f"order {order.order_id}: its answer offers a dispute, the page "
                                                f"shows no '{site.TEXT_DISPUTE_BUTTON}' button")
            return
        self._hold("text:dispute-button", f"order {order.order_id}")

    def _dispute_list(self, visit: Visit, listing: Any) -> None:
        want = len(listing.items) if listing is not None else None
        shown = _wait_count(visit.page, site.SEL_DISPUTE_LIST_ROW, want)
        if shown == 0 and want != 0 or want is not None and shown != want:
            self._differ("selector:dispute-rows", f"{visit.step}: {shown} rows match {site.SEL_DISPUTE_LIST_ROW} "
                                                  f"for {want if want is not None else 'its'} cases")
        else:
            self._hold("selector:dispute-rows", visit.step)
        if visit.page.locator(site.SEL_DISPUTE_LIST_NEXT).count() == 0:
            self._differ("selector:dispute-next", f"{visit.step}: nothing matches {site.SEL_DISPUTE_LIST_NEXT}")
        else:
            self._hold("selector:dispute-next", visit.step)

    def _dispute_page(self, visit: Visit, detail: Any) -> None:
        where = f"dispute {visit.subject}"
        try:
            visit.page.locator(site.SEL_DISPUTE_STATUS).first.wait_for(state="visible", timeout=RENDER_MS)
            drawn = True
        except PlaywrightTimeoutError:
            drawn = False
            self._differ("selector:dispute-status", f"{where}: nothing matches {site.SEL_DISPUTE_STATUS}")
        else:
            self._hold("selector:dispute-status", where)
        if detail is None:
            for check in ("text:dispute-stage", "selector:dispute-amount", "selector:dispute-deadline",
                          "text:escalate"):
                self._cannot(check, f"{where}: its answer could not be read to compare with")
            return
        # a page whose status line is not there is not still drawing: no time to settle
        texts, problems = self._readings(visit.page, detail, SETTLE_MS if drawn else 0)
        by_what = {p.what: str(p) for p in problems}
        if texts.status is None:
            self._cannot("text:dispute-stage", f"{where}: no status line to read")
        elif stage_of_text(texts.status).value == "UNKNOWN":
            self._differ("text:dispute-stage", f"{where}: {texts.status!r} names no stage the agent knows")
        else:
            self._verdict("text:dispute-stage", where, by_what.get("stage"))
        if texts.amount is None:
            self._differ("selector:dispute-amount", f"{where}: nothing matches {site.SEL_DISPUTE_AMOUNT}")
        else:
            self._verdict("selector:dispute-amount", where, by_what.get("amount") or by_what.get("currency"))
        self._verdict("selector:dispute-deadline", where, by_what.get("deadline"))
        self._verdict("text:escalate", where, by_what.get("escalation"))

    def _readings(self, page: Page, detail: Any, settle_ms: float) -> tuple[Any, list[Any]]:
        """The page's texts and how they differ from the answer, once the page has drawn it."""
        reference = api_amount(detail) or detail.paid_amount
        hint = reference.currency if reference else None
        settle = time.monotonic() + settle_ms / 1000
        while True:
            texts = page_texts(page)
            problems = compare_readings(detail, read_page(texts, self.tz, hint))
            if not problems or time.monotonic() >= settle:
                return texts, problems
            pause(page.context, 200)

    def _verdict(self, check: str, where: str, problem: str | None) -> None:
        if problem:
            self._differ(check, f"{where}: {problem}")
        else:
            self._hold(check, where)


def _wait_count(page: Page, selector: str, want: int | None) -> int:
    """How many elements match once the page has drawn ``want`` of them (or any, if None)."""
    script = ("([sel, n]) => n === null ? document.querySelectorAll(sel).length > 0 "
              ": document.querySelectorAll(sel).length === n")
    try:
        page.wait_for_function(script, arg=[selector, want], timeout=RENDER_MS)
    except PlaywrightTimeoutError:
        pass
    return page.locator(selector).count()


_PARSERS: dict[str, Callable[[Any, tzinfo], Any]] = {
    STEP_ORDER_LIST: lambda answer, tz: parse_order_list(answer.body, date_header=answer.date_header),
    STEP_ORDER_LIST_MORE: lambda answer, tz: parse_order_list(answer.body, date_header=answer.date_header),
    STEP_ORDER_PAGE: lambda answer, tz: parse_order_detail(answer.body, date_header=answer.date_header, tz=tz),
    STEP_TRACKING: lambda answer, tz: parse_tracking(answer.body),
    STEP_DISPUTE_LIST: lambda answer, tz: parse_refund_list(answer.body, tz=tz),
    STEP_DISPUTE_PAGE: lambda answer, tz: parse_dispute_detail(answer.body, date_header=answer.date_header, tz=tz),
}
