"""The anonymiser: no personal data left, and the parsers read the rewritten answers as the originals.

The answers are the real captures (tests/fixtures/) and the sandbox's own answers for a
world whose buyer is drawn by hypothesis and written into every field that can carry
personal data (tests/support/personal.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from pydantic import TypeAdapter

from flows.anonymiser import REMOVED, Anonymiser
from flows.parsers.detect import detect_and_parse
from sandbox import api, api_reverse
from sandbox.reverse_form import form_answer
from sandbox.world import World
from tests.support.personal import SAMPLE, Person, found_in, people, seeded_scenario

FIXTURES = Path(__file__).parent.parent / "fixtures"
BASE = "http://127.0.0.1:1"
PARSED_FIXTURES = ("order-list-init.json", "order-detail.json", "refund-list.json", "logistics-querydetail.json")


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def dumped(body: Any) -> Any:
    model = detect_and_parse(body)
    return TypeAdapter(type(model)).dump_python(model, mode="json")


def rewritten(*bodies: Any, seed: int = 7, **options: Any) -> tuple[Anonymiser, list[Any]]:
    anonymiser = Anonymiser(seed=seed, **options)
    for body in bodies:
        anonymiser.learn_json(body)
    return anonymiser, [anonymiser.json(body) for body in bodies]


# --- the real captures --------------------------------------------------------------------


def test_the_real_captures_lose_their_placeholders_for_a_person():
    bodies = [fixture(name) for name in PARSED_FIXTURES]
    anonymiser, out = rewritten(*bodies)
    text = json.dumps(out, ensure_ascii=False)
    for value in ("Comprador", "Exemplo", "11999999999", "Rua Exemplo", "00000-000", "Cidade"):
        assert value.lower() not in text.lower(), value
    address = out[1]["data"]["data"]["detail_simple_order_info_component_111820"]["fields"]["addressVO"]
    assert address["contactName"].startswith("[name ") and address["fullPhoneNo"].startswith("[phone ")
    assert address["countryCode"] == "BR"  # a country is not personal
    assert anonymiser.leaks("all", text) == []
    assert anonymiser.leaks("original", json.dumps(bodies, ensure_ascii=False))  # the check itself sees them


@pytest.mark.parametrize("name", PARSED_FIXTURES)
def test_every_parser_reads_the_rewritten_capture_as_the_original(name):
    original = fixture(name)
    anonymiser, (out,) = rewritten(original)
    assert dumped(out) == anonymiser.json(dumped(original))
    assert dumped(out) != dumped(original) or name == "logistics-querydetail.json"  # ids did change


def test_ids_are_remapped_the_same_way_everywhere_and_keep_their_form():
    detail, listing = fixture("order-detail.json"), fixture("order-list-init.json")
    anonymiser, (new_detail, new_listing) = rewritten(detail, listing)
    order_id = str(detail["data"]["data"]["detail_simple_order_info_component_111820"]["fields"]["tradeOrderId"])
    fake = anonymiser.json(order_id)
    assert fake != order_id and len(fake) == len(order_id) and fake.isdigit()
    text = json.dumps([new_detail, new_listing])
    assert order_id not in text and fake in text
    assert f"sv3-{fake}" in json.dumps(list(new_detail["data"]["data"]))  # inside a component's key too
    assert Anonymiser(seed=1).json(order_id) != Anonymiser(seed=2).json(order_id)  # fakes differ per bundle


def test_money_dates_statuses_and_texts_are_kept():
    original = fixture("logistics-querydetail.json")
    _, (out,) = rewritten(original)
    events = out["data"]["module"]["trackingDetailLineList"][0]["detailList"]
    assert [e["trackingName"] for e in events] == [
        e["trackingName"] for e in original["data"]["module"]["trackingDetailLineList"][0]["detailList"]]
    assert [e["time"] for e in events] == [
        e["time"] for e in original["data"]["module"]["trackingDetailLineList"][0]["detailList"]]
    listing = fixture("order-list-init.json")
    _, (new_listing,) = rewritten(listing)
    assert [o.total for o in detect_and_parse(new_listing).orders] == [o.total for o in detect_and_parse(listing).orders]


@pytest.mark.parametrize(("text", "expected"), [
    ("write to jane.doe@mail.example.org please", "write to [e-mail 1] please"),
    ("call +55 11 99999-9999 today", "call [phone 1] today"),
    ("call (11) 98765-4321", "call [phone 1]"),
    ("/h5/x/1.0/?api=x&sign=abc123&t=1700000000000", "/h5/x/1.0/?api=x&sign=[removed]&t=1700000000000"),
    ("placed on 2026-11-20 09:00, total R$1.234,56", "placed on 2026-11-20 09:00, total R$1.234,56"),
    ("epoch 1713427598389 stays", "epoch 1713427598389 stays"),
])
def test_texts_lose_what_is_personal_whether_learned_or_not(text, expected):
    assert Anonymiser(seed=3).text(text) == expected


def test_credentials_in_fields_are_removed():
    _, (out,) = rewritten({"token": "abc", "signature": "f00", "_m_h5_tk": "x_1", "status": "FINISHED"})
    assert out == {"token": REMOVED, "signature": REMOVED, "_m_h5_tk": REMOVED, "status": "FINISHED"}


def test_the_login_and_words_asked_for_are_removed():
    anonymiser = Anonymiser(login="+44 7700 900461", also_remove=["Quizzo"], seed=1)
    assert anonymiser.text("Hi, Quizzo! 07700900461 or +447700900461") == "Hi, [name 1]! [phone 1] or [phone 1]"


# --- a page's HTML ----------------------------------------------------------------------------


def page_of(person: Person) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="csrf-token" content="tok-123-secret">
<title>Order details</title><style>.a > .b {{ color: red }}</style>
<script>window.__user = {{"name": "{person.name}", "mail": "{person.email}"}};</script>
<script type="application/json" id="state">{{"contactName": "{person.name}", "orderId": "8212313961591322"}}</script>
</head><body data-user="{person.email}">
<header><span class="site-account-name">Hi, {person.first}</span></header>
<!-- rendered for {person.email} -->
<a href="/p/order/detail.html?orderId=8212313961591322&amp;sign=deadbeef">Order 8212313961591322</a>
<div class="order-detail-address" title="{person.name} &amp; family">{person.name} {person.phone_country} {person.phone}
 <br>{person.street}, {person.street2}<br>{person.zip_code} {person.city}, {person.province}</div>
<input type="hidden" name="_tb_token_" value="e3f1aa"><input type="text" value="{person.email}">
<p>Total: US $12.30 — placed on Nov 20, 2026</p>
</body></html>"""


