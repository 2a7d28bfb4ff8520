"""What a Prometheus server scrapes from ``/metrics``: the agent's state, read at scrape time.

Why a collector that reads the store on each scrape, and not counters the daemon bumps:
the daemon, the CLI and the web page are separate processes over one database, so
the database is the one truth; a scrape opens a read-only snapshot (never a write,
never a lock on the daemon) and asks the same functions ``status``, the agenda and the
alerts ask (``agent.storage.health``, ``agent.usecases.poll.watch_state``, ``agent.judge.rules.judge``,
``agent.judge.agenda.build_agenda``, the outbox's ``pending_count``). Its own registry, not
the library's global one: nothing else (no process or Python metrics of whoever
imports this) is exposed, and two apps in one process do not collide.

A state that cannot be read is not an error page: ``dispute_agent_state_readable`` goes
to 0, which is exactly what an alert rule wants to see.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from agent.core.clock import Now, SiteClock, system_now

if TYPE_CHECKING:  # pragma: no cover
    from agent.config.settings import Settings

__all__ = ["PREFIX", "metrics_text", "state_metrics"]

PREFIX = "dispute_agent"


def state_metrics(settings: Settings, now: Now = system_now) -> dict[str, Any]:
    """The figures of one scrape (``None``: not known, the sample is left out); raises
    ``StorageError`` when the state cannot be read."""
    from agent.judge.agenda import build_agenda
    from agent.judge.alerts import AlertKind
    from agent.judge.rules import judge
    from agent.judge.watch_state import is_finished, is_nothing, pending_offers
    from agent.notifications.outbox import Outbox
    from agent.storage import health as health_store
    from agent.storage.store import Store
    from agent.usecases.ops import read_heartbeat
    from agent.usecases.poll import watch_state
    from agent.usecases.sync import site_clock

    store = Store(settings.state.db_path, read_only=True)
    try:
        site_now = SiteClock(site_clock(store).offset, local=now)()
        state = watch_state(store)
        alerts = judge(state, site_now, settings.policy)
        deadlines = [item.deadline for item in build_agenda(state, site_now, settings.policy, alerts)
                     if item.deadline is not None]
        health = health_store.load(store)
        outbox = Outbox(store, settings.notifications)
        pending = {channel.name: outbox.pending_count(channel.name) for channel in settings.notifications.channels}
    finally:
        store.close()
    try:
        beat = read_heartbeat(settings.state.dir)
    except ValueError:
        beat = None
    last = health.last_success_local_at or health.last_success_at
    return {
        "last_successful_poll": datetime.fromisoformat(last).timestamp() if last else None,
        "consecutive_failures": health.consecutive_failures,
        "heartbeat": beat.at.timestamp() if beat else None,
        "open_disputes": sum(1 for view in state.disputes if not is_finished(view.latest)),
        "zero_offers_pending": sum(1 for view in state.disputes for offer in pending_offers(view.latest)
                                   if is_nothing(offer.refund)),
        "next_deadline": (min(deadlines) - site_now).total_seconds() if deadlines else None,
        "tracking_stalled": sum(1 for alert in alerts if alert.kind is AlertKind.TRACKING_STALLED),
        "outbox_pending": pending,
    }


def metrics_text(settings: Settings, now: Now = system_now) -> bytes:
    """The Prometheus text exposition of one scrape, from a registry of its own."""
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_StateCollector(settings, now))
    return generate_latest(registry)


class _StateCollector:
    """A prometheus_client custom collector (anything with ``collect``): one store read per scrape."""

    def __init__(self, settings: Settings, now: Now) -> None:
        self._settings, self._now = settings, now

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        from agent.core.errors import StorageError

        try:
            figures = state_metrics(self._settings, self._now)
        except StorageError:
            figures = None
        yield GaugeMetricFamily(f"{PREFIX}_state_readable", "1 when the agent's database could be read for this scrape",
                                value=0 if figures is None else 1)
        if figures is None:
            return
        for key, name, text in _GAUGES:
            if figures[key] is not None:
                yield GaugeMetricFamily(f"{PREFIX}_{name}", text, value=figures[key])
        outbox = GaugeMetricFamily(f"{PREFIX}_outbox_pending", "Deliveries not yet made, per channel",
                                   labels=["channel"])
        for channel, count in figures["outbox_pending"].items():
            outbox.add_metric([channel], count)
        yield outbox


#: (figure, metric name without the prefix, help)
_GAUGES = (
    ("last_successful_poll", "last_successful_poll_timestamp_seconds",
     "When the last poll succeeded (Unix time, this machine's clock)"),
    ("consecutive_failures", "consecutive_failures", "Polls failed in a row since the last success"),
    ("heartbeat", "heartbeat_timestamp_seconds", "The daemon's last heartbeat (Unix time)"),
    ("open_disputes", "open_disputes", "Disputes not finished"),
    ("zero_offers_pending", "zero_offers_pending", "Offers of nothing awaiting the buyer's answer"),
    ("next_deadline", "next_deadline_seconds", "Seconds until the next moment the buyer must act"),
    ("tracking_stalled", "tracking_stalled", "Parcels in transit whose tracking shows no news for too long"),
)
