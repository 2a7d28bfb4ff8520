"""Run the sandbox on a real socket, in a background thread.

Tests, the demo and benchmarks need the sandbox as a real HTTP server (Chromium
talks to it over TCP, exactly as to the real site) but inside their own process, on
a free port. ``SandboxServer`` binds its sockets itself, so the actual ports are known
before uvicorn starts, and stops within a second or two even with a browser holding
keep-alive connections open.

Two listeners, as the real site has separate hosts (see ``origins``): the main one
serves ``www.`` and ``m.<domain>``, the second one ``login.<domain>``. A browser
reaches them by name (``url``, ``mobile_url``, ``login_url``); Python clients, which
cannot resolve ``*.localhost``, reach the control API by address (``control_url``).
"""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from .origins import DEFAULT_DOMAIN, Origins
from .scenario import Scenario, load_scenario
from .web import WorldHolder, create_app
from .world import World


def _load(scenario: Scenario | Path | str | None) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(scenario)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named explicitly: asyncio turns Nagle's algorithm off only on sockets
    # that say they are TCP, and with it on every keep-alive answer waits ~40 ms for an ACK
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _address_for_clients(host: str) -> str:
    """Where a client on this machine connects to reach a socket bound to ``host``."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


class SandboxServer:
    """The sandbox app served by uvicorn in a thread; port 0 picks a free port.

    ``domain`` is the parent of the site's host names (``www.``, ``m.``, ``login.``);
    the default, ``aliexpress.localhost``, resolves to this machine in every browser.
    """

    def __init__(self, scenario: Scenario | Path | str | None = None, host: str = "127.0.0.1",
                 port: int = 0, *, login_port: int = 0, domain: str = DEFAULT_DOMAIN,
                 rate: float | None = None, log_level: str = "warning") -> None:
        loaded = _load(scenario)
        world = World(loaded)
        if rate is not None:
            world.clock.set_rate(rate)
        self.app = create_app(world)
        self.host = host
        self.domain = domain
        self.requested_port = port
        self.requested_login_port = login_port
        self.port: int | None = None
        self.login_port: int | None = None
        self.log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sockets: list[socket.socket] = []
        self._client: httpx.Client | None = None

    # --- lifecycle -----------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> "SandboxServer":
        if self._thread is not None:
            return self
        main = _bind(self.host, self.requested_port)
        try:
            login = _bind(self.host, self.requested_login_port)
        except OSError:
            main.close()
            raise
        self._sockets = [main, login]
        self.port = main.getsockname()[1]
        self.login_port = login.getsockname()[1]
        self.app.state.origins = Origins.served("http", self.domain, self.port, self.login_port)
        self.app.state.login_port = self.login_port
        config = uvicorn.Config(self.app, log_level=self.log_level, lifespan="off", access_log=False,
                                date_header=False,
                                timeout_graceful_shutdown=1, timeout_keep_alive=5)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": list(self._sockets)},
                                        name=f"sandbox-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"the sandbox server failed to start on {self.url}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the sandbox server did not start within {timeout:g} s")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout / 2)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout / 2)
        for sock in self._sockets:
            sock.close()
        self._sockets = []
        self._server = self._thread = None

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C arrives in the caller as KeyboardInterrupt)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what tests use ------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The desktop site (``www.``): orders, order pages, the dispute form."""
        return f"http://www.{self.domain}:{self._port()}"

    @property
    def mobile_url(self) -> str:
        """The mobile site (``m.``): the refund/dispute list and each dispute's page."""
        return f"http://m.{self.domain}:{self._port()}"

    @property
    def login_url(self) -> str:
        """The sign-in host (``login.``), on the second listener."""
        port = self.login_port if self.login_port is not None else self.requested_login_port
        return f"http://login.{self.domain}:{port}"

    @property
    def address_url(self) -> str:
        """The main listener by address, for clients that cannot resolve ``*.localhost``."""
        host = _address_for_clients(self.host)
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self._port()}"

    @property
    def control_url(self) -> str:
        return f"{self.address_url}/__sandbox__"

    def _port(self) -> int:
        return self.port if self.port is not None else self.requested_port

    @property
    def holder(self) -> WorldHolder:
        return self.app.state.holder

    @property
    def world(self) -> World:
        """The current world (a new one after ``load`` or ``reset``)."""
        return self.holder.world

    def control(self, method: str, path: str, json: Any = None, content: str | bytes | None = None,
                *, check: bool = True) -> Any:
        """Call the control API over HTTP; returns the JSON (raises on 4xx/5xx when ``check``)."""
        if self._client is None:
            self._client = httpx.Client(base_url=self.control_url, timeout=30)
        response = self._client.request(method, "/" + path.lstrip("/"), json=json, content=content)
        if check and response.status_code >= 400:
            raise RuntimeError(f"{method} /__sandbox__/{path.lstrip('/')}: HTTP {response.status_code} "
                               f"{response.text}")
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.content

    def state(self) -> dict[str, Any]:
        return self.control("GET", "state")

    def advance(self, delta: timedelta | str | None = None, **parts: float) -> dict[str, Any]:
        """``advance(timedelta(days=2))``, ``advance("P2DT3H")`` or ``advance(days=2, hours=3)``."""
        if isinstance(delta, timedelta):
            value: Any = {"seconds": delta.total_seconds()}
        elif isinstance(delta, str):
            value = delta
        else:
            value = parts
        return self.control("POST", "clock", {"advance": value})

    def reset(self) -> dict[str, Any]:
        return self.control("POST", "reset")

    def load(self, scenario: Scenario | Path | str) -> dict[str, Any]:
        """Replace the world: a Scenario, a TOML file path, or TOML text (contains a newline)."""
        if isinstance(scenario, Scenario):
            return self.control("POST", "scenario", json=scenario.model_dump(mode="json"))
        if isinstance(scenario, str) and "\n" in scenario:
            return self.control("POST", "scenario", content=scenario.encode())
        return self.control("POST", "scenario", json={"path": str(scenario)})

    def session_state(self) -> dict[str, Any]:
        """A logged-in browser state (cookies) for the current world, without signing in."""
        return self.control("POST", "session")

    def expire_sessions(self) -> dict[str, Any]:
        return self.control("POST", "session/expire")

    def set_captcha(self, on: bool, kind: str = "dialog") -> dict[str, Any]:
        """``kind``: ``dialog`` (after "Sign in") or ``punish`` (in front of every page)."""
        return self.control("POST", "captcha", {"on": on, "kind": kind} if on else {"on": on})

    def add_fault(self, kind: str, path: str = "/", remaining: int | None = None,
                  delay_ms: int = 0) -> dict[str, Any]:
        return self.control("POST", "faults", {"kind": kind, "path": path, "remaining": remaining,
                                               "delay_ms": delay_ms})

    def requests(self) -> dict[str, int]:
        """The site's requests counted by kind since the start or the last ``clear_requests``."""
        return self.control("GET", "requests")

    def clear_requests(self) -> None:
        self.control("DELETE", "requests")

    def clear_faults(self) -> dict[str, Any]:
        return self.control("DELETE", "faults")

    def seller(self, reverse_line_id: str, **step: Any) -> dict[str, Any]:
        return self.control("POST", f"disputes/{reverse_line_id}/seller", step)

    def move_protection(self, order_id: str, days: float) -> dict[str, Any]:
        """The seller extends (days > 0) or shortens an order's protection."""
        return self.control("POST", f"orders/{order_id}/protection", {"days": days})

    def mediator(self, reverse_line_id: str, **step: Any) -> dict[str, Any]:
        return self.control("POST", f"disputes/{reverse_line_id}/mediator", step)
