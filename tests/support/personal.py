"""A buyer's personal data, seeded into every field of the sandbox that can carry it.

The anonymiser's promise is that none of it reaches a bundle. The words are drawn from
letters the site's own texts rarely use, so finding one in a bundle means a leak and
not a coincidence.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

from hypothesis import strategies as st

from sandbox.scenario import DEFAULT_SCENARIO, Scenario, parse_scenario

_LETTERS = "qxzjkwvyäöüéñłç"


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    street: str
    street2: str
    city: str
    province: str
    zip_code: str
    phone_country: str
    phone: str
    email: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    def sentence(self) -> str:
        """What a buyer or a seller may write in a message: every value once."""
        return (f"Please deliver to {self.name}, {self.street}, {self.street2}, {self.zip_code} {self.city}, "
                f"{self.province}; call {self.phone_country} {self.phone} or write to {self.email}.")

    def words(self) -> list[str]:
        """Each value alone, as it must appear nowhere."""
        return [self.first, self.last, self.name, self.street, self.street2, self.city, self.province,
                self.email, self.email.split("@")[0]]

    def numbers(self) -> list[str]:
        return [self.zip_code, self.phone]


def _word(min_size: int = 4) -> st.SearchStrategy[str]:
    return st.text(alphabet=_LETTERS, min_size=min_size, max_size=9).map(str.capitalize)


people = st.builds(
    Person,
    first=_word(),
    last=_word(),
    street=st.builds(lambda n, w: f"{n} {w} Street", st.integers(1, 999), _word()),
    street2=st.builds(lambda w: f"Block {w}", _word()),
    city=_word(5),
    province=_word(5),
    zip_code=st.from_regex(r"[1-9]\d{4}", fullmatch=True),
    phone_country=st.from_regex(r"\+[1-9]\d{0,2}", fullmatch=True),
    phone=st.from_regex(r"[1-9]\d{7,10}", fullmatch=True),
    email=st.from_regex(r"[a-z]{4,8}\.[a-z]{3,6}@[a-z]{4,8}\.(com|net|de)", fullmatch=True),
)

#: one fixed buyer, for the browser tests
SAMPLE = Person(first="Quizéla", last="Wyxlander", street="17 Kwöz Street", street2="Block Zyvä",
                city="Jükvaro", province="Qyrnesse", zip_code="48213", phone_country="+44",
                phone="7700900461", email="quizela.wyx@jukmail.net")


def seeded_scenario(person: Person) -> Scenario:
    """The demo world, its account that person, who also wrote to every seller (and
    every seller wrote back naming them); a parcel was delivered to their city."""
    data = tomllib.loads(DEFAULT_SCENARIO.read_text(encoding="utf-8"))
    data["account"].update(login=person.email, name=person.name, address={
        "contact_name": person.name, "street": person.street, "street2": person.street2, "city": person.city,
        "province": person.province, "zip_code": person.zip_code, "phone_country": person.phone_country,
        "phone": person.phone})
    for store in data["stores"]:
        for step in store.get("script", {}).get("seller", []):
            step["message"] = f"Dear {person.first}, {step.get('message', '')} {person.sentence()}"
        for step in store.get("script", {}).get("mediator", []):
            step["message"] = f"{step.get('message', '')} {person.sentence()}"
    for order in data["orders"]:
        for dispute in order.get("disputes", []):
            dispute["description"] = f"{dispute.get('description', '')} {person.sentence()}"
        for event in order.get("tracking", [])[:1]:
            event["location"] = f"{person.city}, {person.zip_code}"
    return parse_scenario(data, "demo with a person's data")


def found_in(text: str, person: Person) -> list[str]:
    """Which of the person's values ``text`` holds: words without regard to case, numbers
    as written and as digits with any separators (never inside a longer number)."""
    lowered = text.lower()
    found = [word for word in person.words()
             if re.search(rf"(?<![^\W\d_]){re.escape(word.lower())}(?![^\W\d_])", lowered)]
    for number in person.numbers():
        spaced = r"[\s().-]*".join(re.escape(digit) for digit in number)
        if re.search(rf"(?<!\d){spaced}(?!\d)", text):
            found.append(number)
    if re.search(r"(?<!\d)" + re.escape(person.phone_country.lstrip("+")) + r"[\s().-]*"
                 + re.escape(person.phone) + r"(?!\d)", text):
        found.append(person.phone_country + person.phone)
    return found
