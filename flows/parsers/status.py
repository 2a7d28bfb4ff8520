"""Which state an order is in, from what the site shows.

Why buttons and labels before the status code: the code table is not public, and the
sources disagree on it — one live capture pairs ``orderStatus`` 8 with "Awaiting
delivery" and a "Confirm received" button [EM], another tool calls 8 completed [MM].
Reading 8 as completed would stop the protection watch of an order still on its way.
So a button only available in one state decides first, then the label, then the
code (only what is certain: 9 = completed), and last a weaker button hint. A label
and a code we do not know give UNKNOWN — which the rules treat as "still open", the
safe side for a deadline watcher.

The labels of other languages are kept as a safety net (a saved answer in Portuguese
still parses with ``dispute-agent parse``); ``label_language`` names the language of
a label, so the flows can refuse a page that is not in English (flows/language.py).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from agent.core.models import OrderStatus
from flows.parsers.fields import as_int

__all__ = ["label_language", "resolve_order_status", "status_from_text"]

#: ``global.orderStatus`` (detail) / ``utParams.args.orderStatus`` (list) values whose
#: meaning is certain. 8 is deliberately absent: "Awaiting delivery" in [EM]'s live
#: capture, "completed" in [MM]'s reading — the buttons and the label decide it.
_CODES = {9: OrderStatus.COMPLETED}

#: "Confirm received" exists only while the parcel is on its way
_DECISIVE_BUTTONS = {"CONFIRM_GOODS": OrderStatus.AWAITING_DELIVERY}
#: tracking also stays on completed orders (see order-detail.json), so it only breaks a tie
_HINT_BUTTONS = {"TRACKING": OrderStatus.AWAITING_DELIVERY}

_S = OrderStatus
_ENGLISH = {
    # the reference captures
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
}
_PORTUGUESE = {  # Brazil
    "concluido": _S.COMPLETED, "finalizado": _S.COMPLETED,
    "aguardando entrega": _S.AWAITING_DELIVERY, "enviado": _S.AWAITING_DELIVERY,
    "aguardando pagamento": _S.AWAITING_PAYMENT,
    "aguardando envio": _S.AWAITING_SHIPMENT,
    "processando": _S.PROCESSING, "em processamento": _S.PROCESSING,
    "cancelado": _S.CANCELLED, "fechado": _S.CLOSED, "encerrado": _S.CLOSED,
    "pagamento expirado": _S.PAYMENT_EXPIRED,
    "disputa em andamento": _S.DISPUTE_IN_PROGRESS,
}
_SPANISH = {
    "completado": _S.COMPLETED, "completada": _S.COMPLETED,
    "esperando la entrega": _S.AWAITING_DELIVERY, "pendiente de entrega": _S.AWAITING_DELIVERY,
    "esperando el pago": _S.AWAITING_PAYMENT, "pendiente de pago": _S.AWAITING_PAYMENT,
    "esperando el envio": _S.AWAITING_SHIPMENT, "pendiente de envio": _S.AWAITING_SHIPMENT,
    "procesando": _S.PROCESSING, "en proceso": _S.PROCESSING,
    "cerrado": _S.CLOSED, "pago caducado": _S.PAYMENT_EXPIRED, "pago vencido": _S.PAYMENT_EXPIRED,
    "disputa en curso": _S.DISPUTE_IN_PROGRESS, "disputa en proceso": _S.DISPUTE_IN_PROGRESS,
}
_FRENCH = {
    "terminee": _S.COMPLETED, "termine": _S.COMPLETED,
    "en attente de livraison": _S.AWAITING_DELIVERY, "expediee": _S.AWAITING_DELIVERY,
    "en attente de paiement": _S.AWAITING_PAYMENT,
    "en attente d'expedition": _S.AWAITING_SHIPMENT,
    "en cours de traitement": _S.PROCESSING,
    "annulee": _S.CANCELLED, "annule": _S.CANCELLED, "fermee": _S.CLOSED,
    "paiement expire": _S.PAYMENT_EXPIRED, "litige en cours": _S.DISPUTE_IN_PROGRESS,
}
#: language (ISO 639-1) -> its labels; a label shared by two languages is read as the first
_BY_LANGUAGE = {"en": _ENGLISH, "pt": _PORTUGUESE, "es": _SPANISH, "fr": _FRENCH}
_LABELS = {label: status for table in reversed(_BY_LANGUAGE.values()) for label, status in table.items()}
_LANGUAGE_OF = {label: lang for lang, table in reversed(_BY_LANGUAGE.items()) for label in table}


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


def label_language(text: str | None) -> str | None:
    """The language of a known status label ("en", "pt", "es", "fr"), else None."""
    if not isinstance(text, str):
        return None
    return _LANGUAGE_OF.get(_key(text))


def resolve_order_status(
    *,
    order_status_code: Any = None,
    button_types: Iterable[str] = (),
    text: str | None = None,
) -> OrderStatus:
    """A decisive button first, then the label, then a certain code, then button hints."""
    types = [t for t in button_types if isinstance(t, str)]
    for button in types:
        if button in _DECISIVE_BUTTONS:
            return _DECISIVE_BUTTONS[button]
    from_text = status_from_text(text)
    if from_text is not OrderStatus.UNKNOWN:
        return from_text
    code = as_int(order_status_code)
    if code in _CODES:
        return _CODES[code]
    for button in types:
        if button in _HINT_BUTTONS:
            return _HINT_BUTTONS[button]
    return OrderStatus.UNKNOWN
