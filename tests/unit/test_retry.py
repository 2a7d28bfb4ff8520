"""A read-only page load the site fails is tried again with backoff; what still fails is "busy"."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from agent.config.settings import load_settings
from agent.core.errors import (
    PageChanged,
    SiteBusy,
    SiteUnavailable,
    SubmitUncertain,
    split_hint,
)
from flows.retry import with_retries
from tests.support.isolation import isolate_environment


@pytest.fixture
def settings(tmp_path, monkeypatch):
    isolate_environment(monkeypatch, tmp_path)
    return load_settings(None, browser={"load_attempts": 3, "retry_wait_s": 2, "retry_wait_max_s": 3})


def failing(times: int, error: Exception, then: object = "read"):
    calls = []

    def load():
        calls.append(1)
        if len(calls) <= times:
            raise error
        return then

    return load, calls


def busy_500() -> SiteUnavailable:
    return SiteUnavailable("the site answered HTTP 503", trouble="HTTP 503 to the page /orders")


def test_a_page_failing_twice_is_read_on_the_third_try_after_growing_waits(settings):
    waits: list[float] = []
    load, calls = failing(2, busy_500())
    assert with_retries(settings, "the order list", load, sleep=waits.append) == "read"
    assert len(calls) == 3 and waits == [2, 3]  # 2 s, then doubled up to retry_wait_max_s


def test_a_page_failing_every_try_is_the_site_busy_with_a_line_the_user_can_act_on(settings):
    load, calls = failing(99, busy_500())
    with pytest.raises(SiteBusy) as raised:
        with_retries(settings, "the order list", load, sleep=lambda _: None)
    assert len(calls) == 3
    assert str(raised.value) == ("the order list: the site is busy (HTTP 503 to the page /orders) — tried 3 times; "
                                 "try again in a few minutes")
    assert "flows/site.py" in raised.value.hint and raised.value.exit_code == 1
    raised.value.with_next_step("the next try is at Tue 24 Nov 2026, 14:05 CET (the daemon's next poll)")
    assert str(raised.value).endswith("tried 3 times; the next try is at Tue 24 Nov 2026, 14:05 CET "
                                      "(the daemon's next poll)")


@pytest.mark.parametrize("error", [
    SubmitUncertain("HTTP 500 right after 'Submit'", trouble="HTTP 500 to the form"),  # never sent twice
    SiteUnavailable("the order list moved orders between its pages"),  # no trouble: another try does not help
    PageChanged("order.list: data missing"),
])
def test_a_submit_a_changed_page_or_a_lasting_problem_is_not_tried_again(settings, error):
    load, calls = failing(99, error)
    with pytest.raises(type(error)) as raised:
        with_retries(settings, "the page", load, sleep=lambda _: None)
    assert raised.value is error and len(calls) == 1


@dataclass
class Read:
    orders: list
    error: Exception | None = None


def test_a_read_that_keeps_its_error_is_tried_again_and_keeps_what_it_read(settings):
    results = iter([Read([1], busy_500()), Read([1, 2], busy_500()), Read([1, 2, 3], busy_500())])
    final = with_retries(settings, "the order pages", lambda: next(results), returns_error=True, sleep=lambda _: None)
    assert final.orders == [1, 2, 3] and isinstance(final.error, SiteBusy)
    assert with_retries(settings, "x", lambda: Read([4]), returns_error=True).error is None


def test_one_attempt_means_no_second_try(tmp_path, monkeypatch):
    isolate_environment(monkeypatch, tmp_path)
    once = load_settings(None, browser={"load_attempts": 1})
    load, calls = failing(99, busy_500())
    with pytest.raises(SiteBusy, match="tried once"):
        with_retries(once, "the page", load)
    assert len(calls) == 1


@pytest.mark.parametrize(("message", "user", "hint"), [
    ("the list shows 3 rows for 4 cases; the page changed: compare the evidence with flows/site.py",
     "the list shows 3 rows for 4 cases", "the page changed: compare the evidence with flows/site.py"),
    ("order.detail: data.hierarchy missing — the site changed; save the response and update flows/parsers",
     "order.detail: data.hierarchy missing", "the site changed; save the response and update flows/parsers"),
    ("the site answered HTTP 500; try again later", "the site answered HTTP 500; try again later", None),
])
def test_the_maintainers_clause_leaves_the_users_line(message, user, hint):
    assert split_hint(message) == (user, hint)
    error = PageChanged(message)
    assert str(error) == user and error.hint == hint
