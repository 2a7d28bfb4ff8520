"""The mtop result code (``ret[0]``) turned into the error a caller can act on.

Why here and not in each parser: every API answers "SUCCESS::…" or a failure code in
the same place, and the right reaction differs (log in again, slow down, reload the
page for a fresh signing token), so one table decides it for all of them.
"""

from __future__ import annotations

from typing import Any

from agent.core.errors import (
    CaptchaRequired,
    LoginRequired,
    NotFound,
    PageChanged,
    RateLimited,
    SiteUnavailable,
)
from flows import site

__all__ = ["check_envelope", "ret_code"]


def ret_code(envelope: dict[str, Any]) -> str | None:
    """The code part of ``ret[0]`` ("SUCCESS", "FAIL_SYS_TOKEN_EMPTY", …), or None if absent."""
    ret = envelope.get("ret") if isinstance(envelope, dict) else None
    if not isinstance(ret, list) or not ret or not isinstance(ret[0], str):
        return None
    return ret[0].split("::", 1)[0].strip()


def check_envelope(envelope: Any, where: str) -> dict[str, Any]:
    """``envelope["data"]`` when ``ret[0]`` says SUCCESS; otherwise the matching typed error."""
    if not isinstance(envelope, dict):
        raise PageChanged(f"{where}: response is not a JSON object — save the response and update flows/parsers")
    code = ret_code(envelope)
    if code is None:
        raise PageChanged(f"{where}: ret[0] missing — save the response and update flows/parsers")
    full = envelope["ret"][0]
    if code == site.RET_SUCCESS:
        data = envelope.get("data")
        if not isinstance(data, dict):
            raise PageChanged(f"{where}: data missing — save the response and update flows/parsers")
        return data
    if code in site.RET_SESSION_GONE:
        raise LoginRequired(f"{where}: the site says the session is gone ({full}); run `dispute-agent login`")
    if code in site.RET_ANTI_BOT:
        raise CaptchaRequired(
            f"{where}: the site asks for a human check ({full}); run `dispute-agent login` in a visible browser"
        )
    if code in site.RET_RATE_LIMIT:
        raise RateLimited(f"{where}: the site asks us to slow down ({full}); wait and poll less often")
    if code in site.RET_TOKEN:
        # The page's own script refreshes the signing token on the next load.
        raise SiteUnavailable(f"{where}: the signing token expired ({full}); reload the page and try again")
    if code in site.RET_NOT_FOUND:
        raise NotFound(f"{where}: the site does not know it ({full}); check the id "
                       "('dispute-agent orders --all', 'dispute-agent disputes')")
    raise SiteUnavailable(f"{where}: the site answered {full}; try again later")
