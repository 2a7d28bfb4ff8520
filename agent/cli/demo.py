"""The demo: the real agent against the built-in sandbox, on virtual time, narrated.

It starts the sandbox marketplace (demo world) and a local inbox on 127.0.0.1, points
the agent at them with a throw-away state folder, and walks through what the agent is
for: log in and poll for the first time (every order and its timer, every dispute; one
summary message in the inbox), open a dispute with a photo, let days pass until the
seller offers 0.00, poll again — the page offering no escalation (as today's site), the
policy answers the offer with "I don't agree" before its deadline, and one calm message
says both what was offered and what the agent did — and sums up what was done and where
the evidence lies. Everything it started is stopped, whatever happens.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from pydantic import SecretStr

from agent.config.secrets import Credentials

#: Vega Store's keyboard in the demo world: 12 days of protection left, and a seller
#: whose script offers 0.00 two days into a dispute, to be answered within two days
DEMO_ORDER = "8215000000000004"


def _photo(folder: Path) -> Path:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 480), (236, 236, 236))
    draw = ImageDraw.Draw(image)
    draw.rectangle((120, 140, 520, 340), outline=(90, 90, 90), width=6)
    draw.text((150, 220), "tracking: no movement since Oct 5", fill=(30, 30, 30))
    path = folder / "tracking-screenshot.png"
    image.save(path)
    return path


def _explore_on_the_page(settings, minutes: float, say: Callable[[str], None]) -> None:
    """The page over the demo's state, the sandbox still running behind it, for ``minutes``
    (or until Ctrl-C); its actions reach the sandbox like the commands do."""
    import secrets

    from agent.web.serve import PageServer

    with PageServer(settings, "127.0.0.1", 0, start_token=secrets.token_urlsafe(16)) as page:
        say(f"\n8. The page, over this demo's state, for {minutes:g} minutes (Ctrl-C ends it sooner):")
        say(f"   {page.signin_url}")
        say("   (what needs you, the dispute with its offer and screenshots, orders, status, the log; the")
        say("   buttons act on the sandbox, which keeps running meanwhile)")
        try:
            time.sleep(minutes * 60)
        except KeyboardInterrupt:
            say("   stopping the page")


def run_demo(keep_state: Path | None = None, say: Callable[[str], None] = print,
             web_minutes: float | None = None) -> int:
    from agent.cli.views import PollProgress, print_agenda, print_orders, print_plan
    from agent.config.settings import load_settings
    from agent.core.readable import moment
    from agent.judge.agenda import build_agenda
    from agent.notifications.message_groups import as_told
    from agent.storage.dispute_records import DisputeRecords
    from agent.storage.store import Store
    from agent.usecases.demo_inbox import DemoInbox
    from agent.usecases.filing import OpenRequest, open_dispute
    from agent.usecases.poll import poll, watch_state
    from agent.usecases.sync import site_clock
    from sandbox.scenario import load_scenario
    from sandbox.server import SandboxServer

    began = time.monotonic()
    scenario = load_scenario()
    with tempfile.TemporaryDirectory(prefix="dispute-agent-demo-") as scratch:
        state_dir = Path(keep_state) if keep_state else Path(scratch) / "state"
        say("1. Starting the sandbox marketplace (26 orders in USD, EUR, BRL, PLN, CNY; scripted sellers;")
        say("   a virtual clock) and a local inbox for the notifications…")
        with SandboxServer(scenario) as server, DemoInbox() as inbox:
            say(f"   shop: {server.url}   (log in by hand: {scenario.account.login} / {scenario.account.password})")
            settings = load_settings(
                None,
                site={"base_url": server.url},
                state={"dir": str(state_dir)},
                politeness={"min_delay_ms": 50, "max_delay_ms": 150, "detail_concurrency": 3},
                notifications={"channels": [{"name": "demo-inbox", "url": inbox.url}]},
                policy={"tracking_reads_per_poll": 2},  # a page load each: two show it, ten only take time
            )
            account = Credentials(login=scenario.account.login,
                                  password=SecretStr(scenario.account.password), source="demo")
            store = Store(settings.state.db_path)
            try:
                policy = settings.policy.model_copy(update={"on_zero_offer": "escalate"})
                say("\n2. The agent's first poll: logging in with a headless browser, reading every order the way")
                say("   the page gets it, each order's detail page for the exact end of its purchase protection,")
                say("   and every open dispute. What it finds goes to the inbox as ONE summary message…")
                with PollProgress() as progress:
                    first = poll(settings, store, policy, say=lambda line: say("   " + line),
                                 credentials=lambda: account, progress=progress)
                say(f"   {first.orders} orders read; site time {moment(site_clock(store)(), settings.zone)}.")
                say(f"   {first.summary_line()}")
                for message in inbox.messages:
                    say("   inbox ← " + str(message.get("title", "")))
                print_orders(store.orders(), site_clock(store)(), show_all=False, as_json=False, zone=settings.zone,
                             disputes=DisputeRecords(store).by_order())

                say(f"\n3. The keyboard of order {DEMO_ORDER} never arrived. Opening a dispute with a photo:")
                request = OpenRequest(order_id=DEMO_ORDER, received=False, reason="not_arrived",
                                      attach=(_photo(Path(scratch)),))

                def show(plan) -> bool:
                    print_plan(plan, dry_run=False)
                    say("   (the demo answers 'yes' for you)")
                    return True

                (opened,) = open_dispute(settings, store, request, show, say=lambda line: say("   " + line),
                                         credentials=lambda: account)
                say(f"   dispute {opened.reverse_line_id} opened; screenshots of the form and the confirmation kept.")

                say("\n4. Three days pass on the sandbox's clock. On day 2 the seller proposed a refund of 0.00")
                say("   and gave two days to answer: left alone, the case would close with nothing.")
                server.advance(timedelta(days=3, hours=1))

                say("\n5. The agent polls, with the policy on_zero_offer = \"escalate\". Like today's site, the dispute")
                say("   page offers no escalation (AliExpress steps in by itself later), so the agent answers the")
                say("   offer through the page's \"I don't agree with above solution(s)\" instead…")
                seen = len(inbox.messages)
                result = poll(settings, store, policy, say=lambda line: say("   " + line),
                              credentials=lambda: account)
                for alert in as_told(result.new_alerts, settings.zone):
                    say(f"   [{alert.severity.value}] {alert.title}")
                say(f"   {result.summary_line()}")
                for message in inbox.messages[seen:]:
                    say("   inbox ← " + str(message.get("title", "")))
                    if "0.00" in str(message.get("title", "")):  # the offer and what was done: one message
                        for line in str(message.get("message", "")).splitlines()[2:6]:
                            say("   │ " + line)
                case = next(d for d in server.state()["disputes"] if d["reverse_line_id"] == opened.reverse_line_id)
                say(f"   on the site the case is now: {case['status']} (the 0.00 offer was not accepted)")

                say("\n6. What the agent did (dispute-agent log):")
                for entry in DisputeRecords(store).audit_entries():
                    say(f"   {entry.action:14} {entry.outcome:8} {entry.dispute_id or '':18} {entry.evidence or ''}")

                say("\n7. What needs you now, soonest deadline first (dispute-agent, with no command):")
                now = site_clock(store)()
                print_agenda(build_agenda(watch_state(store), now, policy), now, False, settings.zone)
                if web_minutes:
                    _explore_on_the_page(settings, web_minutes, say)
            finally:
                store.close()
        say(f"\nDone in {time.monotonic() - began:.0f} s. The sandbox and the inbox are stopped"
            + (f"; the agent's state is in {state_dir}." if keep_state else
               "; the demo's state was a temporary folder, now removed (keep it with --keep-state DIR)."))
    return 0
