"""The deadline simulation: randomized lifecycles driven through the real daemon jobs.

One world at a time: the sandbox (frozen virtual clock) holds a batch of lifecycles in
one account; the agent gets a fresh state, a saved session and two channels (a local
SMTP server and a webhook receiver); the real ``Daemon``'s jobs run in the order its own
schedule (``Daemon.add_jobs`` on ``agent.usecases.virtual_schedule``) gives them on the agent's
clock, which is the sandbox's virtual time plus the machine clock's skew. Between jobs
the sandbox's clock is set to the job's time, so days pass in seconds and no job waits
in real time. Faults come at random: HTTP 500 bursts and slow pages (sandbox faults),
expired sessions, either channel down for hours, the machine clock jumping, a job
killed with SIGKILL in a process of its own (during the read, after submitting an
answer and before recording it, after sending and before marking), and two processes
delivering at once. The receivers behave as the agent's message keys expect (decision
0023): the mailbox keeps one mail per Message-ID, the webhook one message per
Idempotency-Key; the copies they drop are counted among the jobs, not hidden. At the end, after the agent has had time to drain its outbox with
every channel up, ``simulation_world.count`` gives the verdict.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.support.simulation_world import (
    COUNTS,
    Lifecycle,
    Received,
    Verdict,
    count,
    lifecycles,
)

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


class Hook:
    """A JSON webhook on 127.0.0.1 that can be down (answers 503, keeps nothing) and that
    honours the agent's ``Idempotency-Key``: a copy under a key it already kept is
    answered 200 and dropped (counted in ``repeats``)."""

    def __init__(self) -> None:
        from agent.usecases.local_server import LocalHTTPServer
        from tests.support.receivers import webhook_key

        self.got: list[dict[str, Any]] = []
        #: copies that came again under a key already kept (a key-honouring receiver drops them)
        self.repeats = 0
        self.keys: set[str] = set()
        self.down = False
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                key = webhook_key(self.headers)
                if not hook.down and key is not None and key in hook.keys:
                    hook.repeats += 1
                elif not hook.down:
                    hook.got.append(json.loads(raw or b"null"))
                    if key is not None:
                        hook.keys.add(key)
                self.send_response(503 if hook.down else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = LocalHTTPServer(Handler).start()
        self.url = f"json://127.0.0.1:{self._server.port}/hook"

    def stop(self) -> None:
        self._server.stop()


@dataclass
class Options:
    lifecycles: int
    seed: int
    per_world: int = 50
    span_days: float = 2.5
    faults: bool = True
    #: the agent's schedule, as a user would set it
    frequent_minutes: float = 720
    sweep_seconds: float = 3600
    outbox_seconds: float = 1800
    #: how likely each poll or outbox run is killed / doubled
    kill_chance: float = 0.2
    say: Callable[[str], None] = print


@dataclass
class Totals:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    failures: list[str] = field(default_factory=list)
    lifecycles: int = 0
    filings_asked: int = 0
    filings_done: int = 0
    #: how many times each job ran and each fault came
    jobs: Counter = field(default_factory=Counter)

    def add(self, verdict: Verdict, drawn: int) -> None:
        for name, value in verdict.counts.items():
            self.counts[name] += value
        self.failures += verdict.failures
        self.lifecycles += drawn
        self.filings_asked += verdict.filings_asked
        self.filings_done += verdict.filings_done


def simulate(options: Options, workdir: Path) -> Totals:

    import flows.browser
    from tests.support.shared_driver import SharedDriver

    _quiet_apprise()
    rng = random.Random(options.seed)
    totals = Totals()
    real_driver = flows.browser.sync_playwright
    if not isinstance(real_driver, SharedDriver):  # the tests share one already
        flows.browser.sync_playwright = SharedDriver()  # a driver per job's browser costs seconds to stop
    try:
        return _worlds(options, rng, totals, workdir)
    finally:
        if flows.browser.sync_playwright is not real_driver:
            flows.browser.sync_playwright.stop_this_thread()
            flows.browser.sync_playwright = real_driver


def _worlds(options: Options, rng: random.Random, totals: Totals, workdir: Path) -> Totals:
    from sandbox.server import SandboxServer
    from tests.support.receivers import SmtpReceiver

    with SandboxServer() as server:
        done = 0
        world = 0
        while done < options.lifecycles:
            size = min(options.per_world, options.lifecycles - done)
            smtp = SmtpReceiver(drop_repeats=True).start()  # as a mailbox keeps one mail per Message-ID
            hook = Hook()
            try:
                verdict = _one_world(server, smtp, hook, rng, options, workdir / f"world-{world}", done + 1, size,
                                     totals.jobs)
            finally:
                smtp.stop()
                hook.stop()
            # sent again after a kill between send and mark, under the first copy's key: dropped
            totals.jobs["copies sent again under a key the receiver kept (dropped)"] += len(smtp.repeats) + hook.repeats
            totals.add(verdict, size)
            options.say(f"world {world}: {size} lifecycles, " +
                        (", ".join(f"{k}={v}" for k, v in verdict.counts.items() if v) or "no failure"))
            for line in verdict.failures:  # said as found: a long run stopped early keeps them
                options.say(f"  {line}")
            done += size
            world += 1
            if done < options.lifecycles:  # a long run stopped early still says what it found so far
                options.say(f"so far: {totals.lifecycles} lifecycles, " +
                            ", ".join(f"{k} {v}" for k, v in totals.counts.items()) +
                            f", filings {totals.filings_done}/{totals.filings_asked}")
    return totals


def _quiet_apprise() -> None:
    from apprise.plugins.base import NotifyBase

    import agent.notifications.notify

    NotifyBase.request_rate_per_sec = 0
    agent.notifications.notify.DEFAULT_SEND_INTERVAL = 0.0


def _environment(server, state: Path, channels: list[dict[str, str]], options: Options,
                 policy: str) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("DISPUTE_AGENT_") or k == "DISPUTE_AGENT_BROWSER"}
    values.update({
        "HOME": str(state.parent), "XDG_CONFIG_HOME": str(state.parent / "config"), "TZ": "UTC",
        "DISPUTE_AGENT_SITE__BASE_URL": server.url,
        "DISPUTE_AGENT_STATE__DIR": str(state),
        "DISPUTE_AGENT_LOGIN": "buyer@example.com",
        "DISPUTE_AGENT_PASSWORD": "sandbox-pass",
        "DISPUTE_AGENT_POLITENESS__MIN_DELAY_MS": "0",
        "DISPUTE_AGENT_POLITENESS__MAX_DELAY_MS": "0",
        "DISPUTE_AGENT_POLITENESS__DETAIL_CONCURRENCY": "4",
        "DISPUTE_AGENT_POLICY__TRACKING_READS_PER_POLL": "0",
        "DISPUTE_AGENT_POLICY__ON_ZERO_OFFER": policy,
        "DISPUTE_AGENT_BROWSER__RETRY_WAIT_S": "0.05",
        "DISPUTE_AGENT_BROWSER__TRACE_ON_FAILURE": "false",
        "DISPUTE_AGENT_SCHEDULE__FREQUENT_MINUTES": str(options.frequent_minutes),
        "DISPUTE_AGENT_SCHEDULE__SWEEP_SECONDS": str(options.sweep_seconds),
        "DISPUTE_AGENT_SCHEDULE__OUTBOX_SECONDS": str(options.outbox_seconds),
        "DISPUTE_AGENT_SCHEDULE__HEARTBEAT_SECONDS": str(options.outbox_seconds),
        "DISPUTE_AGENT_SCHEDULE__RETRY_BASE_MINUTES": "30",
        "DISPUTE_AGENT_NOTIFICATIONS__CHANNELS": json.dumps(channels),
    })
    return values


class _Agent:
    """The daemon as one process runs it; ``restart`` is the process started again."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.store = None
        self.daemon = None
        self.scheduler = None
        self.restart()

    def restart(self) -> None:
        from agent.config.settings import load_settings
        from agent.storage.store import Store
        from agent.usecases.daemon import Daemon
        from agent.usecases.virtual_schedule import VirtualScheduler

        if self.store is not None:
            self.store.close()
        settings = load_settings()
        self.store = Store(settings.state.db_path)
        self.daemon = Daemon(settings, self.store, now=self.clock)
        self.scheduler = VirtualScheduler(self.clock)
        self.daemon.add_jobs(self.scheduler)
        self.daemon.start_jobs(self.scheduler)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def _one_world(server, smtp, hook: Hook, rng: random.Random, options: Options, home: Path, first_id: int,
               size: int, jobs: Counter) -> Verdict:
    from flows.session_file import write_private

    drawn, scenario = lifecycles(size, rng, START, first_id, options.span_days)
    from sandbox.scenario import parse_scenario

    server.load(parse_scenario(scenario, "simulation"))
    state = home / "state"
    channels = [{"name": "mail", "url": smtp.url()}, {"name": "hook", "url": hook.url}]
    env = _environment(server, state, channels, options, rng.choice(("notify", "notify", "reject")))
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        write_private(state / "sessions" / "default.json", json.dumps(server.session_state()).encode(),
                      private_dir=True)
        return _drive(server, smtp, hook, rng, options, drawn, env, jobs)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _virtual(server) -> datetime:
    return server.world.now()


