"""The daemon's decisions that need no browser: backoff, frequent polls, the schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from agent.config.settings import load_settings
from agent.core.errors import SiteUnavailable
from agent.core.models import (
    DisputeDetail,
    DisputeResult,
    DisputeStage,
    FinishInfo,
    Order,
    OrderLine,
    OrderStatus,
    ProtectionTimer,
    TimerSource,
)
from agent.core.money import Money
from agent.storage import health
from agent.storage.dispute_records import DisputeRecords
from agent.storage.store import Store
from agent.usecases.daemon import Daemon, needs_frequent_poll
from tests.support.isolation import isolate_environment

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def daemon(tmp_path, monkeypatch):
    isolate_environment(monkeypatch, tmp_path)
    settings = load_settings(None, state={"dir": str(tmp_path / "state")},
                             schedule={"retry_base_minutes": 10, "retry_max_minutes": 60,
                                       "daily_at": "07:30", "time_zone": "Europe/Berlin"})
    store = Store(settings.state.db_path)
    yield Daemon(settings, store, now=lambda: NOW)
    store.close()


def test_failed_polls_back_off_exponentially_up_to_the_cap(daemon):
    delays = []
    for _ in range(5):
        health.record_failure(daemon.store, NOW, SiteUnavailable("HTTP 500; later"))
        delays.append(daemon._retry_delay())
    assert delays == [timedelta(minutes=m) for m in (10, 20, 40, 60, 60)]


def test_the_retry_runs_when_a_busy_sites_line_said_it_would(daemon):
    daemon.build()
    health.record_failure(daemon.store, NOW, SiteUnavailable("HTTP 500; later"))  # one failure before
    promised = daemon._next_try()  # asked by the poll before it counts its own failure: the second
    assert daemon._next_try() == promised
    health.record_failure(daemon.store, NOW, SiteUnavailable("HTTP 500; later"))
    daemon._schedule_retry()
    assert daemon.scheduler.get_job("retry_poll").trigger.run_date == promised
    assert promised - NOW == timedelta(minutes=20)  # 10 min doubled, on the daemon's own clock


def order(ends: datetime) -> Order:
    timer = ProtectionTimer(ends_at=ends, source=TimerSource.COUNTDOWN, read_at=NOW)
    return Order(order_id="8300000000000001", status=OrderStatus.AWAITING_DELIVERY, site_time=NOW,
                 total=Money(amount=Decimal("1.00"), currency="EUR"), timer=timer, timers=[timer],
                 lines=[OrderLine(line_id="83000000000000011", title="x", quantity=1)])


def test_frequent_polls_only_when_a_deadline_is_near(daemon):
    soon = timedelta(hours=72)
    assert not needs_frequent_poll(daemon.store, NOW, soon)
    daemon.store.save_orders([order(NOW + timedelta(days=10))])
    assert not needs_frequent_poll(daemon.store, NOW, soon)
    daemon.store.save_orders([order(NOW + timedelta(hours=50))])
    assert needs_frequent_poll(daemon.store, NOW, soon)


def case(case_id: str, stage: DisputeStage, **extra) -> DisputeDetail:
    return DisputeDetail(reverse_order_id="RO" + case_id, reverse_line_id=case_id, trade_order_id="8300000000000001",
                         trade_line_id="83000000000000011", stage=stage, site_time=NOW, **extra)


def test_a_case_over_by_any_reading_the_rules_use_needs_no_frequent_poll(daemon):
    """"Finished" is one function: the page's stage, the finish block or the list's code 4."""
    soon, records = timedelta(hours=72), DisputeRecords(daemon.store)
    records.save_dispute(case("6400000000000001", DisputeStage.UNKNOWN, reverse_status=4))
    records.save_dispute(case("6400000000000002", DisputeStage.UNKNOWN,
                              finish=FinishInfo(result=DisputeResult.WON)))
    records.save_dispute(case("6400000000000003", DisputeStage.FINISHED))
    assert not needs_frequent_poll(daemon.store, NOW, soon)
    records.save_dispute(case("6400000000000004", DisputeStage.WAIT_SELLER_RESPONSE, reverse_status=2))
    assert needs_frequent_poll(daemon.store, NOW, soon)


def test_the_schedule_coalesces_missed_runs_and_runs_daily_in_the_users_zone(daemon):
    scheduler = daemon.build()
    daily = scheduler.get_job("daily_poll")
    assert str(daily.trigger.timezone) == "Europe/Berlin"
    assert "hour='7'" in str(daily.trigger) and "minute='30'" in str(daily.trigger)
    assert scheduler._job_defaults["coalesce"] is True
    assert scheduler._job_defaults["misfire_grace_time"] == 12 * 3600
    assert scheduler._job_defaults["max_instances"] == 1
    assert {job.id for job in scheduler.get_jobs()} == {"daily_poll", "frequent_poll", "sweep", "outbox",
                                                        "heartbeat"}


def test_catch_up_needed_when_never_polled_or_too_long_ago(daemon):
    assert daemon._catch_up_needed()
    health.record_success(daemon.store, daemon._site_now() - timedelta(hours=2))
    assert not daemon._catch_up_needed()
    health.record_success(daemon.store, daemon._site_now() - timedelta(hours=30))
    assert daemon._catch_up_needed()


def test_a_restart_while_a_dispute_negotiates_polls_at_once_when_a_frequent_poll_is_due(daemon):
    """Found by the simulation: a daemon killed during its frequent poll, started again, waited
    ``catch_up_hours`` (20 h) for its next poll, though a seller's 0.00 offer may give one day."""
    every = timedelta(minutes=daemon.schedule.frequent_minutes)
    DisputeRecords(daemon.store).save_dispute(case("6400000000000004", DisputeStage.WAIT_BUYER_RESPONSE,
                                                   reverse_status=2))
    health.record_success(daemon.store, daemon._site_now() - every + timedelta(minutes=5))
    assert not daemon._catch_up_needed()  # the next frequent poll comes in 5 minutes anyway
    health.record_success(daemon.store, daemon._site_now() - every - timedelta(minutes=5))
    assert daemon._catch_up_needed()
    DisputeRecords(daemon.store).save_dispute(case("6400000000000004", DisputeStage.FINISHED))
    assert not daemon._catch_up_needed()  # nothing negotiates: the daily poll is enough


