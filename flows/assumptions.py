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

from agent.core.errors import PageChanged

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
               "the dispute page's answer carries, besides the observed fields, the buyer's request "
               "(buyerSolution), the proposal history with proposer and status, the deadlines with their kinds, "
               "the mediator's request, evidence, messages, the actions offered (buttons), reverseStatus and "
               "paidAmount under the field names the sandbox serves",
               "invented: no public capture of a whole reverseOrderLineRenderForBuyer answer exists; [EM] reads "
               "reverseDetailStatus (100), reverseDetailStatusText, applyReason{reasonId, reasonName}, "
               "reachSolution{solutionType, solutionTypeText, refundMoney} and reverseFinishInfo.refundInfo"),
    Assumption("offer-is-reach-solution",
               "reachSolution is the proposal the buyer must answer (its refundMoney the offered amount), and "
               "once the case is closed the solution it closed with",
               "inferred from the field's name and [EM]'s reading of it on a finished case"),
    Assumption("dispute-stage-texts",
               "the status texts other than 'Waiting for your response', 'Waiting for AliExpress's feedback', "
               "'Refund complete' (page) and 'Request complete' (answer) name the stages listed in "
               "flows/site.py DISPUTE_STAGE_BY_TEXT",
               "invented: [ARC] quotes the three page texts, [EM] the answer's 100 / 'Request complete'; "
               "an unlisted text is read as an unknown stage, never guessed"),
    Assumption("dispute-page-amount",
               "the page's amount ([class*=newReverseRefundInfo--amount--]) is the amount on the table: "
               "the final refund of a closed case, else the proposal waiting for the buyer, else the buyer's "
               "own request, written with its currency",
               "[AR] reads that element as the case page's amount; what it holds at each stage is inferred"),
    Assumption("dispute-page-deadline",
               "the page writes the deadline of the stage ([class*=deadline--text--], e.g. 'Respond before "
               "2026-11-21 09:00:00') in the site's time zone",
               "invented: no public source shows the dispute page's deadline"),
    Assumption("dispute-solutions",
               "'View possible solutions' lists the solutions on the table ([class*=solution--card--] with "
               "[class*=solution--amount--]); a counter-proposal has an 'Accept' button that asks to 'Confirm' "
               "in a dialog showing the amount",
               "the button text and the disagree path after it are [ARC]'s; the cards, 'Accept' and 'Confirm' "
               "are invented"),
    Assumption("disagree-dialog-amount",
               "the dialog opened by 'Upload more photos/videos' takes a new proposal in input[name=refundAmount]",
               "invented: [ARC] fills only the evidence textarea and a photo; the help texts say a counter-"
               "proposal can be made"),
    Assumption("dispute-other-actions",
               "the page offers 'Escalate dispute' (only where buyers may escalate), 'Provide information' "
               "(the mediator's request), 'Add photos/videos' (evidence) and 'Enter tracking number' "
               "(input[name=trackingNumber]) as buttons that open the same kind of dialog",
               "invented: no public source shows these controls of today's page"),
    Assumption("dispute-action-outcome",
               "after an action the page says so in an element of role status, and a refusal in one of role "
               "alert, then loads the case's data again",
               "invented: [ARC] only waits a few seconds after submitting"),
    Assumption("platform-escalation-date",
               "the answer says when AliExpress steps in by itself (a deadline of kind PLATFORM_ESCALATION)",
               "invented field; the rule behind it (a dispute officer steps in within 7 days) is a seller's "
               "guide's, and help texts tell buyers to wait for AliExpress to escalate"),
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
        f"{where}: {problem} (a guess of the agent about this part of the site does not hold [{entry.key}])",
        hint=f"this part of the site was never captured publicly and rests on a guess [{entry.key}: {entry.what}]; "
             "follow docs/RUNBOOK.md ('The site changed')",
    )
