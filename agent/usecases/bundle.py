"""The capture bundle: one zip a user can attach to a report without fear.

Layout: ``manifest.json`` (what was visited, when, which answer came with which page,
what was skipped, the site's version when its asset addresses show it, how much was
anonymised), ``pages/NN-<step>.html`` and ``answers/NN-MM-<api>.json`` (JSONP
unwrapped; ``.txt`` for a body that was not JSON). Screenshots are left out: a picture
of the order page shows the address, and nothing can take it out of the pixels.

Why everything goes through one ``Anonymiser`` before the first byte is written:
see ``flows.anonymiser``. Why the zip is checked again once built: the anonymiser's
own list of what it learned is looked for in every file; a bundle that would still
hold any of it is refused, with the kind and the file, never the value.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from agent.core.errors import DisputeAgentError, UserInputError, with_hint
from flows.anonymiser import Anonymiser
from flows.site_capture import RecordedAnswer, RecordedPage, Recording

__all__ = ["FORMAT", "AnswerReading", "Bundle", "BundleAnswer", "UnsafeBundle", "counted", "describe", "read_answers",
           "read_bundle", "recording_of_evidence", "write_bundle"]

FORMAT = "dispute-agent capture 1"
MANIFEST = "manifest.json"
NOTE = ("Anonymised: names, addresses, phone numbers and e-mail addresses replaced by [kind N], "
        "tokens and signatures removed, inline scripts dropped, order/line/case/product/parcel ids remapped "
        "consistently. Screenshots are not included.")


class UnsafeBundle(DisputeAgentError):
    """The anonymised files would still hold personal data: nothing was written."""

    exit_code = 1


@dataclass(frozen=True)
class BundleAnswer:
    file: str
    api: str
    page: str | None
    record: dict[str, Any]


@dataclass(frozen=True)
class Bundle:
    path: Path
    manifest: dict[str, Any]
    answers: list[BundleAnswer]

    def read(self, name: str) -> str:
        with zipfile.ZipFile(self.path) as archive:
            return archive.read(name).decode("utf-8")


# --- writing --------------------------------------------------------------------------


def write_bundle(recording: Recording, out: Path, anonymiser: Anonymiser, *, agent_version: str,
                 site_host: str | None) -> dict[str, Any]:
    """Anonymise ``recording`` and write it to ``out`` (atomically, owner-only); the manifest."""
    for page in recording.pages:
        anonymiser.learn_text(page.url)
        anonymiser.learn_text(page.html)
        for answer in page.answers:
            if answer.body is not None:
                anonymiser.learn_json(answer.body)
            else:
                anonymiser.learn_text(answer.text)
            anonymiser.learn_text(str(answer.record.get("url", "")))
    files: dict[str, str] = {}
    pages, answers = [], []
    for number, page in enumerate(recording.pages, start=1):
        page_file = f"pages/{number:02d}-{_slug(page.step)}.html"
        files[page_file] = anonymiser.html(page.html)
        listed = []
        for index, answer in enumerate(page.answers, start=1):
            name, text = _answer_file(number, index, answer, anonymiser)
            files[name] = text
            listed.append(name)
            answers.append({"file": name, "page": page_file, **_facts(answer.record, anonymiser)})
        pages.append({"step": page.step, "subject": anonymiser.text(page.subject) if page.subject else None,
                      "url": anonymiser.text(page.url), "at": page.at.isoformat(timespec="seconds"),
                      "html": page_file, "answers": listed})
    manifest = {
        "format": FORMAT, "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": recording.source, "agent_version": agent_version, "site": site_host,
        "site_version": recording.site_versions() or None,
        "pages": pages, "answers": answers,
        "skipped": [{"step": step, "reason": anonymiser.text(reason)} for step, reason in recording.skipped],
        "stopped": anonymiser.text(recording.stopped) if recording.stopped else None,
        "anonymised": anonymiser.summary(), "note": NOTE,
    }
    files[MANIFEST] = json.dumps(manifest, ensure_ascii=False, indent=1)
    problems = [problem for name, text in files.items() for problem in anonymiser.leaks(name, text)]
    if problems:
        raise UnsafeBundle("the bundle was not written: after anonymising it would still hold "
                           + "; ".join(problems[:5]) + ("; …" if len(problems) > 5 else "")
                           + " — please report this (without the bundle)")
    _write_zip(out, files)
    return manifest


def _answer_file(page: int, index: int, answer: RecordedAnswer, anonymiser: Anonymiser) -> tuple[str, str]:
    stem = f"answers/{page:02d}-{index:02d}-{answer.api}"
    if answer.body is not None:
        return f"{stem}.json", json.dumps(anonymiser.json(answer.body), ensure_ascii=False, indent=1)
    return f"{stem}.txt", anonymiser.text(answer.text)


def _facts(record: dict[str, Any], anonymiser: Anonymiser) -> dict[str, Any]:
    return {key: anonymiser.text(value) if isinstance(value, str) and key in ("url", "error") else value
            for key, value in record.items()}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "page"


def _write_zip(out: Path, files: dict[str, str]) -> None:
    out = out.expanduser()
    if out.is_dir():
        raise UserInputError(f"{out} is a folder; give a file name such as {out / 'capture.zip'}")
    if not out.parent.is_dir():
        raise UserInputError(f"{out.parent} does not exist; create it or choose another --out")
    from flows.session_file import write_private

    buffer = io.BytesIO()  # a handful of pages: built in memory, then written at once
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files, key=lambda n: (n != MANIFEST, n)):
            archive.writestr(name, files[name])
    write_private(out, buffer.getvalue(), private_dir=False)


# --- an evidence folder -------------------------------------------------------------------


def recording_of_evidence(folder: Path) -> Recording:
    """What a failure's evidence folder holds (page, error, API answers) as a recording.

    The screenshot and the trace stay out: neither can be anonymised.
    """
    folder = folder.expanduser()
    if not folder.is_dir():
        raise UserInputError(f"{folder} is not a folder; give an evidence folder (<state>/evidence/<time>-<step>)")
    page_file, error_file = folder / "page.html", folder / "error.txt"
    if not page_file.is_file() and not (folder / "answers").is_dir():
        raise UserInputError(f"{folder} holds no page.html and no answers/: it is not an evidence folder")
    error = error_file.read_text(encoding="utf-8", errors="replace") if error_file.is_file() else ""
    facts = dict(re.findall(r"(?m)^(step|error|url): (.*)$", error))
    page = RecordedPage(step=facts.get("step") or folder.name, url=facts.get("url", ""),
                        html=page_file.read_text(encoding="utf-8", errors="replace") if page_file.is_file() else "",
                        at=datetime.fromtimestamp(folder.stat().st_mtime, UTC))
    index_file = folder / "answers" / "index.json"
    if index_file.is_file():
        try:
            index = json.loads(index_file.read_text(encoding="utf-8"))
        except ValueError:
            raise UserInputError(f"{index_file} is not JSON; the evidence folder is damaged") from None
        for entry in index if isinstance(index, list) else []:
            page.answers.append(_evidence_answer(folder / "answers", entry))
    return Recording(pages=[page], stopped=facts.get("error"), source="an evidence folder")


def _evidence_answer(folder: Path, entry: dict[str, Any]) -> RecordedAnswer:
    name = str(entry.get("file", ""))
    text = (folder / name).read_text(encoding="utf-8", errors="replace") if (folder / name).is_file() else ""
    record = {key: value for key, value in entry.items() if key != "file"}
    if name.endswith(".json"):
        try:
            return RecordedAnswer(str(entry.get("api", "")), record, json.loads(text), "")
        except ValueError:
            pass
    return RecordedAnswer(str(entry.get("api", "")), record, None, text)


# --- reading --------------------------------------------------------------------------


def read_bundle(path: Path) -> Bundle:
    """A bundle's manifest and answers; a file that is not one is refused in one line."""
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise UserInputError(f"{path}: not a capture bundle ({_reason(error)}); "
                             "make one with 'dispute-agent capture'") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise UserInputError(f"{path}: not a capture bundle of this version (format "
                             f"{manifest.get('format') if isinstance(manifest, dict) else None!r})")
    answers = [BundleAnswer(str(entry.get("file")), str(entry.get("api")), entry.get("page"), entry)
               for entry in manifest.get("answers", []) if isinstance(entry, dict)]
    return Bundle(path, manifest, answers)


