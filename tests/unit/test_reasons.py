"""The reason catalogue: complete, in step with the sandbox, and strict about branches."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from agent.core.errors import UserInputError
from agent.core.reasons import REASONS, Branch, Reason, get_reason, reasons_for
from sandbox.lifecycle import REASONS as SANDBOX_REASONS
from sandbox.lifecycle import Received

NOT_RECEIVED_KEYS = ["not_arrived", "wrong_address", "no_tracking", "customs", "returned_to_sender"]
RECEIVED_KEYS = ["not_as_described", "quality", "damaged", "missing_parts", "wrong_item", "counterfeit",
                 "empty_parcel", "short_quantity", "duplicate_charge"]


def test_branches_hold_the_forms_reasons_in_order() -> None:
    assert [r.key for r in reasons_for(Branch.NOT_RECEIVED)] == NOT_RECEIVED_KEYS
    assert [r.key for r in reasons_for(Branch.RECEIVED)] == RECEIVED_KEYS
    assert len(REASONS) == len({r.key for r in REASONS}) == 14


@pytest.mark.parametrize(("branch", "received"), [(Branch.NOT_RECEIVED, Received.NO), (Branch.RECEIVED, Received.YES)])
def test_keys_are_the_sandboxs_keys(branch: Branch, received: Received) -> None:
    assert [r.key for r in reasons_for(branch)] == list(SANDBOX_REASONS[received])
    assert branch.value == received.value


def test_every_reason_reads_as_english_for_a_buyer() -> None:
    for reason in REASONS:
        assert reason.label and reason.label[0].isupper() and reason.label.isascii()
        assert reason.summary and reason.summary == reason.summary.strip() and "\n" not in reason.summary


def test_reason_is_frozen() -> None:
    with pytest.raises(ValidationError):
        REASONS[0].label = "changed"  # type: ignore[misc]
    assert isinstance(REASONS[0], Reason)


@pytest.mark.parametrize("key", NOT_RECEIVED_KEYS + RECEIVED_KEYS)
def test_get_reason_finds_every_key_without_a_branch(key: str) -> None:
    assert get_reason(key).key == key


@pytest.mark.parametrize(("key", "branch"), [("customs", Branch.NOT_RECEIVED), ("damaged", Branch.RECEIVED)])
def test_get_reason_in_its_branch(key: str, branch: Branch) -> None:
    reason = get_reason(key, branch)
    assert (reason.key, reason.branch) == (key, branch)


@pytest.mark.parametrize("typed", ["Not-Arrived", " not_arrived ", "NOT_ARRIVED"])
def test_get_reason_forgives_case_dashes_and_spaces(typed: str) -> None:
    assert get_reason(typed, Branch.NOT_RECEIVED).key == "not_arrived"


def test_unknown_reason_lists_the_choices_of_the_branch() -> None:
    with pytest.raises(UserInputError) as excinfo:
        get_reason("broken", Branch.RECEIVED)
    message = str(excinfo.value)
    assert message.startswith("unknown reason 'broken'; choose one of: not_as_described, quality, damaged")
    assert "not_arrived" not in message
    assert "dispute-agent reasons" in message


def test_unknown_reason_without_branch_lists_all() -> None:
    with pytest.raises(UserInputError, match="choose one of: not_arrived, .*duplicate_charge"):
        get_reason("x")


@pytest.mark.parametrize(
    ("key", "asked", "belongs", "flag"),
    [
        ("damaged", Branch.NOT_RECEIVED, "package received", "--received"),
        ("not_arrived", Branch.RECEIVED, "package not received", "--not-received"),
    ],
)
def test_reason_of_the_other_branch_names_its_branch_and_flag(key: str, asked: Branch, belongs: str,
                                                              flag: str) -> None:
    with pytest.raises(UserInputError) as excinfo:
        get_reason(key, asked)
    message = str(excinfo.value)
    assert f"belongs to the {belongs} branch" in message
    assert f"use {flag} with it" in message
    for other in reasons_for(asked):
        assert other.key in message


def test_user_input_error_exits_with_2() -> None:
    with pytest.raises(UserInputError) as excinfo:
        get_reason("nope")
    assert excinfo.value.exit_code == 2
