"""Use cases: ``dispute-agent capture`` — what the agent sees of the live site, anonymised
into one zip — and the same for a failure's evidence folder.

The live pass is ``check-site``'s (``flows.site_pass``): read-only, the saved session,
no login. What it recorded stays in memory until ``agent.usecases.bundle`` has anonymised it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from agent.config.settings import Settings
from agent.usecases.bundle import recording_of_evidence, write_bundle

__all__ = ["CaptureReport", "capture_evidence", "capture_site", "default_bundle_path"]


class CaptureReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    path: Path
    pages: int
    answers: int
    skipped: list[str]
    #: what ended the pass early, if anything
    stopped: str | None
    #: how many values of each kind were replaced, and how many ids remapped
    anonymised: dict[str, int]


def default_bundle_path(now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(f"dispute-agent-capture-{stamp}.zip")


def capture_site(settings: Settings, out: Path, *, also_remove: Iterable[str] = (),
                 progress: Callable[[str], None] | None = None) -> CaptureReport:
    from agent.usecases.site_check import visit_site
    from flows.site_capture import Recorder

    recorder = Recorder(progress)
    error = visit_site(settings, recorder)
    if error is not None:
        if not recorder.recording.pages:  # nothing to send: say what to do instead
            raise error
        recorder.stopped(error)
    return _write(recorder.recording, out, settings.account.login, also_remove,
                  urlsplit(settings.site.base_url).hostname)


def capture_evidence(settings: Settings, folder: Path, out: Path, *, also_remove: Iterable[str] = ()) -> CaptureReport:
    recording = recording_of_evidence(folder)
    return _write(recording, out, settings.account.login, also_remove, urlsplit(settings.site.base_url).hostname)


def _write(recording, out: Path, login: str | None, also_remove: Iterable[str], host: str | None) -> CaptureReport:
    from importlib.metadata import PackageNotFoundError, version

    from flows.anonymiser import Anonymiser

    try:
        agent_version = version("dispute-agent")
    except PackageNotFoundError:  # run from a source folder that was never installed
        agent_version = "unknown"
    anonymiser = Anonymiser(login=login, also_remove=also_remove)
    manifest = write_bundle(recording, out, anonymiser, agent_version=agent_version, site_host=host)
    return CaptureReport(path=out, pages=len(manifest["pages"]), answers=len(manifest["answers"]),
                         skipped=[f"{item['step']}: {item['reason']}" for item in manifest["skipped"]],
                         stopped=manifest["stopped"], anonymised=manifest["anonymised"])
