"""systemd's notification protocol (``Type=notify``), in the standard library.

Why our own few lines: the protocol is one datagram on the unix socket named by
``$NOTIFY_SOCKET`` (an abstract socket when it starts with ``@``), and the daemon needs
three messages: ``READY=1`` once its scheduler runs, ``WATCHDOG=1`` on each heartbeat,
``STOPPING=1`` on the way out. Without ``$NOTIFY_SOCKET`` (not under systemd, or
``Type=simple``) every call does nothing. A failure to send is logged, never raised: the
daemon's work matters more than its supervisor's news (if the watchdog is not fed,
systemd restarts the daemon, which is the point).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

__all__ = ["SystemdNotifier", "watchdog_interval"]

log = logging.getLogger("dispute_agent.systemd")


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """systemd's ``WatchdogSec=`` in seconds, when it set one for this process."""
    environ = os.environ if environ is None else environ
    usec = environ.get("WATCHDOG_USEC", "")
    pid = environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 1_000_000


class SystemdNotifier:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        address = environ.get("NOTIFY_SOCKET", "")
        self.address = "\0" + address[1:] if address.startswith("@") else address

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def send(self, *fields: str) -> bool:
        if not self.address:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(self.address)
                sock.sendall("\n".join(fields).encode())
        except OSError as error:
            log.warning("could not notify systemd (%s): check NotifyAccess= and the unit's Type=notify",
                        error.strerror or error)
            return False
        return True

    def ready(self, status: str = "") -> bool:
        return self.send("READY=1", *([f"STATUS={status}"] if status else []))

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def stopping(self) -> bool:
        return self.send("STOPPING=1")
