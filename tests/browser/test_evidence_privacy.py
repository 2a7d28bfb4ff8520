"""A failure's evidence holds no cookie or token of the session: a real trace, real Chromium."""

from __future__ import annotations

import json
import re
import zipfile
from urllib.parse import quote

import pytest
from pydantic import SecretStr

from agent.config.secrets import Credentials
from agent.config.settings import load_settings
from agent.core.errors import PageChanged
from flows.browser import BrowserSession
from flows.disputes import read_dispute_list
from tests.support.isolation import isolate_environment, keep_traces

pytestmark = pytest.mark.browser
ACCOUNT = Credentials(login="buyer@example.com", password=SecretStr("sandbox-pass"), source="test")
#: an API address's signature (a hash over the session token), as the pages send it
SIGNED = re.compile(rb"sign=[0-9a-f]{32}")


def test_a_failures_trace_and_page_keep_no_cookie_or_token(server, tmp_path, monkeypatch):
    isolate_environment(monkeypatch, tmp_path)
    keep_traces(monkeypatch)
    server.reset()
    settings = load_settings(None, site={"base_url": server.url}, state={"dir": str(tmp_path / "state")},
                             browser={"timeout_ms": 8_000})
    with BrowserSession(settings) as session:  # logs in: that session is not traced
        read_dispute_list(session, server.url, lambda: ACCOUNT, timeout_ms=8_000)
    server.add_fault("dom_layout", "/p/refund-dispute/")
    with BrowserSession(settings) as session, pytest.raises(PageChanged) as error:
        read_dispute_list(session, server.url, lambda: ACCOUNT, timeout_ms=2_000)
    saved = json.loads(settings.session_file.read_text(encoding="utf-8"))["cookies"]
    values = {c["value"] for c in saved if len(c["value"]) >= 8}
    assert {"xman_t", "_m_h5_tk"} <= {c["name"] for c in saved}
    secrets = {form.encode() for value in values for form in (value, quote(value, safe=""))}
    secrets |= {part.encode() for value in values for part in value.split("_") if len(part) >= 16}  # the token

    folder = error.value.evidence
    trace = folder / "trace.zip"
    with zipfile.ZipFile(trace) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert {"trace.trace", "trace.network"} <= set(names) and any(n.startswith("resources/") for n in names)
        network = archive.read("trace.network").decode()
        assert "/h5/" in network and '"name":"Cookie"' in network  # the API calls are still there
        for name in names:
            data = archive.read(name)
            assert not [s for s in secrets if s in data], name
            assert not SIGNED.search(data), name
            if name.endswith((".trace", ".network")):
                lines = [json.loads(line) for line in data.decode().splitlines()]
                assert lines and all("type" in line for line in lines)
    saved = [path for path in folder.rglob("*") if path.is_file()]
    assert any(path.parent.name == "answers" for path in saved)  # the page's API answers are kept too
    for path in saved:
        assert not [s for s in secrets if s in path.read_bytes()], path.name
        assert path.name == "trace.zip" or not SIGNED.search(path.read_bytes()), path.name
