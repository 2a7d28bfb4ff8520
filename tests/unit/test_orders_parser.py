"""Order list and order detail parsers, on the real captures and on broken copies of them.

Expected values were read from the JSON files by hand (tests/fixtures/README.md).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from agent.core.errors import (
    CaptchaRequired,
    LoginRequired,
    PageChanged,
    RateLimited,
    SiteUnavailable,
)
from agent.core.models import Order, OrderStatus, TimerSource
from agent.core.money import Money
from flows.parsers.orders import parse_order_detail, parse_order_list
from flows.parsers.status import label_language, resolve_order_status, status_from_text

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
UTC = timezone.utc


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def brl(amount: str) -> Money:
    return Money(amount=Decimal(amount), currency="BRL")


# --- order list: every order of order-list-init.json -----------------------------------

# (order id, store, status, status text, total, order date, [(line id, title, price, qty, sku)])
LIST_ORDERS = [
    ("8214398062177351", "LIMA Store", OrderStatus.AWAITING_DELIVERY, "Awaiting delivery", "31.93", date(2026, 9, 1), [
        ("8214969923776196", "Lima neo micro alfa eco 13 12 11 eco indigo eco neo micro de pixel kilo alfa eco x xr 8 micro hidra c alfa neo vetor", "13.90", 2, "Color: 2.4A USB To L; Length: 1m"),
    ]),
    ("8214779947343229", "LIMA Store", OrderStatus.AWAITING_DELIVERY, "Awaiting delivery", "87.15", date(2026, 9, 1), [
        ("8214674215518251", "Lima micro hidra c xenon 20w prisma micro c xenon sigma hidra c pd pixel kilo alfa eco 15 14 13 12 eco indigo 11x8 tango", "37.99", 2, "Plug Type: 20W Mini Black"),
    ]),
    ("8212313961591322", "Vega Store", OrderStatus.COMPLETED, "Completed", "132.74", date(2026, 7, 15), [
        ("8212840438652111", "Neo XENON 2.1 de Gama Omega eco Cabo Xenon XENON Pixel 8K@60Hz 4K@120Hz Tango Xenon HD e HD Indigo alfa TV Ultra PS5 Tango", "126.59", 1, "Color: HDMI-compatible 2.1; Length: 2m"),
    ]),
    ("8212268452148012", "Tango Store", OrderStatus.COMPLETED, "Completed", "277.33", date(2026, 7, 15), [
        ("8212556490087649", "Lima Vega Neo 2 em eco alfa Gama Tango, PC, Alfa prisma pixel, Ultra Eco alfa Tango, Eco, Pixel e PC", "304.53", 1, "Color: White Bundle Edtion; Ships From: Brazil"),
    ]),
    ("8212611134562621", "XENON Store", OrderStatus.COMPLETED, "Completed", "335.07", date(2026, 6, 26), [
        ("8212751922320187", "Xenon Vega XENON Fenix 25W Quartzo alfa Cabo eco Sigma Vega Xenon alfa Eco 17/16 e S26 Bravo", "328.65", 1, "Color: black"),
    ]),
    ("8211781299384136", "Bravo Store", OrderStatus.COMPLETED, "Completed", "400.20", date(2026, 5, 27), [
        ("8211146434102767", "BRAVO-Indigo HIDRA Eco, Alfa HIDRA M.2 alfa Jade MICRO 4.0 alfa M.2 INDIGO YUCA, xenon de rubi kilo, jade de vetor, 40Tango", "448.85", 1, "Color: 40Gbps; Ships From: brazil"),
    ]),
    ("8211748238135282", "NANO Store", OrderStatus.COMPLETED, "Completed", "87.82", date(2026, 5, 18), [
        ("8211887789632170", "KZ ECO ECO X Ultra Quartzo Omega de quartzo HIDRA Alfa Indigo DJ Zeta Xenon de quartzo eco fenix de fenix", "37.79", 1, "Color: EDXProX Black MIC"),
        ("8211005868302376", "KZ ECO ECO X Ultra Quartzo Omega de quartzo HIDRA Alfa Indigo DJ Zeta Xenon de quartzo eco fenix de fenix", "35.10", 1, "Color: EDXProX Clear NOMIC"),
    ]),
    ("8211736227630231", "Tango Store", OrderStatus.COMPLETED, "Completed", "287.99", date(2026, 4, 23), [
        ("8211376949949072", "Vega eco 2 lima gama tango pc alfa prisma pixel ultra eco lima alfa gama tango eco pixel pc", "287.99", 1, "Color: Black Bundle Edtion; Ships From: brazil"),
    ]),
    ("8211589415816822", "Jade Store", OrderStatus.COMPLETED, "Completed", "13.97", date(2026, 4, 19), [
        ("8211454970880474", "K5 vega de fenix alfa vega s2 tango vega 5a xenon vega nano jade delta alfa kilo de sigma alfa vega", "10.70", 1, "Color: 70L 150L"),
    ]),
    ("8210505692320516", "LIMA Store", OrderStatus.COMPLETED, "Completed", "45.87", date(2026, 4, 8), [
        ("8210549511183391", "Lima-Xenon alfa delta, Pixel Kilo, MICRO PD, Pixel Kilo 4.0, 3.0, VEGA, ZETA, Quartzo, Eco 12, 13, 14 Eco, 30W", "31.69", 1, "Plug Type: Dual Type C"),
    ]),
]
LIST_SITE_TIME = datetime(2026, 9, 8, 6, 53, 40, 839000, tzinfo=UTC)  # data.global.curTime


@pytest.fixture(scope="module")
def order_list():
    return parse_order_list(load("order-list-init.json"))


def test_list_page(order_list) -> None:
    assert [o.order_id for o in order_list.orders] == [row[0] for row in LIST_ORDERS]
    assert order_list.has_more is True
    assert (order_list.page_index, order_list.page_size) == (1, 10)
    assert order_list.site_time == LIST_SITE_TIME


@pytest.mark.parametrize("index", range(len(LIST_ORDERS)), ids=[row[0] for row in LIST_ORDERS])
def test_list_order(order_list, index: int) -> None:
    order_id, store, status, status_text, total, placed, lines = LIST_ORDERS[index]
    order: Order = order_list.orders[index]
    assert order.order_id == order_id
    assert order.store_name == store
    assert order.status is status
    assert order.status_text == status_text
    assert order.total == brl(total)
    assert order.placed_on == placed
    assert order.site_time == LIST_SITE_TIME
    # only the detail page knows these
    assert order.detail_loaded is False
    assert order.timer is None and order.can_open_dispute is None
    assert [(l.line_id, l.title, l.unit_price, l.quantity, l.sku) for l in order.lines] == [
        (line_id, title, brl(price), qty, sku) for line_id, title, price, qty, sku in lines
    ]
    assert all(line.can_open_dispute is None for line in order.lines)


def test_list_buttons(order_list) -> None:
    assert order_list.orders[0].buttons == ["CONFIRM_GOODS", "TRACKING"]
    assert order_list.orders[2].buttons == ["REPURCHASE", "DELETE"]


def test_list_order_does_not_depend_on_the_maps_order() -> None:
    envelope = load("order-list-init.json")
    components = envelope["data"]["data"]
    envelope["data"]["data"] = dict(reversed(list(components.items())))
    assert [o.order_id for o in parse_order_list(envelope).orders] == [row[0] for row in LIST_ORDERS]


def test_list_keeps_orders_the_hierarchy_does_not_reach() -> None:
    envelope = load("order-list-init.json")
    structure = envelope["data"]["hierarchy"]["structure"]
    structure["pc_om_list_body_109702"].remove("pc_om_list_order_8212313961591322")
    ids = [o.order_id for o in parse_order_list(envelope).orders]
    assert ids[-1] == "8212313961591322" and len(ids) == 10


def test_list_selects_by_tag_not_by_key() -> None:
    envelope = load("order-list-init.json")
    components = envelope["data"]["data"]
    component = components.pop("pc_om_list_order_8214398062177351")
    components["renamed_key"] = component
    structure = envelope["data"]["hierarchy"]["structure"]["pc_om_list_body_109702"]
    structure[structure.index("pc_om_list_order_8214398062177351")] = "renamed_key"
    assert parse_order_list(envelope).orders[0].order_id == "8214398062177351"


def later_page(envelope: dict[str, Any], keep: int = 3) -> dict[str, Any]:
    """A later page as the live site sends it: only the body and the new orders."""
    data = envelope["data"]
    body_key = "pc_om_list_body_109702"
    orders = data["hierarchy"]["structure"][body_key][:keep]
    data["data"] = {key: data["data"][key] for key in [*reversed(orders), body_key]}
    data["data"][body_key]["fields"].update(pageIndex=2, hasMore=False)
    data["hierarchy"]["structure"] = {body_key: orders}  # the root (the page) is not in the answer
    return envelope


def test_a_later_page_carrying_only_what_changed_is_read_in_page_order() -> None:
    page = parse_order_list(later_page(load("order-list-init.json")))
    assert [o.order_id for o in page.orders] == [row[0] for row in LIST_ORDERS[:3]]
    assert (page.page_index, page.has_more) == (2, False)


def test_a_later_page_without_its_body_names_the_body() -> None:
    envelope = later_page(load("order-list-init.json"))
    del envelope["data"]["data"]["pc_om_list_body_109702"]
    with pytest.raises(PageChanged, match="component with tag 'pc_om_list_body' missing"):
        parse_order_list(envelope)


def _with_code(envelope: dict[str, Any], key: str, code: str) -> dict[str, Any]:
    fields = envelope["data"]["data"][key]["fields"]
    fields["utParams"] = {"args": {"orderId": fields["orderId"], "orderStatus": code}}
    return envelope


def test_list_order_in_the_live_shape_8_is_awaiting_delivery() -> None:
    # [EM]'s live shape: orderStatus '8', "Awaiting delivery", CONFIRM_GOODS and TRACKING
    envelope = _with_code(load("order-list-init.json"), "pc_om_list_order_8214398062177351", "8")
    order = parse_order_list(envelope).orders[0]
    assert order.buttons == ["CONFIRM_GOODS", "TRACKING"]
    assert order.status is OrderStatus.AWAITING_DELIVERY


def test_list_code_9_decides_only_when_buttons_and_label_say_nothing() -> None:
    envelope = _with_code(load("order-list-init.json"), _ORDER_KEY, "9")
    envelope["data"]["data"][_ORDER_KEY]["fields"]["statusText"] = "Something new"
    order = next(o for o in parse_order_list(envelope).orders if o.order_id == "8212313961591322")
    assert order.status is OrderStatus.COMPLETED
    envelope = _with_code(envelope, _ORDER_KEY, "8")
    order = next(o for o in parse_order_list(envelope).orders if o.order_id == "8212313961591322")
    assert order.status is OrderStatus.UNKNOWN  # 8 alone proves nothing: still watched


def _drop(path: list[str | int]):
    def mutate(envelope: dict[str, Any]) -> None:
        target = envelope
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]

    return mutate


_ORDER_KEY = "pc_om_list_order_8212313961591322"


@pytest.mark.parametrize(
    "mutate, message",
    [
        (_drop(["data", "hierarchy", "structure"]), "order.list: data.hierarchy.structure missing"),
        (_drop(["data", "hierarchy", "root"]), "order.list: data.hierarchy.root missing"),
        (_drop(["data", "hierarchy"]), "order.list: data.hierarchy missing"),
        (_drop(["data", "data"]), "order.list: data.data missing"),
        (_drop(["data", "data", "pc_om_list_body_109702"]), "order.list: component with tag 'pc_om_list_body' missing"),
        (_drop(["data", "data", "pc_om_list_body_109702", "fields", "hasMore"]),
         "order.list: data.data.pc_om_list_body_109702.fields.hasMore missing"),
        (_drop(["data", "data", _ORDER_KEY, "fields", "orderId"]), f"order.list: data.data.{_ORDER_KEY}.fields.orderId missing"),
        (_drop(["data", "data", _ORDER_KEY, "fields", "orderLines"]),
         f"order.list: data.data.{_ORDER_KEY}.fields.orderLines missing"),
        (_drop(["data", "data", _ORDER_KEY, "fields", "orderLines", 0, "quantity"]),
         f"order.list: data.data.{_ORDER_KEY}.fields.orderLines.0.quantity missing"),
        (_drop(["data", "data", _ORDER_KEY, "fields", "orderLines", 0, "orderLineId"]),
         f"order.list: data.data.{_ORDER_KEY}.fields.orderLines.0.orderLineId missing"),
        (_drop(["data", "global", "curTime"]), "order.list: data.global.curTime missing"),
    ],
)
def test_list_missing_required_field_names_it(mutate, message: str) -> None:
    envelope = load("order-list-init.json")
    mutate(envelope)
    with pytest.raises(PageChanged) as caught:
        parse_order_list(envelope)
    assert str(caught.value).startswith(message)


def test_list_missing_total_is_none_not_zero() -> None:
    envelope = load("order-list-init.json")
    fields = envelope["data"]["data"][_ORDER_KEY]["fields"]
    del fields["formatPriceInfo"], fields["totalPriceText"]
    order = next(o for o in parse_order_list(envelope).orders if o.order_id == "8212313961591322")
    assert order.total is None


def test_list_falls_back_to_date_header_when_cur_time_is_absent() -> None:
    envelope = load("order-list-init.json")
    del envelope["data"]["global"]["curTime"]
    page = parse_order_list(envelope, date_header="Mon, 07 Sep 2026 12:00:00 GMT")
    assert page.site_time == datetime(2026, 9, 7, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "ret, error",
    [
        ("FAIL_SYS_SESSION_EXPIRED::Session expired", LoginRequired),
        ("NEED_LOGIN::", LoginRequired),
        ("FAIL_SYS_SID_INVALID::", LoginRequired),
        ("FAIL_SYS_USER_VALIDATE::", CaptchaRequired),
        ("FAIL_SYS_TRAFFIC_LIMIT::", RateLimited),
        ("FAIL_SYS_TOKEN_EXOIRED::token expired", SiteUnavailable),
        ("FAIL_SYS_TOKEN_EMPTY::", SiteUnavailable),
        ("FAIL_SYS_ILLEGAL_ACCESS::", SiteUnavailable),
        ("FAIL_BIZ_SOMETHING::", SiteUnavailable),
    ],
)
def test_failure_codes_become_typed_errors(ret: str, error: type[Exception]) -> None:
    envelope = load("order-list-init.json")
    envelope["ret"] = [ret]
    with pytest.raises(error) as caught:
        parse_order_list(envelope)
    assert type(caught.value) is error
    if ret.startswith("FAIL_SYS_TOKEN"):
        assert "reload" in str(caught.value)


def test_missing_ret_is_a_changed_page() -> None:
    envelope = load("order-list-init.json")
    del envelope["ret"]
    with pytest.raises(PageChanged, match=r"order.list: ret\[0\] missing"):
        parse_order_list(envelope)


# --- order detail -----------------------------------------------------------------------

DETAIL_SITE_TIME = datetime(2026, 8, 30, 6, 27, 53, 217000, tzinfo=UTC)  # scrambled curTime, as captured


@pytest.fixture(scope="module")
def detail() -> Order:
    return parse_order_detail(load("order-detail.json"))


def test_detail_order(detail: Order) -> None:
    assert detail.order_id == "8212313961591322"
    assert detail.store_name == "Vega Store"
    assert detail.status is OrderStatus.COMPLETED
    assert detail.status_text == "Completed"
    assert detail.placed_on == date(2026, 7, 15)
    assert detail.paid_on == date(2026, 7, 15)
    assert detail.shipped_on == date(2026, 7, 16)
    assert detail.completed_on == date(2026, 7, 28)
    assert detail.total == brl("132.74")
    assert detail.buttons == ["TRACKING", "REPURCHASE", "DOWNLOAD_RECEIPT"]
    assert detail.detail_loaded is True
    assert detail.can_open_dispute is True
    assert detail.site_time == DETAIL_SITE_TIME
    assert detail.reminder.startswith("Order complete.If there are any problems")


def test_detail_lines(detail: Order) -> None:
    [line] = detail.lines
    assert line.line_id == "8212840438652111"
    assert line.product_id == "1005745176332016"
    assert line.title.startswith("Neo XENON 2.1 de Gama Omega")
    assert line.unit_price == brl("126.59")
    assert line.quantity == 1
    assert line.sku == "Color: HDMI-compatible 2.1; Length: 2m"
    assert line.can_open_dispute is True


def test_detail_services(detail: Order) -> None:
    assert detail.services == [
        "Apply for R$5,00 coupon code if delayed by Aug 3, 2026",
        "Refund if no delivery before Sep 4, 2026",
        "Refund if items damaged",
        "Refund if package lost",
        "Not satisfied with your order? Send it back within 15 days after delivery. "
        "The first return on each order is free (up to 5 times per month).",
    ]


def test_completed_detail_is_timed_by_the_dispute_window_not_the_spent_promise(detail: Order) -> None:
    # the order was delivered (completed Jul 28): "refund if no delivery before Sep 4"
    # no longer protects anything; the 90-day dispute window does
    assert detail.timer is not None
    assert detail.timer.source is TimerSource.DISPUTE_WINDOW
    assert detail.timer.ends_at == datetime(2026, 10, 13, tzinfo=UTC)
    assert detail.timer.read_at == DETAIL_SITE_TIME
    # both candidates are kept, earliest first; the window is Jul 15 + 90 days
    assert [(t.source, t.ends_at) for t in detail.timers] == [
        (TimerSource.DELIVERY_PROMISE, datetime(2026, 9, 4, tzinfo=UTC)),
        (TimerSource.DISPUTE_WINDOW, datetime(2026, 10, 13, tzinfo=UTC)),
    ]
    assert detail.timers[0].raw_text == "Refund if no delivery before Sep 4, 2026"


def test_undelivered_detail_is_timed_by_the_earlier_promise() -> None:
    envelope = load("order-detail.json")
    for component in envelope["data"]["data"].values():
        if component["tag"] == "detail_simple_order_info_component":
            del component["fields"]["orderEndTime"]
    envelope["data"]["global"]["orderStatus"] = 8  # [EM]: 8 is awaiting delivery, not completed
    for component in envelope["data"]["data"].values():
        if component["tag"] == "detail_order_status_block":
            component["fields"]["title"] = "Awaiting delivery"
            component["fields"]["buttonVOList"].insert(0, {"type": "CONFIRM_GOODS", "text": "Confirm received"})
    order = parse_order_detail(envelope)
    assert order.status is OrderStatus.AWAITING_DELIVERY
    assert order.timer.source is TimerSource.DELIVERY_PROMISE
    assert order.timer.ends_at == datetime(2026, 9, 4, tzinfo=UTC)


def test_detail_dates_in_the_sites_zone() -> None:
    brt = timezone(timedelta(hours=-3))
    order = parse_order_detail(load("order-detail.json"), tz=brt)
    assert order.timer.ends_at == datetime(2026, 10, 13, 3, tzinfo=UTC)


def test_detail_without_services_uses_the_dispute_window() -> None:
    envelope = load("order-detail.json")
    del envelope["data"]["data"]["detail_order_services_sv3-8212313961591322"]
    order = parse_order_detail(envelope)
    assert order.timer.source is TimerSource.DISPUTE_WINDOW
    assert order.timer.ends_at == datetime(2026, 10, 13, tzinfo=UTC)


def test_detail_countdown_wins_and_runs_on_the_sites_clock() -> None:
    envelope = load("order-detail.json")
    status = envelope["data"]["data"]["detail_order_status_block_111818"]["fields"]
    status["reminder"] = "Your order will be closed in: 40 days 01:02:03. " + status["reminder"]
    order = parse_order_detail(envelope)
    assert order.timer.source is TimerSource.COUNTDOWN
    # later than the promise (Sep 4) and still chosen: the site's own clock for this order
    assert order.timer.ends_at == DETAIL_SITE_TIME + timedelta(days=40, hours=1, minutes=2, seconds=3)
    assert order.timer.read_at == DETAIL_SITE_TIME
    assert len(order.timers) == 3


@pytest.mark.parametrize("reminder", [
    "Your order will be closed in: about two weeks",
    "Your order will be closed in: --",
    "The order closes in: see the app",
])
def test_a_clock_the_agent_cannot_read_fails_naming_the_guess(reminder: str) -> None:
    """The static fallbacks may end later than the real clock: never fall back quietly."""
    envelope = load("order-detail.json")
    envelope["data"]["data"]["detail_order_status_block_111818"]["fields"]["reminder"] = reminder
    with pytest.raises(PageChanged, match=r"order-countdown-text"):
        parse_order_detail(envelope)


def test_detail_countdown_with_date_header() -> None:
    envelope = load("order-detail.json")
    del envelope["data"]["global"]["curTime"]
    status = envelope["data"]["data"]["detail_order_status_block_111818"]["fields"]
    status["reminder"] = "Your order will be closed in: 1 day 00:00:00"
    order = parse_order_detail(envelope, date_header="Sat, 05 Sep 2026 10:00:00 GMT")
    assert order.timer.ends_at == datetime(2026, 9, 6, 10, tzinfo=UTC)


def test_detail_without_open_dispute_button() -> None:
    envelope = load("order-detail.json")
    product = envelope["data"]["data"]["detail_product_block_111822"]["fields"]["productVOList"][0]
    product["buttonVOS"] = [b for b in product["buttonVOS"] if b["type"] != "OPEN_DISPUTE"]
    order = parse_order_detail(envelope)
    assert order.can_open_dispute is False
    assert order.lines[0].can_open_dispute is False


def test_detail_status_from_label_when_code_absent() -> None:
    envelope = load("order-detail.json")
    del envelope["data"]["global"]["orderStatus"]
    envelope["data"]["data"]["detail_order_status_block_111818"]["fields"]["title"] = "Concluído "
    assert parse_order_detail(envelope).status is OrderStatus.COMPLETED


def test_detail_ids_that_disagree_are_a_changed_page() -> None:
    envelope = load("order-detail.json")
    envelope["data"]["data"]["detail_order_status_block_111818"]["fields"]["orderId"] = 1234567890123456
    with pytest.raises(PageChanged, match="disagree"):
        parse_order_detail(envelope)


@pytest.mark.parametrize(
    "component, message",
    [
        ("detail_order_status_block_111818", "order.detail: component with tag 'detail_order_status_block' missing"),
        ("detail_simple_order_info_component_111820",
         "order.detail: component with tag 'detail_simple_order_info_component' missing"),
        ("detail_product_block_111822", "order.detail: component with tag 'detail_product_block' missing"),
    ],
)
def test_detail_missing_block_names_it(component: str, message: str) -> None:
    envelope = load("order-detail.json")
    del envelope["data"]["data"][component]
    with pytest.raises(PageChanged) as caught:
        parse_order_detail(envelope)
    assert str(caught.value).startswith(message)


def test_detail_missing_price_block_leaves_total_unknown() -> None:
    envelope = load("order-detail.json")
    del envelope["data"]["data"]["detail_order_price_block_111823"]
    assert parse_order_detail(envelope).total is None


# --- status: codes first, then labels -----------------------------------------------------


@pytest.mark.parametrize(
    "code, buttons, text, expected",
    [
        (9, ["TRACKING"], "Completed", OrderStatus.COMPLETED),
        (9, [], None, OrderStatus.COMPLETED),  # the one certain code
        (8, [], None, OrderStatus.UNKNOWN),  # 8 is not "completed" [EM]; alone it proves nothing
        ("8", ["CONFIRM_GOODS", "TRACKING"], "Awaiting delivery", OrderStatus.AWAITING_DELIVERY),  # [EM]
        (8, ["TRACKING"], None, OrderStatus.AWAITING_DELIVERY),
        (8, [], "Completed", OrderStatus.COMPLETED),
        ("9", [], "Awaiting delivery", OrderStatus.AWAITING_DELIVERY),  # the label wins over the code
        (9, ["CONFIRM_GOODS"], "Completed", OrderStatus.AWAITING_DELIVERY),  # the decisive button first
        (None, ["CONFIRM_GOODS", "TRACKING"], "Completed", OrderStatus.AWAITING_DELIVERY),
        (None, ["TRACKING"], "Completed", OrderStatus.COMPLETED),  # tracking stays on completed orders
        (None, ["TRACKING"], "Something new", OrderStatus.AWAITING_DELIVERY),
        (None, ["REPURCHASE", "DELETE"], "Completed", OrderStatus.COMPLETED),
        (42, [], "Awaiting payment", OrderStatus.AWAITING_PAYMENT),  # unknown code: fall through
        (None, [], "Something new", OrderStatus.UNKNOWN),
        (None, [], None, OrderStatus.UNKNOWN),
    ],
)
def test_resolve_order_status(code: object, buttons: list[str], text: str | None, expected: OrderStatus) -> None:
    assert resolve_order_status(order_status_code=code, button_types=buttons, text=text) is expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Completed", OrderStatus.COMPLETED),
        ("  completed ", OrderStatus.COMPLETED),
        ("Awaiting  Delivery", OrderStatus.AWAITING_DELIVERY),
        ("Awaiting payment", OrderStatus.AWAITING_PAYMENT),
        ("Awaiting shipment", OrderStatus.AWAITING_SHIPMENT),
        ("Processing", OrderStatus.PROCESSING),
        ("Shipped", OrderStatus.AWAITING_DELIVERY),
        ("Cancelled", OrderStatus.CANCELLED),
        ("Closed", OrderStatus.CLOSED),
        ("Payment expired", OrderStatus.PAYMENT_EXPIRED),
        ("Fund Processing", OrderStatus.PROCESSING),
        ("Dispute in progress", OrderStatus.DISPUTE_IN_PROGRESS),
        ("Concluído ", OrderStatus.COMPLETED),  # Portuguese labels arrive with a trailing space
        ("Aguardando entrega ", OrderStatus.AWAITING_DELIVERY),
        ("Aguardando pagamento ", OrderStatus.AWAITING_PAYMENT),
        ("Completado", OrderStatus.COMPLETED),
        ("Pendiente de envío", OrderStatus.AWAITING_SHIPMENT),
        ("Terminée", OrderStatus.COMPLETED),
        ("En attente de livraison", OrderStatus.AWAITING_DELIVERY),
        ("Litige en cours", OrderStatus.DISPUTE_IN_PROGRESS),
        ("Complete", OrderStatus.UNKNOWN),
        ("", OrderStatus.UNKNOWN),
    ],
)
def test_status_from_text(text: str, expected: OrderStatus) -> None:
    assert status_from_text(text) is expected


@pytest.mark.parametrize(
    "text, language",
    [("Completed", "en"), ("Awaiting  delivery ", "en"), ("Aguardando entrega ", "pt"), ("Concluído ", "pt"),
     ("Pendiente de envío", "es"), ("Terminée", "fr"), ("Something new", None), (None, None)],
)
def test_label_language(text: str | None, language: str | None) -> None:
    assert label_language(text) == language
