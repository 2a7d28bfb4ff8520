"""``dispute-agent run``: the scheduled daemon.

Deadlines live in the database, not as one job each: a few fixed jobs do the work —
the daily poll (local time, with jitter), a frequent poll while a dispute is in
negotiation or a deadline is near, a sweep that turns stored deadlines into alerts
without opening the browser, outbox delivery, and a heartbeat for ``status`` and
``healthcheck``. Each job is one call into a use case.

A server that slept or was off catches up at start (a poll if the last good one is
old, and a sweep); ``coalesce`` and a long ``misfire_grace_time`` make a missed daily
run happen once, not never and not five times. One worker thread runs every job, so
Playwright is only ever used from one thread at a time, and the browser lock keeps CLI
commands from fighting the daemon over the session. SIGTERM/Ctrl-C stop it: the
running step is given a few seconds, then abandoned (every write is a transaction).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agent.config.settings import Settings
from agent.core.clock import machine_clock, system_now
from agent.core.errors import DisputeAgentError
from agent.judge.alerts import AlertKind
from agent.storage import health as health_store
from agent.storage.lock import Locked, browser_lock, daemon_lock
from agent.storage.store import Store
from agent.usecases.health_ping import ping_after_poll
from agent.usecases.systemd_notify import SystemdNotifier, watchdog_interval

log = logging.getLogger("dispute_agent.daemon")

HEARTBEAT = "heartbeat.json"


def setup_logging(level: str, log_format: str | None = None) -> None:
    """One line per event, text or JSON (``agent.usecases.logs``)."""
    from agent.usecases.logs import setup_logging as setup

    setup(level, log_format, stream=sys.stdout)


def needs_frequent_poll(store: Store, now: datetime, soon: timedelta) -> bool:
    """A dispute still in negotiation, or any deadline within ``soon``."""
    from agent.storage.dispute_records import DisputeRecords

    for case in DisputeRecords(store).disputes():
        if not case.finished:
            return True
    for stored in store.orders():
        timer = stored.order.timer
        if timer is not None and now <= timer.ends_at <= now + soon:
            return True
    return False


#: a scheduled poll this soon after a good one is skipped (``Daemon._just_polled``)
FRESH_POLL = timedelta(minutes=30)


class Daemon:
    def __init__(self, settings: Settings, store: Store, now: Callable[[], datetime] | None = None,
                 page: Callable[[Settings], Any] | None = None) -> None:
        self.settings = settings
        self._page = page
        self.store = store
        self.schedule = settings.schedule
        #: a clock of its own (the simulation's virtual time) is the machine's for every job
        self._injected = now
        self._now = now or system_now
        self.started_at = self._now()
        self._busy = threading.Event()
        self._stopping = threading.Event()
        self.scheduler = None
        #: when the retry of the running poll would be, once a busy site's line named it
        self._retry_at: datetime | None = None
        self.notifier = SystemdNotifier()
        self._ready_sent = False

    # --- jobs: one call each into a use case ----------------------------------------------

    def poll_job(self, reason: str = "scheduled") -> None:
        from agent.usecases.poll import poll

        if self._stopping.is_set():
            return
        if reason == "daily" and self._just_polled():
            log.info("poll skipped reason=daily: the last good poll ended minutes ago")
            return
        with self._step(f"poll ({reason})"):
            try:  # the lock is let go before the poll delivers: a slow channel never holds the browser
                self._retry_at = None
                report = poll(self.settings, self.store, self.settings.policy, say=log.info,
                              browser_lock=lambda: browser_lock(self.settings.state.dir,
                                                                timeout=self.schedule.browser_lock_seconds),
                              next_try=self._next_try)
            except Exception as error:
                if isinstance(error, Locked):  # no poll ran: a browser held for long is a failure too
                    health_store.record_failure(self.store, self._site_now(), error)
                self._schedule_retry()  # a poll counted its own failure; the step logs it
                ping_after_poll(self.settings.health, succeeded=False)
                raise
            log.info("poll finished reason=%s ok=%s orders=%s disputes=%s new_alerts=%s delivered=%s messages=%s "
                     "pending=%s", reason, report.read_ok, report.orders, report.disputes, len(report.new_alerts),
                     report.delivered, report.messages, report.pending)
            if not report.read_ok:
                self._schedule_retry()
            ping_after_poll(self.settings.health, succeeded=report.read_ok)
        self.prune_job()

    def prune_job(self) -> None:
        from agent.storage.retention import prune_evidence

        with self._step("prune evidence"):
            prune_evidence(self.settings.state, self.store, self._now())

    def frequent_poll_job(self) -> None:
        soon = timedelta(hours=self.settings.policy.deadline_soon_hours)
        if self._just_polled():
            log.info("poll skipped reason=frequent: the last good poll ended minutes ago")
            return
        if needs_frequent_poll(self.store, self._site_now(), soon):
            self.poll_job("negotiation or deadline near")

    def sweep_job(self) -> None:
        from agent.judge.rules import judge
        from agent.usecases.auto_actions import zero_offer_actions
        from agent.usecases.poll import deliver_due, digest, record, watch_state

        with self._step("sweep"):
            now = self._site_now()
            alerts = judge(watch_state(self.store), now, self.settings.policy, login_page=self.settings.web.login_page)
            # an offer the policy answers (read by a 'sync' since the last poll) is the next
            # poll's: it tells the offer and what was done in one message, never twice
            acting = {a.dispute_id for a in zero_offer_actions(alerts, self.settings.policy, now)}
            alerts = [a for a in alerts if a.dispute_id not in acting] + digest(self.settings, self.store, now)
            new = record(self.settings, self.store, alerts)
            if any(alert.kind is AlertKind.ALL_CLEAR for alert in new):  # after a new login: said once
                health_store.mark_cleared(self.store)
            delivered, pending, _ = deliver_due(self.settings, self.store, now)
            if new or delivered:
                log.info("sweep new_alerts=%s delivered=%s pending=%s", len(new), delivered, pending)

    def outbox_job(self) -> None:
        from agent.usecases.poll import deliver_due

        self.poll_if_asked()
        with self._step("outbox"):
            delivered, pending, _ = deliver_due(self.settings, self.store, self._site_now())
            if delivered:
                log.info("outbox delivered=%s pending=%s", delivered, pending)

    def poll_if_asked(self) -> None:
        """A poll asked for since the last look (a new login, from the page) runs now, in place of
        a retry that may be hours away; the outbox's minute is the longest it waits."""
        reason = health_store.take_poll_request(self.store)
        if reason and self.scheduler is not None:
            log.info("poll asked for: %s", reason)
            self.scheduler.add_job(self.poll_job, "date", run_date=self._now(), args=[reason],
                                   id="retry_poll", replace_existing=True)

    def heartbeat_job(self) -> None:
        """The heartbeat file, and systemd's watchdog fed while the scheduler runs: the
        job runs in an executor of its own, so a long poll does not starve it, and it
        runs at all only while the scheduler's loop dispatches jobs."""
        write_heartbeat(self.settings.state.dir, self._next_runs(), self.started_at, self._now())
        if self._stopping.is_set() or self.scheduler is None or not self.scheduler.running:
            return
        if not self._ready_sent:
            self._ready_sent = self.notifier.ready("scheduler running")
        self.notifier.watchdog()

    # --- plumbing ------------------------------------------------------------------------

    def _site_now(self) -> datetime:
        from agent.usecases.sync import site_clock

        return site_clock(self.store, self._now)()

    def _step(self, name: str):
        daemon = self

        class Step:
            def __enter__(self):
                self.clock = machine_clock(daemon._injected) if daemon._injected is not None else nullcontext()
                self.clock.__enter__()
                daemon._busy.set()
                log.debug("step start name=%s", name)

            def __exit__(self, exc_type, exc, tb):
                daemon._busy.clear()
                self.clock.__exit__(None, None, None)
                if exc is not None:
                    # one line for the log, the traceback for whoever debugs it; a failed
                    # step never kills the daemon (a poll counted its failure and set a retry)
                    log.error("step failed name=%s error=%s", name, health_store.failure_message(exc))
                    log.debug("step failed name=%s", name, exc_info=(exc_type, exc, tb))
                    return True
                return False

        return Step()

    def _retry_delay(self, failures: int | None = None) -> timedelta:
        failures = max(1, failures if failures is not None else health_store.load(self.store).consecutive_failures)
        minutes = min(self.schedule.retry_base_minutes * 2 ** (failures - 1), self.schedule.retry_max_minutes)
        return timedelta(minutes=minutes)

    def _next_try(self) -> datetime:
        """When the retry of a poll failing now will run (asked before the failure is
        counted: it counts as one more); the retry is then scheduled at that time."""
        if self._retry_at is None:
            failures = health_store.load(self.store).consecutive_failures + 1
            self._retry_at = self._now() + self._retry_delay(failures)
        return self._retry_at

    def _schedule_retry(self) -> None:
        run_date, self._retry_at = self._retry_at or self._now() + self._retry_delay(), None
        delay = max(timedelta(0), run_date - self._now())
        log.warning("poll failed: retrying in %s (at %s)", str(delay).split(".")[0], run_date.isoformat(timespec="seconds"))
        self.scheduler.add_job(self.poll_job, "date", run_date=run_date, args=["retry"],
                               id="retry_poll", replace_existing=True)

    def _next_runs(self) -> dict[str, str | None]:
        runs: dict[str, str | None] = {}
        for job_id in ("daily_poll", "frequent_poll", "sweep", "outbox", "retry_poll"):
            job = self.scheduler.get_job(job_id) if self.scheduler else None
            when = getattr(job, "next_run_time", None)  # a job not yet started has none
            runs[job_id] = when.astimezone(UTC).isoformat() if when else None
        return runs

    def _just_polled(self) -> bool:
        """A scheduled poll right after a good one reads the same pages again: a start's
        catch-up followed by the daily poll minutes later, a frequent poll that falls just
        after the daily one. Either is skipped while the last good poll is younger than
        :data:`FRESH_POLL` (or half the frequent interval, if shorter). A retry, a catch-up
        and a poll asked for are never skipped."""
        last = health_store.load(self.store).last_success_at
        if last is None:
            return False
        fresh = min(FRESH_POLL, timedelta(minutes=self.schedule.frequent_minutes) / 2)
        return self._site_now() - datetime.fromisoformat(last) < fresh

    def _catch_up_in(self) -> timedelta | None:
        """How long after a start its first poll is due; None when the schedule's own polls
        are soon enough.

        At once when there never was a good poll or the last one is older than
        ``catch_up_hours``. While a dispute negotiates or a deadline is near, a frequent
        interval after the last good poll, never later: the frequent poll's interval starts
        again at every start, so without this a restart (after a crash, an upgrade) put the
        next poll a whole interval after the start, and restarts hours apart pushed it
        further each time (found by the simulation: a 0.00 offer unseen for 17 h).
        """
        last = health_store.load(self.store).last_success_at
        if last is None:
            return timedelta(0)
        now = self._site_now()
        age = now - datetime.fromisoformat(last)
        if age >= timedelta(hours=self.schedule.catch_up_hours):
            return timedelta(0)
        soon = timedelta(hours=self.settings.policy.deadline_soon_hours)
        if not needs_frequent_poll(self.store, now, soon):
            return None
        return max(timedelta(0), timedelta(minutes=self.schedule.frequent_minutes) - age)

    def _catch_up_needed(self) -> bool:
        """A poll is due at once on a start (see :meth:`_catch_up_in`)."""
        return self._catch_up_in() == timedelta(0)

    def build(self):
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.blocking import BlockingScheduler

        s = self.schedule
        scheduler = BlockingScheduler(
            # one worker for the jobs (Playwright from one thread), one for the heartbeat alone
            executors={"default": ThreadPoolExecutor(max_workers=1), "heartbeat": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": int(s.misfire_grace_hours * 3600)},
            timezone=s.time_zone,
        )
        return self.add_jobs(scheduler)

    def add_jobs(self, scheduler):
        """The fixed jobs, on any scheduler with APScheduler's ``add_job`` (the simulation's
        ``agent.usecases.virtual_schedule`` runs them on virtual time): one schedule, in one place.
        The intervals start from the daemon's clock, not the machine's."""
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        s, start = self.schedule, self._now()

        def every(**interval: float) -> IntervalTrigger:
            return IntervalTrigger(**interval, start_date=start + timedelta(**interval), timezone=s.time_zone)

        hour, minute = (int(part) for part in s.daily_at.split(":"))
        scheduler.add_job(self.poll_job, CronTrigger(hour=hour, minute=minute, jitter=int(s.jitter_minutes * 60),
                                                     timezone=s.time_zone), id="daily_poll", args=["daily"])
        scheduler.add_job(self.frequent_poll_job, every(minutes=s.frequent_minutes), id="frequent_poll")
        scheduler.add_job(self.sweep_job, every(seconds=s.sweep_seconds), id="sweep")
        scheduler.add_job(self.outbox_job, every(seconds=s.outbox_seconds), id="outbox")
        # its own executor: a long poll never starves the watchdog
        scheduler.add_job(self.heartbeat_job, every(seconds=self.heartbeat_seconds()), id="heartbeat",
                          executor="heartbeat", next_run_time=self._now())
        self.scheduler = scheduler
        return scheduler

    def heartbeat_seconds(self) -> float:
        """The heartbeat's interval: the setting, or half systemd's ``WatchdogSec=`` if that is shorter."""
        watchdog = watchdog_interval()
        configured = self.schedule.heartbeat_seconds
        return min(configured, watchdog / 2) if watchdog else configured

    def start_jobs(self, scheduler) -> None:
        """What a start adds once: a sweep, and a poll when :meth:`_catch_up_in` says one is due
        (at once, or a frequent interval after the last good poll)."""
        self.started_at = self._now()
        self.heartbeat_job()
        due = self._catch_up_in()
        if due is not None:
            reason = "catch-up at start" if due == timedelta(0) else "frequent, counted from the last good poll"
            scheduler.add_job(self.poll_job, "date", run_date=self._now() + due, args=[reason], id="catch_up")
        scheduler.add_job(self.sweep_job, "date", run_date=self._now(), id="sweep_at_start")

    def run(self) -> int:
        lock = daemon_lock(self.settings.state.dir)
        lock.acquire()  # Locked: a second daemon on this state directory refuses to start
        scheduler = self.build()
        page = self._start_page()
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            log.info("daemon started pid=%s state=%s daily_at=%s tz=%s", os.getpid(), self.settings.state.dir,
                     self.schedule.daily_at, self.schedule.time_zone)
            self.start_jobs(scheduler)
            scheduler.start()  # blocks until shutdown
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if page is not None:
                page.stop()
            self.notifier.stopping()
            self._wait_for_step()
            log.info("daemon stopped")
            lock.release()
        return 0

    def _start_page(self):
        """The page beside the scheduler, if one is wanted; a page that cannot start (its port
        taken, no password set) is said in the log and the watching goes on without it: the
        deadlines matter more than the page."""
        if self._page is None:
            return None
        try:
            return self._page(self.settings)
        except (DisputeAgentError, OSError) as error:
            log.error("the page is not served: %s; the daemon watches without it", error)
            return None

    def _on_signal(self, signum, _frame) -> None:
        log.info("stopping on %s", signal.Signals(signum).name)
        self._stopping.set()
        self.notifier.stopping()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def _wait_for_step(self) -> None:
        """Give the running step a few seconds; then leave it (its writes are transactional)."""
        if self._busy.wait(0) and not _wait_cleared(self._busy, self.schedule.stop_grace_seconds):
            log.warning("abandoning the running step after %ss: every write is a transaction",
                        self.schedule.stop_grace_seconds)
            logging.shutdown()
            os._exit(0)


def _wait_cleared(event: threading.Event, seconds: float) -> bool:
    deadline = time.monotonic() + seconds  # real seconds of a stop, whatever clock the jobs run on
    while event.is_set():
        if time.monotonic() >= deadline:
            return False
        threading.Event().wait(0.1)
    return True


def write_heartbeat(state_dir: Path, next_runs: dict[str, str | None], started_at: datetime,
                    now: datetime) -> None:
    data = {"pid": os.getpid(), "started_at": started_at.isoformat(), "at": now.isoformat(),
            "next_runs": next_runs, "version": 1}
    path = state_dir / HEARTBEAT
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps(data, indent=2))
    os.replace(temp, path)


def run_daemon(settings: Settings, log_level: str = "INFO", log_format: str | None = None,
               page: Callable[[Settings], Any] | None = None) -> int:
    """``page``: starts what serves beside the scheduler (the web page) and returns it with a
    ``stop()``, or None; the interfaces pass it in, the daemon never imports them."""
    setup_logging(log_level, log_format)
    store = Store(settings.state.db_path)
    try:
        return Daemon(settings, store, page=page).run()
    finally:
        store.close()
