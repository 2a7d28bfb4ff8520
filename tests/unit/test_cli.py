"""The command line: help everywhere, one clear line per error, stable JSON."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli.commands import app
from agent.core.models import (
    Order,
    OrderLine,
    OrderStatus,
    ProtectionTimer,
    TimerSource,
)
from agent.core.money import Money
from agent.storage.store import Store
from tests.support.isolation import isolate_environment

FIXTURES = Path(__file__).parent.parent / "fixtures"
runner = CliRunner()


@pytest.fixture
def home(tmp_path, monkeypatch):
    isolate_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("DISPUTE_AGENT_STATE__DIR", str(tmp_path / "state"))
    monkeypatch.setenv("COLUMNS", "160")
    from rich.console import Console

    import agent.cli.views

    # the module's console took its width when first imported, maybe in another test's environment
    monkeypatch.setattr(agent.cli.views, "console", Console(width=160))
    return tmp_path


def invoke(*args: str):
    return runner.invoke(app, list(args))


COMMANDS = [["sandbox"], ["install-browser"], ["parse"], ["login"], ["sync"], ["orders"], ["order"],
            ["demo"], ["session", "export"], ["session", "import"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command):
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output
    assert len(result.output.splitlines()) > 4


def every_command() -> list[list[str]]:
    import typer.main

    group = typer.main.get_command(app)
    found = []
    for name, command in group.commands.items():
        subcommands = getattr(command, "commands", None)
        found += [[name, sub] for sub in subcommands] if subcommands else [[name]]
    return found


def test_config_goes_before_or_after_the_command_and_the_later_one_wins(tmp_path, monkeypatch):
    isolate_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("DISPUTE_AGENT_STATE__DIR", str(tmp_path / "state"))
    files = {}
    for name in ("before", "after", "env"):
        files[name] = tmp_path / f"{name}.toml"
        files[name].write_text(f'[site]\nbase_url = "https://{name}.example"\n', encoding="utf-8")

    def loaded(*args: str) -> str:
        result = invoke(*args)
        assert result.exit_code in (0, 1), result.output
        return re.search(r"config: loaded from (\S+)", result.output).group(1)

    assert loaded("-c", str(files["before"]), "doctor") == str(files["before"])
    assert loaded("doctor", "--config", str(files["after"])) == str(files["after"])
    assert loaded("-c", str(files["before"]), "doctor", "-c", str(files["after"])) == str(files["after"])
    monkeypatch.setenv("DISPUTE_AGENT_CONFIG", str(files["env"]))
    assert loaded("doctor") == str(files["env"])
    assert loaded("-c", str(files["before"]), "doctor") == str(files["before"])  # typed beats the environment
    assert loaded("doctor", "-c", str(files["after"])) == str(files["after"])


def test_version_is_printed_without_a_command():
    result = invoke("--version")
    assert result.exit_code == 0 and re.fullmatch(r"dispute-agent \d+\.\d+\.\d+\S*\n", result.output)


def test_examples_in_help_keep_one_command_per_line():
    for command in every_command():
        output = invoke(*command, "--help").output
        merged = [line for line in output.splitlines()
                  if (line.count("dispute-agent ") > 1 and "||" not in line)
                  or ("Examples:" in line and line.strip() != "Examples:")]
        assert merged == [], (command, merged)
        assert "list[" not in output, command


def test_help_names_what_each_value_is_never_a_python_type():
    python_types = re.compile(r"<(?:str|int|float|path|bool)?\s?(?:range)?>|\b(?:TEXT|INTEGER|FLOAT|FLOAT RANGE)\b"
                              r"|\{[a-z_]+\}")
    for command in every_command():
        output = invoke(*command, "--help").output
        shown = [line for line in output.splitlines() if python_types.search(line.replace("<path>", ""))]
        assert shown == [], (command, shown)


@pytest.mark.parametrize(("args", "code", "line"), [
    (["reject"], 2, "error: missing argument 'DISPUTE_ID'; see 'dispute-agent reject --help'"),
    (["orders", "--bogus"], 2, "error: no such option: --bogus; see 'dispute-agent orders --help'"),
    (["bogus"], 2, "error: no such command 'bogus'; see 'dispute-agent --help'"),
    (["order", "12/../x"], 2, "error: ORDER_ID '12/../x' is not an id"),  # the agent's own
])
def test_every_error_has_one_form_the_parsers_and_the_agents(home, args, code, line):
    result = invoke(*args)
    assert result.exit_code == code
    assert result.stdout == ""
    assert result.stderr.splitlines()[0].startswith(line), result.stderr
    assert "Error:" not in result.stderr and "Usage:" not in result.stderr


def test_every_command_the_agent_tells_the_user_to_run_exists_with_its_options():
    """An instruction in a message ('dispute-agent secrets set', 'login --headed') works as written."""
    import typer.main

    root = typer.main.get_command(app)
    named = set()
    for folder in ("agent", "flows"):
        for path in (Path(__file__).parents[2] / folder).rglob("*.py"):
            named |= set(re.findall(r"'dispute-agent ([a-z][^'{}]*)'", path.read_text()))
    assert {"secrets set", "login --headed"} <= named, named
    for instruction in named:
        words = instruction.split()
        command = root.commands.get(words[0])
        assert command is not None, instruction
        if getattr(command, "commands", None) and len(words) > 1 and not words[1].startswith("-"):
            command = command.commands.get(words[1])  # a group's command ('web' alone serves the page)
            assert command is not None, instruction
        offered = {opt for param in command.params for opt in getattr(param, "opts", [])}
        assert {w for w in words if w.startswith("--")} <= offered, instruction


def test_secrets_set_stores_the_password_where_the_agent_reads_it(home, monkeypatch):
    from agent.config.secrets import get_credentials
    from agent.config.settings import load_settings
    from tests.support.memory_keyring import MEMORY_KEYRING, MemoryKeyring

    MemoryKeyring.reset()
    monkeypatch.setenv("DISPUTE_AGENT_SECRETS__KEYRING_BACKEND", MEMORY_KEYRING)
    monkeypatch.setenv("DISPUTE_AGENT_ACCOUNT__LOGIN", "ring@example.com")
    result = runner.invoke(app, ["secrets", "set"], input="s3cret pass\n")
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    found = get_credentials(load_settings(), {})
    assert (found.login, found.password.get_secret_value(), found.source) == ("ring@example.com", "s3cret pass",
                                                                             "keyring")


def test_top_level_help_does_not_import_heavy_libraries():
    code = ("import sys; from agent.cli.commands import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('playwright', 'sqlalchemy', 'apprise', 'apscheduler', 'uvicorn') if m in sys.modules]\n"
            "print('HEAVY:' + ','.join(heavy))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "HEAVY:"


@pytest.mark.parametrize("name", ["order-list-init.json", "order-detail.json", "refund-list.json"])
def test_parse_reads_the_real_samples(name):
    result = invoke("parse", str(FIXTURES / name), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["data"]


def test_parse_order_list_json_has_every_order():
    data = json.loads(invoke("parse", str(FIXTURES / "order-list-init.json"), "--json").output)
    assert len(data["data"]["orders"]) == 10
    assert data["data"]["orders"][0]["order_id"] == "8214398062177351"


def test_parse_reads_a_jsonp_body_as_the_site_sends_it(tmp_path):
    path = tmp_path / "order-list.js"
    path.write_text("mtopjsonp2(" + (FIXTURES / "order-list-init.json").read_text() + ")")
    data = json.loads(invoke("parse", str(path), "--json").output)
    assert len(data["data"]["orders"]) == 10


def test_parse_names_the_missing_field_and_exits_2(tmp_path):
    broken = json.loads((FIXTURES / "order-list-init.json").read_text())
    del broken["data"]["hierarchy"]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    result = invoke("parse", str(path))
    assert result.exit_code == 2
    assert "hierarchy" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("content", "message"), [(None, "cannot be read"),
                                                  ("{not json", "neither JSON nor JSONP")])
def test_parse_bad_files_are_one_line(tmp_path, content, message):
    path = tmp_path / "x.json"
    if content is not None:
        path.write_text(content)
    result = invoke("parse", str(path))
    assert result.exit_code == 2
    assert message in result.output


def test_invalid_config_lists_each_problem_and_exits_2(home, tmp_path):
    config = tmp_path / "agent.toml"
    config.write_text('[browser]\ntimeout_ms = "soon"\n[politeness]\ndetail_concurrency = 99\n')
    result = invoke("orders", "--config", str(config))
    assert result.exit_code == 2
    assert "browser.timeout_ms" in result.output
    assert "politeness.detail_concurrency" in result.output


def test_missing_config_file_is_one_line(home, tmp_path):
    result = invoke("orders", "--config", str(tmp_path / "nope.toml"))
    assert result.exit_code == 2
    assert "nope.toml" in result.output


def seed(home: Path) -> None:
    now = datetime.now(UTC)
    store = Store(home / "state" / "agent.db")

    def order(order_id: str, days: float | None, status=OrderStatus.AWAITING_DELIVERY) -> Order:
        timer = (ProtectionTimer(ends_at=now + timedelta(days=days), source=TimerSource.COUNTDOWN, read_at=now)
                 if days is not None else None)
        return Order(order_id=order_id, status=status, store_name="Vega Store", status_text=status.value,
                     total=Money(amount=Decimal("9.99"), currency="USD"), site_time=now,
                     lines=[OrderLine(line_id=order_id + "1", title="Cable", quantity=1)],
                     timer=timer, timers=[timer] if timer else [], detail_loaded=True, can_open_dispute=True)

    store.save_orders([order("8300000000000003", 20), order("8300000000000001", 2), order("8300000000000002", 6),
                       order("8300000000000004", None, OrderStatus.CANCELLED)])
    store.close()


def test_orders_are_sorted_by_protection_end_and_json_is_stable(home):
    seed(home)
    result = invoke("orders", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [o["order_id"] for o in data["orders"]] == ["8300000000000001", "8300000000000002", "8300000000000003"]
    assert set(data["orders"][0]) >= {"order_id", "status", "store", "total", "protection_ends_at",
                                      "seconds_left", "can_open_dispute", "lines"}
    assert data["orders"][0]["total"] == {"amount": "9.99", "currency": "USD"}
    everything = json.loads(invoke("orders", "--all", "--json").output)
    assert len(everything["orders"]) == 4


def test_orders_table_shows_the_urgent_ones_first(home):
    seed(home)
    result = invoke("orders")
    assert result.exit_code == 0
    lines = [line for line in result.output.splitlines() if "830000000000000" in line]
    assert [line.split()[0][-1] for line in lines] == ["1", "2", "3"]
    assert "1 more without a running timer" in result.output


def test_order_shows_history_and_unknown_ids_are_one_line(home):
    seed(home)
    result = invoke("order", "8300000000000001", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert len(data["timer_history"]) == 1
    unknown = invoke("order", "999")
    assert unknown.exit_code == 2
    assert "unknown order id '999'" in unknown.output


def test_ids_and_amounts_are_never_cut_on_a_narrow_terminal(home, monkeypatch):
    from rich.console import Console

    import agent.cli.views

    seed(home)
    monkeypatch.setattr(agent.cli.views, "console", Console(width=80))
    with agent.cli.views.console.capture() as captured:
        result = invoke("orders")
    assert result.exit_code == 0
    shown = captured.get()
    assert [line.split()[1] for line in shown.splitlines() if line.startswith("Order ")] == [
        "8300000000000001", "8300000000000002", "8300000000000003"]
    assert all(len(line) <= 80 for line in shown.splitlines())
    assert shown.count("  Total: 9.99 USD") == 3
    assert len(re.findall(r"(?m)^  Protection ends: \d{4}-\d\d-\d\d \d\d:\d\d UTC$", shown)) == 3
    assert "Item: Cable" in shown and "Dispute status: none (can open)" in shown


def test_sandbox_command_serves_the_hosts_of_the_domain_asked_for():
    process = subprocess.Popen(
        [sys.executable, "-m", "agent.cli", "sandbox", "--port", "0", "--login-port", "0", "--rate", "0",
         "--domain", "shop.localhost"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = [process.stdout.readline() for _ in range(4)]
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "//www.shop.localhost:" in lines[0], lines
    assert "//m.shop.localhost:" in lines[2] and "//login.shop.localhost:" in lines[3], lines


def test_no_command_shows_what_needs_the_user_soonest_first_in_the_users_zone(home, monkeypatch):
    seed(home)
    monkeypatch.setenv("DISPUTE_AGENT_TIME_ZONE", "Asia/Tokyo")
    result = invoke()
    assert result.exit_code == 0, result.output
    heads = [line for line in result.output.splitlines() if line.startswith("Order ")]
    # 20 days left on a parcel still on its way: time to ask the seller for more (policy.extension_request_days)
    assert [line.split()[1] for line in heads] == ["8300000000000001", "8300000000000002", "8300000000000003"]
    first = result.output.split(heads[0], 1)[1]
    assert re.search(r"By: +\d{4}-\d\d-\d\d \d\d:\d\d JST \(1 day and 23 hours left\): open a dispute before "
                     "protection ends", first)
    assert "Run:   dispute-agent open 8300000000000001 --reason <reason> --not-received" in result.output
    assert "has not been read" not in result.output  # a sync stored the orders: no poll is needed to see them
    data = json.loads(invoke("agenda", "--json").output)
    assert set(data) == {"now", "items"} and data["items"][0]["deadline_what"] == "open a dispute before protection ends"
    assert data["items"][0]["amount"] == {"amount": "9.99", "currency": "USD"}


def test_tables_name_the_users_zone_and_show_each_order_s_item_and_dispute(home, monkeypatch):
    seed(home)
    monkeypatch.setenv("DISPUTE_AGENT_TIME_ZONE", "Europe/Berlin")
    result = invoke("orders")
    assert "times in Europe/Berlin" in result.output
    rows = [line for line in result.output.splitlines() if line.startswith("830000000000000")]
    assert all(re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d CET", row) for row in rows), rows
    assert all("Cable" in row and "none (can open)" in row for row in rows)
    data = json.loads(invoke("order", "8300000000000001", "--json").output)
    assert data["item"] == "Cable" and data["disputes"] == [] and "now" in data


def test_login_headed_without_a_display_says_so_and_what_to_do_instead(home, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    result = invoke("login", "--headed")
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: login --headed opens a browser window and this machine has no display"), line
    assert "'dispute-agent session export FILE'" in line and "'dispute-agent session import FILE'" in line
    assert "'dispute-agent secrets set'" in line


@pytest.mark.parametrize(("environ", "platform", "shown"), [
    ({}, "linux", False), ({"DISPLAY": ":0"}, "linux", True), ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
    ({}, "darwin", True),
])
def test_login_needed_names_the_way_that_works_on_this_machine(environ, platform, shown, monkeypatch):
    from agent.core.display import has_display, login_by_hand

    monkeypatch.setattr(sys, "platform", platform)
    assert has_display(environ) is shown
    advice = login_by_hand(environ)
    assert ("no display" in advice) is not shown
    assert ("'dispute-agent session export FILE'" in advice) is not shown  # the headless way: a session from elsewhere
    assert "'dispute-agent session import FILE'" in advice


def test_doctor_json_is_an_object_with_now_and_one_entry_per_check(home):
    result = invoke("doctor", "--no-browser", "--json")
    printed = json.loads(result.stdout)
    assert datetime.fromisoformat(printed["now"]).tzinfo is not None
    assert printed["ok"] is (result.exit_code == 0)
    checks = {c["check"]: c for c in printed["checks"]}
    assert checks["browser"]["ok"] is None and checks["config"]["ok"] is True
    assert all(c["fix"] for c in printed["checks"] if c["ok"] is False)


def test_help_lists_every_command_in_the_order_a_newcomer_meets_them():
    from agent.cli.commands import HELP_ORDER

    listed = [line.split()[0] for line in invoke("--help").output.split("Commands:", 1)[1].splitlines() if line.strip()]
    assert listed == list(HELP_ORDER)  # a new command must be placed in HELP_ORDER
    assert listed[:3] == ["login", "sync", "agenda"]


def test_an_empty_agenda_says_how_to_fill_it(home):
    result = invoke()
    assert result.exit_code == 0, result.output
    assert "The site has not been read yet: run 'dispute-agent sync'" in result.output
    assert "Nothing needs you now" in result.output
