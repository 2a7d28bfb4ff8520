"""Turning what the agent saw of an account into something its user can share.

Why two passes: a value is personal because of where the site puts it (the receiver's
name in ``addressVO.contactName``), but it shows up elsewhere too: in the page header,
in a message to the seller, in the tracking page's HTML. ``learn_json``/``learn_text``
read every answer and page first; ``json``, ``html`` and ``text`` then rewrite each of
them with everything learned, so the name goes wherever it appears. ``leaks`` looks for
every learned value once more in what is about to be written: a bundle that would still
hold one must not be written.

Ids are remapped, not removed: the same order id becomes the same fake id in every
file, of the same length and kind, so the answers still fit together and every parser
reads the rewritten answers as it read the originals. Money, currencies, dates, status
codes, texts, field names and structure are kept; e-mail addresses and phone numbers
are replaced wherever they are, learned or not; tokens and signatures are removed.

Pure: no browser, no files. The field names are the real captures' (see
``tests/fixtures/``); a new personal field the site adds is one more name below.
"""

from __future__ import annotations

import html
import json
import random
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, quote_plus

from flows.site import TOKEN_QUERY_PARAMS

__all__ = ["Anonymiser", "REMOVED"]

REMOVED = "[removed]"

#: keys (compared without case, as prefixes: ``contactNameV2`` too) whose value names a person
_NAME_KEYS = (
    "contactname", "receivername", "receiver", "consignee", "buyername", "fullname", "firstname", "lastname",
    "nickname", "nick", "membername", "username", "loginid", "buyerloginid", "receiverinforichtext",
)
#: keys (as prefixes) whose value is (part of) a postal address
_ADDRESS_KEYS = (
    "address", "address1", "address2", "detailaddress", "detailaddress2", "street", "street2", "streetaddress",
    "fulladdress", "regionaddress", "city", "province", "district", "zipcode", "zip", "postcode", "postalcode",
)
_PHONE_KEY = re.compile(r"phone|mobile|^tel(?!l)|telephone", re.IGNORECASE)
_EMAIL_KEY = re.compile(r"e-?mail", re.IGNORECASE)
#: keys whose value is a credential
_SECRET_KEY = re.compile(r"token|^sign$|signature$|cookie|csrf|session|ticket|secret|passw|^auth(?!or)",
                         re.IGNORECASE)
#: keys (as prefixes) whose value is an id of the account's orders, lines, cases, products or parcels
_ID_KEYS = (
    "orderid", "tradeorderid", "tradeorderlineid", "orderlineid", "parentorderid", "suborderid",
    "reverseorderid", "reverseorderlineid", "productid", "itemid", "skuid", "mailno", "trackingnumber",
    "trackingno", "logisticsno", "caseid", "issueid", "disputeid", "buyerid", "buyerseq", "memberid",
    "memberseq", "userid", "aliid", "buyeraliid",
)
_TOKEN_KEYS = frozenset(name.lower() for name in TOKEN_QUERY_PARAMS)
_LINK = re.compile(r"(?:https?:)?//|/[\w.-]+/|data:", re.IGNORECASE)
_ID_VALUE = re.compile(r"^[A-Za-z0-9-]{5,40}$")
#: a run of this many digits is an id (epoch milliseconds have 13)
_LONG_DIGITS = re.compile(r"(?<!\d)\d{14,30}(?!\d)")
_ID_IN_QUERY = re.compile(r"[?&;](?:" + "|".join(sorted(_ID_KEYS)) + r")=([A-Za-z0-9-]{5,40})", re.IGNORECASE)
_TOKEN_PARAM = re.compile(
    r"(?i)([?&;](?:" + "|".join(re.escape(name) for name in TOKEN_QUERY_PARAMS) + r")=)[^&#\s\"'<>\\]+"
)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
#: international numbers ("+55 11 99999-9999") and Brazilian mobiles ("(11) 99999-9999")
PHONE = re.compile(
    r"\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d){6,10}(?!\d)"
    r"|(?<!\d)\(?\d{2}\)?[\s.-]?9\d{4}[\s.-]?\d{4}(?!\d)"
)
#: anything that could be a phone number written some way; judged by its digits
_DIGITS_WRITTEN = re.compile(r"\+?\(?\d[\d\s().-]{4,}\d")
#: a learned phone number is looked for when it has at least this many digits
_MIN_PHONE_DIGITS = 6
_MAX_PHONE_DIGITS = 15
#: name words shorter than this are not looked for alone ("Li", "Jo" would hit words)
_MIN_NAME_WORD = 3
_WORD = re.compile(r"[^\W\d_]{%d,}" % _MIN_NAME_WORD)