def test_a_poll_that_raises_is_retried_and_logged_in_one_line_with_the_traceback_at_debug(daemon, monkeypatch,
                                                                                         caplog):
    import logging

    import agent.usecases.poll as use_case

    def broken(*args, **kwargs):
        raise KeyError("reverseLineId")

    monkeypatch.setattr(use_case, "poll", broken)
    daemon.build()
    with caplog.at_level(logging.DEBUG, logger="dispute_agent"):
        daemon.poll_job("daily")  # never raises: the daemon goes on
    assert daemon.scheduler.get_job("retry_poll") is not None
    failed = [r for r in caplog.records if r.getMessage().startswith("step failed name=poll (daily)")]
    assert [(r.levelno, r.getMessage()) for r in failed if not r.exc_info] == [
        (logging.ERROR, "step failed name=poll (daily) error=KeyError: 'reverseLineId'")]
    assert [(r.levelno, r.exc_info[0]) for r in failed if r.exc_info] == [(logging.DEBUG, KeyError)]


def test_a_browser_held_too_long_counts_as_a_failed_poll_and_is_retried(tmp_path, monkeypatch):
    from agent.storage.lock import BROWSER_LOCK, FileLock

    isolate_environment(monkeypatch, tmp_path)
    settings = load_settings(None, state={"dir": str(tmp_path / "state")}, schedule={"browser_lock_seconds": 0})
    store = Store(settings.state.db_path)
    held = FileLock(settings.state.dir / BROWSER_LOCK)
    held.acquire()  # a command that keeps the browser session
    try:
        daemon = Daemon(settings, store, now=lambda: NOW)
        daemon.build()
        daemon.poll_job("daily")
        counted = health.load(store)
        assert (counted.consecutive_failures, counted.last_failure_kind) == (1, "other")
        assert "browser session is busy" in counted.last_failure_message
        assert daemon.scheduler.get_job("retry_poll") is not None
    finally:
        held.release()
        store.close()


