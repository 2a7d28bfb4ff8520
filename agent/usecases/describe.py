"""The dispute's free-text description: an English text per reason, from templates.

Why templates and not code: sellers and mediators read English, and a careful buyer
states the same facts every time (order, item, what was paid, what was promised, what
the tracking says, what is asked). One Jinja2 template per reason
(``config/templates/disputes/<reason key>.txt.j2``) writes them down; a user who wants
other words drops a file of the same name into their own folder, which is searched
first. Values that are unknown are ``None`` and the templates leave their sentence out
(``{% if %}``): a description must never say "None".

Text layout: paragraphs are separated by blank lines in a template; lines inside a
paragraph are joined with one space, so a template can put each optional sentence on
its own line. The user's message keeps its own line breaks.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import jinja2
from pydantic import BaseModel, ConfigDict, Field

from agent.core.errors import UserInputError
from agent.core.money import Money
from agent.core.site_text import clean
from agent.core.zones import TimeZoneName

__all__ = [
    "MAX_DESCRIPTION_CHARS",
    "TEMPLATE_SUFFIX",
    "DescriptionContext",
    "long_date",
    "looks_english",
    "render_description",
    "template_dirs",
]

#: the form's limit on the description field
MAX_DESCRIPTION_CHARS = 2000
TEMPLATE_SUFFIX = ".txt.j2"
#: the project's templates, relative to a checkout or an editable install
_PROJECT_DIR = Path(__file__).resolve().parents[2] / "config" / "templates" / "disputes"
#: where a wheel install puts them (the data-files entry in pyproject.toml)
_INSTALLED_PARTS = ("share", "dispute-agent", "templates", "disputes")

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


class DescriptionContext(BaseModel):
    """What the agent knows when it writes the description; ``None`` means unknown."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    order_id: str
    placed_on: date | None
    store_name: str | None
    item_title: str
    #: the variant as shown, e.g. "Color: Black; Length: 2m"
    sku: str | None
    quantity: int = Field(ge=1)
    #: what was paid for the line (unit price x quantity)
    paid: Money | None
    #: the refund the form asks for
    asked: Money
    solution: Literal["refund_only", "return_and_refund"]
    received: bool
    protection_ends_at: datetime | None
    #: "Refund if no delivery before Sep 4, 2026"
    delivery_promise: date | None
    tracking_state: str | None
    tracking_last_event: str | None
    tracking_last_event_at: datetime | None
    #: the site's date today (the virtual clock in the sandbox)
    today: date
    #: IANA zone the datetimes are shown in
    time_zone: TimeZoneName = "UTC"
    #: how many photos/videos go with the dispute (lets a template mention them)
    evidence_count: int = Field(default=0, ge=0)



# --- where templates are ----------------------------------------------------------------


def template_dirs(user_dir: Path | None) -> list[Path]:
    """Template folders, first match wins: the user's, the project's, the installed ones.

    Folders that do not exist are left out (most users have no override folder).
    """
    candidates = [
        user_dir.expanduser() if user_dir is not None else None,
        _PROJECT_DIR,
        Path(sys.prefix).joinpath(*_INSTALLED_PARTS),
    ]
    dirs: list[Path] = []
    for path in candidates:
        if path is not None and path.is_dir() and path.resolve() not in {d.resolve() for d in dirs}:
            dirs.append(path)
    return dirs


# --- rendering --------------------------------------------------------------------------


