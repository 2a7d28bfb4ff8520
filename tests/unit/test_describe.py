"""Dispute texts: every reason renders in English, with or without optional facts."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from agent.core.errors import UserInputError
from agent.core.money import Money
from agent.core.reasons import REASONS, Branch, Reason
from agent.usecases.describe import (
    MAX_DESCRIPTION_CHARS,
    DescriptionContext,
    long_date,
    looks_english,
    render_description,
    template_dirs,
)

PROJECT_TEMPLATES = Path(__file__).resolve().parents[2] / "config" / "templates" / "disputes"


def brl(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="BRL")


def full_context(reason: Reason, **changes: Any) -> DescriptionContext:
    values: dict[str, Any] = dict(
        order_id="8123456789012345",
        placed_on=date(2026, 7, 15),
        store_name="Shenzhen Audio Official Store",
        item_title="Wireless Earbuds Pro 5.3 Bluetooth Headphones",
        sku="Color: Black; Plug: EU",
        quantity=2,
        paid=brl("132.74"),
        asked=brl("132.74"),
        solution="refund_only",
        received=reason.branch is Branch.RECEIVED,
        protection_ends_at=datetime(2026, 9, 20, 2, 30, tzinfo=timezone.utc),
        delivery_promise=date(2026, 9, 4),
        tracking_state="Awaiting delivery",
        tracking_last_event="Departed from the sorting center.",
        tracking_last_event_at=datetime(2026, 8, 20, 1, 0, tzinfo=timezone.utc),
        today=date(2026, 9, 6),
        time_zone="America/Sao_Paulo",
        evidence_count=2,
    )
    values.update(changes)
    return DescriptionContext(**values)


def minimal_context(reason: Reason, **changes: Any) -> DescriptionContext:
    values: dict[str, Any] = dict(
        order_id="3000111222333444",
        placed_on=None,
        store_name=None,
        item_title="USB-C cable",
        sku=None,
        quantity=1,
        paid=None,
        asked=Money(amount=Decimal("4.99"), currency="USD"),
        solution="refund_only",
        received=reason.branch is Branch.RECEIVED,
        protection_ends_at=None,
        delivery_promise=None,
        tracking_state=None,
        tracking_last_event=None,
        tracking_last_event_at=None,
        today=date(2026, 9, 6),
    )
    values.update(changes)
    return DescriptionContext(**values)


def render(reason: Reason | str, ctx: DescriptionContext, **kwargs: Any) -> str:
    key = reason if isinstance(reason, str) else reason.key
    kwargs.setdefault("dirs", template_dirs(None))
    return render_description(key, ctx, **kwargs)


REASON_IDS = [r.key for r in REASONS]
NOT_RECEIVED = REASONS[0]
DAMAGED = next(r for r in REASONS if r.key == "damaged")


def assert_clean(text: str) -> None:
    assert "None" not in text
    assert text == text.strip()
    assert "\n\n\n" not in text
    assert "  " not in text
    assert "{{" not in text and "{%" not in text
    assert " ." not in text and " ," not in text and ".." not in text
    for paragraph in text.split("\n\n"):
        assert paragraph.strip() == paragraph and paragraph


# --- every reason ---------------------------------------------------------------------------


def test_every_reason_has_a_template() -> None:
    for reason in REASONS:
        assert (PROJECT_TEMPLATES / f"{reason.key}.txt.j2").is_file(), reason.key


@pytest.mark.parametrize("reason", REASONS, ids=REASON_IDS)
def test_full_context_renders_every_known_fact(reason: Reason) -> None:
    text = render(reason, full_context(reason))

    assert_clean(text)
    assert looks_english(text)
    assert "8123456789012345" in text
    assert "July 15, 2026" in text
    assert "Wireless Earbuds Pro 5.3 Bluetooth Headphones" in text and "Color: Black; Plug: EU" in text
    assert "132.74 BRL" in text
    # 02:30 UTC on the 20th is still the 19th in São Paulo
    assert "Buyer protection for this order ends on September 19, 2026" in text
    assert "Please see the 2 attached files." in text
    assert text.endswith("Thank you.")
    assert len(text) <= MAX_DESCRIPTION_CHARS


@pytest.mark.parametrize("reason", REASONS, ids=REASON_IDS)
def test_minimal_context_leaves_unknown_sentences_out(reason: Reason) -> None:
    text = render(reason, minimal_context(reason))

    assert_clean(text)
    assert looks_english(text)
    assert "3000111222333444" in text and "4.99 USD" in text
    for absent in ("placed order 3000111222333444 with", "protection", "tracking update", "order status",
                   "promises", "attached", "full refund", "partial refund", "details below"):
        assert absent not in text


@pytest.mark.parametrize("reason", [r for r in REASONS if r.branch is Branch.NOT_RECEIVED],
                         ids=lambda r: r.key)
def test_not_received_texts_state_tracking_promise_and_today(reason: Reason) -> None:
    text = render(reason, full_context(reason))

    assert "as of september 6, 2026" in text.lower()
    assert 'says "Departed from the sorting center".' in text
    # 01:00 UTC on Aug 20 is Aug 19 in São Paulo
    assert "on August 19, 2026" in text
    assert '"Refund if no delivery before September 4, 2026", and that date has passed.' in text
    assert "I ask for a full refund of 132.74 BRL." in text


def test_not_arrived_counts_the_days_since_the_order() -> None:
    text = render(NOT_RECEIVED, full_context(NOT_RECEIVED))
    assert "the package has not arrived, 53 days after I placed the order." in text


def test_a_promise_not_yet_passed_is_stated_without_claiming_it_passed() -> None:
    text = render(NOT_RECEIVED, full_context(NOT_RECEIVED, delivery_promise=date(2026, 9, 30)))
    assert '"Refund if no delivery before September 30, 2026".' in text
    assert "has passed" not in text


def test_a_protection_end_in_the_past_is_left_out() -> None:
    ctx = full_context(NOT_RECEIVED, protection_ends_at=datetime(2026, 9, 1, tzinfo=timezone.utc))
    assert "protection" not in render(NOT_RECEIVED, ctx)


@pytest.mark.parametrize(
    ("solution", "asked", "expected"),
    [
        ("refund_only", "132.74", "I ask for a full refund of 132.74 BRL, without returning the item."),
        ("refund_only", "40.00",
         "I ask for a partial refund of 40.00 BRL (I paid 132.74 BRL), without returning the item."),
        ("return_and_refund", "132.74",
         "I am ready to send the item back and ask for a full refund of 132.74 BRL once it is returned."),
        ("return_and_refund", "40",
         "I am ready to send the item back and ask for a partial refund of 40.00 BRL (I paid 132.74 BRL) "
         "once it is returned."),
    ],
)
def test_the_solution_asked_is_spelled_out(solution: str, asked: str, expected: str) -> None:
    text = render(DAMAGED, full_context(DAMAGED, solution=solution, asked=brl(asked)))
    assert expected in text


def test_duplicate_charge_asks_for_the_duplicate() -> None:
    reason = next(r for r in REASONS if r.key == "duplicate_charge")
    text = render(reason, full_context(reason))
    assert "I ask for the duplicate charge of 132.74 BRL to be refunded." in text


def test_single_piece_and_single_file_read_naturally() -> None:
    text = render(DAMAGED, full_context(DAMAGED, quantity=1, evidence_count=1))
    assert 'for "Wireless Earbuds' in text and "pieces of" not in text
    assert "Please see the attached file." in text


# --- the user's message --------------------------------------------------------------------


def test_message_is_appended_as_its_own_paragraph() -> None:
    text = render(DAMAGED, full_context(DAMAGED), message="  The left earbud does not charge.\n")
    paragraphs = text.split("\n\n")
    assert paragraphs[-1] == "The left earbud does not charge."
    assert paragraphs[-2].endswith("Thank you.")
    assert "I add more details below." in text


def test_message_keeps_its_line_breaks_and_one_blank_line_between_paragraphs() -> None:
    message = "Defects:\r\n- the case is cracked\r\n- one earbud is silent\r\n\r\n\r\n\r\nPhotos attached."
    text = render(DAMAGED, full_context(DAMAGED), message=message)
    assert text.endswith("Defects:\n- the case is cracked\n- one earbud is silent\n\nPhotos attached.")


def test_blank_message_adds_nothing() -> None:
    assert render(DAMAGED, full_context(DAMAGED), message="  \n ") == render(DAMAGED, full_context(DAMAGED))


def test_replace_uses_the_message_alone() -> None:
    text = render(DAMAGED, full_context(DAMAGED), message="\nThe screen is cracked.\n\n", replace=True)
    assert text == "The screen is cracked."


@pytest.mark.parametrize("message", [None, "", "   \n  "])
def test_replace_with_an_empty_message_is_refused(message: str | None) -> None:
    with pytest.raises(UserInputError, match="--replace-message needs your own text"):
        render(DAMAGED, full_context(DAMAGED), message=message, replace=True)


def test_replace_needs_no_template(tmp_path: Path) -> None:
    assert render("no_such_reason", full_context(DAMAGED), message="Mine.", replace=True, dirs=[]) == "Mine."


# --- limits and failures -------------------------------------------------------------------


def test_description_over_the_forms_limit_is_refused_with_its_length() -> None:
    with_one_char = render(DAMAGED, full_context(DAMAGED), message="x")
    room = MAX_DESCRIPTION_CHARS - len(with_one_char) + 1
    assert len(render(DAMAGED, full_context(DAMAGED), message="x" * room)) == MAX_DESCRIPTION_CHARS
    with pytest.raises(UserInputError) as excinfo:
        render(DAMAGED, full_context(DAMAGED), message="x" * (room + 1))
    assert f"is {MAX_DESCRIPTION_CHARS + 1} characters long" in str(excinfo.value)
    assert "shorten your message by 1 characters" in str(excinfo.value)


def test_replace_message_over_the_limit_is_refused() -> None:
    with pytest.raises(UserInputError, match="2001 characters"):
        render(DAMAGED, full_context(DAMAGED), message="y" * 2001, replace=True)


def test_a_template_typo_fails_loudly_naming_template_and_variable(tmp_path: Path) -> None:
    (tmp_path / "damaged.txt.j2").write_text("Order {{ order_idd }} arrived damaged.\n", encoding="utf-8")
    with pytest.raises(UserInputError) as excinfo:
        render(DAMAGED, full_context(DAMAGED), dirs=template_dirs(tmp_path))
    message = str(excinfo.value)
    assert "damaged.txt.j2" in message and "'order_idd'" in message and "fix the template" in message


def test_an_undefined_variable_in_a_condition_fails_too(tmp_path: Path) -> None:
    (tmp_path / "damaged.txt.j2").write_text("{% if tracking_stat %}x{% endif %}Broken.\n", encoding="utf-8")
    with pytest.raises(UserInputError, match="'tracking_stat'"):
        render(DAMAGED, full_context(DAMAGED), dirs=template_dirs(tmp_path))


def test_a_template_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "damaged.txt.j2").write_text("Fine.\n{% if %}\n", encoding="utf-8")
    with pytest.raises(UserInputError, match=r"damaged\.txt\.j2, line 2"):
        render(DAMAGED, full_context(DAMAGED), dirs=template_dirs(tmp_path))


def test_a_missing_template_is_refused_with_the_remedy(tmp_path: Path) -> None:
    with pytest.raises(UserInputError, match="no dispute text template 'damaged.txt.j2'.*--replace-message"):
        render(DAMAGED, full_context(DAMAGED), dirs=[tmp_path])


def test_no_template_folder_at_all_is_refused() -> None:
    with pytest.raises(UserInputError, match="no dispute text templates found"):
        render(DAMAGED, full_context(DAMAGED), dirs=[])


# --- where templates come from -------------------------------------------------------------


def test_template_dirs_search_the_user_folder_first(tmp_path: Path) -> None:
    dirs = template_dirs(tmp_path)
    assert dirs[0] == tmp_path
    assert PROJECT_TEMPLATES in dirs


def test_template_dirs_skip_missing_folders(tmp_path: Path) -> None:
    assert template_dirs(tmp_path / "none")[0] == PROJECT_TEMPLATES
    assert template_dirs(None)[0] == PROJECT_TEMPLATES


def test_user_override_wins_and_shares_the_projects_frame(tmp_path: Path) -> None:
    (tmp_path / "damaged.txt.j2").write_text(
        '{% extends "_base.txt.j2" %}\n'
        "{% block problem %}\nThe box was crushed and the {{ item_title }} inside is bent.\n{% endblock %}\n",
        encoding="utf-8",
    )
    text = render(DAMAGED, full_context(DAMAGED), dirs=template_dirs(tmp_path))
    assert "The box was crushed and the Wireless Earbuds Pro 5.3 Bluetooth Headphones inside is bent." in text
    assert "arrived damaged" not in text
    assert text.startswith("On July 15, 2026 I placed order 8123456789012345")
    # other reasons still come from the project
    assert "does not match its description" in render("not_as_described", full_context(DAMAGED),
                                                       dirs=template_dirs(tmp_path))


def test_a_plain_user_template_gets_paragraphs_from_blank_lines(tmp_path: Path) -> None:
    (tmp_path / "quality.txt.j2").write_text(
        "Order {{ order_id }}:\n"
        "{% if sku %}\n"
        "variant {{ sku }},\n"
        "{% endif %}\n"
        "stopped working.\n"
        "\n\n"
        "{% if paid %}Paid {{ paid }}.{% endif %}\n",
        encoding="utf-8",
    )
    quality = next(r for r in REASONS if r.key == "quality")
    text = render(quality, minimal_context(quality), dirs=template_dirs(tmp_path))
    assert text == "Order 3000111222333444: stopped working."


def test_dates_are_english_whatever_the_locale() -> None:
    assert long_date(date(2026, 3, 1)) == "March 1, 2026"
    assert long_date(datetime(2026, 1, 1, 1, 0, tzinfo=timezone.utc), "America/New_York") == "December 31, 2025"
    assert long_date(None) == ""


def test_context_refuses_an_unknown_time_zone() -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        minimal_context(DAMAGED, time_zone="Mars/Olympus")


# --- looks_english -------------------------------------------------------------------------

ENGLISH = [
    "Item not received.",
    "The screen is cracked.",
    "Wrong color",
    "Broken",
    "It stopped working after two days.",
    "The package was delivered to the wrong address and I never received it.",
    "I ordered the black version but the seller sent a white one. Please refund me.",
    "The left earbud does not charge and the case is scratched.",
    "Hello, my order has been in transit for 60 days with no update from the carrier.",
    "Received only 3 of the 5 pieces I paid for.",
    "",
    "12345 / 2026-09-06",
]

NOT_ENGLISH = [
    # Portuguese
    "O produto chegou quebrado e não funciona.",
    "Não recebi o meu pedido até hoje, já se passaram dois meses.",
    "A cor está errada, eu pedi preto e veio branco.",
    "Produto com defeito",
    # Spanish
    "El paquete no llegó y el vendedor no responde.",
    "Recibí un producto diferente al que pedí, quiero el reembolso.",
    "La pantalla está rota desde que abrí la caja.",
    # French and German
    "Le colis est arrivé vide, il n'y avait rien dans la boîte.",
    "Die Ware ist beschädigt angekommen und funktioniert nicht.",
    # Chinese
    "我还没有收到包裹，请退款。",
    "商品有质量问题，屏幕坏了。",
    # Russian
    "Посылка не пришла, прошу вернуть деньги.",
    "Товар пришёл сломанным и не работает.",
]


@pytest.mark.parametrize("text", ENGLISH)
def test_english_text_looks_english(text: str) -> None:
    assert looks_english(text)


@pytest.mark.parametrize("text", NOT_ENGLISH)
def test_other_languages_do_not(text: str) -> None:
    assert not looks_english(text)


def test_an_english_template_with_a_foreign_item_title_is_still_english() -> None:
    ctx = full_context(DAMAGED, item_title="蓝牙耳机 无线 降噪 运动 入耳式", sku="颜色: 黑色")
    assert looks_english(render(DAMAGED, ctx))


def test_english_template_with_a_portuguese_message_is_flagged_on_the_message() -> None:
    message = "O produto chegou quebrado e não funciona."
    assert looks_english(render(DAMAGED, full_context(DAMAGED)))
    assert not looks_english(message)
