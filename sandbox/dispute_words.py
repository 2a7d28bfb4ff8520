"""The words of a dispute: its status codes and texts, the solutions and the reasons.

Kept apart from the rules (``lifecycle.py``) because they are the site's vocabulary,
each marked with where it comes from: what public tools quote of the live site, and
what the sandbox chose where nothing is public.
"""

from __future__ import annotations

from enum import Enum

#: ``reverseDetailStatus`` is a number on the real site: 100 with "Request complete" is
#: observed [EM]; the other numbers are the sandbox's own
STATUS_CODE = {
    "WAIT_SELLER_RESPONSE": 10,
    "WAIT_BUYER_RESPONSE": 20,
    "ESCALATED": 30,
    "WAIT_BUYER_INFO": 31,
    "WAIT_RETURN_SHIPMENT": 40,
    "FINISHED": 100,
}
#: ``reverseDetailStatusText`` in the API answer ("Request complete" is observed [EM])
STATUS_TEXT = {
    "WAIT_SELLER_RESPONSE": "Waiting for the seller's response",
    "WAIT_BUYER_RESPONSE": "Waiting for your response",
    "ESCALATED": "Waiting for AliExpress's feedback",
    "WAIT_BUYER_INFO": "AliExpress needs more information",
    "WAIT_RETURN_SHIPMENT": "Waiting for you to return the item",
    "FINISHED": "Request complete",
}
#: the status line the page shows (``reminder--statusStr--``): "Waiting for your
#: response", "Waiting for AliExpress's feedback" and "Refund complete" are the live
#: page's own words [ARC]; the others are the sandbox's
PAGE_STATUS_TEXT = {
    "WAIT_SELLER_RESPONSE": "Waiting for the seller's response",
    "WAIT_BUYER_RESPONSE": "Waiting for your response",
    "ESCALATED": "Waiting for AliExpress's feedback",
    "WAIT_BUYER_INFO": "AliExpress needs more information from you",
    "WAIT_RETURN_SHIPMENT": "Please return the item",
}
PAGE_STATUS_REFUNDED = "Refund complete"
PAGE_STATUS_CLOSED = "Request closed"
SOLUTION_TEXT = {"refund_only": "Refund only", "return_and_refund": "Return and refund"}
SOLUTION_CODE = {"refund_only": 1, "return_and_refund": 2}


class Received(Enum):
    NO = "not_received"
    YES = "received"


#: the form's reasons per branch, key -> the text the dropdown shows; only "Tracked as
#: returned/canceled/lost" is quoted by a public tool, the other texts are sandbox assumptions
REASONS: dict[Received, dict[str, str]] = {
    Received.NO: {
        "not_arrived": "Package did not arrive in time",
        "wrong_address": "Shipping address is wrong",
        "no_tracking": "No tracking information",
        "customs": "Package held by customs",
        "returned_to_sender": "Tracked as returned/canceled/lost",  # the one text a public tool quotes [ARC]
    },
    Received.YES: {
        "not_as_described": "Item not as described",
        "quality": "Quality problem",
        "damaged": "Item damaged or broken",
        "missing_parts": "Missing parts or accessories",
        "wrong_item": "Wrong item received",
        "counterfeit": "Counterfeit item",
        "empty_parcel": "Empty package",
        "short_quantity": "Quantity is less than ordered",
        "duplicate_charge": "Charged twice",
    },
}


def reason_names(branch: Received) -> dict[str, str]:
    return REASONS[branch]


def reason_name(key: str) -> str:
    for names in REASONS.values():
        if key in names:
            return names[key]
    return key
