"""Who may use the page: a password (its argon2 hash in the settings), a trusted reverse
proxy's header, or, on a loopback address with neither, a start token printed to the
terminal that started the page (decision 0014).

A sign-in is a signed session cookie; failed attempts are limited per client address
and over all addresses, so a password cannot be guessed at the speed of a script.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agent.config.settings import WebSettings
from agent.core.errors import ConfigError, UserInputError

#: the cookie's signing key, generated once into the state directory
SECRET_KEY_FILE = "web-secret-key"
#: failed sign-ins allowed in WINDOW from one address, and from all addresses together
PER_ADDRESS, OVERALL = 5, 30
WINDOW = timedelta(minutes=15)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    if len(password) < 8:
        raise UserInputError("the page's password must be at least 8 characters; choose a longer one")
    return PasswordHasher().hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return PasswordHasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_can_serve(web: WebSettings, host: str, *, start_token: bool) -> None:
    """Refuse to start where the page would be open: never unauthenticated on the network."""
    if web.password_hash is not None or web.proxy_header:
        return
    if not is_loopback(host):
        raise ConfigError(f"the page would be open to the network on {host} without a password; set one with "
                          "'dispute-agent web password' (or web.proxy_header behind a trusted proxy), "
                          "or keep host = 127.0.0.1")
    if not start_token:
        raise ConfigError("the page has no password to ask for; set one with 'dispute-agent web password' "
                          "(or web.proxy_header behind a trusted proxy), or start it with 'dispute-agent web', "
                          "which prints a sign-in address")


def secret_key(state_dir: Path) -> str:
    """The cookie's signing key: made once, kept 0600 in the state directory, never shown."""
    import os

    from agent.storage.private_files import private_dir

    path = state_dir / SECRET_KEY_FILE
    if path.is_file():
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= 32:
            return key
    private_dir(state_dir)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(key)
    os.chmod(path, 0o600)
    return key


class TooManyAttempts(Exception):
    """Sign-in refused without checking the password, until ``retry_at``."""

    def __init__(self, retry_at: datetime, overall: bool) -> None:
        super().__init__(retry_at)
        self.retry_at = retry_at
        self.overall = overall


@dataclass
class RateLimit:
    """Failed sign-ins in a sliding window, per address and over all of them."""

    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    per_address: int = PER_ADDRESS
    overall: int = OVERALL
    window: timedelta = WINDOW
    _failures: dict[str, deque[datetime]] = field(default_factory=dict)
    _all: deque[datetime] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, address: str) -> None:
        with self._lock:
            self._check_locked(address)

    def failed(self, address: str) -> None:
        with self._lock:
            self._count_locked(address)

    def attempt(self, address: str) -> datetime:
        """Check and count an attempt as failed in one step, before the slow password check:
        parallel sign-ins cannot slip past the limit together. :meth:`succeeded` takes it back."""
        with self._lock:
            self._check_locked(address)
            return self._count_locked(address)

    def _check_locked(self, address: str) -> None:
        now = self.now()
        self._forget(now)
        mine = self._failures.get(address, deque())
        if len(mine) >= self.per_address:
            raise TooManyAttempts(mine[0] + self.window, overall=False)
        if len(self._all) >= self.overall:
            raise TooManyAttempts(self._all[0] + self.window, overall=True)

    def _count_locked(self, address: str) -> datetime:
        now = self.now()
        self._failures.setdefault(address, deque()).append(now)
        self._all.append(now)
        return now

    def succeeded(self, address: str, stamp: datetime) -> None:
        with self._lock:
            for queue in (self._failures.get(address), self._all):
                if queue is not None and stamp in queue:
                    queue.remove(stamp)

    def _forget(self, now: datetime) -> None:
        since = now - self.window
        for queue in (*self._failures.values(), self._all):
            while queue and queue[0] <= since:
                queue.popleft()
        for address in [a for a, q in self._failures.items() if not q]:
            del self._failures[address]


class Gate:
    """The page's one answer to "who is this?": a signed-in session or a trusted proxy's header."""

    def __init__(self, web: WebSettings, start_token: str | None = None,
                 now: Callable[[], datetime] | None = None) -> None:
        self.web = web
        self.start_token = start_token
        self.now = now or (lambda: datetime.now(UTC))
        self.limit = RateLimit(now=self.now)
        self._proxies = [ipaddress.ip_network(entry, strict=False) for entry in web.trusted_proxies]

    @property
    def has_password(self) -> bool:
        return self.web.password_hash is not None

    def proxy_user(self, client: str | None, headers: dict[str, str]) -> str | None:
        """The user a trusted proxy names; None from any other address, whatever it sends."""
        if not self.web.proxy_header or client is None:
            return None
        try:
            address = ipaddress.ip_address(client)
        except ValueError:
            return None
        if not any(address in network for network in self._proxies):
            return None
        user = headers.get(self.web.proxy_header.lower(), "").strip()
        return user or None

    def signed_in(self, session: dict) -> bool:
        until = session.get("signed_in_until")
        return isinstance(until, (int, float)) and until > self.now().timestamp()

    def sign_in(self, session: dict) -> None:
        session["signed_in_until"] = (self.now() + timedelta(hours=self.web.session_hours)).timestamp()

    def try_password(self, address: str, password: str) -> bool:
        """Raises :class:`TooManyAttempts` before looking at the password once the limit is hit."""
        stamp = self.limit.attempt(address)
        if self.web.password_hash is not None and password_matches(self.web.password_hash.get_secret_value(),
                                                                   password):
            self.limit.succeeded(address, stamp)
            return True
        return False

    def try_token(self, address: str, token: str) -> bool:
        stamp = self.limit.attempt(address)
        if self.start_token and token and hmac.compare_digest(self.start_token.encode(), token.encode()):
            self.limit.succeeded(address, stamp)
            return True
        return False


def write_password_hash(config_file: Path, password_hash: str) -> None:
    """``[web] password_hash`` set in the settings file, its comments and other keys kept;
    a new file is made 0600 (it then holds only this)."""
    import os

    import tomlkit

    from agent.core.state_errors import file_error

    try:
        document = tomlkit.parse(config_file.read_text(encoding="utf-8")) if config_file.is_file() else tomlkit.document()
        web = document.get("web")
        if web is None:
            web = tomlkit.table()
            document["web"] = web
        web["password_hash"] = password_hash
        config_file.parent.mkdir(parents=True, exist_ok=True)
        mode = config_file.stat().st_mode & 0o777 if config_file.is_file() else 0o600
        temp = config_file.with_name(f".{config_file.name}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(tomlkit.dumps(document))
        os.replace(temp, config_file)
    except OSError as error:
        raise file_error(error) from error