def _reason(error: BaseException) -> str:
    if isinstance(error, KeyError):
        return f"no {MANIFEST}"
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return str(error).splitlines()[0]


class AnswerReading(BaseModel):
    """What the agent reads from one answer of a bundle."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str
    api: str
    #: True: read; False: the agent reads this API and could not; None: the agent does not read it
    read: bool | None
    summary: str
    data: Any = None


def read_answers(bundle: Bundle) -> list[AnswerReading]:
    """Each answer of ``bundle`` through the agent's own parser for its API."""
    from pydantic import TypeAdapter

    from agent.core.errors import PageChanged
    from flows.parsers.detect import SUPPORTED, detect_and_parse

    supported = {name.lower() for name in SUPPORTED}
    readings = []
    for answer in bundle.answers:
        if answer.api.lower() not in supported:
            readings.append(AnswerReading(file=answer.file, api=answer.api, read=None,
                                          summary="the agent does not read this API"))
            continue
        if not answer.file.endswith(".json"):
            error = answer.record.get("error") or "the body was not JSON"
            readings.append(AnswerReading(file=answer.file, api=answer.api, read=False, summary=str(error)))
            continue
        try:
            body = json.loads(bundle.read(answer.file))
        except (KeyError, ValueError) as error:  # a bundle edited by hand
            readings.append(AnswerReading(file=answer.file, api=answer.api, read=False,
                                          summary="missing from the bundle" if isinstance(error, KeyError)
                                          else f"not JSON ({str(error).splitlines()[0]})"))
            continue
        try:
            model = detect_and_parse(body, date_header=answer.record.get("date"))
        except PageChanged as error:
            readings.append(AnswerReading(file=answer.file, api=answer.api, read=False, summary=with_hint(error)))
            continue
        readings.append(AnswerReading(file=answer.file, api=answer.api, read=True, summary=describe(model),
                                      data=TypeAdapter(type(model)).dump_python(model, mode="json")))
    return readings


