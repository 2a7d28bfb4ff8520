"""The dispute form's own data call, and how the form files a case.

The live form (``/p/reverse-pages/start.html``) is a React page that draws itself from
data nobody has captured publicly. The sandbox invents one read call for it
(``API_DISPUTE_FORM``: the item, the amount paid, the branch's reasons, the solutions,
the upload limits, and whether a case can be opened at all) and one upload call
(``API_DISPUTE_UPLOAD``: one file per call, answered after
``rules.upload_thumbnail_ms`` real milliseconds, when the page shows the thumbnail).
The apply call names the uploaded files by id. All three are sandbox assumptions
(``sandbox/README.md``); the page's script is ``static/reverse-start.js``.
"""

from __future__ import annotations

from typing import Any

from .api import API_DISPUTE_FORM, envelope
from .formats import cent_money, format_money
from .lifecycle import REASONS, SOLUTION_TEXT, Received
from .world import World

#: the shortest description the site takes (sandbox assumption)
DESCRIPTION_MIN = 10
DESCRIPTION_MAX = 2000


def limits_text(world: World) -> str:
    rules = world.rules
    image_mb = rules.image_max_bytes / (1024 * 1024)
    video_mb = rules.video_max_bytes / (1024 * 1024)
    return (f"Up to {rules.max_images} images ({', '.join(rules.image_types)}), {image_mb:g} MB each, "
            f"and {rules.max_videos} video ({', '.join(rules.video_types)}) up to {video_mb:g} MB.")


def received_flag(text: Any) -> bool | None:
    """The form's ``received`` query value ("yes"/"no"); None when the page must ask."""
    value = str(text or "").strip().lower()
    return {"yes": True, "no": False}.get(value)


def form_answer(world: World, line_id: str, received: bool | None) -> dict[str, Any]:
    """What the form draws itself from; ``canApply`` false carries the reason and the case."""
    with world.lock:
        now = world.advance()
        order_id = world.line_owner.get(line_id)
        if order_id is None:
            raise KeyError(f"unknown order line id {line_id!r}")
        order = world.orders[order_id]
        line = next(line for line in order.lines if line.id == line_id)
        paid = world.line_paid(order, line_id)
        allowed, why = world.can_open_dispute(order, line_id, now)
        existing = world.open_dispute_for_line(line_id)
        store_name = world.stores[order.store].name
    module: dict[str, Any] = {
        "tradeOrderId": order.id,
        "tradeOrderLineId": line.id,
        "received": received,
        "canApply": allowed,
        "notApplicableReason": None if allowed else f"You can't open a dispute for this item: {why}.",
        "reverseOrder": None if existing is None else {
            "reverseOrderId": existing.reverse_order_id,
            "reverseOrderLineId": existing.reverse_line_id,
            "tradeOrderLineId": existing.line_id,
        },
        "item": {
            "itemTitle": line.title,
            "skuText": ", ".join(f"{name}: {value}" for name, value in line.sku.items()),
            "itemPicUrl": "/static/item.png",
            "itemPriceText": format_money(line.price, order.currency),
            "quantity": line.quantity,
            "storeName": store_name,
        },
        "paidAmount": {**cent_money(paid, order.currency), "amount": f"{paid:.2f}",
                       "text": format_money(paid, order.currency)},
        "reasons": [],
        "solutions": [],
        "refundAmountEditable": bool(received),
        "description": {"minLength": DESCRIPTION_MIN, "maxLength": DESCRIPTION_MAX},
        "upload": {
            "maxImages": world.rules.max_images, "imageMaxBytes": world.rules.image_max_bytes,
            "imageTypes": list(world.rules.image_types), "maxVideos": world.rules.max_videos,
            "videoMaxBytes": world.rules.video_max_bytes, "videoTypes": list(world.rules.video_types),
            "tips": limits_text(world),
        },
    }
    if allowed and received is not None:
        branch = Received.YES if received else Received.NO
        module["reasons"] = [{"reasonKey": key, "reasonName": name} for key, name in REASONS[branch].items()]
        module["solutions"] = [
            {"solutionType": key, "text": text, "enabled": received or key == "refund_only"}
            for key, text in SOLUTION_TEXT.items()
        ]
    return envelope(API_DISPUTE_FORM, {"module": module, "global": {"curTime": int(now.timestamp() * 1000)}})
