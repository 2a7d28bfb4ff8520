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
    Assumption("login-unknown-account",
               "after 'Continue' an address the site does not know is refused on the same page, with its "
               "message in .nfm-login-input-error-text (as a wrong password is)",
               "invented: the message element is the wrong password's [FGC]; a public tool shows a separate "
               "'email not found' step with 'Register' and 'Back' buttons and no quoted text [GG]"),
    Assumption("login-chooser",
               "the account chooser shows the remembered address in full in div.nfm-multiple-email-prompt; its "
               "'Continue' leads to that account's password and 'Switch account' to the e-mail field",
               "the prompt box and its 'Continue' [GG] and the 'Switch account' span [FGC] are public; that the "
               "address is shown in full is invented (shown masked, the agent takes 'Switch account')"),
    Assumption("form-calls",
               "the dispute form loads its data through mtop.aliexpress.reverse.buyer.render (data.module.canApply, "
               "notApplicableReason, reverseOrder), uploads each file through mtop.aliexpress.reverse.buyer.upload and "
               "files the case through mtop.aliexpress.reverse.buyer.apply, whose answer carries "
               "data.module.reverseOrderId/reverseOrderLineId/tradeOrderLineId; a refusal is "
               "FAIL_BIZ_PARAM::<the site's words>",
               "invented: no public capture of the form's calls exists; a public tool shows the new case's id is "
               "not in the URL after submitting [ARC], so it is read from the answer"),
    Assumption("form-reason-texts",
               "the reason dropdown lists the texts of flows/site.py FORM_REASON_TEXTS",
               "one text is quoted by a public tool ('Tracked as returned/canceled/lost' [ARC]); the others are "
               "invented from the reasons the help pages name"),
    Assumption("form-solution-amount",
               "the form offers the solution as radio buttons labelled 'Refund only' / 'Return and refund' and the "
               "amount as a box named 'Refund amount' holding the amount paid (read-only when the package did "
               "not arrive)",
               "invented: where the solution and the amount sit on today's form is not public; the help pages "
               "only say both are chosen (full refund by default when nothing arrived)"),
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