def _set_clock(server, when: datetime) -> None:
    if when > _virtual(server):
        server.control("POST", "clock", {"set": when.isoformat()})


def _faults(rng: random.Random, end: datetime, options: Options) -> list[tuple[datetime, str]]:
    """Virtual times of the faults of one world; each a name ``_apply`` knows."""
    if not options.faults:
        return []
    events: list[tuple[datetime, str]] = []
    span = (end - START).total_seconds()
    for name, how_many in (("http500", 2), ("slow", 1), ("expire", 1), ("mail_down", 1), ("hook_down", 1),
                           ("jump", 1)):
        for _ in range(rng.randint(0, how_many)):
            at = START + timedelta(seconds=rng.uniform(0, span * 0.8))
            events.append((at, name))
            if name.endswith("_down"):
                events.append((at + timedelta(hours=rng.uniform(2, 10)), name.replace("_down", "_up")))
            if name in ("http500", "slow"):  # a burst: the site is itself again within the hour
                events.append((at + timedelta(minutes=rng.uniform(10, 60)), "site_ok"))
    return sorted(events)


def _drive(server, smtp, hook: Hook, rng: random.Random, options: Options, drawn: list[Lifecycle],
           env: dict[str, str], jobs: Counter) -> Verdict:
    end = START + timedelta(days=options.span_days)
    skew = [timedelta(0)]
    the_agent = _Agent(lambda: _virtual(server) + skew[0])
    received: list[Received] = []
    seen = {"mail": 0, "hook": 0}
    events = sorted(_faults(rng, end, options) + [(life.file_at, f"file:{life.order_id}") for life in drawn
                                                   if life.file_at is not None])
    tries: Counter = Counter()  # filing commands run, per order
    mail_port = smtp.port
    #: when each channel went down, and came up again
    outages: dict[str, list[list[datetime]]] = {"mail": [], "hook": []}

    def stamp() -> None:
        now = _virtual(server)
        for message in smtp.inbox[seen["mail"]:]:
            body = message.get_body(preferencelist=("plain",))
            received.append(Received("mail", now, str(message["subject"] or ""),
                                     body.get_content() if body is not None else "", _critical_mail(message)))
        seen["mail"] = len(smtp.inbox)
        for payload in hook.got[seen["hook"]:]:
            received.append(Received("hook", now, payload.get("title", ""), payload.get("message", ""),
                                     payload.get("type") == "failure"))
        seen["hook"] = len(hook.got)

    def apply(name: str) -> None:
        jobs["the buyer runs the filing command" if name.startswith("file:") else f"fault {name}"] += 1
        if name == "http500":
            server.add_fault("http500", path="/", remaining=rng.randint(2, 12))
        elif name == "slow":
            server.add_fault("slow", path="/", remaining=rng.randint(1, 3), delay_ms=rng.randint(500, 2500))
        elif name == "site_ok":
            server.clear_faults()
        elif name == "expire":
            server.expire_sessions()
        elif name == "mail_down":
            outages["mail"].append([_virtual(server), end + timedelta(days=1)])
            smtp.stop()
        elif name == "mail_up":
            if outages["mail"]:
                outages["mail"][-1][1] = _virtual(server)
            if not smtp.running:
                smtp.port = mail_port
                smtp.start()
        elif name == "hook_down":
            outages["hook"].append([_virtual(server), end + timedelta(days=1)])
            hook.down = True
        elif name == "hook_up":
            if outages["hook"]:
                outages["hook"][-1][1] = _virtual(server)
            hook.down = False
        elif name == "jump":
            skew[0] += timedelta(hours=rng.choice((-3, -1, 2, 5)))
        elif name.startswith("file:"):
            order_id = name.split(":", 1)[1]
            tries[order_id] += 1
            if not _file(the_agent, env, order_id, rng, options, jobs) and tries[order_id] < FILING_TRIES:
                # killed, or the site failed it: the buyer runs the command again, later
                events.append((_virtual(server) + timedelta(minutes=rng.uniform(20, 90)), name))
                events.sort()

    try:
        while True:
            job = the_agent.scheduler.next_due()
            due = job.next_run_time - skew[0] if job is not None else end
            if events and events[0][0] <= due:
                at, name = events.pop(0)
                _set_clock(server, at)
                apply(name)
                continue
            if due > end:
                break
            _set_clock(server, due)
            _run(the_agent, job, rng, options, env, jobs)
            stamp()
        # the end: every channel up, the site healthy; the agent gets a few hours to drain
        server.clear_faults()
        hook.down = False
        if not smtp.running:
            smtp.port = mail_port
            smtp.start()
        drain_until = end + timedelta(hours=6)
        while (job := the_agent.scheduler.next_due()) is not None and job.next_run_time - skew[0] <= drain_until:
            _set_clock(server, job.next_run_time - skew[0])
            if job.id in ("outbox", "sweep", "heartbeat"):
                the_agent.scheduler.run(job)
                jobs[job.id] += 1
            else:
                the_agent.scheduler.remove_job(job.id) if job.id in ("catch_up", "retry_poll") else \
                    setattr(job, "next_run_time", drain_until + timedelta(days=1))
            stamp()
        alerts = _alerts(the_agent.store)
    finally:
        the_agent.close()
    resolution = timedelta(minutes=options.frequent_minutes) + timedelta(hours=1)
    return count(drawn, server.state(), alerts, received, ["mail", "hook"], end, resolution,
                 {name: [(a, b) for a, b in spans] for name, spans in outages.items()})


