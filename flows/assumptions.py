"""Every guess the agent still makes about the live site, in one place.

Most of what the agent reads is known from public captures and public tools (see
the reference notes and ``sandbox/README.md``). What is not — a field nobody has
published, a button whose text nobody has quoted — is listed here once, with where
the guess comes from, and every piece of code that depends on it names it when it
fails: a changed page then says *which* guess broke, instead of a vague "not found".

``guess(key)`` gives the entry; ``unconfirmed(key, where, problem)`` builds the
``PageChanged`` a flow or parser raises when the live site does not match the guess.
A test holds that every key used in ``flows/`` is listed here and in
``sandbox/README.md``'s table of assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.errors import PageChanged

__all__ = ["ASSUMPTIONS", "Assumption", "guess", "unconfirmed"]


@dataclass(frozen=True)
class Assumption:
    key: str
    #: what is assumed, in a sentence
    what: str
    #: where it comes from: "invented", or the inference and its source
    basis: str


_ENTRIES = (
    Assumption("dispute-detail-shape",
               "the dispute page's answer carries the buyer's request, the proposal history, deadlines, "
               "the mediator's request, evidence and messages under the field names the sandbox serves",
               "invented: no public capture of reverseOrderLineRenderForBuyer exists; only reverseDetailStatusText, "
               "reachSolution.solutionTypeText/refundMoney, applyReason.reasonName and "
               "reverseFinishInfo.refundInfo are read by a public tool [EM]"),
    Assumption("offer-is-reach-solution",
               "reachSolution is the latest proposal the buyer must answer (its refundMoney the offered amount)",
               "inferred from the field's name and [EM]'s reading of it"),
    Assumption("write-calls",
               "the dispute form and the dispute page send their changes through calls whose answer carries "
               "the case's ids",
               "invented: no public capture of the write calls exists; the case id is not in the URL [ARC]"),
    Assumption("order-list-later-pages",
               "a later order-list page (POSTed with pageIndex) answers only what changed: the "
               "pc_om_list_body component with its new pageIndex/hasMore and the new pc_om_list_order "
               "components, listed as the body's children in hierarchy.structure",
               "inferred: the reference notes say later pages 'only carry changed components' (a receipts "
               "tool, 2026-10) and [EM]'s test body has pc_om_list_body_1{hasMore, pageIndex}; no public "
               "capture of a later page's answer exists"),
    Assumption("html-lang",
               "the pages' <html lang> names the language their texts are in",
               "invented: no public source shows the attribute on today's pages; an absent attribute is "
               "not taken as a verdict, and the status labels are checked besides"),
    Assumption("locale-cookie",
               "an aep_usuc_f cookie with b_locale=en_US, set before the first page, makes the site serve "
               "English texts (region, site and currency left as the site set them)",
               "inferred from the reference notes ('the aep_usuc_f cookie carries b_locale, region and "
               "currency') and [MM] mapping b_locale to the API's _lang; whether the account's own language "
               "wins over it is not known, so a page in another language is still refused"),
    Assumption("order-countdown-text",
               "the orders page's countdown reads 'Your order will be closed in: N days HH:MM:SS'",
               "invented format around the text buyers report ('Your order will be closed in: …')"),
)

ASSUMPTIONS: dict[str, Assumption] = {entry.key: entry for entry in _ENTRIES}


def guess(key: str) -> Assumption:
    return ASSUMPTIONS[key]


def unconfirmed(key: str, where: str, problem: str) -> PageChanged:
    """The error for a page that does not match an unconfirmed guess, naming the guess."""
    entry = ASSUMPTIONS[key]
    return PageChanged(
        f"{where}: {problem} — this part of the site was never captured publicly and rests on a guess "
        f"[{entry.key}: {entry.what}]; keep the evidence folder and follow docs/RUNBOOK.md ('The site changed')"
    )
