"""``dispute-agent capture`` against the sandbox in real Chromium: a bundle a user can send.

The world's buyer has a name, an address, a phone and an e-mail, written into every
field of the sandbox that can carry them (the account, the shipping address, each
case's description, each seller's and mediator's message, a tracking event): none of
it may be in any byte of the bundle, and the agent's parsers must read the bundle.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli.commands import app
from flows import site
from sandbox.server import SandboxServer
from tests.support.agent_env import point_agent_at
from tests.support.personal import SAMPLE, found_in, seeded_scenario

pytestmark = pytest.mark.browser
runner = CliRunner()


@pytest.fixture(scope="module")
def server():
    with SandboxServer(seeded_scenario(SAMPLE)) as running:
        yield running


@pytest.fixture(scope="module")
def user(server, tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        home = point_agent_at(server, patch, tmp_path_factory.mktemp("capture"))
        patch.setenv("DISPUTE_AGENT_LOGIN", SAMPLE.email)
        login = runner.invoke(app, ["login"])
        assert login.exit_code == 0, login.output
        yield home


def members(path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def test_the_bundle_holds_every_page_and_answer_and_nothing_of_the_person(user, server, tmp_path):
    before = server.state()
    out = tmp_path / "report.zip"
    result = runner.invoke(app, ["capture", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stdout and "ids remapped" in result.stdout
    after = server.state()
    assert after["actions"] == before["actions"] and after["account"]["logins"] == before["account"]["logins"]

    files = members(out)
    assert out.stat().st_mode & 0o777 == 0o600
    leaks = {name: found_in(text, SAMPLE) for name, text in files.items() if found_in(text, SAMPLE)}
    assert leaks == {}
    manifest = json.loads(files["manifest.json"])
    steps = [page["step"] for page in manifest["pages"]]
    assert {"order list", "order page", "tracking page", "dispute list", "dispute page"} <= set(steps)
    apis = {answer["api"] for answer in manifest["answers"]}
    assert {site.API_ORDER_LIST, site.API_ORDER_DETAIL, site.API_TRACKING, site.API_REFUND_LIST,
            site.API_DISPUTE_DETAIL} <= apis
    assert all(name in files for page in manifest["pages"] for name in [page["html"], *page["answers"]])
    assert not any(name.endswith(".png") for name in files)
    # what the person's data became, and what was kept
    order_page = next(files[p["html"]] for p in manifest["pages"] if p["step"] == "order page")
    assert "[name 1]" in order_page or "[name 2]" in order_page
    assert re.search(r"US \$\d+\.\d\d", order_page)  # money stays
    listed = {o: p for p in manifest["pages"] if (o := p["subject"])}
    assert all(subject not in json.dumps(server.state()["orders"]) for subject in listed)  # ids remapped
    assert "sign=[removed]" in json.dumps(manifest["answers"])

    parsed = runner.invoke(app, ["parse", str(out)])
    assert parsed.exit_code == 0, parsed.output
    assert re.search(r"✓ answers/\S+mtop\.ae\.ld\.querydetail\.json: \d+ tracking events", parsed.stdout)
    assert re.search(r"✓ answers/\S+reverseOrderLineRenderForBuyer\.json: case \d+ of order \d+", parsed.stdout)
    assert "✗" not in parsed.stdout
    readings = json.loads(runner.invoke(app, ["parse", str(out), "--json"]).stdout)["answers"]
    assert {r["api"] for r in readings if r["read"]} >= {site.API_TRACKING, site.API_ORDER_DETAIL}


def test_a_changed_page_ends_with_the_command_that_makes_its_evidence_sendable(user, server, tmp_path):
    server.add_fault("api_shape", path=f"/h5/{site.API_ORDER_DETAIL}/")
    server.add_fault("dom_layout", path="/p/order/detail.html")
    try:
        failed = runner.invoke(app, ["sync"])
    finally:
        server.clear_faults()
    assert failed.exit_code != 0
    line = next(l for l in failed.stderr.splitlines() if l.startswith("error: "))
    command = re.search(r"to share it anonymised: (dispute-agent capture --from-evidence \S+)", line)
    assert command, line
    out = tmp_path / "evidence.zip"
    folder = command.group(1).split("--from-evidence ", 1)[1].strip("'")
    # the user's line says what to do; what to change in the agent is for its maintainers
    assert "flows/" not in failed.output and "the agent needs an update to read this page" in line
    assert "update flows/parsers" in (Path(folder) / "maintainer.txt").read_text(encoding="utf-8")
    made = runner.invoke(app, ["capture", "--from-evidence", folder, "--out", str(out)])
    assert made.exit_code == 0, made.output
    files = members(out)
    assert {name: found_in(text, SAMPLE) for name, text in files.items() if found_in(text, SAMPLE)} == {}
    manifest = json.loads(files["manifest.json"])
    assert manifest["source"] == "an evidence folder" and "PageChanged" in manifest["stopped"]
    assert not re.search(r"82150000000000\d\d", json.dumps(files))  # no order id of the world
    parsed = runner.invoke(app, ["parse", str(out)])
    assert parsed.exit_code == 2
    assert re.search(r"✗ answers/\S+order\.detail\.json: .*missing", parsed.stdout), parsed.stdout