#: how many times the buyer runs the filing command before giving up on it
FILING_TRIES = 4


def _file(the_agent: _Agent, env: dict[str, str], order_id: str, rng: random.Random, options: Options,
          jobs: Counter) -> bool:
    """The buyer opens a dispute on ``order_id`` with the agent's command; whether it is done.

    Now and then the command's process is killed right after the site took the dispute
    and before the agent recorded it: the next run must link that case, not file another.
    """
    from tests.support.simulation_job import AGAIN, FILED, file_dispute

    chance = options.kill_chance * 2 if options.faults else 0
    if rng.random() < chance:
        process = _start(env, f"file:{order_id}", the_agent.clock(), "submit")
        try:
            code = process.wait(timeout=300)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait(timeout=10)
        jobs["filing in a process, SIGKILL after the submit: " + ("killed" if code == -9 else "ended first")] += 1
        if code not in (-9, FILED, AGAIN):
            raise RuntimeError(f"the filing command for order {order_id} failed (exit {code}): run "
                               f"tests/support/simulation_job.py file:{order_id} by hand to see why")
        the_agent.restart()
        return code == FILED
    jobs["filing"] += 1
    return file_dispute(the_agent.daemon.settings, the_agent.store, order_id, the_agent.clock) == FILED


def _critical_mail(message) -> bool:
    priority = str(message.get("X-Priority", "")) + str(message.get("Importance", ""))
    return "1" in priority or "high" in priority.lower() or "critical" in str(message["subject"] or "").lower()


