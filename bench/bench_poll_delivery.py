"""Benchmark: a poll of the demo world delivering to an e-mail channel that takes every severity.

Prints, for the first poll of a new installation and for a later one (three days on,
when the seller of the demo's keyboard has offered 0.00 and the policy answers it), the
wall time of the whole poll, how much of it was delivery, how many alerts were recorded
and how many messages reached the mail server. Goal: each poll, delivery included,
under 15 s on 2 cores; the first one sends one summary message, and no message waits a
forced 5.5 s for the one before.

    python bench/bench_poll_delivery.py [--runs 2]

Each run starts the sandbox (demo world) and a local SMTP server (aiosmtpd, on
127.0.0.1) afresh, with a throw-away state folder; it logs in untimed first, as
'dispute-agent login' does, with the demo's politeness (50-150 ms between pages, three
detail pages at a time) and policy (on_zero_offer = "escalate").

Measured on 2 cores, shared with other work (Debian Chromium, Playwright 1.65): see the
figures in docs/decisions/0010-calm-alerts.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent.config.secrets import Credentials  # noqa: E402
from agent.config.settings import load_settings  # noqa: E402
from agent.judge.policy import Policy  # noqa: E402
from agent.storage.store import Store  # noqa: E402
from agent.usecases.poll import Progress, poll  # noqa: E402
from agent.usecases.session import login  # noqa: E402
from sandbox.scenario import load_scenario  # noqa: E402
from sandbox.server import SandboxServer  # noqa: E402
from tests.support.receivers import SmtpReceiver  # noqa: E402


class Stopwatch(Progress):
    """When each step began, and when delivery ended, from the poll's own progress steps."""

    def __init__(self) -> None:
        self.steps: dict[str, float] = {}
        self.delivering_at: float | None = None
        self.delivered_at: float | None = None

    def details_started(self, total: int) -> None:
        self.steps.setdefault("order pages", time.perf_counter())

    def disputes_started(self, total: int) -> None:
        self.steps.setdefault("dispute pages", time.perf_counter())

    def acting(self, total: int) -> None:
        self.steps.setdefault("acting", time.perf_counter())

    def delivering(self) -> None:
        self.delivering_at = time.perf_counter()
        self.steps.setdefault("delivering", self.delivering_at)

    def delivered(self, messages: int) -> None:
        self.delivered_at = time.perf_counter()


def timed_poll(settings, store, policy, account, smtp) -> dict[str, float]:
    watch = Stopwatch()
    before = len(smtp.inbox)
    begin = time.perf_counter()
    report = poll(settings, store, policy, say=lambda _: None, credentials=lambda: account, progress=watch)
    end = time.perf_counter()
    if not report.read_ok:
        raise SystemExit(f"the poll could not read the sandbox: {report.error}")
    marks = [("order list", begin), *watch.steps.items(), ("end", end)]
    split = ", ".join(f"{name} {after - at:.1f} s" for (name, at), (_, after) in zip(marks, marks[1:]))
    return {"split": split, "total": end - begin,
            "delivery": (watch.delivered_at or end) - (watch.delivering_at or end),
            "alerts": len(report.new_alerts), "messages": report.messages, "received": len(smtp.inbox) - before,
            "orders": report.orders, "disputes": report.disputes, "actions": len(report.actions)}


def one_run() -> tuple[dict[str, float], dict[str, float]]:
    scenario = load_scenario()
    with tempfile.TemporaryDirectory(prefix="bench-poll-") as scratch, SandboxServer(scenario) as server, \
            SmtpReceiver() as smtp:
        settings = load_settings(
            None, site={"base_url": server.url}, state={"dir": str(Path(scratch) / "state")},
            politeness={"min_delay_ms": 50, "max_delay_ms": 150, "detail_concurrency": 3},
            notifications={"channels": [{"name": "mail", "url": smtp.url(),
                                         "severities": ["critical", "warning", "info"]}]},
        )
        account = Credentials(login=scenario.account.login, password=SecretStr(scenario.account.password),
                              source="bench")
        login(settings, credentials=lambda: account)  # untimed, as 'dispute-agent login'
        store = Store(settings.state.db_path)
        policy = Policy(on_zero_offer="escalate")
        try:
            first = timed_poll(settings, store, policy, account, smtp)
            keyboard = "8215000000000004"  # the demo's dispute, whose seller offers 0.00 on day 2
            from agent.usecases.filing import OpenRequest, open_dispute

            open_dispute(settings, store, OpenRequest(order_id=keyboard, received=False, reason="not_arrived"),
                         lambda plan: True, say=lambda _: None, credentials=lambda: account)
            server.advance(timedelta(days=3, hours=1))
            later = timed_poll(settings, store, policy, account, smtp)
        finally:
            store.close()
    return first, later


def line(name: str, figures: dict) -> str:
    return (f"{name:12} {figures['total']:6.1f} s total, {figures['delivery']:5.2f} s delivering; "
            f"{figures['orders']:.0f} orders, {figures['disputes']:.0f} disputes, {figures['actions']:.0f} action(s); "
            f"{figures['alerts']:.0f} alerts -> {figures['messages']:.0f} message(s) sent, "
            f"{figures['received']:.0f} received\n{'':15}({figures['split']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    worst = 0.0
    for run in range(1, args.runs + 1):
        first, later = one_run()
        print(f"run {run}")
        print("  " + line("first poll", first))
        print("  " + line("later poll", later))
        worst = max(worst, first["total"], later["total"])
    print(f"slowest poll, delivery included: {worst:.1f} s (goal: under 15 s)")


if __name__ == "__main__":
    main()
