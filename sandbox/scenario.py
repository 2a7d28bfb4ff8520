"""The scenario file: the world the sandbox starts from.

A scenario is TOML (read with the standard library) validated by the models below;
the format is documented in ``sandbox/README.md``. A broken file is reported as one
line per problem naming the key, never as a traceback.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .clock import MAX_RATE

DEFAULT_SCENARIO = Path(__file__).with_name("scenarios") / "demo.toml"

CURRENCIES = ("USD", "EUR", "BRL", "PLN", "CNY", "GBP")


class ScenarioError(Exception):
    """A scenario file cannot be used; ``problems`` names each bad key."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _as_instant(value: object) -> object:
    """Dates in a scenario may be written as a date (midnight UTC) or a datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=UTC)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


Instant = Annotated[datetime, Field()]


class ShippingAddress(_Strict):
    """Where the account ships to; the order page and tracking show it, as the real
    answers do (``addressVO``, ``logisticsReceiverInfo``)."""

    contact_name: str = "Sam Example"
    street: str = "1 Example Street"
    street2: str = "Apartment 2"
    city: str = "Springfield"
    province: str = "Example State"
    zip_code: str = "00000"
    country: str = "United States"
    country_code: str = Field("US", pattern=r"^[A-Z]{2}$")
    #: the international prefix, then the number as the site shows them ("+1", "5550100")
    phone_country: str = Field("+1", pattern=r"^\+\d{1,4}$")
    phone: str = Field("5550100", pattern=r"^[\d ()-]{4,20}$")


class Account(_Strict):
    login: str
    #: the name the page header greets ("Hi, <first word>"); unset, the login's first part
    name: str | None = None
    address: ShippingAddress = ShippingAddress()
    password: str
    #: the slider captcha: ``true`` or ``"dialog"`` shows it in a dialog after "Sign in";
    #: ``"punish"`` sends every page of ``www.``/``m.`` to the ``/_____tmd_____/punish`` page
    captcha: bool | Literal["dialog", "punish"] = False
    #: when set, ask for this code (as if sent by e-mail) after the password, one box a digit
    email_code: str | None = Field(None, pattern=r"^\d{4,8}$")
    #: virtual days a session lives
    session_days: float = 30.0
    #: the sign-in form: today's two steps, the same with the 2025 field label "Email",
    #: or the older one-page form
    login_form: Literal["two_step", "two_step_email", "one_page"] = "two_step"
    #: the login host remembers an account and offers it first ("Continue" or "Switch
    #: account"): ``true`` for this account, or another address
    remembered: bool | str = False
    #: the language the account's pages come in when no ``aep_usuc_f`` cookie names
    #: one (or when the site ignores the cookie): ``en_US`` or ``pt_BR``
    language: str = "en_US"

    @field_validator("language")
    @classmethod
    def _served_language(cls, value: str) -> str:
        from .i18n import LOCALES

        if value not in LOCALES:
            raise ValueError(f"unknown language {value!r}; use one of {', '.join(LOCALES)}")
        return value


class Rules(_Strict):
    """Windows of the dispute process; defaults follow the reference notes."""

    protection_days: int = 60
    dispute_button_after_shipment_days: float = 5
    #: completed orders: "open a dispute within N days after order was placed"
    completed_dispute_days: int = 90
    #: completed orders: "apply for a return/refund within N days of confirming receipt"
    return_after_receipt_days: int = 7
    seller_response_days: float = 5
    buyer_response_days: float = 2
    #: where the site lets buyers escalate (``[site] buyer_escalation``): from day N
    escalation_after_days: float = 3
    #: the platform steps in by itself this many days after opening while the two sides
    #: still talk ("a dispute officer steps in within 7 days", a seller's guide); none: never
    platform_escalation_days: float | None = 7
    mediator_decision_days: float = 7
    mediator_info_days: float = 3
    return_ship_days: float = 10
    page_size: int = Field(10, ge=1, le=50)
    max_images: int = 3
    image_max_bytes: int = 2 * 1024 * 1024
    video_max_bytes: int = 500 * 1024 * 1024
    max_videos: int = 1
    image_types: list[str] = ["jpg", "jpeg", "png", "gif", "bmp"]
    video_types: list[str] = ["mp4", "mov", "avi"]
    #: real milliseconds a photo's upload on the dispute form takes: its thumbnail shows
    #: only then, and a photo whose thumbnail has not shown is left out of the request
    upload_thumbnail_ms: int = Field(1000, ge=0, le=120_000)


class SellerStep(_Strict):
    """One scripted move of a seller, ``day`` days after the dispute is opened."""

    day: float = Field(ge=0)
    action: Literal["offer", "agree", "reject", "change_solution", "withdraw"]
    #: absolute refund amount of an offer ("0.00" is the trap the agent exists for)
    amount: Decimal | None = None
    #: refund as a share of what the buyer asked (0-100)
    percent: Decimal | None = Field(None, ge=0, le=100)
    solution: Literal["refund_only", "return_and_refund"] = "refund_only"
    #: days the buyer has to answer (default: rules.buyer_response_days)
    respond_days: float | None = None
    message: str = ""


class MediatorStep(_Strict):
    """One scripted move of the platform's mediator, ``day`` days after escalation."""

    day: float = Field(ge=0)
    action: Literal["request_info", "decide"]
    respond_days: float | None = None
    message: str = ""
    result: Literal["won", "lost"] = "won"
    #: refund when deciding for the buyer; default: what the buyer asked
    amount: Decimal | None = None


