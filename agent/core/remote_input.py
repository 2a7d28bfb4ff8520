"""What a person does on the picture of the agent's browser, as the browser's own input.

The "log in again" page shows the agent's headless browser as an image scaled to the
phone's width; a tap, a drag or typed text there arrives as a small JSON event in the
image's displayed pixels. This module checks such an event and turns it into the
mouse and keyboard steps the browser performs in its own viewport — pure, so the
scaling and the translation are tested without a browser.

A drag arrives in pieces (press, batches of moves, release) as the finger moves, so a
slider captcha sees a press, intermediate moves and a release, as from a real mouse.
Anything else is refused in one line: the page's script sends only these shapes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from agent.core.errors import UserInputError

#: the agent's page while a person logs in from afar (CSS pixels): phone-shaped, so the
#: login's fields and the slider stay large enough to hit once the picture is scaled down
VIEWPORT = (480, 840)
#: keys the page has buttons for (a phone keyboard's own Enter may not reach the page)
KEYS = frozenset({"Enter", "Backspace", "Tab", "Escape"})
#: text sent at once; a login, a password or a code is far shorter
MAX_TEXT = 500
#: points in one batch of a drag (the page sends a batch every few tens of milliseconds)
MAX_POINTS = 200
#: one scroll step, in CSS pixels
MAX_SCROLL = 2_000


class BadInput(UserInputError):
    """An input event the page's script never sends."""


@dataclass(frozen=True)
class MouseMove:
    x: float
    y: float


@dataclass(frozen=True)
class MouseDown:
    x: float
    y: float


@dataclass(frozen=True)
class MouseUp:
    x: float
    y: float


@dataclass(frozen=True)
class TypeText:
    text: str


@dataclass(frozen=True)
class PressKey:
    key: str


@dataclass(frozen=True)
class Wheel:
    dy: float


Action = MouseMove | MouseDown | MouseUp | TypeText | PressKey | Wheel


def scale_point(x: float, y: float, shown: tuple[float, float], viewport: tuple[int, int]) -> tuple[float, float]:
    """A point on the displayed image, in the browser's viewport (CSS pixels), kept inside it.

    The image shows the whole viewport, scaled to the width of the phone's screen.
    """
    shown_w, shown_h = shown
    if not (_finite(shown_w) and _finite(shown_h)) or shown_w <= 0 or shown_h <= 0:
        raise BadInput("the picture's size is missing; reload the page")
    if not (_finite(x) and _finite(y)):
        raise BadInput("a point outside the picture; reload the page")
    width, height = viewport
    scaled_x = min(max(x * width / shown_w, 0.0), width - 1)
    scaled_y = min(max(y * height / shown_h, 0.0), height - 1)
    return round(scaled_x, 1), round(scaled_y, 1)


def translate(event: Any, viewport: tuple[int, int]) -> list[Action]:
    """The browser's steps for one event from the page; :class:`BadInput` for anything else."""
    if not isinstance(event, dict):
        raise BadInput("an input must be a JSON object; reload the page")
    kind = event.get("kind")
    if kind == "pointer":
        return _pointer(event, viewport)
    if kind == "text":
        text = event.get("text")
        if not isinstance(text, str) or not text:
            raise BadInput("no text to type; write it in the box first")
        if len(text) > MAX_TEXT:
            raise BadInput(f"at most {MAX_TEXT} characters at once; send the text in parts")
        return [TypeText(text)]
    if kind == "key":
        key = event.get("key")
        if key not in KEYS:
            raise BadInput(f"the key {key!r} cannot be sent; use {', '.join(sorted(KEYS))}")
        return [PressKey(str(key))]
    if kind == "scroll":
        dy = _number(event.get("dy"))
        if abs(dy) > MAX_SCROLL:
            raise BadInput(f"scroll at most {MAX_SCROLL} pixels at once; scroll again")
        return [Wheel(dy)]
    raise BadInput(f"unknown input {kind!r}; reload the page")


def _pointer(event: dict[str, Any], viewport: tuple[int, int]) -> list[Action]:
    phase = event.get("phase")
    if phase not in ("down", "move", "up"):
        raise BadInput(f"unknown pointer phase {phase!r}; reload the page")
    raw_points = event.get("points")
    if not isinstance(raw_points, list) or not raw_points or len(raw_points) > MAX_POINTS:
        raise BadInput(f"a pointer input needs 1 to {MAX_POINTS} points; reload the page")
    shown = event.get("shown")
    if not isinstance(shown, list) or len(shown) != 2:
        raise BadInput("the picture's size is missing; reload the page")
    size = (_number(shown[0]), _number(shown[1]))
    points = []
    for point in raw_points:
        if not isinstance(point, list) or len(point) != 2:
            raise BadInput("a point must be [x, y]; reload the page")
        points.append(scale_point(_number(point[0]), _number(point[1]), size, viewport))
    if phase == "down":
        first = points[0]
        return [MouseMove(*first), MouseDown(*first), *(MouseMove(*p) for p in points[1:])]
    if phase == "move":
        return [MouseMove(*p) for p in points]
    return [*(MouseMove(*p) for p in points), MouseUp(*points[-1])]


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(float(value)):
        raise BadInput("a number was expected; reload the page")
    return float(value)


def _finite(value: float) -> bool:
    return math.isfinite(value)
