"""Which state an order is in, from what the site shows.

Why codes before labels: labels are translated (and arrive with stray spaces in
Portuguese), codes are not. ``global.orderStatus`` (detail page only) decides first;
then a button only available in one state; then the label; and last a weaker button
hint. A label we do not know gives UNKNOWN — which the rules treat as "still open",
the safe side for a deadline watcher.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from agent.models import OrderStatus
from flows.parsers.fields import as_int

__all__ = ["resolve_order_status", "status_from_text"]

#: ``data.global.orderStatus`` values seen on real pages (8 and 9: completed)
_CODES = {8: OrderStatus.COMPLETED, 9: OrderStatus.COMPLETED}

#: "Confirm received" exists only while the parcel is on its way
_DECISIVE_BUTTONS = {"CONFIRM_GOODS": OrderStatus.AWAITING_DELIVERY}
#: tracking also stays on completed orders (see order-detail.json), so it only breaks a tie
_HINT_BUTTONS = {"TRACKING": OrderStatus.AWAITING_DELIVERY}

_S = OrderStatus
_LABELS = {
    # English (the reference captures)
    "completed": _S.COMPLETED, "finished": _S.COMPLETED,
    "awaiting delivery": _S.AWAITING_DELIVERY, "shipped": _S.AWAITING_DELIVERY,
    "awaiting payment": _S.AWAITING_PAYMENT, "to pay": _S.AWAITING_PAYMENT,
    "awaiting shipment": _S.AWAITING_SHIPMENT, "to ship": _S.AWAITING_SHIPMENT,
    "processing": _S.PROCESSING,
    # older label for money being settled after the order; kept open to stay watched
    "fund processing": _S.PROCESSING,
    "cancelled": _S.CANCELLED, "canceled": _S.CANCELLED,
    "closed": _S.CLOSED, "order closed": _S.CLOSED,
    "payment expired": _S.PAYMENT_EXPIRED,
    "dispute in progress": _S.DISPUTE_IN_PROGRESS, "in dispute": _S.DISPUTE_IN_PROGRESS,
    # Portuguese (Brazil)
    "concluido": _S.COMPLETED, "finalizado": _S.COMPLETED,
    "aguardando entrega": _S.AWAITING_DELIVERY, "enviado": _S.AWAITING_DELIVERY,
    "aguardando pagamento": _S.AWAITING_PAYMENT,
    "aguardando envio": _S.AWAITING_SHIPMENT,
    "processando": _S.PROCESSING, "em processamento": _S.PROCESSING,
    "cancelado": _S.CANCELLED, "fechado": _S.CLOSED, "encerrado": _S.CLOSED,
    "pagamento expirado": _S.PAYMENT_EXPIRED,
    "disputa em andamento": _S.DISPUTE_IN_PROGRESS,
    # Spanish
    "completado": _S.COMPLETED, "completada": _S.COMPLETED,
    "esperando la entrega": _S.AWAITING_DELIVERY, "pendiente de entrega": _S.AWAITING_DELIVERY,
    "esperando el pago": _S.AWAITING_PAYMENT, "pendiente de pago": _S.AWAITING_PAYMENT,
    "esperando el envio": _S.AWAITING_SHIPMENT, "pendiente de envio": _S.AWAITING_SHIPMENT,
    "procesando": _S.PROCESSING, "en proceso": _S.PROCESSING,
    "cerrado": _S.CLOSED, "pago caducado": _S.PAYMENT_EXPIRED, "pago vencido": _S.PAYMENT_EXPIRED,
    "disputa en curso": _S.DISPUTE_IN_PROGRESS, "disputa en proceso": _S.DISPUTE_IN_PROGRESS,
    # French
    "terminee": _S.COMPLETED, "termine": _S.COMPLETED,
    "en attente de livraison": _S.AWAITING_DELIVERY, "expediee": _S.AWAITING_DELIVERY,
    "en attente de paiement": _S.AWAITING_PAYMENT,
    "en attente d'expedition": _S.AWAITING_SHIPMENT,
    "en cours de traitement": _S.PROCESSING,
    "annulee": _S.CANCELLED, "annule": _S.CANCELLED, "fermee": _S.CLOSED,
    "paiement expire": _S.PAYMENT_EXPIRED, "litige en cours": _S.DISPUTE_IN_PROGRESS,
}


def _key(text: str) -> str:
    """Case, accents, apostrophe style and spacing do not change a label's meaning."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def status_from_text(text: str | None) -> OrderStatus:
    """The status a label names ("Completed", "Aguardando entrega "), or UNKNOWN."""
    if not isinstance(text, str):
        return OrderStatus.UNKNOWN
    return _LABELS.get(_key(text), OrderStatus.UNKNOWN)


def resolve_order_status(
    *,
    order_status_code: Any = None,
    button_types: Iterable[str] = (),
    text: str | None = None,
) -> OrderStatus:
    """Codes first (``global.orderStatus``, a decisive button), then the label, then hints."""
    code = as_int(order_status_code)
    if code in _CODES:
        return _CODES[code]
    types = [t for t in button_types if isinstance(t, str)]
    for button in types:
        if button in _DECISIVE_BUTTONS:
            return _DECISIVE_BUTTONS[button]
    from_text = status_from_text(text)
    if from_text is not OrderStatus.UNKNOWN:
        return from_text
    for button in types:
        if button in _HINT_BUTTONS:
            return _HINT_BUTTONS[button]
    return OrderStatus.UNKNOWN
