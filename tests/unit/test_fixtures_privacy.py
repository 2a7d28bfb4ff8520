"""The committed captures hold no personal data beyond the anonymiser's placeholders.

Why a test: fixtures are real responses; a new capture dropped in without
anonymising would publish someone's e-mail or phone number with the repository.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FILES = sorted(FIXTURES.glob("*.json"))

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# international numbers ("+55 11 99999-9999") and Brazilian mobiles ("(11) 99999-9999",
# "11999999999"); long digit ids (16+ digits) do not match thanks to the boundaries
PHONE = re.compile(
    r"\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d){6,10}(?!\d)"
    r"|(?<!\d)\(?\d{2}\)?[\s.-]?9\d{4}[\s.-]?\d{4}(?!\d)"
)
#: keys whose value is a phone number whatever it looks like
PHONE_KEY = re.compile(r"phone|mobile|tel(?!l)", re.IGNORECASE)

#: the anonymiser's placeholders, and the carrier's public toll-free line (not a person's)
ALLOWED_PHONES = {"+55 11999999999", "11999999999", "+55", "08008956794"}
#: personal fields and the only values they may hold
PLACEHOLDERS = {
    "contactName": {"Comprador Exemplo"},
    "detailAddress": {"Rua Exemplo, 123"},
    "address": {"Rua Exemplo, 123"},
    "detailAddress2": {"Bairro Exemplo"},
    "address2": {"Bairro Exemplo"},
    "postCode": {"00000-000"},
    "zipCode": {"00000-000"},
}


def walk(node: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v, key)
    else:
        yield key, node


def problems(obj: Any) -> list[str]:
    found = []
    for key, value in walk(obj):
        if not isinstance(value, str):
            continue
        found += [f"e-mail in {key}: {hit}" for hit in EMAIL.findall(value)]
        found += [f"phone in {key}: {hit}" for hit in PHONE.findall(value) if hit not in ALLOWED_PHONES]
        if PHONE_KEY.search(key) and value not in ALLOWED_PHONES:
            found.append(f"phone field {key}: {value}")
        if key in PLACEHOLDERS and value not in PLACEHOLDERS[key]:
            found.append(f"personal field {key}: {value}")
    return found


def test_there_are_fixtures() -> None:
    assert {f.name for f in FILES} >= {
        "order-list-init.json", "order-detail.json", "refund-list.json", "order-count.json", "logistics-querydetail.json",
    }


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_fixture_has_no_personal_data(path: Path) -> None:
    assert problems(json.loads(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize(
    "leak",
    [
        {"buyer": {"email": "maria.silva@gmail.com"}},
        {"note": "contact me at joao_123@empresa.com.br please"},
        {"addressVO": {"fullPhoneNo": "+55 21987654321"}},
        {"text": "call +55 (21) 98765-4321"},
        {"text": "whatsapp (21) 98765-4321"},
        {"text": "21987654321"},
        {"receiver": {"phoneNumber": "21987654321"}},
        {"receiver": {"contactName": "Maria Silva"}},
        {"receiver": {"zipCode": "22041-001"}},
    ],
)
def test_the_check_catches_leaks(leak: dict[str, Any]) -> None:
    assert problems(leak) != []


@pytest.mark.parametrize(
    "clean",
    [
        {"orderId": "8212313961591322", "skuId": "12008585716928855"},
        {"time": 1785512111654, "trackingNumber": "CNBR00160702682"},
        {"addressVO": {"fullPhoneNo": "+55 11999999999", "contactName": "Comprador Exemplo"}},
    ],
)
def test_the_check_lets_ids_and_placeholders_through(clean: dict[str, Any]) -> None:
    assert problems(clean) == []


def test_no_absolute_machine_path_in_fixtures_readme() -> None:
    text = (FIXTURES / "README.md").read_text(encoding="utf-8")
    assert "226cf08ba5b9aa16d3a1f7e13f7a926bdbe9750c" in text
    assert not re.search(r"(?m)(^|\s)/(work|home|tmp|root|Users)/", text)