def _run(the_agent: _Agent, job, rng: random.Random, options: Options, env: dict[str, str], jobs: Counter) -> None:
    """Run ``job`` as the schedule says; now and then in a process that is killed, or twice at once."""
    chance = options.kill_chance if options.faults else 0
    if job.id in ("catch_up", "retry_poll", "daily_poll", "frequent_poll") and rng.random() < chance:
        kill = rng.choice(("read", "submit", "send"))
        the_agent.scheduler.remove_job(job.id) if job.id in ("catch_up", "retry_poll") else None
        died = _in_process(env, "poll_job", the_agent.clock(), kill)
        jobs[f"poll in a process, SIGKILL at {kill}: " + ("killed" if died else "ended first")] += 1
        the_agent.restart()
        return
    if job.id == "outbox" and _pending(the_agent.store) and rng.random() < chance * 3:
        if rng.random() < 0.5:
            died = _in_process(env, "outbox_job", the_agent.clock(), "send")
            jobs["outbox in a process, SIGKILL after a send: " + ("killed" if died else "ended first")] += 1
            the_agent.restart()
            return
        jobs["outbox twice at once"] += 1
        other = _start(env, "outbox_job", the_agent.clock(), "none")
        the_agent.scheduler.run(job)
        other.wait(timeout=120)
        return
    jobs[job.id] += 1
    began = time.monotonic()
    the_agent.scheduler.run(job)
    took = time.monotonic() - began
    jobs[f"{job.id} seconds"] += round(took)
    if took > 5:
        options.say(f"  {the_agent.clock():%d %H:%M} {job.id}: {took:.0f} s")


def _start(env: dict[str, str], job: str, now: datetime, kill: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.support.simulation_job", job, now.isoformat(), kill],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _in_process(env: dict[str, str], job: str, now: datetime, kill: str) -> bool:
    """Run ``job`` in a process of its own; whether it died by SIGKILL."""
    process = _start(env, job, now, kill)
    try:
        return process.wait(timeout=300) == -9
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
        return True


def _pending(store) -> bool:
    from sqlalchemy import text

    with store.transaction() as session:
        return bool(session.execute(text("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")).scalar())


def _alerts(store) -> list[dict[str, Any]]:
    from sqlalchemy import text

    with store.transaction() as session:
        rows = session.execute(text("SELECT kind, title, order_id, severity FROM alerts")).all()
    return [{"kind": k, "title": t, "order_id": o, "severity": s} for k, t, o, s in rows]


def report(totals: Totals, seconds: float) -> list[str]:
    lines = [f"disputes the buyer asked the agent to open: {totals.filings_asked}, "
             f"opened: {totals.filings_done}"]
    lines += [f"{name}: {totals.counts[name]}" for name in COUNTS]
    lines += [f"lifecycles: {totals.lifecycles}", f"time: {seconds:.0f} s"]
    return lines


