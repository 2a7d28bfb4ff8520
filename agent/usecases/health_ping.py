"""The "I am alive" ping to an outside monitor after each poll (``[health]`` settings).

Why outbound: a monitor on another machine (Healthchecks.io, Uptime Kuma's push
monitor) notices what the home server cannot tell anyone itself — it is off, its
network is down, the daemon is wedged — because the pings stop. A ping is a plain GET
with a short timeout, after the poll is done and recorded: it never fails the poll,
never delays it beyond its timeout, and its address (which holds the monitor's token)
is logged only as its host.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from urllib.parse import urlsplit

__all__ = ["ping", "ping_after_poll", "shown"]

log = logging.getLogger("dispute_agent.health")


def shown(url: str) -> str:
    """The address as a log may show it: scheme and host, the token-bearing rest masked."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}{f':{parts.port}' if parts.port else ''}/****"


def ping(url: str, timeout: float) -> bool:
    """GET ``url``; True when it answered 2xx. Every failure is one log line, never raised."""
    request = urllib.request.Request(url, headers={"User-Agent": "dispute-agent"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            answer.read(1024)
            ok = 200 <= answer.status < 300
    except urllib.error.HTTPError as error:
        log.warning("health ping to %s answered HTTP %s: check [health] in the settings", shown(url), error.code)
        return False
    except Exception as error:  # noqa: BLE001 - a monitor down, DNS, a timeout: the next poll pings again
        reason = getattr(error, "reason", None) or error
        log.warning("health ping to %s failed (%s): the monitor will say so if it lasts", shown(url),
                    type(reason).__name__ if not str(reason) else str(reason).split("\n")[0])
        return False
    if not ok:
        log.warning("health ping to %s answered HTTP %s", shown(url), answer.status)
    return ok


def ping_after_poll(health, succeeded: bool) -> bool | None:
    """The ping for a poll that ``succeeded`` (or its failure), if the settings ask for one."""
    secret = health.ping_url if succeeded else health.fail_url
    if secret is None:
        return None
    try:
        return ping(secret.get_secret_value(), health.timeout_seconds)
    except Exception:  # never the poll's problem
        log.warning("health ping failed unexpectedly", exc_info=True)
        return False