@pytest.mark.parametrize("on_zero_offer", ["notify", "reject"])
def test_a_zero_offer_a_sync_stored_is_left_to_the_poll_when_the_policy_answers_it(tmp_path, monkeypatch,
                                                                                   on_zero_offer):
    """'sync' stores the disputes too; the sweep must not tell an offer the next poll answers
    (that poll tells the offer and what was done in one message)."""
    from agent.core.models import Proposal, ProposalStatus, Proposer

    isolate_environment(monkeypatch, tmp_path)
    settings = load_settings(None, state={"dir": str(tmp_path / "state")}, policy={"on_zero_offer": on_zero_offer},
                             notifications={"channels": [{"name": "hook", "url": "json://127.0.0.1:9/hook"}]})
    store = Store(settings.state.db_path)
    zero = Proposal(proposal_id="P1", proposer=Proposer.SELLER, solution_type=1, status=ProposalStatus.PENDING,
                    refund=Money(amount=Decimal("0"), currency="USD"), respond_by=datetime.now(UTC) + timedelta(days=2))
    DisputeRecords(store).save_dispute(case("6400000000000001", DisputeStage.WAIT_BUYER_RESPONSE, reverse_status=2,
                                            latest_proposal=zero, proposals=[zero]))
    monkeypatch.setattr("agent.usecases.poll.deliver_due", lambda *args: (0, 0, 0))
    Daemon(settings, store, now=lambda: NOW).sweep_job()
    with store.engine.begin() as connection:
        kinds = {row[0] for row in connection.exec_driver_sql("SELECT kind FROM alerts")}
    store.close()
    assert ("zero_offer" in kinds) is (on_zero_offer == "notify")


def test_the_virtual_schedule_is_the_daemons_on_a_clock_it_is_told(daemon):
    from agent.usecases.virtual_schedule import VirtualScheduler

    clock = [NOW]
    daemon._now = daemon._injected = lambda: clock[0]
    ran: list[tuple[str, datetime]] = []
    daemon.poll_job = lambda reason="scheduled": ran.append((f"poll {reason}", clock[0]))
    daemon.frequent_poll_job = lambda: ran.append(("frequent", clock[0]))
    daemon.sweep_job = lambda: ran.append(("sweep", clock[0]))
    daemon.outbox_job = lambda: None
    daemon.heartbeat_job = lambda: None
    scheduler = VirtualScheduler(lambda: clock[0])
    daemon.add_jobs(scheduler)
    daemon.start_jobs(scheduler)  # never polled: a catch-up now, and a sweep
    end = NOW + timedelta(days=2)
    while (job := scheduler.next_due()) is not None and job.next_run_time <= end:
        clock[0] = max(clock[0], job.next_run_time)
        scheduler.run(job)
    polls = [(what, when) for what, when in ran if what.startswith("poll")]
    assert polls[0] == ("poll catch-up at start", NOW)
    # the daily poll at 07:30 Berlin (06:30 UTC in November), jitter of at most 15 minutes
    daily = [when.astimezone(UTC) for what, when in polls if what == "poll daily"]
    assert len(daily) == 2
    assert all(timedelta(0) <= when - when.replace(hour=6, minute=30) <= timedelta(minutes=15) for when in daily)
    assert [when for what, when in ran if what == "frequent"][:2] == [NOW + timedelta(hours=4), NOW + timedelta(hours=8)]
    sweeps = [when for what, when in ran if what == "sweep"]
    assert sweeps[:2] == [NOW, NOW + timedelta(minutes=5)]


