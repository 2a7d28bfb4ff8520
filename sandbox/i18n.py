"""The languages the sandbox serves its texts in, and which one a request gets.

Why one module: on the live site the texts follow a language (the ``aep_usuc_f``
cookie's ``b_locale``, else the account's language), and an agent that reads texts
must either pin that language or notice another one. Every page and API builder asks
here for its words, so a new page (or a new language) is one table, and a test can
switch a whole world to Portuguese at once.

The rules (``locale_of``):

1. a world told to ignore the cookie (scenario ``[site] ignore_locale_cookie``, or the
   control API) serves the account's language, whatever the browser asks for;
2. otherwise the cookie's ``b_locale``, when it names a language served here;
3. otherwise the account's language (``[account] language``, default ``en_US``).

Sandbox assumption: the live site's exact Portuguese wording is not captured; these
translations are written for the sandbox (the statuses keep the trailing space the
reference notes on Portuguese labels).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:  # the request and the world only pass through
    from starlette.requests import Request

    from .world import World

__all__ = ["COOKIE", "DEFAULT", "LOCALES", "cookie_locale", "countdown", "day", "html_lang", "labels",
           "locale_of", "text"]

#: the cookie the live site keeps region, language and currency in:
#: ``region=US&site=glo&b_locale=en_US&c_tp=USD`` (sometimes URL-encoded as a whole)
COOKIE = "aep_usuc_f"
DEFAULT = "en_US"
LOCALES = ("en_US", "pt_BR")

_EN: dict[str, str] = {
    # order statuses (order.list statusText, order.detail title)
    "status.unpaid": "Awaiting payment",
    "status.awaiting_shipment": "Awaiting shipment",
    "status.awaiting_delivery": "Awaiting delivery",
    "status.completed": "Completed",
    "status.closed": "Closed",
    "status.cancelled": "Cancelled",
    # buttons of an order
    "button.PAY_NOW": "Pay now",
    "button.CANCEL_ORDER": "Cancel order",
    "button.CONFIRM_GOODS": "Confirm received",
    "button.TRACKING": "Track order",
    "button.REPURCHASE": "Add to cart",
    "button.DELETE": "Remove",
    # reminders (the list's countdown, the detail's status block)
    "reminder.countdown": "Your order will be closed in: {countdown}",
    "reminder.awaiting_delivery": "{countdown}. If you haven't received your order, you can open a dispute "
                                  "before then.",
    "reminder.completed": "Order complete.If there are any problems, you can apply for a return/refund within "
                          "{return_days} days of confirming receipt.If the item you received is defective or "
                          "not as described, you can open a dispute within {dispute_days} days after order "
                          "was placed.",
    "reminder.unpaid": "Please pay for your order.",
    "reminder.awaiting_shipment": "The seller is preparing your order.",
    "countdown.days": "{days} days {clock}",
    "countdown.day": "1 day {clock}",
    # services of the detail page
    "services.content": "Refund if no delivery before {date} · Refund if items damaged · Refund if package lost",
    "services.guarantee": "Delivery guarantee",
    "services.title": "Service Commitment",
    # order list page and answer labels
    "list.title": "Orders",
    "list.tab.all": "View all",
    "list.tab.unpaid": "To pay",
    "list.tab.processing": "Processing",
    "list.tab.to_ship": "To ship",
    "list.tab.shipped": "Processed",
    "list.tab.sent": "Shipped",
    "list.tab.completed": "Completed",
    "list.order_date": "Order date: ",
    "list.order_id": "Order ID: ",
    "list.date_title": "Date",
    "list.status_title": "Status",
    "list.total_title": "Total",
    "list.total": "Total:",
    "list.copy": "Copy",
    "list.ref_number": "Ref. Number",
    "list.details": "Details",
    "list.more": "View orders",
    "list.items": "items",
    "list.empty": "No orders yet.",
    "list.error": "Orders could not be loaded: ",
    "detail.title": "Order details",
}

_PT: dict[str, str] = {
    "status.unpaid": "Aguardando pagamento ",
    "status.awaiting_shipment": "Aguardando envio ",
    "status.awaiting_delivery": "Aguardando entrega ",
    "status.completed": "Concluído ",
    "status.closed": "Encerrado ",
    "status.cancelled": "Cancelado ",
    "button.PAY_NOW": "Pagar agora",
    "button.CANCEL_ORDER": "Cancelar pedido",
    "button.CONFIRM_GOODS": "Confirmar recebimento",
    "button.TRACKING": "Rastrear pedido",
    "button.REPURCHASE": "Adicionar ao carrinho",
    "button.DELETE": "Excluir",
    "reminder.countdown": "Seu pedido será encerrado em: {countdown}",
    "reminder.awaiting_delivery": "{countdown}. Se você não recebeu seu pedido, pode abrir uma disputa antes "
                                  "disso.",
    "reminder.completed": "Pedido concluído.Se houver algum problema, você pode solicitar devolução/reembolso em "
                          "até {return_days} dias após confirmar o recebimento.Se o item recebido estiver com "
                          "defeito ou não corresponder à descrição, você pode abrir uma disputa em até "
                          "{dispute_days} dias após a realização do pedido.",
    "reminder.unpaid": "Por favor, pague seu pedido.",
    "reminder.awaiting_shipment": "O vendedor está preparando seu pedido.",
    "countdown.days": "{days} dias {clock}",
    "countdown.day": "1 dia {clock}",
    "services.content": "Reembolso se não houver entrega até {date} · Reembolso se os itens estiverem danificados"
                        " · Reembolso se o pacote for perdido",
    "services.guarantee": "Garantia de entrega",
    "services.title": "Compromisso de serviço",
    "list.title": "Pedidos",
    "list.tab.all": "Ver todos",
    "list.tab.unpaid": "A pagar",
    "list.tab.processing": "Processando",
    "list.tab.to_ship": "A enviar",
    "list.tab.shipped": "Processado",
    "list.tab.sent": "Enviado",
    "list.tab.completed": "Concluído",
    "list.order_date": "Data do pedido: ",
    "list.order_id": "Nº do pedido: ",
    "list.date_title": "Data",
    "list.status_title": "Status",
    "list.total_title": "Total",
    "list.total": "Total:",
    "list.copy": "Copiar",
    "list.ref_number": "Nº de referência",
    "list.details": "Detalhes",
    "list.more": "Ver pedidos",
    "list.items": "itens",
    "list.empty": "Nenhum pedido ainda.",
    "list.error": "Não foi possível carregar os pedidos: ",
    "detail.title": "Detalhes do pedido",
}

_TABLES = {"en_US": _EN, "pt_BR": _PT}
_MONTHS_PT = ("jan.", "fev.", "mar.", "abr.", "mai.", "jun.", "jul.", "ago.", "set.", "out.", "nov.", "dez.")


def text(key: str, locale: str = DEFAULT, **values: Any) -> str:
    """The text ``key`` in ``locale`` (English where a language lacks it), filled with ``values``."""
    table = _TABLES.get(locale, _EN)
    template = table.get(key)
    if template is None:
        template = _EN[key]  # a missing key everywhere is a bug of the sandbox: KeyError
    return template.format(**values) if values else template


def labels(prefix: str, locale: str = DEFAULT) -> dict[str, str]:
    """Every text under ``prefix`` ("list."), keyed without it: what a page script needs."""
    return {key[len(prefix):]: text(key, locale) for key in _EN if key.startswith(prefix)}


def html_lang(locale: str) -> str:
    """``pt_BR`` → ``pt-BR``, the form ``<html lang>`` takes."""
    return locale.replace("_", "-")


def day(value: date | datetime, locale: str = DEFAULT) -> str:
    """"Jul 15, 2026", or "15 de jul. de 2026" in Portuguese (no leading zero on the day)."""
    if locale == "pt_BR":
        return f"{value.day} de {_MONTHS_PT[value.month - 1]} de {value.year}"
    return f"{value:%b} {value.day}, {value.year}"


def countdown(seconds: float, locale: str = DEFAULT) -> str:
    """"12 days 03:04:05" ("12 dias 03:04:05"); under a day only the clock."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    if days == 0:
        return clock
    if days == 1:
        return text("countdown.day", locale, clock=clock)
    return text("countdown.days", locale, days=days, clock=clock)


def cookie_locale(value: str | None) -> str | None:
    """The ``b_locale`` of an ``aep_usuc_f`` value (raw or URL-encoded), if it names one."""
    if not value:
        return None
    if "%3d" in value.lower() or "%26" in value.lower():
        value = unquote(value)
    for pair in value.split("&"):
        name, _, found = pair.partition("=")
        if name.strip() == "b_locale":
            return found.strip() or None
    return None


def locale_of(request: Request, world: World) -> str:
    """The language this request is served in (see the module docstring for the rules)."""
    account = world.account_language
    if world.ignore_locale_cookie:
        return account
    asked = cookie_locale(request.cookies.get(COOKIE))
    return asked if asked in LOCALES else account
