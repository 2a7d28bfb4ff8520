"""The import rules of docs/ARCHITECTURE.md, checked on the source (no imports run)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("playwright", "sqlalchemy", "apprise", "apscheduler", "uvicorn", "starlette", "httpx")


def imported_modules(path: Path, top_level_only: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            found.add("." * node.level + (node.module or ""))
    return found


def roots(modules: set[str]) -> set[str]:
    return {module.split(".")[0] for module in modules}


@pytest.mark.parametrize("name", ["models", "money", "errors", "alerts", "rules", "dispute_rules", "reminders",
                                  "policy", "watch_state", "tracking_rules"])
def test_the_pure_core_imports_no_heavy_library(name):
    path = ROOT / "agent" / f"{name}.py"
    if not path.exists():
        pytest.skip(f"agent/{name}.py does not exist")
    modules = imported_modules(path)
    assert not roots(modules) & set(HEAVY), f"agent/{name}.py imports {roots(modules) & set(HEAVY)}"
    assert "flows" not in roots(modules)


@pytest.mark.parametrize("name", ["rules", "dispute_rules", "reminders", "tracking_rules"])
def test_rules_do_no_io(name):
    modules = roots(imported_modules(ROOT / "agent" / f"{name}.py"))
    assert not modules & {"os", "subprocess", "socket", "sqlite3", "requests", "urllib", "shutil"}


@pytest.mark.parametrize("path", sorted((ROOT / "sandbox").glob("*.py")), ids=lambda p: p.name)
def test_the_sandbox_knows_nothing_of_the_agent(path):
    assert not roots(imported_modules(path)) & {"agent", "flows"}


@pytest.mark.parametrize("path", sorted((ROOT / "flows").rglob("*.py")), ids=lambda p: p.name)
def test_flows_never_touch_the_store_or_notifications(path):
    modules = imported_modules(path)
    forbidden = {"agent.store", "agent.dispute_records", "agent.outbox", "agent.notify", "agent.rules",
                 "agent.dispute_rules"}
    assert not modules & forbidden, f"{path.name} imports {modules & forbidden}"
    assert "sqlalchemy" not in roots(modules) and "apprise" not in roots(modules)


def test_the_cli_imports_heavy_libraries_only_inside_commands():
    modules = roots(imported_modules(ROOT / "agent" / "cli.py", top_level_only=True))
    assert not modules & set(HEAVY)
    top = {m for m in imported_modules(ROOT / "agent" / "cli.py", top_level_only=True) if m.startswith("agent.")}
    assert top <= {"agent.errors"}


def test_site_knowledge_stays_in_flows():
    """No URL path or API name of the site is written outside flows/ (and the sandbox)."""
    markers = ("/p/order/", "mtop.aliexpress", "reverse-pages", "#fm-login")
    for path in (ROOT / "agent").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not [m for m in markers if m in text], f"{path.name} contains site knowledge"


#: the modules a daemon job runs through: they read the machine's time only through
#: agent.clock.system_now, which a daemon given its own clock replaces (decision 0021)
JOB_PATH = ("daemon", "poll", "sync", "outbox", "store", "dispute_records", "health", "auto_actions",
            "tracking_watch", "tracking_store", "retention", "notify", "messages", "message_groups", "pending")


@pytest.mark.parametrize("name", JOB_PATH)
def test_the_daemons_jobs_read_the_machines_time_only_through_the_agents_clock(name):
    tree = ast.parse((ROOT / "agent" / f"{name}.py").read_text(encoding="utf-8"))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
             and node.func.attr in ("now", "utcnow", "today") and isinstance(node.func.value, ast.Name)
             and node.func.value.id in ("datetime", "date")]
    assert not calls, f"agent/{name}.py reads the wall clock on line {calls[0].lineno}: use agent.clock.system_now"