def test_the_virtual_schedule_runs_a_missed_job_once_and_keeps_a_retry_added_by_the_job(daemon):
    from agent.usecases.virtual_schedule import VirtualScheduler

    clock = [NOW]
    scheduler = VirtualScheduler(lambda: clock[0])
    ran: list[datetime] = []

    def failing_poll() -> None:
        ran.append(clock[0])
        scheduler.add_job(failing_poll, "date", run_date=clock[0] + timedelta(minutes=10), id="retry_poll",
                          replace_existing=True)

    scheduler.add_job(failing_poll, "date", run_date=NOW, id="retry_poll")
    scheduler.run(scheduler.next_due())
    clock[0] = NOW + timedelta(hours=3)  # asleep for hours: the retry runs once, then its own retry
    scheduler.run(scheduler.next_due())
    assert ran == [NOW, NOW + timedelta(hours=3)]
    assert scheduler.get_job("retry_poll").next_run_time == NOW + timedelta(hours=3, minutes=10)


def test_a_scheduled_poll_minutes_after_a_good_one_is_skipped_and_a_retry_never_is(daemon, monkeypatch):
    import agent.usecases.poll as use_case

    ran: list[str] = []

    class Report:
        read_ok, orders, disputes, new_alerts, delivered, messages, pending = True, 0, 0, [], 0, 0, 0

    monkeypatch.setattr(use_case, "poll", lambda *args, **kwargs: ran.append("poll") or Report())
    monkeypatch.setattr(Daemon, "prune_job", lambda self: None)
    daemon.build()
    DisputeRecords(daemon.store).save_dispute(case("6400000000000004", DisputeStage.WAIT_BUYER_RESPONSE,
                                                   reverse_status=2))  # a frequent poll is wanted
    health.record_success(daemon.store, daemon._site_now() - timedelta(minutes=2))  # the catch-up at start
    daemon.poll_job("daily")
    daemon.frequent_poll_job()
    assert ran == []
    daemon.poll_job("retry")
    daemon.poll_job("catch-up at start")
    assert ran == ["poll", "poll"]
    health.record_success(daemon.store, daemon._site_now() - timedelta(minutes=31))
    daemon.poll_job("daily")
    daemon.frequent_poll_job()
    assert ran == ["poll"] * 4


def test_a_restart_never_puts_the_next_poll_further_than_a_frequent_interval_after_the_last_good_one(daemon):
    """Found by the simulation: the daemon started again (after a crash, an upgrade) 3 h after
    its last good poll, while a dispute negotiated, scheduled its frequent poll a whole interval
    from the start: 7 h after the good poll here, and a restart every few hours pushed it
    further each time; a seller's 0.00 offer made after the good poll went unseen for 17 h."""
    from agent.usecases.virtual_schedule import VirtualScheduler

    every = timedelta(minutes=daemon.schedule.frequent_minutes)
    DisputeRecords(daemon.store).save_dispute(case("6400000000000004", DisputeStage.WAIT_BUYER_RESPONSE,
                                                   reverse_status=2))
    last_good = daemon._site_now() - timedelta(hours=3)
    health.record_success(daemon.store, last_good)
    scheduler = VirtualScheduler(lambda: NOW)
    daemon.add_jobs(scheduler)
    daemon.start_jobs(scheduler)
    polls = [job.next_run_time for job in scheduler.jobs() if job.id in ("catch_up", "frequent_poll")]
    assert min(polls) == last_good + every
    DisputeRecords(daemon.store).save_dispute(case("6400000000000004", DisputeStage.FINISHED))
    again = VirtualScheduler(lambda: NOW)
    daemon.add_jobs(again)
    daemon.start_jobs(again)  # nothing negotiates: no early poll, the daily one is enough
    assert again.get_job("catch_up") is None
