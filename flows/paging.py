"""Reading a list whose order is not stable, one pass over its pages at a time.

Why: the order list is sorted by placing day only, and orders of one day come in a new
order on every call, so a page boundary inside a day can show an order twice and skip
another (a receipts tool saw it on the live site, 2026-10). Whatever the order, a
pass over all pages shows exactly as many rows as there are orders: the rows of a
pass count the orders, and a row seen twice in one pass means one order was skipped.
So the reader keeps the union of its passes, by order id, until the union holds as
many orders as a whole pass showed rows (the most any pass showed: when the list
changes between passes, a false alarm is better than a silent gap) — and, when it
cannot, says how many are missing instead of passing a short list off as whole.

Pure: no browser, no clock; ``flows.orders`` feeds it what each pass showed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["PassUnion", "missing_after"]

T = TypeVar("T")


@dataclass
class PassUnion(Generic[T]):
    """The distinct items of one or more passes, in the order first seen."""

    items: dict[str, T] = field(default_factory=dict)
    #: the most rows a whole pass showed: the site's count of items (None before one)
    rows: int | None = None
    #: whole passes so far
    passes: int = 0
    _pass_rows: int = 0
    _pass_keys: set[str] = field(default_factory=set)

    def start_pass(self) -> None:
        self._pass_rows = 0
        self._pass_keys = set()

    @property
    def repeated(self) -> bool:
        """An item came twice in the pass in progress: the pass skipped another."""
        return self._pass_rows > len(self._pass_keys)

    def add(self, key: str, item: T) -> bool:
        """One row of the pass in progress; True when its item is new to the union.

        A row seen again keeps its place and takes the newer reading.
        """
        self._pass_rows += 1
        self._pass_keys.add(key)
        new = key not in self.items
        self.items[key] = item
        return new

    def end_pass(self) -> None:
        """The pass went through every page: its rows count the items to reach."""
        self.rows = max(self.rows or 0, self._pass_rows)
        self.passes += 1

    @property
    def missing(self) -> int | None:
        """Items the site listed that no pass showed (None until a whole pass)."""
        if self.rows is None:
            return None
        return max(0, self.rows - len(self.items))

    @property
    def complete(self) -> bool:
        return self.missing == 0


def missing_after(passes: Iterable[Sequence[str]]) -> int | None:
    """How many items whole passes (the keys of their rows, in order) failed to show."""
    union: PassUnion[None] = PassUnion()
    for rows in passes:
        union.start_pass()
        for key in rows:
            union.add(key, None)
        union.end_pass()
    return union.missing
