"""The agent's own browser page, streamed as pictures and driven by a person's input.

Chromium's screencast (``Page.startScreencast`` over the page's CDP session) sends a
JPEG whenever the page's picture changes; each frame is acknowledged at once (an
unacknowledged screencast stops sending). The person's taps, drags and text arrive as
:mod:`agent.core.remote_input` steps and are performed as trusted input (Playwright's mouse
and keyboard: ``Input.dispatchMouseEvent`` and key events, text typed a character at a
time so a one-time code's boxes of one digit each move on as with a keyboard; characters
no key types go in by ``Input.insertText``), which a slider captcha's script accepts and
a script's synthetic events would not.

Like every Playwright object, this is used from the thread that owns the browser only.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import Any

from playwright.sync_api import CDPSession, Page
from playwright.sync_api import Error as PlaywrightError

from agent.core.remote_input import (
    VIEWPORT,
    Action,
    MouseDown,
    MouseMove,
    MouseUp,
    PressKey,
    TypeText,
    Wheel,
)

log = logging.getLogger("dispute_agent.remote_login")

#: JPEG quality of the frames: text stays readable at a few tens of kB a frame
QUALITY = 70


class Screencast:
    """Frames of ``page`` handed to ``on_frame`` (the JPEG's bytes) until :meth:`stop`."""

    def __init__(self, page: Page, on_frame: Callable[[bytes], None], *, quality: int = QUALITY) -> None:
        self._page = page
        self._on_frame = on_frame
        self._quality = quality
        self._cdp: CDPSession | None = None

    def __enter__(self) -> Screencast:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        size = self._page.viewport_size or {"width": VIEWPORT[0], "height": VIEWPORT[1]}
        self._cdp = self._page.context.new_cdp_session(self._page)
        self._cdp.on("Page.screencastFrame", self._frame)
        self._cdp.send("Page.startScreencast", {"format": "jpeg", "quality": self._quality,
                                                "maxWidth": size["width"], "maxHeight": size["height"]})

    def stop(self) -> None:
        cdp, self._cdp = self._cdp, None
        if cdp is None:
            return
        try:
            cdp.send("Page.stopScreencast")
            cdp.detach()
        except PlaywrightError as exc:  # the page or browser is already gone
            log.debug("stopping the screencast: %s", exc)

    def _frame(self, params: dict[str, Any]) -> None:
        cdp = self._cdp
        if cdp is None:
            return
        try:
            cdp.send("Page.screencastFrameAck", {"sessionId": params["sessionId"]})
        except PlaywrightError as exc:
            log.debug("acknowledging a frame: %s", exc)
        self._on_frame(base64.b64decode(params["data"]))


def open_phone_sized(page: Page) -> None:
    """The page at :data:`VIEWPORT`, the size the person's picture is made from."""
    page.set_viewport_size({"width": VIEWPORT[0], "height": VIEWPORT[1]})


def perform(page: Page, action: Action) -> None:
    """One step of a person's input, as trusted browser input."""
    if isinstance(action, MouseMove):
        page.mouse.move(action.x, action.y)
    elif isinstance(action, MouseDown):
        page.mouse.move(action.x, action.y)
        page.mouse.down()
    elif isinstance(action, MouseUp):
        page.mouse.move(action.x, action.y)
        page.mouse.up()
    elif isinstance(action, TypeText):
        page.keyboard.type(action.text)  # key events per character, as a keyboard sends them
    elif isinstance(action, PressKey):
        page.keyboard.press(action.key)
    elif isinstance(action, Wheel):
        page.mouse.wheel(0, action.dy)
    else:  # pragma: no cover - the union is closed
        raise TypeError(f"unknown input step {action!r}")
