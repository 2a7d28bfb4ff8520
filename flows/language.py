"""The language of the pages: English is asked for, anything else is refused.

Why: every text parser reads English ("Jul 15, 2026", "Refund if no delivery before
…", "Your order will be closed in: …"); in another language dates and deadlines turn
unreadable or, worse, half-read. The live site picks the language of its texts from
the ``aep_usuc_f`` cookie's ``b_locale``, else from the account's language (reference
notes, "Locale"). So a session asks for English through that cookie before its first
page (``pinned_cookies``, used by ``flows.browser``), keeping the region and currency
the site chose; and a page that comes in another language anyway — the site ignored
the cookie, or the account's language won — is refused with ``WrongLanguage``
(``check_page``, ``check_orders``), with the page kept as evidence, never parsed on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from playwright.sync_api import Page

from agent.core.errors import WrongLanguage
from agent.core.models import Order
from flows import site
from flows.parsers.status import label_language

__all__ = ["check_orders", "check_page", "language_name", "pinned_cookies", "pinned_value"]


def pinned_value(existing: str | None) -> str:
    """``existing`` (a cookie value, raw or URL-encoded) with ``b_locale=en_US``; every
    other part (region, site, currency, …) is kept as the site wrote it."""
    if not existing:
        return f"{site.LOCALE_KEY}={site.READ_LOCALE}"
    encoded = "%3d" in existing.lower() or "%26" in existing.lower()
    text = unquote(existing) if encoded else existing
    parts, found = [], False
    for part in text.split("&"):
        name, eq, _ = part.partition("=")
        if name.strip() == site.LOCALE_KEY:
            parts.append(f"{site.LOCALE_KEY}={site.READ_LOCALE}")
            found = True
        elif part:
            parts.append(part if eq else name)
    if not found:
        parts.append(f"{site.LOCALE_KEY}={site.READ_LOCALE}")
    value = "&".join(parts)
    return quote(value, safe="") if encoded else value


def _sent_to(host: str, domain: str) -> bool:
    bare = domain.lstrip(".").lower()
    return host == bare or host.endswith("." + bare)


def pinned_cookies(base_url: str, saved: Iterable[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """The locale cookies a new browser context gets before its first page.

    Each saved ``aep_usuc_f`` the site's host would receive is rewritten in place (its
    domain, path and expiry kept); without one, a new cookie goes on the site's parent
    domain (``.aliexpress.com``, so every host of the site gets it) or, for an address
    without one (an IP), on the address itself.
    """
    host = (urlsplit(base_url).hostname or "").lower()
    rewritten = [
        {**cookie, "value": pinned_value(str(cookie.get("value") or ""))}
        for cookie in saved
        if cookie.get("name") == site.LOCALE_COOKIE and _sent_to(host, str(cookie.get("domain") or ""))
    ]
    if rewritten:
        return rewritten
    cookie: dict[str, Any] = {"name": site.LOCALE_COOKIE, "value": pinned_value(None), "sameSite": "Lax"}
    domain = site.cookie_domain(base_url)
    if domain is None:
        parts = urlsplit(base_url)
        cookie["url"] = f"{parts.scheme}://{parts.netloc}/"
    else:
        cookie.update(domain=domain, path="/", secure=urlsplit(base_url).scheme == "https")
    return [cookie]


def language_name(tag: str) -> str:
    """"pt-BR" → "Português (pt-BR)"; an unknown language keeps its tag."""
    primary = tag.replace("_", "-").split("-", 1)[0].lower()
    name = site.LANGUAGE_NAMES.get(primary)
    return f"{name} ({tag})" if name else tag


def _refuse(where: str, tag: str, seen: str) -> WrongLanguage:
    return WrongLanguage(
        f"{where}: the site shows pages in {language_name(tag)} although English was asked for "
        f"(seen: {seen}; the {site.LOCALE_COOKIE} cookie asks for {site.READ_LOCALE}); {site.LANGUAGE_REMEDY}",
        language=tag,
    )


def check_page(page: Page, where: str) -> None:
    """Refuse a page whose ``<html lang>`` names another language than English.

    An absent attribute says nothing (the texts are then checked one by one); that the
    live pages carry it is a guess (flows/assumptions.py, ``html-lang``).
    """
    tag = (page.evaluate("() => document.documentElement.getAttribute('lang') || ''") or "").strip()
    if tag and tag.replace("_", "-").split("-", 1)[0].lower() != "en":
        raise _refuse(where, tag, f'<html lang="{tag}"> [html-lang]')


def check_orders(orders: Iterable[Order], where: str) -> None:
    """Refuse orders whose status label is a known label of another language."""
    for order in orders:
        found = label_language(order.status_text)
        if found is not None and found != "en":
            raise _refuse(where, found, f"order {order.order_id} status {order.status_text.strip()!r}")
