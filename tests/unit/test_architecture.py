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


#: the rooms of agent/, inner first: a room imports only from rooms before it in this list (the web page
#: shares use cases and view models with the command line, never the command line itself)
ROOMS = ("core", "judge", "config", "storage", "notifications", "usecases", "web", "cli")
#: the few imports that reach outward, each lazy (inside a function) and each for a reason
OUTWARD = {
    # the settings check each channel URL with Apprise's own parser as they load
    ("agent/config/settings.py", "agent.notifications.notify"),
}


def room_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "agent" and parts[1] in ROOMS else None


def test_agent_holds_rooms_only():
    """Every module lives in a room; a module added beside them would escape the rules below."""
    loose = sorted(p.name for p in (ROOT / "agent").glob("*.py") if p.name != "__init__.py")
    assert not loose, f"modules outside a room: {loose}"
    rooms = {p.name for p in (ROOT / "agent").iterdir() if (p / "__init__.py").exists()}
    assert rooms <= set(ROOMS), rooms - set(ROOMS)


@pytest.mark.parametrize("path", sorted((ROOT / "agent").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_dependencies_point_inward(path):
    here = room_of(".".join(path.relative_to(ROOT).with_suffix("").parts))
    if here is None:
        return
    allowed = set(ROOMS[: ROOMS.index(here) + 1])
    relative = str(path.relative_to(ROOT))
    outward = {m for m in imported_modules(path)
               if room_of(m) not in allowed | {None} and (relative, m) not in OUTWARD}
    assert not outward, f"{relative} ({here}) imports {sorted(outward)}"


@pytest.mark.parametrize("room", ["core", "judge"])
def test_the_core_and_the_judge_import_no_heavy_library(room):
    for path in sorted((ROOT / "agent" / room).glob("*.py")):
        modules = roots(imported_modules(path))
        assert not modules & set(HEAVY), f"{path.name} imports {modules & set(HEAVY)}"
        assert "flows" not in modules, path.name


def test_the_judge_does_no_io():
    for path in sorted((ROOT / "agent" / "judge").glob("*.py")):
        modules = roots(imported_modules(path))
        assert not modules & {"os", "subprocess", "socket", "sqlite3", "requests", "urllib", "shutil"}, path.name


@pytest.mark.parametrize("path", sorted((ROOT / "sandbox").glob("*.py")), ids=lambda p: p.name)
def test_the_sandbox_knows_nothing_of_the_agent(path):
    assert not roots(imported_modules(path)) & {"agent", "flows"}


@pytest.mark.parametrize("path", sorted((ROOT / "flows").rglob("*.py")), ids=lambda p: p.name)
def test_flows_never_touch_the_store_or_notifications(path):
    modules = imported_modules(path)
    forbidden = {m for m in modules if room_of(m) in {"notifications", "usecases", "cli", "web"}}
    forbidden |= modules & {"agent.storage.store", "agent.storage.dispute_records", "agent.storage.tracking_store"}
    assert not forbidden, f"{path.name} imports {forbidden}"
    assert "sqlalchemy" not in roots(modules) and "apprise" not in roots(modules)


def test_the_cli_imports_heavy_libraries_only_inside_commands():
    commands = ROOT / "agent" / "cli" / "commands.py"
    modules = roots(imported_modules(commands, top_level_only=True))
    assert not modules & set(HEAVY)
    top = {m for m in imported_modules(commands, top_level_only=True) if m.startswith("agent.")}
    assert top <= {"agent.core.errors"}


def test_site_knowledge_stays_in_flows():
    """No URL path or API name of the site is written outside flows/ (and the sandbox)."""
    markers = ("/p/order/", "mtop.aliexpress", "reverse-pages", "#fm-login")
    for path in (ROOT / "agent").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not [m for m in markers if m in text], f"{path.name} contains site knowledge"


@pytest.mark.parametrize("name", ["web/calendar_feed", "web/metrics", "web/feeds", "web/feed_files"])
def test_the_feeds_import_their_libraries_only_when_serving(name):
    """The calendar feed and /metrics modules load at once: icalendar, prometheus_client and
    Starlette are imported by the functions that answer a request."""
    modules = roots(imported_modules(ROOT / "agent" / f"{name}.py", top_level_only=True))
    assert not modules & {*HEAVY, "icalendar", "prometheus_client"}, f"agent/{name}.py imports {modules}"


def test_alembic_is_loaded_only_to_migrate():
    """Alembic is imported at the top of the migration scripts only; elsewhere inside the
    functions that migrate, so opening a store at the newest schema never loads it."""
    for path in (ROOT / "agent").rglob("*.py"):
        if "migrations" in path.relative_to(ROOT / "agent").parts:
            continue
        assert "alembic" not in roots(imported_modules(path, top_level_only=True)), path.name
    assert "alembic" not in roots(imported_modules(ROOT / "agent" / "storage" / "migrations" / "__init__.py"))


def test_every_logger_of_the_agent_is_under_one_namespace():
    """``dispute_agent.<module>``: one level or filter reaches them all (agent/usecases/logs.py)."""
    third_party = {"apprise", "apscheduler", "uvicorn.access"}
    for path in [*(ROOT / "agent").rglob("*.py"), *(ROOT / "flows").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "getLogger" and node.args):
                continue
            argument = node.args[0]
            assert not (isinstance(argument, ast.Name) and argument.id == "__name__"), \
                f"{path.name}: getLogger(__name__) is outside the dispute_agent namespace"
            if isinstance(argument, ast.Constant):
                assert argument.value.startswith("dispute_agent") or argument.value in third_party, \
                    f"{path.name}: logger {argument.value!r}"
@pytest.mark.parametrize("path", sorted((ROOT / "agent" / "web").glob("*.py")), ids=lambda p: p.name)
def test_the_page_acts_through_the_use_cases_only(path):
    """The page is an interface like the command line: it drives no browser and reads no site itself."""
    modules = roots(imported_modules(path))
    assert not modules & {"flows", "playwright", "sqlalchemy", "apprise"}, f"{path.name} imports {modules}"


def test_the_page_is_loaded_only_when_served():
    """``--help`` and the daemon without a page never import starlette or uvicorn."""
    for name in ("cli/commands.py", "usecases/daemon.py"):
        top = imported_modules(ROOT / "agent" / name, top_level_only=True)
        assert not {m for m in top if m.startswith("agent.web")}, name
    for name in ("auth.py", "jobs.py", "middleware.py", "serve.py", "pages.py", "app.py"):
        top = roots(imported_modules(ROOT / "agent" / "web" / name, top_level_only=True))
        assert not top & {"starlette", "uvicorn"}, name
@pytest.mark.parametrize("name", ["usecases/remote_login", "web/relogin"])
def test_the_remote_login_starts_a_browser_only_in_its_own_thread(name):
    """The page's process loads these without Playwright: the session's thread imports it
    (sync Playwright is bound to the thread that started it), and nothing else touches it."""
    top = roots(imported_modules(ROOT / "agent" / f"{name}.py", top_level_only=True))
    heavy = top & {"playwright", "flows", "sqlalchemy"}
    assert not heavy, f"agent/{name}.py imports {heavy} at its top"

#: the modules a daemon job runs through: they read the machine's time only through
#: agent.core.clock.system_now, which a daemon given its own clock replaces (decision 0021)
JOB_PATH = ("usecases/daemon", "usecases/poll", "usecases/sync", "notifications/outbox", "storage/store",
            "storage/dispute_records", "storage/health", "usecases/auto_actions", "usecases/tracking_watch",
            "storage/tracking_store", "storage/retention", "notifications/notify", "notifications/messages",
            "notifications/message_groups", "usecases/pending")


@pytest.mark.parametrize("name", JOB_PATH)
def test_the_daemons_jobs_read_the_machines_time_only_through_the_agents_clock(name):
    tree = ast.parse((ROOT / "agent" / f"{name}.py").read_text(encoding="utf-8"))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
             and node.func.attr in ("now", "utcnow", "today") and isinstance(node.func.value, ast.Name)
             and node.func.value.id in ("datetime", "date")]
    assert not calls, f"agent/{name}.py reads the wall clock on line {calls[0].lineno}: use agent.core.clock.system_now"
