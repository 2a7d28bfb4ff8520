"""Counting the orders of a list whose order moves between calls (flows/paging.py).

A pass over every page shows as many rows as there are orders; a row seen twice in a
pass means another was skipped. These cases pin when a read is whole and how many
orders are reported missing — the number the user is told instead of a short list.
"""

from __future__ import annotations

import pytest

from flows.paging import PassUnion, missing_after


@pytest.mark.parametrize(
    "passes, missing",
    [
        ([["a", "b", "c", "d"]], 0),                            # a clean pass is whole at once
        ([["a", "b", "b", "d"]], 1),                            # b twice: one order (c) skipped
        ([["a", "b", "b", "b"]], 2),
        ([["a", "b", "b", "d"], ["a", "c", "b", "d"]], 0),      # the second pass shows c: whole
        ([["a", "b", "b", "d"], ["a", "b", "d", "d"]], 1),      # c never shown: still one missing
        ([["a", "b", "b", "d"], ["a", "b", "d", "d"], ["a", "c", "c", "d"]], 0),
        ([["a", "b", "c", "d"], ["a", "b", "c", "d", "e"]], 0),  # a new order between passes
        # fewer rows in a later pass (an order deleted?): the most rows any pass showed count,
        # a false alarm is better than a gap (here b or e may be the order that still exists)
        ([["a", "b", "b", "d", "e"], ["a", "c", "d", "d"]], 0),
        ([["a", "b", "b", "d", "e"], ["a", "b", "d", "d"]], 1),
        ([[]], 0),
        ([], None),                                            # no whole pass: nothing to count against
    ],
)
def test_missing_after_passes(passes: list[list[str]], missing: int | None) -> None:
    assert missing_after(passes) == missing


def test_union_keeps_the_first_place_and_the_newest_reading() -> None:
    union: PassUnion[str] = PassUnion()
    union.start_pass()
    assert [union.add(key, f"{key}1") for key in ("a", "b", "b")] == [True, True, False]
    union.end_pass()
    assert (union.rows, union.passes, union.missing, union.complete) == (3, 1, 1, False)
    union.start_pass()
    for key in ("c", "a", "b"):
        union.add(key, f"{key}2")
    union.end_pass()
    assert list(union.items.items()) == [("a", "a2"), ("b", "b2"), ("c", "c2")]
    assert (union.passes, union.missing, union.complete) == (2, 0, True)


def test_a_pass_in_progress_counts_against_the_last_whole_one() -> None:
    union: PassUnion[None] = PassUnion()
    union.start_pass()
    for key in ("a", "b", "b", "d"):
        union.add(key, None)
    assert union.missing is None and not union.complete  # no whole pass yet
    union.end_pass()
    union.start_pass()
    union.add("c", None)  # the re-read may stop here: c was the one skipped
    assert union.complete and union.rows == 4
