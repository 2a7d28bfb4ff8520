"""Recording the read-only pass: each page's HTML and every API answer it received.

Why in memory: nothing the account's pages hold may reach the disk before it is
anonymised, and the anonymiser must see every page before it rewrites the first
(a name learned from the tracking answer is also in the order page's header). The
pass reads a handful of pages; their HTML and answers fit in memory easily.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from agent.core.errors import SiteError
from flows.capture import Captured, answer_record
from flows.site_pass import Visit

__all__ = ["RecordedAnswer", "RecordedPage", "Recorder", "Recording"]

#: a released front-end package in an asset address: ``/order-list-ui/0.0.117/``
_ASSET_VERSION = re.compile(r"""<(?:script|link)\b[^>]*?(?:src|href)=["'][^"']*/([A-Za-z][\w.-]*)/(\d+\.\d+\.\d+)/""")


@dataclass
class RecordedAnswer:
    api: str
    #: the answer's facts (address, status, JSONP or not, date) as ``flows.capture`` keeps them
    record: dict[str, Any]
    #: the decoded JSON, or None when it could not be decoded (then ``text`` holds it)
    body: Any
    text: str


@dataclass
class RecordedPage:
    step: str
    url: str
    html: str
    at: datetime
    subject: str | None = None
    answers: list[RecordedAnswer] = field(default_factory=list)


@dataclass
class Recording:
    pages: list[RecordedPage] = field(default_factory=list)
    #: (step, why) for each step the pass could not take
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: what ended the pass early (a session that is gone, a challenge), if anything
    stopped: str | None = None
    #: where the recording comes from: the live site, or an evidence folder
    source: str = "the live site"

    def site_versions(self) -> list[str]:
        """The front-end packages and versions the pages load, when their addresses show them."""
        found: dict[str, str] = {}
        for page in self.pages:
            for name, version in _ASSET_VERSION.findall(page.html):
                found.setdefault(name, version)
        return [f"{name} {version}" for name, version in found.items()]


def recorded_answer(captured: Captured) -> RecordedAnswer:
    record, text, _ = answer_record(captured)
    return RecordedAnswer(captured.api, record, captured.body, text if captured.body is None else "")


class Recorder:
    """The pass's observer: keeps each page as it was when the pass looked at it."""

    def __init__(self, progress: Callable[[str], None] | None = None) -> None:
        self.recording = Recording()
        self._progress = progress

    def visited(self, visit: Visit) -> None:
        try:
            html = visit.page.content()
        except Exception as error:  # noqa: BLE001 — a page that went away still has its answers
            html = f"<!-- the page's HTML could not be read: {str(error).splitlines()[0]} -->"
        self.recording.pages.append(RecordedPage(
            step=visit.step, url=visit.page.url, html=html, at=datetime.now(UTC), subject=visit.subject,
            answers=[recorded_answer(captured) for captured in visit.answers]))
        if self._progress is not None:
            self._progress(visit.step)

    def skipped(self, step: str, reason: str) -> None:
        self.recording.skipped.append((step, reason))

    def stopped(self, error: SiteError) -> None:
        self.recording.stopped = str(error)
