"""Keyring backends that live in memory, for tests.

Tests must never touch the developer's real keyring, and keyring must never pick a
backend on its own, so tests name one of these by dotted path in
``secrets.keyring_backend``, exactly as a user names a real one.

The store is class-level so that the instance the agent creates and the test see the
same passwords; call :meth:`MemoryKeyring.reset` between tests.
"""

from __future__ import annotations

from typing import ClassVar

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

#: ``tests.support.memory_keyring.MemoryKeyring``, for the settings
MEMORY_KEYRING = f"{__name__}.MemoryKeyring"
PLAINTEXT_KEYRING = f"{__name__}.PlaintextMemoryKeyring"
NOT_RECOMMENDED_KEYRING = f"{__name__}.NotRecommendedKeyring"


class MemoryKeyring(KeyringBackend):
    """A recommended-priority backend whose passwords vanish with the process."""

    priority: ClassVar[float] = 1  # type: ignore[assignment]  # keyring uses a classproperty
    _store: ClassVar[dict[tuple[str, str], str]] = {}

    @classmethod
    def reset(cls) -> None:
        MemoryKeyring._store.clear()

    def get_password(self, service: str, username: str) -> str | None:
        return MemoryKeyring._store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        MemoryKeyring._store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del MemoryKeyring._store[(service, username)]
        except KeyError:
            raise PasswordDeleteError("no such password") from None


class PlaintextMemoryKeyring(MemoryKeyring):
    """Stands in for ``keyrings.alt.file.PlaintextKeyring``: refused by its name."""


class NotRecommendedKeyring(MemoryKeyring):
    """A backend keyring itself rates below "recommended" (like keyrings.alt's files)."""

    priority: ClassVar[float] = 0.5  # type: ignore[assignment]
