"""What the page does: reject, accept, escalate, add evidence, send a test notification.

Every action goes through the command line's use case (``agent.usecases.acting.act``,
``Notifier.send_test``) under the same browser lock (``agent.storage.lock.browser_held``), in a
worker thread (``agent.web.jobs``). The person confirms on the page what the page
showed; ``act`` reads the case fresh from the site and goes on only if the offer is
still the one confirmed — a changed offer is refused and shown, never acted on.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

from starlette.responses import RedirectResponse

from agent.core.errors import NotEligible, UserInputError
from agent.core.ids import check_id
from agent.web.pages import render

#: how an offer is named in a form: "12.50 USD", or "none" when no offer was shown
NO_OFFER = "none"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def offer_key(offer) -> str:
    """What the page sends back of the offer it showed; compared with the one read fresh."""
    return str(offer.refund) if offer is not None and offer.refund is not None else NO_OFFER


def _refused(request, line: str, dispute_id: str | None = None, status_code: int = 400):
    return render(request, "message.html", status_code=status_code, title="Not done", line=line, ok=False,
                  back=f"/disputes/{dispute_id}" if dispute_id else "/")


def _started(job) -> RedirectResponse:
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def _same_offer(seen: str):
    """``confirm`` for ``act``: yes only when the fresh offer is the one the person confirmed."""
    def confirm(detail, offer) -> bool:
        now = offer_key(offer)
        if now != seen:
            shown = "no offer waiting for an answer" if now == NO_OFFER else f"an offer of {now}"
            raise NotEligible(f"the offer changed since you looked: dispute {detail.reverse_line_id} now has {shown}; "
                              "nothing was done — look at it again")
        return True

    return confirm


def _act_job(request, dispute_id: str, action: str, what: str, cleanup: Path | None = None, **kwargs):
    from agent.core.site_text import plain
    from agent.storage.lock import browser_held
    from agent.storage.store import Store
    from agent.usecases.acting import act

    settings = request.app.state.settings

    def work(job) -> str:
        try:
            store = Store(settings.state.db_path)
            try:
                store.check_writable()
                job.say("waiting for the agent's browser (a poll may be using it)…")
                with browser_held(settings):
                    job.say("reading the dispute again on the site, then acting…")
                    detail = act(settings, store, dispute_id, action, say=job.say, **kwargs)
            finally:
                store.close()
        finally:
            if cleanup is not None:
                shutil.rmtree(cleanup, ignore_errors=True)
        if detail is None:
            return "nothing was done"
        return f"done: dispute {detail.reverse_line_id} is now '{plain(detail.stage_text or detail.stage.value)}'"

    return _started(request.app.state.jobs.start(what, f"/disputes/{dispute_id}", work))


def _dispute_id(request) -> str:
    return check_id(request.path_params["dispute_id"], "dispute")


async def reject(request):
    from agent.usecases.amounts import parse_amount

    dispute_id = _dispute_id(request)
    form = await request.form()
    counter = str(form.get("counter") or "").strip()
    amount: Decimal | None = None
    currency = None
    try:
        if counter:
            amount, currency = parse_amount(counter, "the counter-offer")
    except UserInputError as error:
        return _refused(request, str(error), dispute_id)
    return _act_job(request, dispute_id, "reject", f"reject on dispute {dispute_id}", amount=amount,
                    currency=currency, message=str(form.get("message") or "").strip(),
                    confirm=_same_offer(str(form.get("offer_seen") or NO_OFFER)))


async def accept(request):
    dispute_id = _dispute_id(request)
    form = await request.form()
    seen = str(form.get("offer_seen") or NO_OFFER)
    if form.get("confirm") != "yes":
        return _refused(request, "accepting needs the confirmation box ticked; nothing was done", dispute_id)
    zero = form.get("zero_seen") == "yes"
    accept_zero = form.get("accept_zero") == "yes"
    if zero and not accept_zero:
        return _refused(request, f"the offer is {seen}: accepting it closes the dispute and you get nothing; tick "
                                 "'accept a zero offer' only if you really mean it — nothing was done", dispute_id)
    return _act_job(request, dispute_id, "accept", f"accept on dispute {dispute_id}", accept_zero=accept_zero,
                    confirm=_same_offer(seen))


async def escalate(request):
    dispute_id = _dispute_id(request)
    return _act_job(request, dispute_id, "escalate", f"escalate dispute {dispute_id}")


async def evidence(request):
    """Photos (or a video) from the phone, kept in a private folder until the use case has sent them."""
    from agent.storage.private_files import private_dir

    dispute_id = _dispute_id(request)
    settings = request.app.state.settings
    form = await request.form()
    uploads = [f for f in form.getlist("files") if hasattr(f, "filename") and f.filename]
    message = str(form.get("message") or "").strip()
    if not uploads and not message:
        return _refused(request, "add at least one photo or a message; nothing was done", dispute_id)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=private_dir(settings.state.dir / "uploads")))
    files = []
    for index, upload in enumerate(uploads):
        name = _SAFE_NAME.sub("-", Path(upload.filename).name).strip(".-") or f"file-{index}"
        target = folder / f"{index:02d}-{name}"
        with target.open("wb") as out:
            shutil.copyfileobj(upload.file, out)
        files.append(target)
    await form.close()
    return _act_job(request, dispute_id, "evidence", f"evidence for dispute {dispute_id}", cleanup=folder,
                    files=tuple(files), message=message)


async def ship_return(request):
    dispute_id = _dispute_id(request)
    form = await request.form()
    tracking = str(form.get("tracking") or "").strip()
    if not tracking:
        return _refused(request, "give the return parcel's tracking number; nothing was done", dispute_id)
    return _act_job(request, dispute_id, "ship_return", f"return of dispute {dispute_id}", tracking_number=tracking)


async def notify_test(request):
    from agent.core.clock import system_now
    from agent.notifications.notify import Notifier

    settings = request.app.state.settings

    def work(job) -> str:
        notifier = Notifier(settings.notifications)
        if not notifier.channel_names:
            raise UserInputError("no notification channels configured; add a [[notifications.channels]] table "
                                 "(every key is described in config/agent.example.toml)")
        results = notifier.send_test(None, system_now())
        for result in results:
            job.say(result.line())
        failed = [r.channel for r in results if not r.ok]
        if failed:
            raise UserInputError(f"{len(failed)} of {len(results)} channel(s) failed: {', '.join(failed)}; "
                                 "fix each as its line says, then send again")
        return f"test message sent to {len(results)} channel(s)"

    return _started(request.app.state.jobs.start("notification test", "/status", work))
