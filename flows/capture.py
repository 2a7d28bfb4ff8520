"""Read the API answers a page receives, instead of signing requests of our own.

The real site fills its pages from "mtop" JSON answers; the page's own script signs
them. Listening to what the page receives gets the same data with none of the
signing, and keeps the agent's traffic identical to a person's. The listener reads
each API answer's body as it arrives: a page that navigates away (to the login page,
say) takes the bodies of its answers with it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from playwright.sync_api import BrowserContext, Page, Request, Response
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from agent.core.errors import LoginRequired, PageChanged, SiteUnavailable
from flows import site
from flows.parsers.transport import decode_api_body, unwrap_jsonp


def pause(context: BrowserContext, ms: float) -> None:
    """Let Playwright deliver events for up to ``ms``, back early when any answer arrives.

    Not ``page.wait_for_timeout``: inside a traced step each call of that records two
    DOM snapshots, and the loops that wait for answers pause every few milliseconds.
    """
    try:
        context.wait_for_event("response", timeout=max(1.0, ms))  # 0 would mean "forever"
    except PlaywrightTimeoutError:
        pass


def server_error(status: int, what: str) -> str:
    """The one line for an HTTP 5xx: the site is having trouble, nothing changed."""
    return f"the site answered HTTP {status} to {what}: it is having trouble, the page did not change; try again later"


@dataclass
class Captured:
    api: str
    url: str
    status: int
    body: Any
    date_header: str | None
    #: why the body could not be read (None when it was)
    error: PageChanged | str | None = None
    #: the body came wrapped as JSONP (``mtopjsonp1({...})``), not as plain JSON
    jsonp: bool = False
    #: the body as it came, when it could not be decoded (what a report needs most)
    text: str | None = None
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class NewTab:
    """Set when the block that opened the tab ends."""

    page: Page | None = None
    capture: ApiCapture | None = None


class ApiCapture:
    """Collects, in arrival order, the answers of the site's API that ``page`` receives.

    It also hears the site fail: the page's own document answered with a server error,
    or a call of the API never got an answer (the network). Waiting for an answer then
    ends at once with ``SiteUnavailable``: the site is down, the page has not changed.
    """

    def __init__(self, page: Page) -> None:
        self.page = page
        self._responses: list[tuple[str, Captured]] = []
        self._read = 0
        #: (position among the answers when it happened, HTTP status or None for no answer, what)
        self._failures: list[tuple[int, int | None, str]] = []
        #: API answers with a server error, noted before their body is read: reading it
        #: lets the page run on, and the page may show its alert before the read is done
        self._api_errors: list[tuple[int, int, str]] = []
        #: (position when sent, API name lower-cased) of every API request the page sent
        self._requests: list[tuple[int, str]] = []
        page.on("request", self._on_request)
        page.on("response", self._on_response)
        page.on("requestfailed", self._on_request_failed)
        _CAPTURES[page] = self

    @staticmethod
    @contextmanager
    def of_new_tab(context: BrowserContext, *, timeout_ms: float) -> Iterator[NewTab]:
        """The tab the block opens, with a capture that heard it from its first answer.

        A listener added to a tab only asks the browser for that tab's answers once the
        tab has been announced to Python; a busy machine announced it after its first
        calls were answered, and those answers were lost. A listener on the whole
        context keeps every tab's answers coming until the new tab's own listener is
        in place (Playwright sends the two requests in order). Raises Playwright's
        TimeoutError when no tab opens.
        """
        opened = NewTab()
        captures: list[ApiCapture] = []

        def listen(new_page: Page) -> None:
            captures.append(ApiCapture(new_page))

        def keep_answers_coming(_: Response) -> None:
            pass

        context.on("response", keep_answers_coming)
        context.on("requestfailed", keep_answers_coming)
        context.on("page", listen)
        try:
            with context.expect_page(timeout=timeout_ms) as info:
                yield opened
            opened.page = info.value
            opened.capture = next(c for c in captures if c.page is opened.page)
        finally:
            context.remove_listener("page", listen)
            context.remove_listener("requestfailed", keep_answers_coming)
            context.remove_listener("response", keep_answers_coming)

    def _on_request(self, request: Request) -> None:
        api = site.api_of_url(request.url)
        if api is not None:
            self._requests.append((len(self._responses), api.lower()))

    def _on_response(self, response: Response) -> None:
        spelled = site.api_of_url(response.url, keep_case=True)  # shown as written; compared lower-cased
        if spelled is not None:
            if response.status >= 500:
                self._api_errors.append((len(self._responses), response.status, spelled.lower()))
            self._responses.append((spelled.lower(), self._read_body(spelled, response)))
        elif response.status >= 500 and _is_document(self.page, response.request):
            self._failures.append((len(self._responses), response.status, urlsplit(response.url).path))

    def _on_request_failed(self, request: Request) -> None:
        reason = request.failure or "no answer"
        if "ERR_ABORTED" in reason:  # the page went elsewhere (a login, a reload): not the site's fault
            return
        api = site.api_of_url(request.url)
        if api is not None or _is_document(self.page, request):
            self._failures.append((len(self._responses), None, f"{api or urlsplit(request.url).path} ({reason})"))

    def site_failure(self, after: int = 0) -> SiteUnavailable | None:
        """The error for a failure of the site this page met after position ``after``, if any:
        its document answered 5xx, or a request got no answer."""
        for position, status, what in self._failures:
            if position >= after:
                if status is not None:
                    return SiteUnavailable(server_error(status, f"the page {what}"),
                                           trouble=f"HTTP {status} to the page {what}")
                return SiteUnavailable(f"the site could not be reached: no answer to {what}; "
                                       "check the network, then try again", trouble=f"no answer to {what}")
        return None

    def trouble(self, after: int = 0) -> str | None:
        """What failed after position ``after``, in a few words ("HTTP 500 to <api>",
        "no answer to <api> (…)"): any answer of the API with a server error included."""
        for position, status, name in self._api_errors:
            if position >= after:
                return f"HTTP {status} to {name}"
        for position, status, what in self._failures:
            if position >= after:
                return f"HTTP {status} to {what}" if status is not None else f"no answer to {what}"
        return None

    def mark(self) -> int:
        """A position: ``wait`` after it only returns answers that arrive later."""
        return len(self._responses)

    def wait(self, api: str, *, after: int = 0, timeout_ms: float = 30_000) -> Captured:
        """The first answer of ``api`` received after position ``after``.

        Raises PageChanged when it never comes: the page no longer asks for that API;
        SiteUnavailable as soon as the site fails the page (a 5xx, no answer).
        """
        deadline = time.monotonic() + timeout_ms / 1000
        wanted = api.lower()
        while True:
            for index in range(after, len(self._responses)):
                name, captured = self._responses[index]
                if name == wanted:
                    return self.checked(captured)
            failure = self.site_failure(after)
            if failure is not None:
                raise failure
            if time.monotonic() >= deadline:
                waited = f"{timeout_ms / 1000:g} s"
                if self.asked(wanted, after):  # asked and still waiting: the site is slow
                    raise SiteUnavailable(f"the site did not answer {api} within {waited}; try again later",
                                          trouble=f"no answer to {api} within {waited}")
                raise PageChanged(f"the page did not ask for {api} within {waited}",
                                  hint="the page no longer calls this API, or calls it by another name: "
                                       "compare the evidence with flows/site.py (API_* names)")
            pause(self.page.context, 25)

    def asked(self, api: str, after: int) -> bool:
        """The page sent a request of ``api`` after position ``after`` (answered or not)."""
        return any(position >= after and name == api for position, name in self._requests)

    def poll(self, api: str, *, after: int = 0) -> Captured | None:
        """The answer if it already arrived, else None; unchecked (pass it to ``checked``).

        Nothing here talks to the browser, so a loop can poll often and cheaply, and
        open an evidence block only around the answer it then judges.
        """
        wanted = api.lower()
        for index in range(after, len(self._responses)):
            name, captured = self._responses[index]
            if name == wanted:
                return captured
        return None

    def since(self, mark: int) -> list[Captured]:
        """Every answer received after position ``mark``, of any API, unchecked."""
        return [captured for _, captured in self._responses[mark:]]

    def answers(self, api: str, *, after: int = 0) -> list[Captured]:
        """Every answer of ``api`` received after position ``after``, unchecked."""
        wanted = api.lower()
        return [captured for name, captured in self._responses[after:] if name == wanted]

    @staticmethod
    def _read_body(api: str, response: Response) -> Captured:
        date_header = response.headers.get("date")
        try:
            text = response.text()
        except Exception as error:  # the page navigated away and took the body with it
            return Captured(api, response.url, response.status, None, date_header, str(error).splitlines()[0])
        jsonp = unwrap_jsonp(text.strip().lstrip("\ufeff")) is not None
        try:  # JSONP for the GETs, JSON for the POSTs, as the live site answers
            body = decode_api_body(text, api)
        except PageChanged as error:
            return Captured(api, response.url, response.status, None, date_header, error, jsonp, text=text)
        return Captured(api, response.url, response.status, body, date_header, jsonp=jsonp)

    def checked(self, captured: Captured) -> Captured:
        """The answer, or the typed error it stands for (login page, server error)."""
        if captured.body is None and site.is_login_url(self.page.url):
            raise LoginRequired(
                f"the session ended while the page loaded {captured.api}; "
                "log in again with 'dispute-agent login' (or --headed)"
            )
        if captured.status >= 500:
            raise SiteUnavailable(server_error(captured.status, captured.api),
                                  trouble=f"HTTP {captured.status} to {captured.api}")
        if isinstance(captured.error, PageChanged):
            raise captured.error
        return captured


#: the capture listening to each page, so that a failure's evidence can hold its answers
_CAPTURES: WeakKeyDictionary[Page, ApiCapture] = WeakKeyDictionary()
#: a failure keeps at most this many of the page's latest answers
EVIDENCE_ANSWERS = 20


def answer_record(captured: Captured) -> tuple[dict[str, Any], str, str]:
    """What is known of an answer besides its body; the body as text; its file suffix."""
    record = {"api": captured.api, "url": captured.url, "status": captured.status, "jsonp": captured.jsonp,
              "date": captured.date_header, "received_at": captured.received_at.isoformat(timespec="seconds")}
    if captured.error is not None:
        record["error"] = str(captured.error)
    if captured.body is not None:
        return record, json.dumps(captured.body, ensure_ascii=False, indent=1), "json"
    return record, captured.text or "", "txt"


def save_answers(page: Page, folder: Path, clean: Callable[[str], str]) -> None:
    """The page's latest API answers into ``folder/answers/``, each through ``clean``.

    ``index.json`` lists them in arrival order (API, address, status, JSON or JSONP);
    a body that could not be decoded is kept as it came, in a ``.txt``.
    """
    capture = _CAPTURES.get(page)
    answers = capture.since(0)[-EVIDENCE_ANSWERS:] if capture is not None else []
    if not answers:
        return
    target = folder / "answers"
    target.mkdir(mode=0o700, exist_ok=True)
    index = []
    for number, captured in enumerate(answers, start=1):
        record, text, suffix = answer_record(captured)
        name = f"{number:02d}-{captured.api}.{suffix}"
        (target / name).write_text(clean(text), encoding="utf-8")
        index.append({"file": name, **record})
    (target / "index.json").write_text(clean(json.dumps(index, ensure_ascii=False, indent=1)), encoding="utf-8")


def _is_document(page: Page, request: Request) -> bool:
    """True for the page's own document (its address, not a script's call or an image)."""
    try:
        return request.is_navigation_request() and request.frame == page.main_frame
    except Exception:  # a request of a frame that is gone
        return False
