"""The demo: the real agent against the built-in sandbox, narrated.

It starts the sandbox marketplace (demo world) on a free port of 127.0.0.1, points
the agent at it with a throw-away state folder, logs in through a headless browser,
reads every order and its protection timer, and prints what a user would see. It
stops everything it started, whatever happens.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from pydantic import SecretStr

from agent.secrets import Credentials


def run_demo(keep_state: Path | None = None, say: Callable[[str], None] = print) -> int:
    from agent.settings import load_settings
    from agent.store import Store
    from agent.sync import site_clock, sync_orders
    from agent.views import SyncProgress, print_orders
    from sandbox.scenario import load_scenario
    from sandbox.server import SandboxServer

    scenario = load_scenario()
    with tempfile.TemporaryDirectory(prefix="dispute-agent-demo-") as scratch:
        state_dir = Path(keep_state) if keep_state else Path(scratch)
        say("1. Starting the sandbox marketplace (the demo world: 26 orders, several currencies)…")
        with SandboxServer(scenario) as server:
            say(f"   {server.url}  (log in by hand with {scenario.account.login} / {scenario.account.password})")
            settings = load_settings(
                None,
                site={"base_url": server.url},
                state={"dir": str(state_dir)},
                politeness={"min_delay_ms": 50, "max_delay_ms": 150, "detail_concurrency": 3},
            )
            account = Credentials(login=scenario.account.login,
                                  password=SecretStr(scenario.account.password), source="demo")
            store = Store(settings.state.db_path)
            say("2. Logging in with a headless browser, then reading every order the way the page")
            say("   gets it (its own API answers), and each order's detail page for its timer…")
            with SyncProgress() as progress:
                report = sync_orders(settings, store, progress, credentials=lambda: account)
            say(f"   {report.orders} orders read, {report.details} detail pages; site time "
                f"{report.site_time:%Y-%m-%d %H:%M} UTC (the sandbox's virtual clock).")
            say("3. Orders by protection end — what 'dispute-agent orders' shows:")
            print_orders(store.orders(), site_clock(store)(), show_all=False, as_json=False)
            store.close()
        say(f"Done. The sandbox is stopped; the agent's database was {settings.state.db_path}"
            + ("" if keep_state else " (a temporary folder, now removed)."))
    return 0
