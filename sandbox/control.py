"""``/__sandbox__/``: the control API for tests, the demo and benchmarks.

JSON in, JSON out. Anything wrong in a request is answered 400 (bad input) or 404
(unknown id) with ``{"error": "<what is wrong, naming the key>"}`` — never a
traceback — because people drive this by hand with curl. Every handler reads the
current world from the holder, and loading a scenario replaces the world (and its
clock) in one assignment.
"""

from __future__ import annotations

import json
import re
import time
import tomllib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .scenario import (
    DEFAULT_SCENARIO,
    Scenario,
    ScenarioError,
    load_scenario,
    parse_scenario,
)
from .web import holder_of, world_of
from .web_auth import SESSION_COOKIE, TOKEN_COOKIE, signing_token
from .web_challenge import void_passes
from .world import FAULT_KINDS, Fault, World

BUILTIN_DIR = DEFAULT_SCENARIO.parent

_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
_DURATION_KEYS = ("weeks", "days", "hours", "minutes", "seconds")


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.extra = extra


def _error(error: ControlError) -> JSONResponse:
    return JSONResponse({"error": error.message, **error.extra}, status_code=error.status)


def handles_errors(handler):
    """Turn ``ControlError`` into its JSON answer, so handlers read as the happy path."""

    async def wrapper(request: Request) -> Response:
        try:
            return await handler(request)
        except ControlError as error:
            return _error(error)

    wrapper.__name__ = handler.__name__
    wrapper.__doc__ = handler.__doc__
    return wrapper


async def _json_object(request: Request, *, required: bool = True) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        if required:
            raise ControlError("the request needs a JSON object body")
        return {}
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ControlError(f"the body is not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise ControlError("the body must be a JSON object")
    return value


def _validation_problems(error: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in item['loc']) or '(top level)'}: {item['msg']}"
            for item in error.errors()]


def parse_duration(value: Any) -> timedelta:
    """``"P2DT3H"`` (ISO-8601, no years or months) or ``{"days": 2, "hours": 3}``."""
    if isinstance(value, str):
        match = _DURATION.match(value.strip().upper())
        if not match or value.strip().upper() in ("P", "PT") or value.strip().upper().endswith("T"):
            raise ControlError(f"advance: {value!r} is not an ISO-8601 duration like 'P2DT3H' "
                               "(weeks, days, hours, minutes, seconds; no years or months)")
        parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
        return timedelta(**parts)
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(_DURATION_KEYS))
        if unknown:
            raise ControlError(f"advance: unknown key(s) {', '.join(unknown)}; use {', '.join(_DURATION_KEYS)}")
        parts = {}
        for key, number in value.items():
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                raise ControlError(f"advance.{key}: must be a number, got {number!r}")
            if number < 0:
                raise ControlError(f"advance.{key}: must not be negative (the clock never runs backwards)")
            parts[key] = float(number)
        if not parts:
            raise ControlError("advance: give at least one of " + ", ".join(_DURATION_KEYS))
        return timedelta(**parts)
    raise ControlError("advance: give an ISO-8601 duration string ('P2DT3H') "
                       "or an object like {\"days\": 2, \"hours\": 3}")


def _clock_json(world: World) -> dict[str, Any]:
    now = world.advance()
    return {"now": now.isoformat(), "epoch_ms": int(now.timestamp() * 1000), "rate": world.clock.rate}


# --- handlers ----------------------------------------------------------------------------

@handles_errors
async def index(request: Request) -> Response:
    """A map of the control API for people exploring it with curl."""
    return JSONResponse({"endpoints": [
        "GET /__sandbox__/state", "GET /__sandbox__/clock",
        "POST /__sandbox__/clock {advance|set|rate}",
        "POST /__sandbox__/scenario (TOML body, {\"path\": …} or {\"builtin\": \"demo\"})",
        "POST /__sandbox__/reset", "POST /__sandbox__/disputes/{id}/seller",
        "POST /__sandbox__/disputes/{id}/mediator", "POST /__sandbox__/orders/{id}/protection",
        "POST /__sandbox__/session", "POST /__sandbox__/session/expire",
        "POST /__sandbox__/captcha {on, kind}", "POST /__sandbox__/language {account, ignore_cookie}",
        "GET|POST|DELETE /__sandbox__/faults",
        "GET /__sandbox__/files/{sha256}", "GET|DELETE /__sandbox__/requests",
    ]})


