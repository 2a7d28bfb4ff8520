"""The one place that starts a browser, and the evidence it leaves when a step fails.

A :class:`BrowserSession` owns Playwright, one browser (launched locally or reached
over CDP) and one context per account. The context starts from the account's saved
``storage_state`` (:mod:`flows.session_file`) so logins are rare, with the site's
locale cookie set to English before its first page (:mod:`flows.language`).

Evidence: ``with session.evidence(page, "open-dispute"):`` wraps a step; on failure
the screenshot, the page HTML and (with ``browser.trace_on_failure``) a Playwright
trace land in ``<state>/evidence/<UTC time>-<label>/``: the trace covers that step,
or the whole run of steps grouped by :meth:`BrowserSession.traced`. Each saved trace
is rewritten without the session's cookies and tokens (:mod:`flows.trace_privacy`), and
the HTML and error text lose them too. Once a step types a secret (the login), nothing
more is traced in that browser session. Playwright's
errors become the agent's own (:mod:`agent.core.errors`) so callers branch on meaning, not
on library types. Saving evidence never hides the original error.

Playwright's sync API is bound to the thread that started it: use a session from
that thread only.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from agent.config.settings import Settings
from agent.core.clock import system_now
from agent.core.errors import (
    BrowserUnavailable,
    PageChanged,
    SiteError,
    SiteUnavailable,
)
from flows.browser_path import QUIET_ARGS, is_headless_shell, resolve_chromium
from flows.capture import save_answers
from flows.language import pinned_cookies
from flows.redaction import (
    empty_fields_holding,
    empty_password_fields,
    redacted,
    scrub_typed_text,
)
from flows.session_file import (
    dump_json,
    make_private_dir,
    read_session_quietly,
    write_private,
)
from flows.trace_privacy import scrub_text, scrub_trace, secret_values

__all__ = ["BrowserSession", "collect_garbage"]

log = logging.getLogger("dispute_agent.flows.browser")

#: a screenshot of a broken page must not hang the report of the failure
EVIDENCE_TIMEOUT_MS = 10_000
#: Playwright calls whose timeout means "the site is slow", not "the page changed"
#: (compared without case and underscores: messages use the JavaScript names)
_NAVIGATION_CALLS = frozenset(
    f"{owner}.{call}"
    for owner in ("page", "frame")
    for call in ("goto", "reload", "goback", "goforward", "waitforloadstate", "waitforurl")
)
_NET_ERROR = re.compile(r"net::ERR_[A-Z0-9_]+")
_UNSAFE_LABEL_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
#: attribute set on an exception whose evidence was already saved by an inner block
_EVIDENCE_ATTR = "_dispute_agent_evidence"


class BrowserSession:
    """Playwright, a browser and the account's context, opened and closed together.

    ``clock`` returns the current time (aware); it names evidence folders and is
    injectable like every clock in the agent.
    """

    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] | None = None) -> None:
        self._settings = settings
        self._clock = clock or system_now
        self._thread: int | None = None
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._context: BrowserContext | None = None
        self._tracing = False
        self._chunk_open = False
        self._secrets: list[str] = []
        #: the cookie values the context started with (a rotated one stays a secret)
        self._cookie_secrets: set[str] = set()

    # --- lifecycle ----------------------------------------------------------------

    def __enter__(self) -> BrowserSession:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> BrowserSession:
        """Start Playwright and the browser; :class:`BrowserUnavailable` says how to fix it."""
        if self._playwright is not None:
            return self
        self._thread = threading.get_ident()
        frugal_driver()
        try:
            self._playwright = sync_playwright().start()
        except Exception as exc:
            raise BrowserUnavailable(
                f"Playwright could not start ({_first_line(exc)}); "
                "reinstall the playwright package"
            ) from exc
        try:
            self._browser = self._open_browser(self._playwright)
        except BaseException:
            self._stop_playwright()
            raise
        return self

    def close(self) -> None:
        """Close context, browser and Playwright; each step runs even if one before fails."""
        for closer in (self._close_context, self._close_browser, self._stop_playwright):
            try:
                closer()
            except Exception as exc:  # closing must not mask the error that ended the session
                log.warning("closing the browser session: %s", _first_line(exc))

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def browser(self) -> Browser:
        self._check_thread()
        if self._browser is None:
            raise RuntimeError("BrowserSession is not started; use it as a context manager")
        return self._browser

    def context(self) -> BrowserContext:
        """The account's one context, created on first use from its saved session."""
        self._check_thread()
        if self._context is None:
            self._context = self._new_context()
        return self._context

    def new_page(self) -> Page:
        return self.context().new_page()

    # --- saved session ------------------------------------------------------------

    def save_storage_state(self) -> Path:
        """Write the context's cookies and storage to the account's session file (0600)."""
        state = self.context().storage_state()
        path = self._settings.session_file
        write_private(path, dump_json(state), private_dir=True)
        log.info("browser session saved to %s", path)
        return path

    # --- evidence -----------------------------------------------------------------

    @contextmanager
    def evidence(self, page: Page, label: str, *, trace: bool = True) -> Iterator[None]:
        """Keep evidence of a failing step and re-raise it as the agent's own error.

        ``label`` names the step ("open-dispute"); it becomes part of a folder name,
        so it must never contain data such as a login or an order's contents.
        Pass ``trace=False`` around a step that types a secret: a trace records
        typed text verbatim, and the requests that carry it, also ones a page sends
        later (error messages are scrubbed, traces cannot be). Tracing then stops for
        the rest of this browser session, an enclosing block's recording included;
        the next session, which starts from the saved login, is traced again.
        """
        owns_chunk = self._begin_trace_chunk() if trace else False
        if not trace:
            self._stop_tracing(label)
        try:
            yield
        except Exception as exc:
            scrub_typed_text(exc)
            if not trace:
                empty_password_fields(page)  # before the screenshot and the HTML are taken
            folder = _saved_evidence(exc)
            fresh = folder is None
            if fresh:
                folder = self._save_failure(page, label, exc)
                _mark_saved(exc, folder)
            self._end_trace_chunk(owns_chunk, folder / "trace.zip" if folder else None)
            mapped = _map_error(exc, label, folder)
            if fresh and mapped is not None:
                _note_hint(mapped, label, folder)
            if mapped is exc:
                raise
            if mapped is None:
                if fresh:
                    log.error("%s failed (%s); evidence in %s", label, type(exc).__name__, folder)
                raise
            _mark_saved(mapped, folder)
            raise mapped from exc
        except BaseException:  # an interrupt: no evidence, but the chunk must not stay open
            self._end_trace_chunk(owns_chunk, None)
            raise
        else:
            self._end_trace_chunk(owns_chunk, None)
            if not trace:
                empty_password_fields(page)  # a later failure's HTML would show what was typed

    def redact(self, secret: str) -> None:
        """Keep ``secret`` out of every evidence file of this browser session.

        Password fields are emptied before evidence is taken, but a page's script may
        copy what was typed anywhere (a hidden field, an attribute, a message): fields
        holding it are emptied too, and the page's HTML and the error text are written
        with it replaced.
        """
        if secret and secret not in self._secrets:
            self._secrets.append(secret)

    @contextmanager
    def traced(self) -> Iterator[None]:
        """One trace chunk around many evidence blocks (a chunk per block can cost more
        than a quick step itself).

        The chunk is saved into the evidence folder of the block that failed inside it,
        so that failure's trace shows everything since this block began; an error no
        evidence block saved (a callback's, say) drops the chunk with nothing saved.
        """
        owns_chunk = self._begin_trace_chunk()
        try:
            yield
        except BaseException as exc:
            folder = _saved_evidence(exc)
            self._end_trace_chunk(owns_chunk, folder / "trace.zip" if folder else None)
            raise
        else:
            self._end_trace_chunk(owns_chunk, None)

    @contextmanager
    def without_dom_snapshots(self) -> Iterator[None]:
        """Trace the block's steps without copies of the page: a failure's trace still has
        every action, request and answer with its timing, and the evidence folder the page's
        HTML and screenshot, but no DOM snapshot per action.

        For a page that grows while it is read (the order list, every "View orders" adding
        rows): a snapshot walks the whole page at each action, and Chromium's tab kept about
        as much again as the page itself for them (a list of 1,200 orders: +215 MB, twice
        the time). Only switched outside any trace chunk; a secret typed inside still ends
        tracing for good.
        """
        switched = self._retrace(snapshots=False)
        try:
            yield
        finally:
            if switched:
                self._retrace(snapshots=True)

    def _retrace(self, *, snapshots: bool) -> bool:
        """Start tracing again with or without DOM snapshots; False when it could not be done."""
        if not self._tracing or self._chunk_open or self._context is None:
            return False
        try:
            self._context.tracing.stop()
            self._context.tracing.start(screenshots=False, snapshots=snapshots)
        except PlaywrightError as exc:
            self._tracing = False
            log.warning("no tracing, failures will have no trace: %s", _first_line(exc))
            return False
        return True

    def keep_trace(self, folder: Path | None) -> None:
        """Inside :meth:`traced`, for a failure the run goes on after (one case of many):
        what the chunk recorded so far into ``folder/trace.zip``, and a new chunk for the
        rest. Outside one, the failing block kept its own trace already: nothing to do."""
        if folder is None or not self._chunk_open:
            return
        self._end_trace_chunk(True, folder / "trace.zip")
        self._begin_trace_chunk()

    def save_evidence(self, page: Page, label: str, kind: str = "action") -> Path:
        """Screenshot and HTML of a step that worked, for the audit log; best effort.

        Returns the folder even when a part could not be saved (that is logged):
        a missing screenshot must not undo an action the site already accepted.
        """
        folder = self._new_evidence_folder(label, kind)
        self._capture_page(page, folder)
        return folder

    # --- internals ----------------------------------------------------------------

    def _open_browser(self, playwright: Playwright) -> Browser:
        config = self._settings.browser
        if config.cdp_url:
            where = _without_secrets(config.cdp_url)
            try:
                return playwright.chromium.connect_over_cdp(
                    config.cdp_url, timeout=config.navigation_timeout_ms
                )
            except PlaywrightError as exc:
                # not chained: Playwright's call log repeats the URL, token included
                raise BrowserUnavailable(
                    f"cannot reach the remote browser at {where} ({_first_line(exc)}); "
                    "start it or fix browser.cdp_url"
                ) from None
        executable = resolve_chromium(config.executable, headless=config.headless)
        try:
            return playwright.chromium.launch(
                executable_path=executable,
                headless=config.headless,
                args=list(QUIET_ARGS),
                timeout=config.navigation_timeout_ms,
            )
        except PlaywrightError as exc:
            what = executable or "Playwright's own Chromium"
            package = "chromium-headless-shell" if is_headless_shell(executable) else "chromium"
            raise BrowserUnavailable(
                f"Chromium failed to start ({what}: {_first_line(exc)}); "
                f"reinstall it (apt install {package}) or set browser.executable"
            ) from exc

    def _new_context(self) -> BrowserContext:
        config = self._settings.browser
        options: dict[str, Any] = {}
        state = read_session_quietly(self._settings.session_file)
        if state is not None:
            options["storage_state"] = state
            self._cookie_secrets |= secret_values(state.get("cookies") or [])
        if config.user_agent:
            options["user_agent"] = config.user_agent
        context = self.browser.new_context(**options)
        # the parsers read English: ask for it before the first page (the saved
        # cookie's region and currency are kept)
        context.add_cookies(pinned_cookies(self._settings.site.base_url, (state or {}).get("cookies") or []))
        context.set_default_timeout(config.timeout_ms)
        context.set_default_navigation_timeout(config.navigation_timeout_ms)
        if config.trace_on_failure:
            self._start_tracing(context)
        return context

    def _start_tracing(self, context: BrowserContext) -> None:
        # DOM snapshots, no screencast: the evidence has its own screenshot of the
        # failure, and a screencast costs CPU on every page the agent reads
        try:
            context.tracing.start(screenshots=False, snapshots=True)
            self._tracing = True
        except PlaywrightError as exc:
            log.warning("no tracing, failures will have no trace: %s", _first_line(exc))

    def _stop_tracing(self, label: str) -> None:
        """Stop recording for good, dropping what was recorded (an open chunk too)."""
        if not self._tracing or self._context is None:
            return
        self._chunk_open = self._tracing = False
        log.info("no traces for the rest of this browser session: %s types a secret", label)
        try:
            self._context.tracing.stop()
        except PlaywrightError as exc:
            log.warning("could not stop tracing: %s", _first_line(exc))

    def _begin_trace_chunk(self) -> bool:
        """Record a trace of just this block; an enclosing block's chunk is left alone."""
        if not self._tracing or self._chunk_open or self._context is None:
            return False
        try:
            self._context.tracing.start_chunk()
        except PlaywrightError as exc:
            log.warning("could not start a trace chunk: %s", _first_line(exc))
            return False
        self._chunk_open = True
        return True

    def _end_trace_chunk(self, owned: bool, path: Path | None) -> None:
        # a chunk dropped by a secret block inside is no longer there to save
        if not owned or not self._chunk_open or self._context is None:
            return
        self._chunk_open = False
        try:
            if path is None:
                self._context.tracing.stop_chunk()
            else:
                self._context.tracing.stop_chunk(path=str(path))
        except Exception as exc:
            log.warning("could not save the trace: %s", _first_line(exc))
            return
        if path is not None and path.exists():
            self._scrub_trace(path)

    def _scrub_trace(self, path: Path) -> None:
        """The saved trace without the session's cookies and tokens, or no trace at all."""
        try:
            scrub_trace(path, self._known_secrets())
        except Exception as exc:
            path.unlink(missing_ok=True)
            log.warning("the trace was deleted: its cookies could not be removed (%s)", _first_line(exc))

    def _known_secrets(self) -> set[str]:
        """The password and every cookie value of this session, now and at its start."""
        secrets = set(self._secrets) | self._cookie_secrets
        if self._context is not None:
            try:
                secrets |= secret_values(self._context.cookies())
            except PlaywrightError as exc:
                log.warning("could not read the cookies to remove from evidence: %s", _first_line(exc))
        return secrets

    def _save_failure(self, page: Page, label: str, exc: BaseException) -> Path | None:
        """Best effort: whatever fails here is logged, never raised over ``exc``."""
        try:
            folder = self._new_evidence_folder(label, None)
        except Exception as error:
            log.warning("no evidence folder for %s: %s", label, error)
            return None
        try:
            url = page.url
        except Exception:
            url = "(unknown)"
        try:
            (folder / "error.txt").write_text(
                scrub_text(redacted(f"step: {label}\nerror: {type(exc).__name__}: {exc}\nurl: {url}\n",
                                    self._secrets), self._known_secrets()),
                encoding="utf-8",
            )
        except Exception as error:
            log.warning("no error.txt in %s: %s", folder, error)
        self._capture_page(page, folder)
        try:
            secrets = self._known_secrets()
            save_answers(page, folder, lambda text: scrub_text(redacted(text, self._secrets), secrets))
        except Exception as error:
            log.warning("no API answers in %s: %s", folder, error)
        return folder

    def _capture_page(self, page: Page, folder: Path) -> None:
        if self._secrets and not self._tracing:  # (a traced call would record the secret)
            empty_fields_holding(page, self._secrets)
        try:
            page.screenshot(path=str(folder / "screenshot.png"), full_page=True,
                            timeout=EVIDENCE_TIMEOUT_MS)
        except Exception as exc:
            log.warning("no screenshot in %s: %s", folder, _first_line(exc))
        try:
            (folder / "page.html").write_text(scrub_text(redacted(page.content(), self._secrets),
                                                         self._known_secrets()), encoding="utf-8")
        except Exception as exc:
            log.warning("no page HTML in %s: %s", folder, _first_line(exc))

    def _new_evidence_folder(self, label: str, kind: str | None) -> Path:
        root = self._settings.state.evidence_dir
        make_private_dir(root)
        stamp = self._clock().astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        parts = (stamp, kind and _safe_label(kind), _safe_label(label))
        name = "-".join(part for part in parts if part)
        for attempt in range(1, 1000):
            folder = root / (name if attempt == 1 else f"{name}-{attempt}")
            try:
                folder.mkdir(mode=0o700)
            except FileExistsError:
                continue
            return folder
        raise FileExistsError(f"too many evidence folders named {name}")

    def _close_context(self) -> None:
        context, self._context, self._tracing, self._chunk_open = self._context, None, False, False
        if context is not None:
            context.close()

    def _close_browser(self) -> None:
        browser, self._browser = self._browser, None
        if browser is not None:
            browser.close()

    def _stop_playwright(self) -> None:
        playwright, self._playwright = self._playwright, None
        if playwright is not None:
            playwright.stop()

    def _check_thread(self) -> None:
        if self._thread is not None and self._thread != threading.get_ident():
            raise RuntimeError("a BrowserSession must be used from the thread that started it")


