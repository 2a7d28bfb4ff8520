"""Scrubbing a saved trace: every way a cookie or token is written in one goes, the trace stays whole."""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

from flows.trace_privacy import MASK, scrub_text, scrub_trace

SESSION = "Wie0gREBKfuAXODIg2p0s7ctwQ2gSXmZ"
TOKEN = "ac65f0787b243a3bf70ca2543eac3bbd"
ROTATED = "9f2d11aa0c7e4b6f8d3c2b1a00ffee77"  # set by the site halfway: only the trace knows it
BEARER = "Bearer abcdefghijklmnopqrstuvwxyz"
SIGNATURE = "2045a3599f6432f643fab2a36e8fb750"


def entry(url: str, request_headers: list, response_headers: list, cookies: list, body: str) -> dict:
    return {"type": "resource-snapshot", "snapshot": {
        "request": {"url": url, "cookies": cookies, "headers": request_headers,
                    "queryString": [{"name": "sign", "value": SIGNATURE}, {"name": "v", "value": "1.0"}]},
        "response": {"status": 200, "cookies": [{"name": "_m_h5_tk", "value": f"{ROTATED}_1795168800000"}],
                     "headers": response_headers, "content": {"_file": body}}}}


def make_trace(path: Path) -> None:
    url = f"http://m.example/h5/api/1.0/?t=1&sign={SIGNATURE}&api=x"
    network = entry(
        url,
        [{"name": "Cookie", "value": f"xman_t={SESSION}; _m_h5_tk={TOKEN}_1795168800000"},
         {"name": "Authorization", "value": BEARER}, {"name": "Accept", "value": "*/*"}],
        [{"name": "Set-Cookie", "value": f"_m_h5_tk={ROTATED}_1795168800000; Path=/; Domain=.example"}],
        [{"name": "xman_t", "value": SESSION}], "resources/abc.json")
    actions = {"type": "before", "params": {"url": url, "note": f"a page kept {SESSION} and {ROTATED}"}}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("trace.trace", json.dumps({"type": "context-options"}) + "\n" + json.dumps(actions) + "\n")
        archive.writestr("trace.network", json.dumps(network) + "\n")
        archive.writestr("resources/abc.json", json.dumps({"echo": TOKEN, "form": f"tk={SESSION}%3D"}))
        archive.writestr("resources/img.png", b"\x89PNG\x00\xff" + SESSION.encode() + b"\x00")
    path.chmod(0o600)


def test_every_form_of_a_secret_goes_and_the_trace_stays_whole(tmp_path):
    trace = tmp_path / "trace.zip"
    make_trace(trace)
    names = zipfile.ZipFile(trace).namelist()
    scrub_trace(trace, [f"{TOKEN}_1795168800000"])
    with zipfile.ZipFile(trace) as archive:
        assert archive.testzip() is None and archive.namelist() == names
        for name in names:
            data = archive.read(name)
            for secret in (SESSION, TOKEN, ROTATED, BEARER.split()[1], SIGNATURE):
                assert secret.encode() not in data, (name, secret)
        network = json.loads(archive.read("trace.network"))["snapshot"]
        lines = [json.loads(line) for line in archive.read("trace.trace").decode().splitlines()]
    assert lines[0] == {"type": "context-options"}
    headers = {h["name"]: h["value"] for h in network["request"]["headers"]}
    assert headers == {"Cookie": MASK, "Authorization": MASK, "Accept": "*/*"}  # the rest is untouched
    assert network["request"]["url"] == f"http://m.example/h5/api/1.0/?t=1&sign={MASK}&api=x"
    assert {q["name"]: q["value"] for q in network["request"]["queryString"]} == {"sign": MASK, "v": "1.0"}
    assert stat.S_IMODE(trace.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["trace.zip"]  # no temporary file left


def test_text_evidence_loses_cookie_values_and_token_parameters():
    text = f"url: http://m.example/p?x5secdata=abc123&id=7 kept {SESSION}"
    assert scrub_text(text, [SESSION]) == f"url: http://m.example/p?x5secdata={MASK}&id=7 kept {MASK}"
    assert scrub_text("b_locale=en_US", ["en"]) == "b_locale=en_US"  # a short value is no credential