def long_date(value: date | datetime | None, time_zone: str = "UTC") -> str:
    """ "September 4, 2026" — English whatever the process locale (no ``%B``)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local_date(value, time_zone)
    return f"{_MONTHS[value.month - 1]} {value.day}, {value.year}"


def _local_date(value: datetime | None, time_zone: str) -> date | None:
    """The calendar day of ``value`` where the buyer lives (a naive value counts as UTC)."""
    if value is None:
        return None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    return aware.astimezone(ZoneInfo(time_zone)).date()


def _variables(ctx: DescriptionContext, has_message: bool) -> dict[str, Any]:
    """The context's fields plus ready-made English pieces the templates share."""
    zone = ctx.time_zone
    protection_day = _local_date(ctx.protection_ends_at, zone)
    event_day = _local_date(ctx.tracking_last_event_at, zone)
    refund_kind = None  # unknown when what was paid is unknown: say neither "full" nor "partial"
    if ctx.paid is not None and ctx.paid.currency == ctx.asked.currency:
        refund_kind = "full" if ctx.asked >= ctx.paid else "partial"
    days = (ctx.today - ctx.placed_on).days if ctx.placed_on else None
    # the store, the item and the tracking are the site's words: no control characters go back
    site = ctx.model_copy(update={name: clean(getattr(ctx, name)) for name in
                                  ("store_name", "item_title", "sku", "tracking_state", "tracking_last_event")})
    values = site.model_dump()
    values.update(
        paid=ctx.paid,
        asked=ctx.asked,
        store_name=(site.store_name or "").strip() or None,
        sku=(site.sku or "").strip() or None,
        tracking_state=(site.tracking_state or "").strip() or None,
        tracking_last_event=(site.tracking_last_event or "").strip().rstrip(".") or None,
        item=f'"{site.item_title.strip()}"' + (f" ({site.sku.strip()})" if site.sku and site.sku.strip() else ""),
        order_date=long_date(ctx.placed_on) or None,
        # None, not 0 or negative, when it says nothing useful (placed today, or a clock skew)
        days_since_order=days if days is not None and days > 0 else None,
        promise_date=long_date(ctx.delivery_promise) or None,
        promise_passed=ctx.delivery_promise is not None and ctx.today > ctx.delivery_promise,
        # a protection end already behind us is no argument for hurrying: leave it out
        protection_date=long_date(protection_day) if protection_day and protection_day >= ctx.today else None,
        last_event_date=long_date(event_day) or None,
        today_date=long_date(ctx.today),
        refund_kind=refund_kind,
        has_message=has_message,
    )
    return values


