"""The pages that only look: what needs you, a dispute, orders, status, the log, screenshots.

Each reads the same view models as the command line (``agent.judge.agenda.build_agenda``,
``agent.usecases.view_models``, ``agent.usecases.ops``, ``agent.usecases.doctor``, the audit log) from a read-only
snapshot of the database, so a page never computes a deadline another way and never
writes. Handlers are plain functions: Starlette runs them in its thread pool, off
the event loop.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.core.ids import check_id


def _settings(request):
    return request.app.state.settings


@contextmanager
def snapshot(request):
    from agent.storage.store import Store

    store = Store(_settings(request).state.db_path, read_only=True)
    try:
        yield store
    finally:
        store.close()


def render(request, name: str, status_code: int = 200, **context: Any):
    return request.app.state.templates.TemplateResponse(request, name, context, status_code=status_code)


def not_found(request, what: str):
    return render(request, "message.html", status_code=404, title="Not found", line=what, ok=False)


def _now_of(store) -> datetime:
    from agent.usecases.sync import site_clock

    return site_clock(store)()


def home(request):
    from agent.judge.agenda import build_agenda, freshness
    from agent.usecases.poll import watch_state

    settings = _settings(request)
    with snapshot(request) as store:
        state, now = watch_state(store), _now_of(store)
        items = build_agenda(state, now, settings.policy)
        health = state.health
        login_needed = health.consecutive_failures > 0 and health.last_failure_kind == "login_needed"
        shots = {view.latest.reverse_line_id for view in state.disputes if view.screenshot is not None}
        return render(request, "home.html", items=items, now=now, shots=shots, login_needed=login_needed,
                      health_line=freshness(health, settings.zone, bool(state.orders)))


def dispute(request):
    from agent.judge.agenda import build_agenda, buyer_deadline
    from agent.judge.watch_state import escalation_possible, is_finished
    from agent.storage.dispute_records import DisputeRecords
    from agent.usecases.acting import pending_offer
    from agent.usecases.poll import watch_state

    dispute_id = request.path_params["dispute_id"]
    settings = _settings(request)
    with snapshot(request) as store:
        tracked = DisputeRecords(store).dispute(dispute_id)
        if tracked is None or tracked.detail is None:
            return not_found(request, f"no dispute {dispute_id} is stored; the daemon's next poll reads new ones")
        detail, now = tracked.detail, _now_of(store)
        state = watch_state(store)
        item = next((i for i in build_agenda(state, now, settings.policy) if i.dispute_id == dispute_id), None)
        entries = [e for e in DisputeRecords(store).audit_entries(tracked.order_id)
                   if e.dispute_id in (None, dispute_id)]
        offer = pending_offer(detail)
        return render(request, "dispute.html", tracked=tracked, detail=detail, item=item, now=now,
                      offer=offer, due=buyer_deadline(detail, now), finished=is_finished(detail),
                      can_escalate=escalation_possible(detail, detail.site_time),
                      entries=list(reversed(entries)), shot=_existing_shot(request, tracked.screenshot),
                      audit_shots={e.id for e in entries if _audit_shot(request, e.evidence)})


def accept_confirm(request):
    """The explicit step before accepting: the offer as stored, and what accepting means."""
    from agent.storage.dispute_records import DisputeRecords
    from agent.usecases.acting import pending_offer

    dispute_id = request.path_params["dispute_id"]
    with snapshot(request) as store:
        tracked = DisputeRecords(store).dispute(dispute_id)
        if tracked is None or tracked.detail is None:
            return not_found(request, f"no dispute {dispute_id} is stored")
        offer = pending_offer(tracked.detail)
        if offer is None or offer.refund is None:
            return render(request, "message.html", status_code=409, title="Nothing to accept", ok=False,
                          line=f"dispute {dispute_id} has no offer waiting for an answer whose amount could be read",
                          back=f"/disputes/{dispute_id}")
        return render(request, "accept.html", tracked=tracked, detail=tracked.detail, offer=offer,
                      zero=offer.refund.amount <= 0)


def orders(request):
    from agent.storage.dispute_records import DisputeRecords
    from agent.usecases.view_models import dispute_brief, left, visible

    show_all = request.query_params.get("all") == "1"
    with snapshot(request) as store:
        now, by_order = _now_of(store), DisputeRecords(store).by_order()
        stored = sorted((s.order for s in store.orders()),
                        key=lambda o: (o.timer is None, o.timer.ends_at.timestamp() if o.timer else 0, o.order_id))
        shown = [o for o in stored if visible(o, now, show_all, bool(by_order.get(o.order_id)))]
        rows = [{"order": o, "left": left(o, now), "disputes": [dispute_brief(d) for d in by_order.get(o.order_id, [])]}
                for o in shown]
        return render(request, "orders.html", rows=rows, total=len(stored), show_all=show_all, now=now)


def status(request):
    from agent.usecases.doctor import doctor
    from agent.usecases.ops import format_status, status_report

    settings = _settings(request)
    with snapshot(request) as store:
        report = status_report(settings, store)
    checks = doctor(settings, launch_browser=False)
    last = report.get("last_failure") or {}
    return render(request, "status.html", lines=format_status(report, settings.zone), checks=checks,
                  login_needed=last.get("kind") == "login_needed" and bool(report.get("consecutive_failures")),
                  channels=request.app.state.channel_names)


def log_page(request):
    from agent.storage.dispute_records import DisputeRecords

    with snapshot(request) as store:
        entries = list(reversed(DisputeRecords(store).audit_entries()))
    return render(request, "log.html", entries=entries,
                  audit_shots={e.id for e in entries if _audit_shot(request, e.evidence)})


def job(request):
    found = request.app.state.jobs.get(request.path_params["job_id"])
    if found is None:
        return not_found(request, "this piece of work is not known (the page was restarted?); look at the log")
    return render(request, "job.html", job=found)


# --- screenshots: named by a stored id, served only from under the evidence folder -------------


def _inside_evidence(request, path: Path | None) -> Path | None:
    if path is None:
        return None
    root = _settings(request).state.evidence_dir.resolve()
    try:
        resolved = path.resolve()
    except OSError:
        return None
    return resolved if resolved.is_relative_to(root) and resolved.is_file() else None


def _existing_shot(request, path: Path | None) -> bool:
    return _inside_evidence(request, path) is not None


def _audit_shot(request, evidence: str | None) -> Path | None:
    return _inside_evidence(request, Path(evidence) / "screenshot.png") if evidence else None


def dispute_screenshot(request):
    from starlette.responses import FileResponse

    from agent.storage.dispute_records import DisputeRecords

    dispute_id = request.path_params["dispute_id"]
    try:
        check_id(dispute_id, "dispute")
    except Exception:  # noqa: BLE001 — not an id: nothing to show
        return not_found(request, "no such screenshot")
    with snapshot(request) as store:
        tracked = DisputeRecords(store).dispute(dispute_id)
    path = _inside_evidence(request, tracked.screenshot if tracked else None)
    return FileResponse(path, media_type="image/png") if path else not_found(request, "no such screenshot")


def audit_screenshot(request):
    from starlette.responses import FileResponse

    from agent.storage.dispute_records import DisputeRecords

    number = request.path_params["entry"]
    with snapshot(request) as store:
        entry = next((e for e in DisputeRecords(store).audit_entries() if e.id == number), None)
    path = _audit_shot(request, entry.evidence if entry else None)
    return FileResponse(path, media_type="image/png") if path else not_found(request, "no such screenshot")