@handles_errors
async def state(request: Request) -> Response:
    return JSONResponse(world_of(request).state())


@handles_errors
async def clock_get(request: Request) -> Response:
    return JSONResponse(_clock_json(world_of(request)))


@handles_errors
async def clock_post(request: Request) -> Response:
    world = world_of(request)
    body = await _json_object(request)
    known = {"advance", "set", "rate"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise ControlError(f"unknown key(s) {', '.join(unknown)}; use advance, set or rate")
    if "advance" in body and "set" in body:
        raise ControlError("give either advance or set, not both")
    if not body:
        raise ControlError("give advance, set or rate")
    if "rate" in body:
        rate = body["rate"]
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate < 0:
            raise ControlError(f"rate: must be a number >= 0, got {rate!r}")
    try:
        if "advance" in body:
            world.clock.advance(parse_duration(body["advance"]))
        elif "set" in body:
            value = body["set"]
            if not isinstance(value, str):
                raise ControlError("set: must be an ISO datetime string like '2026-11-22T09:00:00Z'")
            try:
                when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                raise ControlError(f"set: {value!r} is not an ISO datetime like '2026-11-22T09:00:00Z'") from None
            if when.tzinfo is None:
                raise ControlError("set: give a time zone (e.g. 'Z' or '+00:00')")
            world.clock.set(when)
        if "rate" in body:
            world.clock.set_rate(float(body["rate"]))
    except ValueError as error:  # the clock refuses to go backwards
        raise ControlError(str(error)) from None
    except OverflowError:  # a duration beyond the last date a clock can show
        raise ControlError(f"advance: {body.get('advance')!r} would move the clock past the year 9999") from None
    return JSONResponse(_clock_json(world))


def _scenario_from_request_json(body: dict[str, Any]) -> Scenario:
    if set(body) == {"path"} and isinstance(body["path"], str):
        return load_scenario(Path(body["path"]))
    if set(body) == {"builtin"} and isinstance(body["builtin"], str):
        name = body["builtin"]
        names = sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))
        if name not in names:
            raise ControlError(f"builtin: no built-in scenario {name!r}; available: {', '.join(names) or 'none'}",
                               status=404)
        return load_scenario(BUILTIN_DIR / f"{name}.toml")
    if "clock" in body and "account" in body:  # a scenario written as JSON
        return parse_scenario(body, "request body")
    raise ControlError("give a TOML scenario as the body, or JSON {\"path\": \"…\"} or {\"builtin\": \"demo\"}")


def _new_world(scenario: Scenario) -> World:
    try:
        return World(scenario)
    except (ValueError, KeyError, AssertionError, StopIteration) as error:
        raise ControlError(f"the scenario cannot be started: {error}") from None


