"""The buyer's HTML pages.

Like the real site, most pages are shells: their script (``static/*.js``) loads the
data from the ``/h5/…`` API and builds the DOM, so an agent can read either the JSON
responses or the rendered page. The dispute form too: its script draws it from a data
call of its own (``reverse_form.py``; the real form's data call is not captured).

Every page needs a valid session; without one it answers 302 to the login host's
``/?return_url=<address>``, as the real site sends logged-out visitors away.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from . import i18n
from .reverse_form import limits_text, received_flag
from .web import render, world_of
from .web_auth import (
    default_return_url,
    is_login_host,
    logged_in,
    login_page,
    login_redirect,
)


def _greeted_name(account) -> str:
    if account.name:
        return account.name.split()[0]
    name = account.login.split("@", 1)[0]
    return name[:1].upper() + name[1:]


def _page(request: Request, template: str, page: str, title: str, **context: Any) -> Response:
    world = world_of(request)
    if not logged_in(request, world):
        return login_redirect(request)
    return render(request, template, {"page": page, "title": title,
                                      "buyer_name": _greeted_name(world.scenario.account),
                                      **context})


async def home(request: Request) -> Response:
    """The login host's root is the sign-in page; elsewhere the orders page."""
    if is_login_host(request):
        return await login_page(request)
    return RedirectResponse(default_return_url(request), status_code=302)


async def order_list(request: Request) -> Response:
    locale = i18n.locale_of(request, world_of(request))
    return _page(request, "order_list.html", "order-list", i18n.text("list.title", locale),
                 labels=i18n.labels("list.", locale))


async def order_detail(request: Request) -> Response:
    return _page(request, "order_detail.html", "order-detail", "Order details",
                 order_id=request.query_params.get("orderId", ""))


async def tracking(request: Request) -> Response:
    return _page(request, "tracking.html", "tracking", "Track your order",
                 order_id=request.query_params.get("tradeOrderId", ""))


async def dispute_list(request: Request) -> Response:
    return _page(request, "dispute_list.html", "dispute-list", "Returns/refunds")


async def dispute_detail(request: Request) -> Response:
    """The dispute page, where the refund list's ``refund_details`` link points [MM]:
    ``/p/refund-amount/detail.html?pha_manifest=refund-amount&tradeOrderLineId=…``."""
    return _page(request, "dispute_detail.html", "dispute-detail", "Return/refund details",
                 trade_line_id=request.query_params.get("tradeOrderLineId", ""),
                 limits=limits_text(world_of(request)))


async def dispute_start(request: Request) -> Response:
    """A shell: ``static/reverse-start.js`` draws the form from its data call."""
    received = received_flag(request.query_params.get("received"))
    return _page(request, "reverse_start.html", "reverse-start", "Return/refund",
                 line_id=request.query_params.get("tradeOrderLineId", ""),
                 received="" if received is None else ("yes" if received else "no"))


def routes() -> list[Route]:
    return [
        Route("/", home, methods=["GET"]),
        Route("/p/order/index.html", order_list, methods=["GET"]),
        Route("/p/order/detail.html", order_detail, methods=["GET"]),
        Route("/p/tracking/index.html", tracking, methods=["GET"]),
        Route("/p/reverse-pages/start.html", dispute_start, methods=["GET"]),
        Route("/p/refund-dispute/list.html", dispute_list, methods=["GET"]),
        Route("/p/refund-amount/detail.html", dispute_detail, methods=["GET"]),
    ]
