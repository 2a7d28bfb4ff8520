"""``/h5/<api>/1.0/``: the "mtop" endpoint the pages' scripts call.

Requests look like the real ones (``?jsv=2.5.1&appKey=12574478&t=…&sign=…&api=…
&v=1.0&type=originaljson&dataType=json&data=<json>``; later pages and the write
calls are POSTed). The sign is not checked: the agent reads what the page receives
and never signs its own calls. A GET that names a ``callback`` (the pages ask with
``type=originaljsonp&callback=mtopjsonpN``) is answered as JSONP, ``mtopjsonpN({…})``,
as the live site answers its GETs; a POST is answered as JSON. Answers are always
HTTP 200 with the real envelope,
and every failure is a ``ret`` code with a readable message — logged out:
``FAIL_SYS_SESSION_EXPIRED``; unknown id: ``FAIL_BIZ_NOT_FOUND``; refused input:
``FAIL_BIZ_PARAM`` plus ``data.field`` naming the form field — never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Awaitable, Callable

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import api, api_reverse, i18n, reverse_form
from .lifecycle import BuyerError
from .origins import origins_of
from .web import world_of
from .web_auth import logged_in
from .world import World

API_NOT_FOUND = "FAIL_SYS_API_NOT_FOUNDED"
PARAM_FORMAT = "FAIL_SYS_PARAM_FORMAT_ERROR"
NOT_FOUND = "FAIL_BIZ_NOT_FOUND"
BAD_INPUT = "FAIL_BIZ_PARAM"
INNER_FAULT = "FAIL_SYS_SERVICE_INNER_FAULT"
UNKNOWN_FAIL = "UNKNOWN_FAIL_CODE"

log = logging.getLogger("sandbox.api")

_AMOUNT = re.compile(r"^\d{1,9}([.,]\d{1,2})?$")
#: a JSONP callback name the page may ask for (anything else would be script injection)
_CALLBACK = re.compile(r"^[A-Za-z_$][\w$]{0,63}$")


class BadRequest(Exception):
    """The call itself is malformed (not the buyer's input): ``FAIL_SYS_PARAM_FORMAT_ERROR``."""


class UnknownFailure(Exception):
    """A value the real API answers with ``UNKNOWN_FAIL_CODE`` (the refund list's
    ``reverseStatus`` 0 or 5 [MM])."""


@dataclass
class Call:
    """One API call as received: the decoded ``data`` JSON and, for POSTs, the form."""

    request: Request
    world: World
    data: dict[str, Any]
    form: FormData | None
    #: the www. host's address, for links to order pages and the dispute form
    base: str
    #: the m. host's address, for links to the dispute list and pages
    mobile: str

    def text(self, name: str) -> str:
        if self.form is None:
            return ""
        value = self.form.get(name)
        return value.strip() if isinstance(value, str) else ""

    async def files(self) -> list[tuple[str, bytes]]:
        if self.form is None:
            return []
        result = []
        for key in ("files[]", "files", "file"):
            for value in self.form.getlist(key):
                if isinstance(value, UploadFile):
                    data = await value.read()
                    if value.filename or data:
                        result.append((value.filename or "", data))
        return result


def _int(data: dict[str, Any], key: str, default: int) -> int:
    value = data.get(key, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"{key} must be a number, got {value!r}") from None


def _id(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None or str(value).strip() == "":
        raise BadRequest(f"{key} is required")
    return str(value).strip()


def _amount(text: str) -> Decimal:
    if not _AMOUNT.match(text):
        raise BuyerError("amount", "Please enter a valid refund amount (for example 12.50).")
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise BuyerError("amount", "Please enter a valid refund amount (for example 12.50).") from None


# --- read calls ------------------------------------------------------------------------

async def order_list(call: Call) -> dict[str, Any]:
    return api.order_list(call.world, _int(call.data, "pageIndex", 1), call.base,
                          i18n.locale_of(call.request, call.world))


def empty_order_detail(world: World) -> dict[str, Any]:
    """What the real ``order.detail`` answers when called with ``orderId``: a SUCCESS skeleton."""
    now = world.advance()
    return api.envelope(api.API_ORDER_DETAIL, {
        "container": {"data": []},
        "data": {},
        "endpoint": {"mode": "pc", "protocolVersion": "3.0", "ultronage": True},
        "global": {"curTime": int(now.timestamp() * 1000), "response": {}, "refreshPage": True},
        "hierarchy": {"component": [], "root": "", "structure": {}},
        "linkage": {"common": {}, "input": [], "request": [], "signature": {"stub": True}},
        "reload": True,
    })


async def order_detail(call: Call) -> dict[str, Any]:
    if "tradeOrderId" not in call.data and "orderId" in call.data:
        return empty_order_detail(call.world)
    return api.order_detail(call.world, _id(call.data, "tradeOrderId"), call.base, call.mobile,
                            locale=i18n.locale_of(call.request, call.world))


async def order_count(call: Call) -> dict[str, Any]:
    return api.order_count(call.world)


async def refund_list(call: Call) -> dict[str, Any]:
    """The page POSTs ``{_lang, pageNo, shopName, reverseStatus, tradeOrderId, size,
    sortOrder, shipTo}`` as [EM] records it; 0 and 5 are refused as on the real site [MM]."""
    status = _int(call.data, "reverseStatus", 1)
    if status not in (1, 2, 3, 4):
        raise UnknownFailure(f"reverseStatus {status} is not a known filter")
    size = _int(call.data, "size", 10)
    if not 1 <= size <= 50:
        raise BadRequest(f"size must be between 1 and 50, got {size}")
    page = max(1, _int(call.data, "pageNo", 1))
    return api_reverse.refund_list(call.world, status, page, call.base, call.mobile, size=size)


async def dispute_detail(call: Call) -> dict[str, Any]:
    """The page POSTs ``{_lang, terminalType, reverseOrderLineId, reverseOrderId,
    tradeOrderId, tradeOrderLineId, shipTo}`` [EM]; without ``terminalType`` or
    ``tradeOrderLineId`` the call is refused, as the real one refuses it."""
    if not str(call.data.get("terminalType") or "").strip():
        raise BadRequest("terminalType is required")
    line = _id(call.data, "tradeOrderLineId")
    case = str(call.data.get("reverseOrderLineId") or "").strip()
    return api_reverse.dispute_detail(call.world, line, case)


async def tracking(call: Call) -> dict[str, Any]:
    return api.tracking(call.world, _id(call.data, "tradeOrderId"))


# --- the dispute form (names and fields are sandbox assumptions) -----------------------

async def dispute_form(call: Call) -> dict[str, Any]:
    """The form's data: the item, the amount paid, the branch's reasons, limits, eligibility."""
    return reverse_form.form_answer(call.world, _id(call.data, "tradeOrderLineId"),
                                    reverse_form.received_flag(call.data.get("received")))


async def upload_file(call: Call) -> dict[str, Any]:
    """One photo or video of the form, checked at once, answered when its thumbnail may show."""
    if call.form is None:
        raise BadRequest("this API must be called with POST")
    files = await call.files()
    if len(files) != 1:
        raise BuyerError("files", "Please choose one file to upload.")
    name, data = files[0]
    world = call.world
    with world.lock:
        world.check_files([(name, data)], world.advance(), existing=[])
    # the upload's own time: the page shows the thumbnail when this answers
    if not await _took(call.request, world.rules.upload_thumbnail_ms / 1000):
        raise BadRequest("the upload was abandoned")
    upload = world.uploads.add(name, data)
    return api.envelope(api.API_DISPUTE_UPLOAD, {
        "module": {"fileId": upload.file_id, "fileName": upload.name, "size": len(upload.data),
                   "url": f"{call.base}{UPLOAD_PATH}{upload.file_id}"},
    })


async def _took(request: Request, seconds: float) -> bool:
    """Wait ``seconds`` unless the page goes away first (then False: nobody is waiting)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        if await request.is_disconnected():
            return False
        await asyncio.sleep(min(0.1, end - loop.time()))
    return True


async def apply_dispute(call: Call) -> dict[str, Any]:
    """Open a dispute from the form's POST; the photos are named by their upload ids."""
    if call.form is None:
        raise BadRequest("this API must be called with POST")
    received = call.text("received").lower()
    if received not in ("yes", "no"):
        raise BuyerError("received", "Please tell us whether you received the package.")
    amount = _amount(call.text("amount")) if call.text("amount") else None
    line_id = call.text("tradeOrderLineId")
    if not line_id:
        raise BuyerError("line", "This item was not found in your orders.")
    file_ids = [part for part in re.split(r"[,\s]+", call.text("fileIds")) if part]
    uploads = call.world.uploads.find(file_ids)
    if uploads is None:
        raise BuyerError("files", "A photo is no longer available. Please upload it again.")
    # files sent with the request itself (an API client's way) count as well
    files = [(upload.name, upload.data) for upload in uploads] + await call.files()
    dispute = call.world.open_dispute(
        line_id=line_id, received=received == "yes", reason=call.text("reason"),
        solution=call.text("solution"), amount=amount, description=call.text("description"),
        files=files,
    )
    call.world.uploads.discard(file_ids)
    now = call.world.now()
    return api.envelope(api.API_DISPUTE_APPLY, {
        "module": {"reverseOrderId": dispute.reverse_order_id,
                   "reverseOrderLineId": dispute.reverse_line_id,
                   "tradeOrderId": dispute.order_id,
                   "tradeOrderLineId": dispute.line_id},
        "global": {"curTime": int(now.timestamp() * 1000)},
    })


async def dispute_action(call: Call) -> dict[str, Any]:
    """Accept (``proposalId``: the solution chosen), reject (with an optional counter
    amount), escalate, add evidence, answer, ship."""
    if call.form is None:
        raise BadRequest("this API must be called with POST")
    reverse_line_id = call.text("reverseOrderLineId")
    if not reverse_line_id:
        raise BadRequest("reverseOrderLineId is required")
    action = call.text("action").lower()
    amount = _amount(call.text("amount")) if call.text("amount") else None
    files = await call.files()
    dispute = call.world.buyer_action(reverse_line_id, action, amount=amount,
                                      message=call.text("message"), files=files,
                                      tracking_number=call.text("trackingNumber"),
                                      proposal_id=call.text("proposalId"))
    now = call.world.now()
    return api.envelope(api.API_DISPUTE_ACTION, {
        "module": {"reverseOrderLineId": dispute.reverse_line_id, "action": action,
                   "reverseDetailStatus": dispute.status},
        "global": {"curTime": int(now.timestamp() * 1000)},
    })


Handler = Callable[[Call], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Endpoint:
    name: str
    handler: Handler
    needs_login: bool = True


ENDPOINTS: dict[str, Endpoint] = {e.name.lower(): e for e in (
    Endpoint(api.API_ORDER_LIST, order_list),
    Endpoint(api.API_ORDER_DETAIL, order_detail),
    # the real one answers SUCCESS even logged out: it proves nothing about the session
    Endpoint(api.API_ORDER_COUNT, order_count, needs_login=False),
    Endpoint(api.API_REFUND_LIST, refund_list),
    Endpoint(api.API_DISPUTE_DETAIL, dispute_detail),
    Endpoint(api.API_TRACKING, tracking),
    Endpoint(api.API_DISPUTE_FORM, dispute_form),
    Endpoint(api.API_DISPUTE_UPLOAD, upload_file),
    Endpoint(api.API_DISPUTE_APPLY, apply_dispute),
    Endpoint(api.API_DISPUTE_ACTION, dispute_action),
)}


def _failure(name: str, code: str, message: str, **data: Any) -> dict[str, Any]:
    body = api.failure(name, code, message)
    body["data"].update(data)
    return body


async def _decode(request: Request) -> tuple[dict[str, Any], FormData | None]:
    form = None
    raw = request.query_params.get("data")
    if request.method == "POST":
        form = await request.form()
        posted = form.get("data")
        if isinstance(posted, str):
            raw = posted
    if raw is None or raw.strip() == "":
        return {}, form
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise BadRequest(f"data is not valid JSON: {error.msg}") from None
    if not isinstance(data, dict):
        raise BadRequest("data must be a JSON object")
    return data, form


def answer(request: Request, body: dict[str, Any]) -> Response:
    """JSONP for a GET that names its callback, JSON otherwise."""
    callback = request.query_params.get("callback", "")
    if request.method == "GET" and _CALLBACK.match(callback):
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        return Response(f"{callback}({text})", media_type="application/javascript; charset=utf-8")
    return JSONResponse(body)


async def mtop(request: Request) -> Response:
    world = world_of(request)
    requested = request.path_params["api"]
    endpoint = ENDPOINTS.get(requested.lower())
    name = endpoint.name if endpoint else request.query_params.get("api", requested)
    form: FormData | None = None
    try:
        if endpoint is None:
            body = _failure(name, API_NOT_FOUND, f"API {requested} does not exist")
        elif endpoint.needs_login and not logged_in(request, world):
            body = api.session_expired(name)
        else:
            data, form = await _decode(request)
            here = str(request.base_url).rstrip("/")
            origins = origins_of(request)
            body = await endpoint.handler(Call(request, world, data, form, origins.www or here,
                                               origins.m or here))
    except BadRequest as error:
        body = _failure(name, PARAM_FORMAT, str(error))
    except UnknownFailure as error:
        body = _failure(name, UNKNOWN_FAIL, str(error))
    except BuyerError as error:
        body = _failure(name, BAD_INPUT, error.message, field=error.field)
    except KeyError as error:
        message = str(error.args[0]) if error.args else ""
        if not message.startswith("unknown "):
            log.exception("API %s failed", name)
            message, code = "the service is not available, please try again", INNER_FAULT
        else:
            code = NOT_FOUND
        body = _failure(name, code, message)
    except Exception:  # a bug of the sandbox: answer like the site would, log the traceback
        log.exception("API %s failed", name)
        body = _failure(name, INNER_FAULT, "the service is not available, please try again")
    finally:
        if form is not None:
            await form.close()
    if world.take_fault("api_shape", request.url.path) is not None:
        body = api.mangle(body)
    return answer(request, body)


#: where an uploaded file is shown (its thumbnail), on whichever host asks
UPLOAD_PATH = "/reverse-upload/"


async def uploaded_file(request: Request) -> Response:
    world = world_of(request)
    if not logged_in(request, world):
        return Response("Not Found", status_code=404, media_type="text/plain")
    upload = world.uploads.get(request.path_params["file_id"])
    if upload is None:
        return Response("Not Found", status_code=404, media_type="text/plain")
    return Response(upload.data, media_type=upload.content_type)


def routes() -> list[Route]:
    return [Route("/h5/{api}/1.0/", mtop, methods=["GET", "POST"]),
            Route(UPLOAD_PATH + "{file_id}", uploaded_file, methods=["GET"])]