#: the V8 flag given to Playwright's driver (a Node.js process) unless NODE_OPTIONS sets it
DRIVER_NODE_FLAG = "--max-semi-space-size=2"


def frugal_driver() -> None:
    """Give Playwright's driver a small young generation, through NODE_OPTIONS (the only
    way into the process Playwright starts).

    Why: by default V8 lets the driver's young generation grow to tens of MB between
    collections, and a poll's stream of page events keeps it full: the driver was the
    largest process of a poll (190-210 MB of a 600 MB peak). With 2 MB semi-spaces it
    stayed at 115-145 MB, at no measurable cost in time (bench/bench_poll.py). The old
    generation is left unbounded: a capped heap could crash the driver mid-poll. A
    NODE_OPTIONS that already sizes the semi-space is left as it is.
    """
    current = os.environ.get("NODE_OPTIONS", "")
    if "semi-space" not in current:
        os.environ["NODE_OPTIONS"] = f"{current} {DRIVER_NODE_FLAG}".strip()


def collect_garbage(page: Page) -> None:
    """Have the tab's JavaScript engine collect its garbage now; best effort.

    A page that grows while it is read (the order list: every "View orders" adds rows)
    leaves garbage Chromium collects when it sees fit: a list of 1,200 orders held 90 MB
    of it in its tab, a third of the tab, at the poll's peak. Collecting it every few
    pages keeps the tab near what the page really holds. Chromium only (CDP), as the
    agent's browser is.
    """
    try:
        cdp = page.context.new_cdp_session(page)
        try:
            cdp.send("HeapProfiler.collectGarbage")
        finally:
            cdp.detach()
    except PlaywrightError as exc:
        log.debug("no garbage collection in the tab: %s", _first_line(exc))