@handles_errors
async def scenario_post(request: Request) -> Response:
    raw = await request.body()
    content_type = request.headers.get("content-type", "")
    try:
        if "json" in content_type or raw.lstrip().startswith(b"{"):
            scenario = _scenario_from_request_json(await _json_object(request))
        else:
            try:
                data = tomllib.loads(raw.decode("utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
                raise ControlError(f"the body is not valid TOML: {error}") from None
            scenario = parse_scenario(data, "request body")
    except ScenarioError as error:
        raise ControlError(f"{error.source}: the scenario is invalid", problems=error.problems) from None
    world = holder_of(request).replace(_new_world(scenario))
    return JSONResponse({"loaded": scenario.name, "orders": len(scenario.orders),
                         "clock": _clock_json(world)})


@handles_errors
async def reset(request: Request) -> Response:
    holder = holder_of(request)
    world = holder.replace(_new_world(holder.initial))
    return JSONResponse({"loaded": holder.initial.name, "clock": _clock_json(world)})


async def _trigger(request: Request, actor: str) -> Response:
    world = world_of(request)
    body = await _json_object(request)
    reverse_line_id = request.path_params["id"]
    try:
        dispute = world.trigger(reverse_line_id, actor, body)
    except KeyError as error:
        raise ControlError(str(error.args[0]) if error.args else f"unknown dispute id {reverse_line_id!r}",
                           status=404) from None
    except ValidationError as error:
        problems = _validation_problems(error)
        raise ControlError(f"bad {actor} step: " + "; ".join(problems), problems=problems) from None
    return JSONResponse(dispute.public(world.rules))


@handles_errors
async def seller(request: Request) -> Response:
    return await _trigger(request, "seller")


@handles_errors
async def mediator(request: Request) -> Response:
    return await _trigger(request, "mediator")


@handles_errors
async def protection(request: Request) -> Response:
    """``{"days": 7}``: the seller extends an order's protection by 7 days (negative: shortens it)."""
    world = world_of(request)
    body = await _json_object(request)
    days = body.get("days")
    if set(body) != {"days"} or isinstance(days, bool) or not isinstance(days, (int, float)) or days == 0:
        raise ControlError('give {"days": 7} to extend the protection by 7 days, or a negative number to shorten it')
    order_id = request.path_params["id"]
    try:
        end = world.move_protection(order_id, float(days))
    except KeyError as error:
        raise ControlError(str(error.args[0]), status=404) from None
    except ValueError as error:
        raise ControlError(str(error)) from None
    return JSONResponse({"order": order_id, "protection_ends_at": end.isoformat()})


@handles_errors
async def expire_session(request: Request) -> Response:
    return JSONResponse({"expired": world_of(request).expire_sessions()})


@handles_errors
async def session(request: Request) -> Response:
    """A logged-in session without the sign-in pages, as a browser's storage state
    (Playwright's ``storage_state`` format): what a session imported from another
    machine holds. It does not count as a sign-in."""
    world = world_of(request)
    token = world.new_session(signed_in=False)
    lifetime = timedelta(days=world.scenario.account.session_days).total_seconds()
    signing = signing_token(world)
    domain = request.app.state.origins.domain
    expires = time.time() + lifetime
    cookies = [{"name": name, "value": value, "domain": f".{domain}" if domain else "127.0.0.1", "path": "/",
                "expires": expires, "httpOnly": http_only, "secure": False, "sameSite": "Lax"}
               for name, value, http_only in ((SESSION_COOKIE, token, True), (TOKEN_COOKIE, signing, False))]
    return JSONResponse({"cookies": cookies, "origins": []})


@handles_errors
async def captcha(request: Request) -> Response:
    """``{"on": true, "kind": "dialog"|"punish"}``; switching it on voids every solved one."""
    world = world_of(request)
    body = await _json_object(request)
    if "on" not in body or not isinstance(body["on"], bool) or set(body) - {"on", "kind"}:
        raise ControlError('give {"on": true} or {"on": false}, and optionally "kind": "dialog" or "punish"')
    kind = body.get("kind", "dialog")
    if kind not in ("dialog", "punish"):
        raise ControlError(f'kind: {kind!r} is not a captcha kind; use "dialog" or "punish"')
    with world.lock:
        world.captcha = body["on"]
        if body["on"]:
            world.captcha_kind = kind
    if body["on"]:
        void_passes(world)
    return JSONResponse({"captcha": world.captcha, "kind": world.captcha_kind})


@handles_errors
async def language(request: Request) -> Response:
    """The account's language and whether the site ignores the ``aep_usuc_f`` cookie."""
    from .i18n import LOCALES

    world = world_of(request)
    body = await _json_object(request)
    unknown = sorted(set(body) - {"account", "ignore_cookie"})
    if unknown or not body:
        raise ControlError('give {"account": "pt_BR"} and/or {"ignore_cookie": true}')
    if "account" in body and body["account"] not in LOCALES:
        raise ControlError(f"account: {body['account']!r} is not a language; use one of {', '.join(LOCALES)}")
    if "ignore_cookie" in body and not isinstance(body["ignore_cookie"], bool):
        raise ControlError("ignore_cookie: must be true or false")
    with world.lock:
        world.account_language = body.get("account", world.account_language)
        world.ignore_locale_cookie = body.get("ignore_cookie", world.ignore_locale_cookie)
        return JSONResponse({"account": world.account_language, "ignore_cookie": world.ignore_locale_cookie})


def _faults_json(world: World) -> dict[str, Any]:
    with world.lock:
        return {"faults": [f.public() for f in world.faults]}


@handles_errors
async def faults_get(request: Request) -> Response:
    return JSONResponse(_faults_json(world_of(request)))


@handles_errors
async def faults_post(request: Request) -> Response:
    world = world_of(request)
    body = await _json_object(request)
    unknown = sorted(set(body) - {"kind", "path", "remaining", "delay_ms"})
    if unknown:
        raise ControlError(f"unknown key(s) {', '.join(unknown)}; use kind, path, remaining, delay_ms")
    kind = body.get("kind")
    if kind not in FAULT_KINDS:
        raise ControlError(f"kind: {kind!r} is not a fault kind; use one of {', '.join(FAULT_KINDS)}")
    path = body.get("path", "/")
    if not isinstance(path, str) or not path.startswith("/"):
        raise ControlError(f"path: must be a path starting with '/', got {path!r}")
    if path.lower().startswith("/h5/"):
        path = path.lower()  # the pages call the API by its lower-cased name
    remaining = body.get("remaining")
    if remaining is not None and (isinstance(remaining, bool) or not isinstance(remaining, int) or remaining < 1):
        raise ControlError(f"remaining: must be a whole number >= 1 or null (for ever), got {remaining!r}")
    delay_ms = body.get("delay_ms", 0)
    if isinstance(delay_ms, bool) or not isinstance(delay_ms, int) or not 0 <= delay_ms <= 600_000:
        raise ControlError(f"delay_ms: must be a whole number of milliseconds 0-600000, got {delay_ms!r}")
    if kind == "slow" and delay_ms == 0:
        raise ControlError("delay_ms: a slow fault needs a delay > 0")
    world.add_fault(Fault(kind=kind, path=path, remaining=remaining, delay_ms=delay_ms))
    return JSONResponse(_faults_json(world))


@handles_errors
async def faults_delete(request: Request) -> Response:
    world = world_of(request)
    with world.lock:
        cleared = len(world.faults)
        world.faults.clear()
    return JSONResponse({"cleared": cleared, "faults": []})


_MEDIA_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
                "bmp": "image/bmp", "mp4": "video/mp4", "mov": "video/quicktime", "avi": "video/x-msvideo"}


@handles_errors
async def file_get(request: Request) -> Response:
    world = world_of(request)
    digest = request.path_params["sha256"].lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise ControlError(f"{digest!r} is not a SHA-256 (64 hex digits)")
    with world.lock:
        for dispute in world.disputes.values():
            for attachment in dispute.attachments:
                if attachment.sha256 == digest:
                    ext = attachment.name.rsplit(".", 1)[-1].lower()
                    safe_name = re.sub(r"[^A-Za-z0-9._ -]", "_", attachment.name)[:200] or "file"
                    return Response(attachment.data,
                                    media_type=_MEDIA_TYPES.get(ext, "application/octet-stream"),
                                    headers={"Content-Disposition": f'inline; filename="{safe_name}"'})
    raise ControlError(f"no received file has SHA-256 {digest}", status=404)


def routes() -> list[Route]:
    return [
        Route("/", index, methods=["GET"]),
        Route("/state", state, methods=["GET"]),
        Route("/clock", clock_get, methods=["GET"]),
        Route("/clock", clock_post, methods=["POST"]),
        Route("/scenario", scenario_post, methods=["POST"]),
        Route("/reset", reset, methods=["POST"]),
        Route("/session", session, methods=["POST"]),
        Route("/disputes/{id}/seller", seller, methods=["POST"]),
        Route("/disputes/{id}/mediator", mediator, methods=["POST"]),
        Route("/orders/{id}/protection", protection, methods=["POST"]),
        Route("/session/expire", expire_session, methods=["POST"]),
        Route("/captcha", captcha, methods=["POST"]),
        Route("/language", language, methods=["POST"]),
        Route("/faults", faults_get, methods=["GET"]),
        Route("/faults", faults_post, methods=["POST"]),
        Route("/faults", faults_delete, methods=["DELETE"]),
        Route("/files/{sha256}", file_get, methods=["GET"]),
    ]