def _environment(dirs: list[Path]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain text for a form field, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["long_date"] = long_date
    env.filters["paragraph"] = _paragraph
    return env


def _paragraph(text: str) -> str:
    """Filter: one paragraph from many lines (blank ones too), then a paragraph break.

    Why: an optional sentence on its own line that renders empty must not split
    the paragraph it sits in.
    """
    joined = " ".join(line.strip() for line in text.splitlines() if line.strip())
    return f"{joined}\n\n" if joined else ""


_UNDEFINED_NAME = re.compile(r"'([^']+)' is undefined")


def _render_template(reason_key: str, ctx: DescriptionContext, dirs: list[Path], has_message: bool) -> str:
    name = f"{reason_key}{TEMPLATE_SUFFIX}"
    if not dirs:
        raise UserInputError(
            "no dispute text templates found (config/templates/disputes); reinstall dispute-agent "
            "or use --replace-message with your own text"
        )
    env = _environment(dirs)
    try:
        template = env.get_template(name)
        return template.render(_variables(ctx, has_message))
    except jinja2.TemplateNotFound as exc:
        where = ", ".join(str(d) for d in dirs)
        raise UserInputError(
            f"no dispute text template {exc.name!r} in {where}; add {name} to your templates folder "
            "or use --replace-message with your own text"
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise UserInputError(
            f"dispute text template {exc.filename or exc.name or name}, line {exc.lineno}: {exc.message}; "
            "fix the template"
        ) from None
    except jinja2.UndefinedError as exc:
        match = _UNDEFINED_NAME.search(str(exc))
        variable = match.group(1) if match else str(exc)
        raise UserInputError(
            f"dispute text template {name}: unknown variable {variable!r}; fix the template "
            f"(known variables: {', '.join(sorted(_variables(ctx, has_message)))})"
        ) from None


def _template_paragraphs(text: str) -> list[str]:
    """Blank lines split paragraphs; the lines of one paragraph become one line."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        joined = " ".join(line.strip() for line in block.splitlines() if line.strip())
        joined = re.sub(r"[ \t]{2,}", " ", joined)
        if joined:
            paragraphs.append(joined)
    return paragraphs


def _message_paragraphs(text: str) -> list[str]:
    """The user's own words: their line breaks kept, runs of blank lines made one."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [line.rstrip() for line in block.strip("\n").splitlines()]
        block = "\n".join(lines).strip()
        if block:
            paragraphs.append(block)
    return paragraphs


def render_description(
    reason_key: str,
    ctx: DescriptionContext,
    *,
    message: str | None = None,
    replace: bool = False,
    dirs: list[Path],
) -> str:
    """The description to submit: the reason's text, then the user's message.

    With ``replace`` the user's message alone is used (it must not be empty). The
    result is stripped, its paragraphs separated by one blank line, and at most
    :data:`MAX_DESCRIPTION_CHARS` long (else :class:`UserInputError` with the length).
    """
    own = _message_paragraphs(message or "")
    if replace:
        if not own:
            raise UserInputError(
                "--replace-message needs your own text: give it with --message or --message-file"
            )
        paragraphs = own
    else:
        paragraphs = _template_paragraphs(_render_template(reason_key, ctx, dirs, has_message=bool(own))) + own
    text = "\n\n".join(paragraphs).strip()
    if len(text) > MAX_DESCRIPTION_CHARS:
        raise UserInputError(
            f"the description is {len(text)} characters long and the form takes at most "
            f"{MAX_DESCRIPTION_CHARS}; shorten your message by {len(text) - MAX_DESCRIPTION_CHARS} characters"
        )
    return text


# --- is it English? ---------------------------------------------------------------------

#: frequent English function words: they make up 35-50 % of ordinary English prose
_ENGLISH = frozenset("""
    a about after again against all am an and any are as at be been before being but by
    can could did do does doing down during each for from had has have having he her here
    him his how i if in into is it its itself just me more most my no nor not now of off
    on once only or other our out over please same she should so some such than thank
    thanks that the their them then there these they this those through to too under
    until up very was we were what when where which while who why will with would you
    your yet still since because received arrived item order package seller refund
""".split())

#: frequent function words of the languages buyers most often write in instead
#: (Portuguese, Spanish, French, German, Italian) that are not English words
_OTHER = frozenset("""
    o os um uma uns umas da do das dos que não nao com para pelo pela em na nas nos ao
    aos foi está esta estou meu minha mas muito ele ela eu você voce já ja ainda também
    el la los las y es del al lo un una con pero muy mi mis se está estoy fue ya todavía
    también porque pedido producto produto recibí recebi llegó chegou nunca
    le les des du et est je pas une il elle avec pour dans sur ce cette mon ma mes
    der das und ist nicht ich mit ein eine dem zu auf bitte
    di che non sono della il lo gli questo questa ho
""".split()) - _ENGLISH

_WORD = re.compile(r"[^\W\d_]+")
#: a share of letters outside the Latin script above this is not English text
_MAX_NON_LATIN = 0.15
#: prose of this many words or more must have at least this share of English function words
_LONG_TEXT_WORDS = 6
_MIN_ENGLISH_SHARE = 0.15


def _is_latin(letter: str) -> bool:
    if letter.isascii():
        return True
    return unicodedata.name(letter, "").startswith("LATIN")


def looks_english(text: str) -> bool:
    """A cheap guess whether ``text`` is English, to warn before a seller cannot read it.

    Why a heuristic and no language-detection package: the agent only needs to catch a
    description typed in the buyer's own language, and three signals do that:

    1. letters: more than 15 % outside the Latin script (Chinese, Cyrillic, Arabic…)
       is not English;
    2. function words: more common Portuguese/Spanish/French/German/Italian function
       words ("que", "não", "el", "und"…) than English ones ("the", "and", "is"…)
       is not English;
    3. prose of six words or more needs at least 15 % English function words (ordinary
       English has 35-50 %), so a foreign text with none of the listed words is caught.

    Shorter texts pass unless signal 1 or 2 says otherwise (a two-word foreign phrase
    may slip through: the cost is only a missing warning). Text without letters is
    nothing to warn about and counts as English.
    """
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return True
    non_latin = sum(1 for ch in letters if not _is_latin(ch))
    if non_latin / len(letters) > _MAX_NON_LATIN:
        return False
    words = [word.lower() for word in _WORD.findall(text)]
    english = sum(1 for word in words if word in _ENGLISH)
    other = sum(1 for word in words if word in _OTHER)
    if other > english:
        return False
    if len(words) >= _LONG_TEXT_WORDS and english / len(words) < _MIN_ENGLISH_SHARE:
        return False
    return True
