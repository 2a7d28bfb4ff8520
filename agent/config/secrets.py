"""The site login and password, from the safest place that has them.

Order, first found wins:

1. a credentials directory (``secrets.credentials_dir``, else ``$CREDENTIALS_DIRECTORY``
   as systemd's ``LoadCredential=`` sets it; Docker secrets work the same way) with
   the files ``login`` and ``password``;
2. the variables ``DISPUTE_AGENT_LOGIN`` and ``DISPUTE_AGENT_PASSWORD``;
3. a keyring, service ``dispute-agent``, user name = the login, but only through the
   backend named in ``secrets.keyring_backend``.

Keyring never chooses a backend here: on a headless server its own choice may be a
file that keeps the password in clear text, or one that silently stores nothing.
Backends that keyring itself rates "not recommended" (priority below 1, such as
``keyrings.alt.file.PlaintextKeyring``) are refused unless
``secrets.allow_plaintext_keyring`` says otherwise.

The password is a :class:`pydantic.SecretStr` from the moment it is read, so a repr,
a log line or an error message shows ``**********``.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Mapping
from pathlib import Path

import keyring
from keyring.backend import KeyringBackend
from pydantic import BaseModel, ConfigDict, SecretStr

from agent.config.settings import Settings
from agent.core.errors import SecretError

__all__ = [
    "CREDENTIALS_DIRECTORY_ENV",
    "KEYRING_SERVICE",
    "LOGIN_ENV",
    "PASSWORD_ENV",
    "Credentials",
    "get_credentials",
    "load_keyring_backend",
    "store_password",
]

log = logging.getLogger("dispute_agent.secrets")

#: the variable systemd sets for ``LoadCredential=``
CREDENTIALS_DIRECTORY_ENV = "CREDENTIALS_DIRECTORY"
LOGIN_ENV = "DISPUTE_AGENT_LOGIN"
PASSWORD_ENV = "DISPUTE_AGENT_PASSWORD"
#: keyring service name; the keyring user name is the login
KEYRING_SERVICE = "dispute-agent"
LOGIN_FILE = "login"
PASSWORD_FILE = "password"

#: keyring's own rule: a priority of 1 or more is "recommended"; below is a last resort
RECOMMENDED_PRIORITY = 1.0

_HOW_TO_PROVIDE = (
    "provide them in one of three ways: "
    "(1) files 'login' and 'password' in a credentials directory "
    "(secrets.credentials_dir or $CREDENTIALS_DIRECTORY, e.g. systemd LoadCredential=); "
    f"(2) the variables {LOGIN_ENV} and {PASSWORD_ENV}; "
    "(3) a keyring: set secrets.keyring_backend and account.login, "
    "then run 'dispute-agent secrets set'"
)


class Credentials(BaseModel):
    """A login and its password; ``source`` says where they were found (never the value)."""

    model_config = ConfigDict(frozen=True)

    login: str
    password: SecretStr
    #: "credentials_dir", "environment" or "keyring"
    source: str


def get_credentials(settings: Settings, environ: Mapping[str, str] | None = None) -> Credentials:
    """Find the login and password, or raise :class:`SecretError` saying how to provide them.

    ``environ`` defaults to ``os.environ``; it is a parameter so callers and tests can
    hand in exactly the environment they mean.
    """
    env = os.environ if environ is None else environ
    found = _from_directory(settings, env) or _from_environment(settings, env)
    if found is None:
        found = _from_keyring(settings, env)
    if found is None:
        raise SecretError(f"no site credentials found; {_HOW_TO_PROVIDE}")
    log.info("site credentials read from %s", found.source)
    return found


def store_password(settings: Settings, login: str, password: str | SecretStr) -> None:
    """Save ``password`` for ``login`` in the configured keyring backend.

    The same rules as reading apply: an explicit backend only, no plaintext unless
    allowed.
    """
    if not login:
        raise SecretError("no login given; pass the login id to store the password for")
    secret = password.get_secret_value() if isinstance(password, SecretStr) else password
    if not secret:
        raise SecretError("the password is empty; give the account's password")
    backend = load_keyring_backend(settings)
    if backend is None:
        raise SecretError(
            "no keyring backend configured; set secrets.keyring_backend "
            "(e.g. keyring.backends.SecretService.Keyring)"
        )
    try:
        backend.set_password(KEYRING_SERVICE, login, secret)
    except Exception as exc:  # backends raise their own errors; never chain (may echo input)
        raise SecretError(
            f"keyring {_class_path(type(backend))} could not store the password "
            f"({type(exc).__name__}); check that the keyring is unlocked and reachable"
        ) from None
    log.info("password stored in keyring %s", _class_path(type(backend)))


def load_keyring_backend(settings: Settings) -> KeyringBackend | None:
    """Instantiate the configured backend, make it keyring's current one, and return it.

    Returns ``None`` when no backend is configured: then the keyring is not used at all.
    """
    dotted = settings.secrets.keyring_backend
    if not dotted:
        return None
    module_name, _, class_name = dotted.rpartition(".")
    try:
        backend_cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise SecretError(
            f"keyring backend {dotted} cannot be loaded ({type(exc).__name__}: {exc}); "
            "install its package or fix secrets.keyring_backend"
        ) from exc
    if not (isinstance(backend_cls, type) and issubclass(backend_cls, KeyringBackend)):
        raise SecretError(
            f"{dotted} is not a keyring backend class; fix secrets.keyring_backend"
        )
    _refuse_unsafe(backend_cls, dotted, settings.secrets.allow_plaintext_keyring)
    try:
        backend = backend_cls()
    except Exception as exc:  # a backend's constructor may fail in many ways
        raise SecretError(
            f"keyring backend {dotted} failed to start ({type(exc).__name__}); "
            "check it works on this machine or choose another backend"
        ) from exc
    keyring.set_keyring(backend)
    return backend


def _refuse_unsafe(backend_cls: type, dotted: str, allow_plaintext: bool) -> None:
    try:
        priority = float(backend_cls.priority)
    except Exception as exc:  # keyring's protocol: priority raises when unusable here
        raise SecretError(
            f"keyring backend {dotted} is not usable on this machine ({exc}); "
            "choose another secrets.keyring_backend or use a credentials directory"
        ) from None
    plaintext = "plaintext" in backend_cls.__name__.lower()
    if (plaintext or priority < RECOMMENDED_PRIORITY) and not allow_plaintext:
        why = "stores passwords in plain text" if plaintext else (
            f"is not recommended by keyring (priority {priority:g} < {RECOMMENDED_PRIORITY:g})"
        )
        raise SecretError(
            f"keyring backend {dotted} {why}; refused. Use an encrypted backend or a "
            "credentials directory, or set secrets.allow_plaintext_keyring = true to accept it"
        )


def _from_directory(settings: Settings, env: Mapping[str, str]) -> Credentials | None:
    configured = settings.secrets.credentials_dir
    from_env = env.get(CREDENTIALS_DIRECTORY_ENV)
    directory = configured or (Path(from_env) if from_env else None)
    if directory is None:
        return None
    where = "secrets.credentials_dir" if configured else f"${CREDENTIALS_DIRECTORY_ENV}"
    if not directory.is_dir():
        raise SecretError(
            f"credentials directory {directory} (from {where}) does not exist; "
            "create it or fix the setting"
        )
    password = _read_secret_file(directory / PASSWORD_FILE)
    if password is None:
        return None
    login = (
        _read_secret_file(directory / LOGIN_FILE) or settings.account.login or env.get(LOGIN_ENV)
    )
    if not login:
        raise SecretError(
            f"credentials directory {directory} has a password but no login; "
            f"add a file '{LOGIN_FILE}' there or set account.login"
        )
    return Credentials(login=login, password=SecretStr(password), source="credentials_dir")


def _from_environment(settings: Settings, env: Mapping[str, str]) -> Credentials | None:
    password = env.get(PASSWORD_ENV)
    if not password:
        return None
    login = env.get(LOGIN_ENV) or settings.account.login
    if not login:
        raise SecretError(f"{PASSWORD_ENV} is set but no login; set {LOGIN_ENV} or account.login")
    return Credentials(login=login, password=SecretStr(password), source="environment")


def _from_keyring(settings: Settings, env: Mapping[str, str]) -> Credentials | None:
    login = settings.account.login or env.get(LOGIN_ENV)
    if not login:
        return None  # the keyring is looked up by login: nothing to ask for
    backend = load_keyring_backend(settings)
    if backend is None:
        return None
    try:
        password = backend.get_password(KEYRING_SERVICE, login)
    except Exception as exc:  # backends raise their own errors (D-Bus, locked, …)
        raise SecretError(
            f"keyring {settings.secrets.keyring_backend} could not be read ({type(exc).__name__}); "
            "check that it is unlocked and reachable"
        ) from None
    if not password:
        return None
    return Credentials(login=login, password=SecretStr(password), source="keyring")


def _read_secret_file(path: Path) -> str | None:
    """The file's text without one trailing newline; ``None`` if absent or empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SecretError(
            f"cannot read {path} ({exc.strerror or type(exc).__name__}); fix its permissions"
        ) from None
    if path.name == PASSWORD_FILE and path.stat().st_mode & 0o077:
        log.warning("%s is readable by other users; chmod 600 it", path)
    text = text.removesuffix("\n").removesuffix("\r")
    return text or None


def _class_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
