"""The container image, checked without building it: the layer order of config/Dockerfile,
the entrypoint that runs as PUID:PGID (run for real, as root, when the tests are), and
that nothing the daemon imports needs the sandbox the image leaves out."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"


def entrypoint():
    spec = importlib.util.spec_from_file_location("container_entrypoint", CONFIG / "entrypoint.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def instructions() -> list[tuple[str, str]]:
    """(instruction, arguments) of the Dockerfile, continuation lines joined, comments left out."""
    text = re.sub(r"\\\n", " ", (CONFIG / "Dockerfile").read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest))
    return found


def test_the_dependencies_are_installed_before_the_code_is_copied():
    steps = instructions()
    copies = [i for i, (word, _) in enumerate(steps) if word == "COPY"]
    installs = [i for i, (word, rest) in enumerate(steps) if word == "RUN" and "pip install -r" in rest]
    [deps] = installs
    before = [steps[i][1] for i in copies if i < deps]
    assert before == ["pyproject.toml ./"], "only pyproject.toml may be copied before the dependencies' layer"
    code = [steps[i][1] for i in copies if i > deps]
    assert {"agent ./agent", "flows ./flows"} <= set(code)
    assert not any("sandbox" in copy for copy in before + code), "the image leaves the sandbox out"
    [package] = [i for i, (word, rest) in enumerate(steps) if word == "RUN" and "pip install --no-deps ." in rest]
    assert package > max(copies)  # the package itself once every file of it is there


def test_the_image_starts_through_the_entrypoint_as_puid_pgid():
    steps = dict(instructions())
    assert steps["ENTRYPOINT"] == '["/usr/bin/tini", "--", "/usr/local/sbin/dispute-agent-entrypoint"]'
    text = (CONFIG / "Dockerfile").read_text()
    assert "install -m 0755 config/entrypoint.py /usr/local/sbin/dispute-agent-entrypoint" in text
    assert "PUID=10001" in text and "PGID=10001" in text and "DISPUTE_AGENT_LOG_TIMESTAMPS=0" in text
    assert "PATH=/usr/local/sbin:" in text  # 'dispute-agent' run as root goes through the entrypoint too
    assert "\nUSER " not in text  # root only until the entrypoint drops to PUID:PGID


def test_compose_passes_puid_pgid_and_leaves_the_time_to_docker():
    yaml = pytest.importorskip("yaml")
    env = yaml.safe_load((CONFIG / "compose.yaml").read_text())["services"]["agent"]["environment"]
    assert env["PUID"] == "${PUID:-10001}" and env["PGID"] == "${PGID:-10001}"
    assert env["DISPUTE_AGENT_LOG_TIMESTAMPS"] == "0"


def test_the_entrypoint_names_the_program_and_refuses_root_or_nonsense_ids():
    module = entrypoint()
    program = module.PROGRAM
    assert module.command_of(["/usr/local/sbin/dispute-agent-entrypoint"]) == [program, "run"]
    assert module.command_of(["/x/dispute-agent-entrypoint", "dispute-agent", "doctor"]) == [program, "doctor"]
    assert module.command_of(["/usr/local/sbin/dispute-agent", "status", "--json"]) == [program, "status", "--json"]
    assert module.command_of(["entry", "sh", "-c", "id"]) == ["sh", "-c", "id"]
    assert module.wanted_ids({}) == (10001, 10001)
    assert module.wanted_ids({"PUID": "1000", "PGID": "100"}) == (1000, 100)
    for bad in ({"PUID": "0"}, {"PGID": "staff"}, {"PUID": "-5"}):
        with pytest.raises(SystemExit, match=r"is not a user or group number other than 0"):
            module.wanted_ids(bad)
    # a misconfigured state folder is never handed over (checked before anything changes)
    assert module.may_give(Path("/data")) and module.may_give(Path("/var/lib/dispute-agent"))
    for system in ("/", "/root", "/home", "/etc", "/usr/lib", "/usr/local/sbin", "/etc/ssl/certs", "/root/.pyenv/bin"):
        assert not module.may_give(Path(system)), system
    assert module.may_give(Path("/home/dispute-agent"))  # the image's own home


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping to another user needs root, as in the container")
def test_the_entrypoint_hands_the_state_to_puid_pgid_and_drops_root(tmp_path):
    data, home = tmp_path / "data", tmp_path / "home"
    (data / "sessions").mkdir(parents=True)
    (data / "sessions" / "default.json").write_text("{}")
    home.mkdir()
    env = {"PATH": "/usr/bin:/bin", "PUID": "54321", "PGID": "54322", "DISPUTE_AGENT_STATE__DIR": str(data),
           "DISPUTE_AGENT_IMAGE_HOME": str(home), "HOME": str(home)}
    done = subprocess.run([sys.executable, str(CONFIG / "entrypoint.py"), "sh", "-c", "id -u; id -g; id -G; umask"],
                          env=env, cwd="/", capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["54321", "54322", "54322", "0077"]
    for path in (data, data / "sessions", data / "sessions" / "default.json", home):
        assert (path.stat().st_uid, path.stat().st_gid) == (54321, 54322), path
    assert oct(data.stat().st_mode & 0o777) == "0o700"


def test_nothing_but_the_demo_needs_the_sandbox():
    """Every module of the agent and the flows imports with the sandbox made unimportable,
    as in the image (only the demo, and the 'sandbox' command, use it)."""
    modules = sorted({f"agent.{p.stem}" for p in (ROOT / "agent").glob("*.py")} - {"agent.cli.demo", "agent.__init__"}
                     | {f"flows.{p.stem}" for p in (ROOT / "flows").glob("*.py")} - {"flows.__init__"})
    script = (
        "import importlib, sys\n"
        "class NoSandbox:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'sandbox' or name.startswith('sandbox.'):\n"
        "            raise ImportError('no sandbox in the image')\n"
        "sys.meta_path.insert(0, NoSandbox())\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "from agent.cli.commands import main\n"
        "try:\n    main(['demo'])\nexcept SystemExit as done:\n    print('exit', done.code)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert done.returncode == 0, done.stderr
    assert "exit 2" in done.stdout and "needs the sandbox, which this installation leaves out" in done.stderr
