"""The bundle file: written only when nothing personal is left, read back by ``parse``,
made from an evidence folder, and refused in one line when it is not one."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime

import pytest

from agent.core.errors import UserInputError
from agent.usecases.bundle import (
    FORMAT,
    UnsafeBundle,
    read_answers,
    read_bundle,
    recording_of_evidence,
    write_bundle,
)
from flows.anonymiser import Anonymiser
from flows.site_capture import RecordedAnswer, RecordedPage, Recording
from sandbox import api
from sandbox.world import World
from tests.support.cli_state import agent_home, run_cli  # noqa: F401 (fixtures)
from tests.support.personal import SAMPLE, found_in, seeded_scenario

BASE = "http://127.0.0.1:1"
WORLD_ORDER = "8215000000000001"


def recording() -> Recording:
    world = World(seeded_scenario(SAMPLE))
    detail, tracking = api.order_detail(world, WORLD_ORDER, BASE), api.tracking(world, WORLD_ORDER)
    url = f"{BASE}/h5/{detail['api'].lower()}/1.0/?api={detail['api']}&sign=0a1b2c3d&data=%7B%22tradeOrderId%22%3A%22{WORLD_ORDER}%22%7D"
    page = RecordedPage(
        step="order page", url=f"{BASE}/p/order/detail.html?orderId={WORLD_ORDER}", subject=WORLD_ORDER,
        html=f"<html><body><span>Hi, {SAMPLE.first}</span><div>{SAMPLE.street}</div></body></html>",
        at=datetime(2026, 12, 1, tzinfo=UTC),
        answers=[RecordedAnswer(detail["api"], {"api": detail["api"], "url": url, "status": 200}, detail, ""),
                 RecordedAnswer(tracking["api"], {"api": tracking["api"], "url": url, "status": 200}, tracking, "")])
    return Recording(pages=[page], skipped=[("dispute page", "no open dispute now")])


def test_a_bundle_is_written_whole_and_read_back(tmp_path):
    out = tmp_path / "b.zip"
    manifest = write_bundle(recording(), out, Anonymiser(seed=1), agent_version="1.2.3", site_host="www.example")
    assert manifest["format"] == FORMAT and manifest["skipped"] == [{"step": "dispute page",
                                                                      "reason": "no open dispute now"}]
    with zipfile.ZipFile(out) as archive:
        texts = {name: archive.read(name).decode() for name in archive.namelist()}
    assert found_in("".join(texts.values()), SAMPLE) == []
    assert WORLD_ORDER not in "".join(texts.values())
    assert "sign=[removed]" in texts["manifest.json"]
    readings = read_answers(read_bundle(out))
    assert [(r.read, r.summary.split(":")[0]) for r in readings][0] == (True, f"order {manifest['pages'][0]['subject']}")
    assert readings[1].summary.startswith("2 tracking events")


def test_a_rewrite_that_misses_something_writes_nothing(tmp_path):
    class Careless(Anonymiser):
        def html(self, page: str) -> str:  # a rewrite with a bug: the page as it came
            return page

    out = tmp_path / "b.zip"
    with pytest.raises(UnsafeBundle, match=r"pages/01-order-page\.html: an? (name|address)") as error:
        write_bundle(recording(), out, Careless(seed=1), agent_version="1", site_host=None)
    assert SAMPLE.first not in str(error.value) and SAMPLE.street not in str(error.value)
    assert not out.exists() and list(tmp_path.iterdir()) == []  # no file, no leftover


def test_an_evidence_folder_becomes_a_recording(tmp_path):
    folder = tmp_path / "20261201T090000Z-order-detail"
    (folder / "answers").mkdir(parents=True)
    world = World(seeded_scenario(SAMPLE))
    body = api.mangle(api.order_detail(world, WORLD_ORDER, BASE))
    (folder / "answers" / "01-x.json").write_text(json.dumps(body), encoding="utf-8")
    (folder / "answers" / "02-y.txt").write_text(f"<html>{SAMPLE.email}</html>", encoding="utf-8")
    (folder / "answers" / "index.json").write_text(json.dumps([
        {"file": "01-x.json", "api": body["api"], "url": "u", "status": 200},
        {"file": "02-y.txt", "api": body["api"], "url": "u", "status": 200, "error": "not JSON"}]), encoding="utf-8")
    (folder / "page.html").write_text(f"<p>{SAMPLE.name}</p>", encoding="utf-8")
    (folder / "error.txt").write_text("step: order-detail\nerror: PageChanged: data.hierarchy missing\nurl: x\n",
                                      encoding="utf-8")
    (folder / "screenshot.png").write_bytes(b"\x89PNG")
    found = recording_of_evidence(folder)
    assert found.stopped == "PageChanged: data.hierarchy missing" and found.pages[0].step == "order-detail"
    assert [a.body is not None for a in found.pages[0].answers] == [True, False]
    out = tmp_path / "e.zip"
    write_bundle(found, out, Anonymiser(seed=2), agent_version="1", site_host=None)
    with zipfile.ZipFile(out) as archive:
        assert not any(name.endswith(".png") for name in archive.namelist())
        assert found_in("".join(archive.read(n).decode() for n in archive.namelist()), SAMPLE) == []
    readings = read_answers(read_bundle(out))
    assert [r.read for r in readings] == [False, False]
    assert "data.hierarchy missing" in readings[0].summary and readings[1].summary == "not JSON"


@pytest.mark.parametrize(("make", "expected"), [
    (lambda p: p.write_text("not a zip"), "not a capture bundle"),
    (lambda p: zipfile.ZipFile(p, "w").writestr("x.txt", "x"), "no manifest.json"),
    (lambda p: zipfile.ZipFile(p, "w").writestr("manifest.json", '{"format": "other 9"}'), "of this version"),
])
def test_parse_refuses_a_zip_that_is_not_a_bundle_in_one_line(tmp_path, run_cli, agent_home, make, expected):
    path = tmp_path / "x.zip"
    make(path)
    code, out, err = run_cli("parse", str(path))
    assert code == 2 and expected in err and len(err.strip().splitlines()) == 1


def test_capture_refuses_what_is_not_an_evidence_folder(tmp_path, run_cli, agent_home):
    code, _, err = run_cli("capture", "--from-evidence", str(tmp_path), "--out", str(tmp_path / "x.zip"))
    assert code == 2 and "not an evidence folder" in err
    (tmp_path / "page.html").write_text("<p>x</p>")
    code, _, err = run_cli("capture", "--from-evidence", str(tmp_path), "--out", str(tmp_path / "no" / "x.zip"))
    assert code == 2 and "does not exist" in err and not (tmp_path / "no").exists()


def test_recording_an_unreadable_evidence_index_is_one_line(tmp_path):
    (tmp_path / "answers").mkdir()
    (tmp_path / "answers" / "index.json").write_text("{")
    with pytest.raises(UserInputError, match="damaged"):
        recording_of_evidence(tmp_path)


def test_the_site_version_comes_from_asset_addresses():
    page = RecordedPage(step="s", url="u", at=datetime.now(UTC), html=(
        '<script src="https://assets.example/g/ae-fe/order-list-ui/0.0.117/pc/index.js"></script>'
        '<link rel="stylesheet" href="//assets.example/g/ae-fe/order-list-ui/0.0.117/pc/index.css">'))
    assert Recording(pages=[page]).site_versions() == ["order-list-ui 0.0.117"]


def test_an_answer_missing_or_broken_in_an_edited_bundle_is_a_cross_not_a_crash(tmp_path):
    out = tmp_path / "b.zip"
    manifest = write_bundle(recording(), out, Anonymiser(seed=1), agent_version="1", site_host=None)
    first, second = (answer["file"] for answer in manifest["answers"])
    edited = tmp_path / "edited.zip"
    with zipfile.ZipFile(out) as source, zipfile.ZipFile(edited, "w") as target:
        for name in source.namelist():
            if name == first:
                continue
            target.writestr(name, "{" if name == second else source.read(name))
    readings = read_answers(read_bundle(edited))
    assert [(r.read, r.summary.split(" (")[0]) for r in readings] == [(False, "missing from the bundle"),
                                                                       (False, "not JSON")]
