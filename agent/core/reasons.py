"""The dispute reasons a buyer can give, per branch ("received the package or not").

Why a catalogue of our own: the reason cannot be changed once a dispute is submitted,
and a reason from the wrong branch is refused by the site after the browser has
already done half the work. Checking the key here, before anything opens, turns a
typo into one clear line with the right choices. The keys are the project's names
(the sandbox uses the same ones); how a key is picked on the real form is site
knowledge and lives in ``flows``.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from agent.core.errors import UserInputError

__all__ = ["REASONS", "Branch", "Reason", "get_reason", "reasons_for"]


class Branch(StrEnum):
    """The form's first question: "Have you received your package?"."""

    NOT_RECEIVED = "not_received"
    RECEIVED = "received"

    @property
    def flag(self) -> str:
        """The ``open`` command's flag that selects this branch."""
        return "--received" if self is Branch.RECEIVED else "--not-received"

    @property
    def label(self) -> str:
        return "package received" if self is Branch.RECEIVED else "package not received"


class Reason(BaseModel):
    """One reason of the form; ``label`` is what a buyer reads, ``key`` what they type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    branch: Branch
    label: str
    summary: str


def _r(key: str, branch: Branch, label: str, summary: str) -> Reason:
    return Reason(key=key, branch=branch, label=label, summary=summary)


_NO, _YES = Branch.NOT_RECEIVED, Branch.RECEIVED

#: every reason, in the order the form lists them (not received first)
REASONS: tuple[Reason, ...] = (
    _r("not_arrived", _NO, "Package did not arrive in time",
       "the delivery time or the promised date has passed and nothing arrived"),
    _r("wrong_address", _NO, "Shipping address is wrong",
       "the package went to an address that is not yours and never reached you"),
    _r("no_tracking", _NO, "No tracking information",
       "the tracking number shows nothing, so the package cannot be followed"),
    _r("customs", _NO, "Package held by customs",
       "the package is stuck at customs and has not been delivered"),
    _r("returned_to_sender", _NO, "Package was returned to sender",
       "the tracking shows the package going back to the seller"),
    _r("not_as_described", _YES, "Item not as described",
       "what arrived differs from the product page (size, colour, material, function)"),
    _r("quality", _YES, "Quality problem",
       "the item is defective, stops working or is of unusable quality"),
    _r("damaged", _YES, "Item damaged or broken",
       "the item arrived broken, cracked, crushed or otherwise damaged"),
    _r("missing_parts", _YES, "Missing parts or accessories",
       "parts or accessories the listing includes are not in the package"),
    _r("wrong_item", _YES, "Wrong item received",
       "a different product, model, size or colour than the one ordered"),
    _r("counterfeit", _YES, "Counterfeit item",
       "the item is a fake of the branded product that was advertised"),
    _r("empty_parcel", _YES, "Empty package",
       "the parcel arrived with nothing inside"),
    _r("short_quantity", _YES, "Quantity is less than ordered",
       "fewer pieces arrived than were ordered and paid for"),
    _r("duplicate_charge", _YES, "Charged twice",
       "the order was paid more than once"),
)

_BY_KEY = {reason.key: reason for reason in REASONS}


def reasons_for(branch: Branch) -> list[Reason]:
    """The reasons of one branch, in the form's order."""
    return [reason for reason in REASONS if reason.branch is branch]


def get_reason(key: str, branch: Branch | None = None) -> Reason:
    """The reason named ``key``; with ``branch``, it must belong to that branch.

    Raises :class:`UserInputError` for an unknown key (listing the valid ones) and for
    a key of the other branch (naming the flag that selects its branch).
    """
    normalised = key.strip().lower().replace("-", "_")
    reason = _BY_KEY.get(normalised)
    if reason is None:
        choices = reasons_for(branch) if branch is not None else list(REASONS)
        raise UserInputError(
            f"unknown reason {key!r}; choose one of: {', '.join(r.key for r in choices)} "
            "(see 'dispute-agent reasons')"
        )
    if branch is not None and reason.branch is not branch:
        raise UserInputError(
            f"reason {reason.key!r} belongs to the {reason.branch.label} branch: use "
            f"{reason.branch.flag} with it, or with {branch.flag} choose one of: "
            f"{', '.join(r.key for r in reasons_for(branch))}"
        )
    return reason