def describe(model: Any) -> str:
    """One line of what a parser read."""
    from agent.core.models import (
        DisputeDetail,
        Order,
        OrderListPage,
        RefundListPage,
        TrackingInfo,
    )
    from flows.parsers.dispute_form import FormState

    if isinstance(model, OrderListPage):
        return f"{counted(len(model.orders), 'order')} on page {model.page_index}" + (", more pages" if model.has_more else "")
    if isinstance(model, Order):
        total = f", total {model.total.amount} {model.total.currency}" if model.total else ""
        timer = f", protection ends {model.timer.ends_at:%Y-%m-%d %H:%M} UTC" if model.timer else ""
        return f"order {model.order_id}: {model.status.value}{total}, {counted(len(model.lines), 'line')}{timer}"
    if isinstance(model, TrackingInfo):
        return (f"{counted(len(model.events), 'tracking event')}, {'delivered' if model.delivered else 'not delivered'}"
                + (f", parcel {model.tracking_number}" if model.tracking_number else ""))
    if isinstance(model, RefundListPage):
        return f"{counted(len(model.items), 'case')} of {model.total}" + (", more pages" if model.has_more else "")
    if isinstance(model, DisputeDetail):
        return f"case {model.reverse_line_id} of order {model.trade_order_id}: {model.stage.value}"
    if isinstance(model, FormState):
        return "a case can be opened" if model.can_apply else f"no case can be opened: {model.refusal or 'no reason given'}"
    return type(model).__name__


def counted(count: int, noun: str) -> str:
    """``3 orders``, ``1 line``, ``6 addresses``."""
    if count == 1:
        return f"1 {noun}"
    return f"{count} {noun}{'es' if noun.endswith(('s', 'sh', 'ch', 'x')) else 's'}"
