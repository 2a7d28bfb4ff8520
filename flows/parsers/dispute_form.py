"""What the agent reads to open a dispute: the order's answer, the form's, the filing's.

Why the order page's answer first: the ``OPEN_DISPUTE`` button of an item in
``order.detail`` (``productVOList[].buttonVOS[]``) is the site's own word that the item
can be disputed now, and it carries what the page will show: the button's text, the
question's title and its two answers (``extMap``). A button missing on the page while
the answer offers it is then a changed page, not an ineligible item.

The form's own calls (its data, the filing) are guesses (``form-calls`` in
``flows/assumptions.py``): a shape that differs names that guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent.core.errors import NotEligible
from flows import site
from flows.assumptions import unconfirmed
from flows.parsers.envelope import check_envelope, ret_code
from flows.parsers.fields import as_id, as_text, missing, site_id
from flows.parsers.ultron import components_by_tag, ordered_components

__all__ = ["DisputeButton", "FiledCase", "FormState", "Product", "order_products", "parse_filed_case",
           "parse_form_state"]

WHERE_DETAIL = "order.detail"
WHERE_FORM = "the dispute form's data"
WHERE_APPLY = "the dispute form's filing"
OPEN_DISPUTE = "OPEN_DISPUTE"


@dataclass(frozen=True)
class DisputeButton:
    """An item's OPEN_DISPUTE button as the answer describes it."""

    text: str
    question: str
    yes: str
    no: str


@dataclass(frozen=True)
class Product:
    """One item line of the order page, in page order."""

    line_id: str
    title: str
    dispute: DisputeButton | None


@dataclass(frozen=True)
class FormState:
    can_apply: bool
    #: the site's words when a case cannot be opened
    refusal: str | None
    #: the case that already exists for the line: (reverseOrderLineId, tradeOrderLineId)
    existing: tuple[str, str | None] | None


@dataclass(frozen=True)
class FiledCase:
    reverse_order_id: str | None
    reverse_line_id: str
    trade_line_id: str


def _dispute_button(buttons: Any) -> DisputeButton | None:
    if not isinstance(buttons, list):
        return None
    for button in buttons:
        if isinstance(button, dict) and button.get("type") == OPEN_DISPUTE:
            ext = button.get("extMap") if isinstance(button.get("extMap"), dict) else {}
            ok = ext.get("okButton") if isinstance(ext.get("okButton"), dict) else {}
            cancel = ext.get("cancelButton") if isinstance(ext.get("cancelButton"), dict) else {}
            return DisputeButton(
                text=as_text(button.get("text")) or site.TEXT_DISPUTE_BUTTON,
                question=as_text(ext.get("title")) or site.TEXT_RECEIVED_QUESTION,
                yes=as_text(ok.get("text")) or site.TEXT_RECEIVED_YES,
                no=as_text(cancel.get("text")) or site.TEXT_RECEIVED_NO,
            )
    return None


def order_products(envelope: Any) -> list[Product]:
    """Every item line of an ``order.detail`` answer, in page order, with its dispute button."""
    data = check_envelope(envelope, WHERE_DETAIL)
    blocks = components_by_tag(ordered_components(data, WHERE_DETAIL), site.TAG_DETAIL_PRODUCT)
    if not blocks:
        raise missing(WHERE_DETAIL, f"component with tag {site.TAG_DETAIL_PRODUCT!r}")
    products = []
    for key, block in blocks:
        fields = block.get("fields")
        items = fields.get("productVOList") if isinstance(fields, dict) else None
        if not isinstance(items, list):
            raise missing(WHERE_DETAIL, f"data.data.{key}.fields.productVOList")
        for index, item in enumerate(items):
            path = f"data.data.{key}.fields.productVOList.{index}"
            if not isinstance(item, dict):
                raise missing(WHERE_DETAIL, path, "is not an object")
            line_id = site_id(item.get("orderLineId"), WHERE_DETAIL, f"{path}.orderLineId")
            title = as_text(item.get("itemTitle"))
            if line_id is None:
                raise missing(WHERE_DETAIL, f"{path}.orderLineId")
            if title is None:
                raise missing(WHERE_DETAIL, f"{path}.itemTitle")
            products.append(Product(line_id=line_id, title=title, dispute=_dispute_button(item.get("buttonVOS"))))
    return products


def _module(envelope: Any, where: str) -> dict[str, Any]:
    data = check_envelope(envelope, where)
    module = data.get("module")
    if not isinstance(module, dict):
        raise unconfirmed("form-calls", where, "its answer has no data.module")
    return module


def parse_form_state(envelope: Any) -> FormState:
    """Whether the form lets a case be opened, and the site's words when it does not."""
    module = _module(envelope, WHERE_FORM)
    can_apply = module.get("canApply")
    if not isinstance(can_apply, bool):
        raise unconfirmed("form-calls", WHERE_FORM, "data.module.canApply is missing or not true/false")
    existing = None
    case = module.get("reverseOrder")
    if isinstance(case, dict) and as_id(case.get("reverseOrderLineId")):
        existing = (site_id(case.get("reverseOrderLineId"), WHERE_FORM, "data.module.reverseOrder.reverseOrderLineId"),
                    site_id(case.get("tradeOrderLineId"), WHERE_FORM, "data.module.reverseOrder.tradeOrderLineId"))
    return FormState(can_apply=can_apply, refusal=as_text(module.get("notApplicableReason")), existing=existing)


def refusal_words(envelope: Any) -> str | None:
    """The site's words when a form call refused the input (``FAIL_BIZ_PARAM::…``), else None."""
    if ret_code(envelope) != site.RET_FORM_REFUSED:
        return None
    said = envelope["ret"][0].split("::", 1)
    return (said[1] if len(said) > 1 else "").strip() or "no reason given"


def parse_filed_case(envelope: Any, line_id: str) -> FiledCase:
    """The new case's ids from the filing's answer; NotEligible with the site's words on a refusal."""
    words = refusal_words(envelope)
    if words is not None:
        raise NotEligible(f"the site refused the dispute: {words}; nothing was filed — correct it and retry")
    module = _module(envelope, WHERE_APPLY)
    reverse_line_id = site_id(module.get("reverseOrderLineId"), WHERE_APPLY, "data.module.reverseOrderLineId")
    if reverse_line_id is None:
        raise unconfirmed("form-calls", WHERE_APPLY, "data.module.reverseOrderLineId is missing")
    trade_line_id = site_id(module.get("tradeOrderLineId"), WHERE_APPLY, "data.module.tradeOrderLineId") or line_id
    if trade_line_id != line_id:
        raise unconfirmed("form-calls", WHERE_APPLY,
                          f"the answer names item {trade_line_id}, but item {line_id} was filed")
    return FiledCase(reverse_order_id=site_id(module.get("reverseOrderId"), WHERE_APPLY, "data.module.reverseOrderId"),
                     reverse_line_id=reverse_line_id,
                     trade_line_id=trade_line_id)
