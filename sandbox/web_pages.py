"""The buyer's HTML pages.

Like the real site, most pages are shells: their script (``static/*.js``) loads the
data from the ``/h5/…`` API and builds the DOM, so an agent can read either the JSON
responses or the rendered page. The dispute form is the exception: its item, amount
paid, reasons and limits are rendered by the server (the real form's data source is
not known; see the README's "sandbox assumptions").

Every page needs a valid session; without one it answers 302 to
``/login?return_url=<path+query>``, as the real site sends logged-out visitors away.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from . import i18n
from .formats import format_money
from .lifecycle import REASONS, Received
from .web import render, world_of
from .web_auth import default_return_url, logged_in, login_redirect
from .world import World


def _masked_name(login: str) -> str:
    name = login.split("@", 1)[0]
    return name[:1].upper() + name[1:]


def _page(request: Request, template: str, page: str, title: str, **context: Any) -> Response:
    world = world_of(request)
    if not logged_in(request, world):
        return login_redirect(request)
    return render(request, template, {"page": page, "title": title,
                                      "buyer_name": _masked_name(world.scenario.account.login),
                                      **context})


async def home(request: Request) -> Response:
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
    return _page(request, "dispute_detail.html", "dispute-detail", "Return/refund details",
                 reverse_line_id=request.query_params.get("reverseOrderLineId", ""),
                 limits=limits_text(world_of(request)))


def limits_text(world: World) -> str:
    rules = world.rules
    image_mb = rules.image_max_bytes / (1024 * 1024)
    video_mb = rules.video_max_bytes / (1024 * 1024)
    return (f"Up to {rules.max_images} images ({', '.join(rules.image_types)}), {image_mb:g} MB each, "
            f"and {rules.max_videos} video ({', '.join(rules.video_types)}) up to {video_mb:g} MB.")


def dispute_form_context(world: World, line_id: str, received: str | None) -> dict[str, Any]:
    """What the form shows: the item, the amount paid, the branch's reasons, the limits."""
    context: dict[str, Any] = {"line_id": line_id, "received": received, "problem": "",
                               "limits": limits_text(world), "rules": world.rules}
    with world.lock:
        now = world.advance()
        order_id = world.line_owner.get(line_id)
        if order_id is None:
            context["problem"] = "This item was not found in your orders."
            return context
        order = world.orders[order_id]
        line = next(line for line in order.lines if line.id == line_id)
        paid = world.line_paid(order, line_id)
        allowed, why = world.can_open_dispute(order, line_id, now)
        existing = world.open_dispute_for_line(line_id)
    context.update(
        order=order, line=line, currency=order.currency,
        store_name=world.stores[order.store].name,
        paid_text=format_money(paid, order.currency), paid_value=f"{paid:.2f}",
        price_text=format_money(line.price, order.currency),
        sku_text=", ".join(f"{k}: {v}" for k, v in line.sku.items()),
        existing=existing,
    )
    if not allowed:
        context["problem"] = f"You can't open a dispute for this item: {why}."
        return context
    if received in ("yes", "no"):
        branch = Received.YES if received == "yes" else Received.NO
        context["reasons"] = list(REASONS[branch].items())
    return context


async def dispute_start(request: Request) -> Response:
    world = world_of(request)
    if not logged_in(request, world):
        return login_redirect(request)
    received = request.query_params.get("received")
    if received not in ("yes", "no"):
        received = None
    context = dispute_form_context(world, request.query_params.get("tradeOrderLineId", ""), received)
    return _page(request, "reverse_start.html", "reverse-start", "Return/refund", **context)


def routes() -> list[Route]:
    return [
        Route("/", home, methods=["GET"]),
        Route("/p/order/index.html", order_list, methods=["GET"]),
        Route("/p/order/detail.html", order_detail, methods=["GET"]),
        Route("/p/tracking/index.html", tracking, methods=["GET"]),
        Route("/p/reverse-pages/start.html", dispute_start, methods=["GET"]),
        Route("/p/refund-dispute/list.html", dispute_list, methods=["GET"]),
        Route("/p/refund-dispute/detail.html", dispute_detail, methods=["GET"]),
    ]
