"""One daemon job in a process of its own, killed with SIGKILL at a chosen point.

    python -m tests.support.simulation_job JOB NOW KILL

``JOB``: ``poll_job``, ``outbox_job`` or ``file:ORDER_ID`` (the buyer's command that
opens a dispute on the order, confirmed); ``NOW``: the machine's time for the job (the
simulation's virtual time, ISO); ``KILL``: where the process kills itself —
``submit`` (right after the site took an answer to an offer or a new dispute, before
the agent records it), ``send`` (right after a channel accepted a message, before it is marked
delivered), ``read`` (a random moment of the site's reading) or ``none``. The settings
come from the environment, as for ``dispute-agent run``; everything else is the real
code of the daemon's job.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import threading
from datetime import datetime


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _kill_after(module, name: str, wrap_method: str | None = None) -> None:
    real = getattr(module, name)
    if wrap_method is None:
        def after(*args, **kwargs):
            result = real(*args, **kwargs)
            _die()
            return result
        setattr(module, name, after)
        return
    method = getattr(real, wrap_method)

    def after_method(self, *args, **kwargs):
        result = method(self, *args, **kwargs)
        if getattr(result, "ok", True):
            _die()
        return result
    setattr(real, wrap_method, after_method)


#: exit codes of a filing: opened (or linked, or refused as a second one), to be run again later
FILED, AGAIN = 0, 3


def file_dispute(settings, store, order_id: str, now, after_submit=None) -> int:
    """The buyer's ``dispute-agent open ORDER --not-received --reason not_arrived --yes``,
    on the agent's clock: ``FILED`` or ``AGAIN`` (the site failed it, or a filing may still
    be arriving: the buyer runs the command again later, as its message says)."""
    from agent.core.clock import machine_clock
    from agent.core.errors import NotEligible, SiteError
    from agent.usecases.filing import OpenRequest, open_dispute

    # --force: the world's account has more disputes than the monthly warning allows
    request = OpenRequest(order_id=order_id, received=False, reason="not_arrived", force=True)
    with machine_clock(now):
        try:
            open_dispute(settings, store, request, confirm=lambda plan: True, say=lambda line: None,
                         after_submit=after_submit)
        except NotEligible as error:
            if "already exists" in str(error):  # the agent would not file a second one
                return FILED
            raise  # any other refusal is the simulation's mistake: said loudly
        except SiteError:
            return AGAIN
    return FILED


def main(argv: list[str]) -> int:
    job, now_text, kill = argv
    from apprise.plugins.base import NotifyBase

    import agent.notifications.notify
    import flows.dispute_actions
    from agent.config.settings import load_settings
    from agent.storage.store import Store
    from agent.usecases.daemon import Daemon
    from agent.usecases.virtual_schedule import VirtualScheduler

    NotifyBase.request_rate_per_sec = 0  # a local receiver: no pause between two messages
    agent.notifications.notify.DEFAULT_SEND_INTERVAL = 0.0
    now = datetime.fromisoformat(now_text)
    if kill == "submit":
        _kill_after(flows.dispute_actions, "act_on_dispute")
    elif kill == "send":
        _kill_after(agent.notifications.notify, "Notifier", "send")
    elif kill == "read":
        threading.Timer(random.uniform(1.0, 6.0), _die).start()
    settings = load_settings()
    store = Store(settings.state.db_path)
    if job.startswith("file:"):
        code = file_dispute(settings, store, job.split(":", 1)[1], lambda: now,
                            after_submit=_die if kill == "submit" else None)
        store.close()
        os._exit(code)
    daemon = Daemon(settings, store, now=lambda: now)
    daemon.scheduler = VirtualScheduler(lambda: now)
    getattr(daemon, job)()
    store.close()
    os._exit(0)  # a kill timer may still wait: the job is done


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