class Anonymiser:
    """Learn the account's personal values and ids, then rewrite answers and pages without them.

    ``seed`` fixes the fake ids (tests); unset, they differ on every run, so a fake id
    says nothing about the real one.
    """

    def __init__(self, *, login: str | None = None, also_remove: Iterable[str] = (), seed: int | None = None) -> None:
        self._random = random.Random(seed)
        #: personal value (as found) -> its kind ("name", "address", "e-mail", ...)
        self._values: dict[str, str] = {}
        #: digits of each learned phone number
        self._phones: set[str] = set()
        #: lowercased personal value -> placeholder, shared by every file
        self._placeholders: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        #: real id -> fake id
        self._ids: dict[str, str] = {}
        self._fakes: set[str] = set()
        self._values_pattern: re.Pattern[str] | None = None
        self._ids_pattern: re.Pattern[str] | None = None
        if login:  # an e-mail address or a phone number, as the account signs in
            self._learn_value(login, "e-mail" if "@" in login else "phone" if re.fullmatch(r"[+\d\s().-]+", login)
                              else "name")
        for value in also_remove:
            self._learn_value(value, "name")

    # --- learning ---------------------------------------------------------------------

    def learn_json(self, body: Any) -> None:
        """Collect the personal values and ids of an API answer (decoded JSON)."""
        if isinstance(body, dict):
            for key, value in body.items():
                kind = _kind_of_key(key)
                if kind == "id" and isinstance(value, (str, int)) and not isinstance(value, bool):
                    self._learn_id(str(value))
                elif kind in ("name", "address", "phone", "e-mail") and isinstance(value, str):
                    self._learn_value(value, kind)
                else:
                    self.learn_json(value)
        elif isinstance(body, list):
            for value in body:
                self.learn_json(value)
        elif isinstance(body, str):
            embedded = _embedded_json(body)
            if embedded is not None:
                self.learn_json(embedded)
            self.learn_text(body)

    def learn_text(self, text: str) -> None:
        """Collect the ids a page or an address names in its links (``orderId=…``)."""
        for match in _ID_IN_QUERY.finditer(text):
            self._learn_id(match.group(1))

    def _learn_value(self, value: str, kind: str) -> None:
        value = value.strip()
        if _LINK.match(value):  # a picture or a page of the site (``receiverInfoIcon``), not a person's
            return
        if kind == "name" and "<" in value:  # a rich text such as "<span>Name</span>"
            value = re.sub(r"<[^>]*>", " ", value).strip()
        if len(value) < 3:
            return
        self._values.setdefault(value, kind)
        if kind == "name":
            for word in _WORD.findall(value):
                self._values.setdefault(word, "name")
        digits = re.sub(r"\D", "", value)
        if kind == "phone" and _MIN_PHONE_DIGITS <= len(digits) <= _MAX_PHONE_DIGITS:
            self._phones.add(digits)
        self._values_pattern = None

    def _learn_id(self, value: str) -> None:
        if _ID_VALUE.match(value) and sum(c.isdigit() for c in value) >= 5 and value not in self._ids:
            self._fake_id(value)

    def _fake_id(self, value: str) -> str:
        """The same length, letters kept, the digits after a short prefix drawn anew."""
        fake = self._ids.get(value)
        if fake is not None:
            return fake
        keep = max(1, min(4, len(value) // 4))
        for _ in range(1000):
            drawn = value[:keep] + "".join(
                str(self._random.randrange(10)) if char.isdigit() else char for char in value[keep:])
            if drawn != value and drawn not in self._fakes and drawn not in self._ids:
                break
        else:  # pragma: no cover - a 5-digit id space is never that full
            raise RuntimeError(f"no fake id left for an id of {len(value)} characters")
        self._ids[value] = drawn
        self._fakes.add(drawn)
        self._ids_pattern = None
        return drawn

    # --- rewriting --------------------------------------------------------------------

    def json(self, body: Any) -> Any:
        """A rewritten copy of an API answer: same structure, the same types where kept."""
        if isinstance(body, dict):
            return {self._ids_in(key): self._member(key, value) for key, value in body.items()}
        if isinstance(body, list):
            return [self.json(value) for value in body]
        if isinstance(body, str):
            embedded = _embedded_json(body)
            if embedded is not None:
                return json.dumps(self.json(embedded), ensure_ascii=False, separators=(",", ":"))
            return self.text(body)
        return body

    def _member(self, key: str, value: Any) -> Any:
        kind = _kind_of_key(key)
        if kind == "secret" and isinstance(value, (str, int)) and value not in ("", None):
            return REMOVED
        if kind in ("name", "address", "phone", "e-mail") and isinstance(value, str) and value.strip() \
                and not _LINK.match(value.strip()):
            return self._placeholder(value.strip(), kind)
        if kind == "id" and isinstance(value, (str, int)) and not isinstance(value, bool):
            fake = self._ids.get(str(value))
            if fake is not None:
                return int(fake) if isinstance(value, int) else fake
        if isinstance(value, int) and not isinstance(value, bool) and _LONG_DIGITS.fullmatch(str(value)):
            return int(self._fake_id(str(value)))
        return self.json(value)

    def text(self, text: str) -> str:
        """Any text (a string of an answer, a page's text, an address, an error message)."""
        text = EMAIL.sub(lambda m: self._placeholder(m.group(0), "e-mail"), text)
        text = _TOKEN_PARAM.sub(lambda m: m.group(1) + REMOVED, text)
        text = self._ids_in(text)
        pattern = self._personal_pattern()
        if pattern is not None:
            text = pattern.sub(lambda m: self._placeholder(m.group(0), self._kind_of_value(m.group(0))), text)
        text = _DIGITS_WRITTEN.sub(self._phone_or_kept, text)
        return PHONE.sub(lambda m: self._placeholder(m.group(0), "phone"), text)

    def html(self, page: str) -> str:
        """A page's HTML rewritten element by element: texts and attributes through
        ``text``, hidden fields and credentials removed, inline scripts dropped (they
        carry the page's state, the account's included)."""
        writer = _HtmlRewriter(self)
        writer.feed(page)
        writer.close()
        return "".join(writer.out)

    def _ids_in(self, text: str) -> str:
        text = _LONG_DIGITS.sub(lambda m: self._fake_id(m.group(0)), text)
        if not self._ids:
            return text
        if self._ids_pattern is None:
            alternatives = "|".join(re.escape(value) for value in sorted(self._ids, key=len, reverse=True))
            self._ids_pattern = re.compile(rf"(?<![0-9A-Za-z])(?:{alternatives})(?![0-9A-Za-z])")
        return self._ids_pattern.sub(lambda m: self._ids[m.group(0)], text)

    def _personal_pattern(self) -> re.Pattern[str] | None:
        if self._values_pattern is None and self._values:
            alternatives = "|".join(re.escape(value) for value in sorted(self._values, key=len, reverse=True))
            self._values_pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
        return self._values_pattern

    def _kind_of_value(self, found: str) -> str:
        lowered = found.lower()
        return next((kind for value, kind in self._values.items() if value.lower() == lowered), "name")

    def _phone_or_kept(self, match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if any(_same_phone(digits, phone) for phone in self._phones):
            return self._placeholder(match.group(0), "phone")
        return match.group(0)

    def _placeholder(self, value: str, kind: str) -> str:
        key = value.lower() if kind != "phone" else "phone:" + self._phone_key(re.sub(r"\D", "", value))
        found = self._placeholders.get(key)
        if found is None:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            found = self._placeholders[key] = f"[{kind} {self._counts[kind]}]"
        return found

    def _phone_key(self, digits: str) -> str:
        """The same number however written: the first learned phone it is, else itself."""
        return next((phone for phone in sorted(self._phones) if _same_phone(digits, phone)), digits)

    # --- checking ---------------------------------------------------------------------

    def leaks(self, name: str, data: str) -> list[str]:
        """What personal data ``data`` (a file about to be written) still holds, by kind
        and file name only: the values themselves must not reach a log either."""
        lowered = data.lower()
        found = []
        for value, kind in self._values.items():
            for form in _written_forms(value):
                if re.search(rf"(?<!\w){re.escape(form.lower())}(?!\w)", lowered):
                    found.append(f"{name}: a{'n' if kind[0] in 'aeiou' else ''} {kind}")
                    break
        found += [f"{name}: a phone number" for phone in self._phones if _phone_written(phone, data)]
        found += [f"{name}: an e-mail address" for hit in EMAIL.findall(data) if not hit.startswith("[")]
        return sorted(set(found))

    def summary(self) -> dict[str, int]:
        """How many values of each kind were replaced, and how many ids remapped."""
        return {**{kind: count for kind, count in sorted(self._counts.items())}, "ids": len(self._ids)}


def _kind_of_key(key: str) -> str | None:
    """What a key's value is. Known names match as prefixes, so a field the site renames
    the way redesigns do (``contactNameV2``, ``addressDTO``) keeps its kind."""
    lowered = key.lower()
    stem = re.sub(r"[^a-z0-9]", "", lowered)
    if stem.startswith(_ID_KEYS):
        return "id"
    if stem.startswith(_NAME_KEYS):
        return "name"
    if stem.startswith(_ADDRESS_KEYS):
        return "address"
    if _EMAIL_KEY.search(key):
        return "e-mail"
    if _PHONE_KEY.search(key):
        return "phone"
    if _SECRET_KEY.search(key) or lowered in _TOKEN_KEYS:
        return "secret"
    return None


def _embedded_json(text: str) -> Any:
    """An object written as a string inside an answer (``"{\\"a\\":1}"``), else None."""
    stripped = text.strip()
    if len(stripped) < 2 or stripped[0] not in "{[" or stripped[-1] not in "}]":
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    return value if isinstance(value, (dict, list)) else None


def _written_forms(value: str) -> set[str]:
    """``value`` as HTML, JSON and addresses may write it."""
    return {value, html.escape(value), html.escape(value, quote=False), json.dumps(value)[1:-1],
            json.dumps(value, ensure_ascii=False)[1:-1], quote(value), quote_plus(value)}


def _same_phone(digits: str, phone: str) -> bool:
    """``digits`` (a number as a text writes it) are the learned ``phone``: all of it, a
    part of it, or the same subscriber number after another prefix ("0…" for "+44…")."""
    if not _MIN_PHONE_DIGITS <= len(digits) <= _MAX_PHONE_DIGITS:
        return False
    tail = min(8, len(digits), len(phone))
    return phone in digits or digits in phone or digits[-tail:] == phone[-tail:]


def _phone_written(phone: str, data: str) -> bool:
    """The phone appears as a phone (alone, with separators, another prefix), not inside an id."""
    return any(_same_phone(re.sub(r"\D", "", match.group(0)), phone) for match in _DIGITS_WRITTEN.finditer(data))


class _HtmlRewriter(HTMLParser):
    def __init__(self, anonymiser: Anonymiser) -> None:
        super().__init__(convert_charrefs=True)
        self.anonymiser = anonymiser
        self.out: list[str] = []
        #: inside <script> or <style>: what to do with its text ("drop", "json", "keep")
        self._raw: str | None = None
        self._raw_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self._tag(tag, attrs, ">"))
        if tag in ("script", "style"):
            kind = (dict(attrs).get("type") or "").lower()
            self._raw = "keep" if tag == "style" else "json" if "json" in kind else "drop"
            self._raw_text = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self._tag(tag, attrs, " />"))

    def handle_endtag(self, tag: str) -> None:
        if self._raw is not None and tag in ("script", "style"):
            self.out.append(self._raw_content("".join(self._raw_text)))
            self._raw, self._raw_text = None, []
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self._raw is not None:
            self._raw_text.append(data)
        else:
            self.out.append(html.escape(self.anonymiser.text(data), quote=False))

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{self.anonymiser.text(data)}-->")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")

    def unknown_decl(self, data: str) -> None:
        self.out.append(f"<![{data}]>")

    def handle_pi(self, data: str) -> None:
        self.out.append(f"<?{data}>")

    def _raw_content(self, content: str) -> str:
        if not content.strip():
            return content
        if self._raw == "keep":
            return self.anonymiser.text(content)
        if self._raw == "json":
            embedded = _embedded_json(content)
            if embedded is not None:
                return json.dumps(self.anonymiser.json(embedded), ensure_ascii=False).replace("</", "<\\/")
        return f"/* {len(content)} characters of inline script removed */"

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], end: str) -> str:
        named = {name: value for name, value in attrs}
        parts = [f"<{tag}"]
        for name, value in attrs:
            if value is None:
                parts.append(f" {name}")
                continue
            parts.append(f' {name}="{html.escape(self._attribute(tag, name, value, named), quote=True)}"')
        return "".join(parts) + end

    def _attribute(self, tag: str, name: str, value: str, named: dict[str, str | None]) -> str:
        if tag == "input" and name == "value" and (named.get("type") or "").lower() in ("hidden", "password"):
            return REMOVED
        if tag == "meta" and name == "content" and _SECRET_KEY.search(
                f"{named.get('name') or ''} {named.get('property') or ''} {named.get('http-equiv') or ''}"):
            return REMOVED
        if name.startswith("data-") and _SECRET_KEY.search(name):
            return REMOVED
        return self.anonymiser.text(value)