class Script(_Strict):
    seller: list[SellerStep] = []
    mediator: list[MediatorStep] = []


class Store(_Strict):
    id: str
    name: str
    #: the script used for disputes on this store's orders, unless the order has one
    script: Script = Script()


class Line(_Strict):
    id: str
    title: str
    price: Decimal = Field(gt=0)
    quantity: int = Field(1, ge=1)
    sku: dict[str, str] = {}
    product_id: str = ""


class TrackingEvent(_Strict):
    at: datetime
    name: str
    desc: str
    code: str = "AE_GTMS_TRANSIT"
    location: str = ""

    _at = field_validator("at", mode="before")(_as_instant)


class ExistingDispute(_Strict):
    """A dispute already open (or finished) when the scenario starts."""

    line: str
    opened: datetime
    received: bool = False
    reason: str = "not_arrived"
    solution: Literal["refund_only", "return_and_refund"] = "refund_only"
    amount: Decimal | None = None
    description: str = "The package has not arrived."
    escalated: datetime | None = None
    finished: Literal["won", "lost"] | None = None
    refund: Decimal | None = None

    _dates = field_validator("opened", "escalated", mode="before")(_as_instant)


class Order(_Strict):
    id: str = Field(pattern=r"^\d{6,20}$")
    store: str
    currency: str
    placed: datetime
    paid: datetime | None = None
    shipped: datetime | None = None
    delivered: datetime | None = None
    completed: datetime | None = None
    cancelled: datetime | None = None
    protection_days: int | None = None
    #: "Refund if no delivery before <date>" service promise
    delivery_promise: date | None = None
    shipping: Decimal = Decimal("0")
    lines: list[Line] = Field(min_length=1)
    tracking: list[TrackingEvent] = []
    tracking_number: str = ""
    script: Script | None = None
    disputes: list[ExistingDispute] = []

    _dates = field_validator(
        "placed", "paid", "shipped", "delivered", "completed", "cancelled", mode="before"
    )(_as_instant)

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if value not in CURRENCIES:
            raise ValueError(f"unknown currency {value!r}; use one of {', '.join(CURRENCIES)}")
        return value

    @model_validator(mode="after")
    def _dates_in_order(self) -> "Order":
        chain = [("placed", self.placed), ("paid", self.paid), ("shipped", self.shipped),
                 ("delivered", self.delivered), ("completed", self.completed)]
        last_name, last = chain[0]
        for name, value in chain[1:]:
            if value is None:
                continue
            if value < last:
                raise ValueError(f"{name} ({value.isoformat()}) is before {last_name}")
            last_name, last = name, value
        if self.shipped and not self.paid:
            raise ValueError("an order cannot be shipped before it is paid")
        line_ids = [line.id for line in self.lines]
        for dispute in self.disputes:
            if dispute.line not in line_ids:
                raise ValueError(f"dispute on unknown line {dispute.line!r}")
        return self


class Clock(_Strict):
    start: datetime
    rate: float = Field(0.0, ge=0, le=MAX_RATE)

    _start = field_validator("start", mode="before")(_as_instant)


class SiteSpec(_Strict):
    """How the site itself behaves, apart from the account and the process rules."""

    #: fixes the CSS-module class hashes (``block--element--HASH``); unset, they change at
    #: every start of the sandbox, as they change with every release of the real site
    class_seed: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,32}$")
    #: the dispute page offers the buyer an "Escalate" button; unset, the platform steps
    #: in on its own schedule, as help texts describe today's site
    buyer_escalation: bool = False
    #: pages and answers come in the account's language whatever the ``aep_usuc_f``
    #: cookie asks for (the control API can switch it too)
    ignore_locale_cookie: bool = False
    #: seeds the order in which the order list shows orders placed the same day (a new
    #: order on every call); unset, the scenario's name seeds it. Either way a run repeats
    list_seed: int | None = None
    #: a case shows in the dispute list only this many virtual minutes after it was
    #: opened (the order page and the case's own page show it at once), as a list fed
    #: by a slower index would; 0 lists it at once
    dispute_list_lag_minutes: float = Field(0, ge=0, le=10_080)


class Scenario(_Strict):
    name: str = "unnamed"
    clock: Clock
    account: Account
    site: SiteSpec = SiteSpec()
    rules: Rules = Rules()
    stores: list[Store] = Field(min_length=1)
    orders: list[Order] = []

    @model_validator(mode="after")
    def _references(self) -> "Scenario":
        stores = {store.id for store in self.stores}
        seen_orders: set[str] = set()
        seen_lines: set[str] = set()
        for order in self.orders:
            if order.store not in stores:
                raise ValueError(f"order {order.id}: unknown store {order.store!r}")
            if order.id in seen_orders:
                raise ValueError(f"order {order.id} appears twice")
            seen_orders.add(order.id)
            for line in order.lines:
                if line.id in seen_lines:
                    raise ValueError(f"order line {line.id} appears twice")
                seen_lines.add(line.id)
        return self


def _problems(error: ValidationError) -> list[str]:
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"{where}: {item['msg']}")
    return lines


def parse_scenario(data: dict, source: str = "scenario") -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(source, _problems(error)) from None


def load_scenario(path: Path | str | None = None) -> Scenario:
    """Read and validate a scenario file (the built-in demo when ``path`` is None)."""
    path = Path(path) if path is not None else DEFAULT_SCENARIO
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ScenarioError(str(path), [f"cannot read the file: {error.strerror}"]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ScenarioError(str(path), [f"not valid TOML: {error}"]) from None
    return parse_scenario(data, str(path))