# --- errors -----------------------------------------------------------------------------


def _map_error(exc: Exception, label: str, folder: Path | None) -> BaseException | None:
    """The agent's error for ``exc``: the same object, a new one, or ``None`` (keep as is)."""
    if isinstance(exc, SiteError):
        if exc.evidence is None:
            exc.evidence = folder
        return exc
    if isinstance(exc, PlaywrightTimeoutError):
        call = _first_line(exc).partition(":")[0].replace("_", "").lower()
        if call in _NAVIGATION_CALLS:
            return SiteUnavailable(
                f"{label}: the page did not load in time ({_first_line(exc)}); "
                "check the network and retry later",
                evidence=folder, trouble=f"no page within {_timeout_of(exc)}",
            )
        return PageChanged(
            f"{label}: what the agent waits for did not appear in time ({_first_line(exc)})",
            evidence=folder, hint="the page may have changed: compare the evidence with flows/site.py",
        )
    if isinstance(exc, PlaywrightError):
        match = _NET_ERROR.search(str(exc))
        if match:
            return SiteUnavailable(
                f"{label}: the site could not be reached ({match.group(0)}); "
                "check the network and site.base_url, then retry",
                evidence=folder, trouble=match.group(0),
            )
    return None


def _timeout_of(exc: BaseException) -> str:
    found = re.search(r"Timeout (\d+)ms", str(exc))
    return f"{int(found.group(1)) / 1000:g} s" if found else "the time allowed"


def _note_hint(error: BaseException, label: str, folder: Path | None) -> None:
    """The maintainer's part of a failure: into the log (INFO: a one-off command's
    terminal does not show it) and the evidence folder, never into the user's line."""
    hint = getattr(error, "hint", None)
    if not hint:
        return
    log.info("maintainer hint for %s: %s (evidence: %s)", label, hint, folder)
    from flows.retry import write_maintainer_note

    write_maintainer_note(folder, f"step: {label}\nerror: {type(error).__name__}: {error}\nhint: {hint}\n")


def _saved_evidence(exc: BaseException) -> Path | None:
    if isinstance(exc, SiteError) and exc.evidence is not None:
        return exc.evidence
    return getattr(exc, _EVIDENCE_ATTR, None)


def _mark_saved(exc: BaseException, folder: Path | None) -> None:
    try:
        setattr(exc, _EVIDENCE_ATTR, folder)
    except (AttributeError, TypeError):
        pass


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _safe_label(label: str) -> str:
    return _UNSAFE_LABEL_CHARS.sub("-", label).strip("-.")[:60] or "step"


def _without_secrets(url: str) -> str:
    """A URL fit for a message: no user info, no query (remote browsers put tokens there)."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"