def test_a_page_keeps_its_structure_and_texts_but_not_the_person():
    person = SAMPLE
    anonymiser = Anonymiser(seed=5)
    anonymiser.learn_json({"addressVO": {"contactName": person.name, "detailAddress": person.street,
                                         "detailAddress2": person.street2, "postCode": person.zip_code,
                                         "city": person.city, "province": person.province,
                                         "fullPhoneNo": f"{person.phone_country} {person.phone}"}})
    page = page_of(person)
    anonymiser.learn_text(page)
    out = anonymiser.html(page)
    assert found_in(out, person) == []
    assert anonymiser.leaks("page.html", out) == []
    for kept in ('<html lang="en">', "<title>Order details</title>", ".a > .b { color: red }",
                 "Total: US $12.30 — placed on Nov 20, 2026", 'class="order-detail-address"'):
        assert kept in out, kept
    assert "tok-123-secret" not in out and "e3f1aa" not in out and "deadbeef" not in out
    assert "8212313961591322" not in out
    fake = anonymiser.json("8212313961591322")
    assert f"orderId={fake}" in out and f"Order {fake}" in out and f'"orderId": "{fake}"' in out
    assert "inline script removed" in out


# --- the property: a drawn person, every field of the sandbox -------------------------------------


def sandbox_answers(world: World) -> list[dict]:
    """Every kind of answer the agent reads: the list, the pages of the orders with a
    parcel or a case, their tracking, the cases, the dispute form."""
    answers = [api.order_list(world, 1, BASE), api_reverse.refund_list(world, 1, 1, BASE, BASE)]
    disputed = {dispute.order_id for dispute in world.disputes.values()}
    for order in world.orders.values():
        if order.tracking and len(answers) < 8:
            answers += [api.order_detail(world, order.id, BASE), api.tracking(world, order.id)]
    answers += [api.order_detail(world, order_id, BASE) for order_id in sorted(disputed)[:3]]
    for dispute in world.disputes.values():
        answers.append(api_reverse.dispute_detail(world, dispute.line_id, dispute.reverse_line_id))
    line = next(iter(world.orders.values())).lines[0].id
    answers.append(form_answer(world, line, False))
    return answers


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(person=people)
def test_no_byte_of_a_seeded_person_survives_and_every_answer_reads_the_same(person):
    world = World(seeded_scenario(person))
    answers = sandbox_answers(world)
    originals = json.dumps(answers, ensure_ascii=False)
    assert set(found_in(originals, person)) >= {person.name, person.street, person.email, person.phone}
    page = page_of(person)
    anonymiser = Anonymiser(seed=11, login=person.email)
    for body in answers:
        anonymiser.learn_json(body)
    anonymiser.learn_text(page)
    out = [anonymiser.json(body) for body in answers]
    written = json.dumps(out, ensure_ascii=False, indent=1) + anonymiser.html(page)
    assert found_in(written, person) == []
    assert anonymiser.leaks("bundle", written) == []
    for original, new in zip(answers, out, strict=True):
        assert dumped(new) == anonymiser.json(dumped(original))


def test_fields_renamed_by_a_redesign_are_still_recognised():
    """The answers worth sending are the ones the site changed (the sandbox's api_shape fault)."""
    world = World(seeded_scenario(SAMPLE))
    order = next(o for o in world.orders.values() if o.tracking)
    answers = [api.mangle(api.order_detail(world, order.id, BASE)), api.mangle(api.tracking(world, order.id))]
    assert "contactNameV2" in json.dumps(answers)
    _, out = rewritten(*answers)
    assert found_in(json.dumps(out, ensure_ascii=False), SAMPLE) == []
