#!/usr/bin/env python3
"""The container's entrypoint: run the command as PUID:PGID, owning the state volume.

Why: the state volume (and a bind-mounted folder) must belong to the user whose files
they are on the host. The container starts as root only long enough to give /data
(and the home folder) to PUID:PGID when they belong to someone else — a new volume, or
PUID changed — then drops every privilege (no supplementary groups, real and
effective ids) and replaces itself with the command. Standard library only: no gosu,
no su-exec in the image. Installed as /usr/local/sbin/dispute-agent too, ahead of the
program on PATH, so 'docker compose exec agent dispute-agent …' run as root also runs
as PUID:PGID and never leaves a root-owned file in the state. Started by a user other
than root (docker run --user), it changes nothing and just runs the command.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: the image's own user and group, when PUID/PGID are not given
DEFAULT_ID = 10001
#: the program the agent's command names (the package installed in the image's venv)
PROGRAM = os.environ.get("DISPUTE_AGENT_PROGRAM", "/opt/dispute-agent/.venv/bin/dispute-agent")
#: the image's home folder, handed over with the state (never $HOME: on a machine that is
#: not the image, $HOME is root's own folder)
IMAGE_HOME = os.environ.get("DISPUTE_AGENT_IMAGE_HOME", "/home/dispute-agent")


#: folders of the system itself: nothing under them is ever handed to the agent's user (a
#: program there, this entrypoint among them, runs as root on 'docker compose exec')
SYSTEM = tuple(Path(p) for p in ("/usr", "/etc", "/opt", "/bin", "/sbin", "/lib", "/lib64", "/boot",
                                 "/proc", "/sys", "/dev", "/root", "/run"))


def may_give(folder: Path) -> bool:
    """Only the image's volume and home, or a folder at least three levels deep outside the
    system's own: never '/', '/root', '/home', '/usr/local/sbin' or another system folder,
    whatever a misconfigured setting names."""
    resolved = folder.resolve()
    if resolved in (Path("/data"), Path(IMAGE_HOME)):
        return True
    return len(resolved.parts) >= 4 and not any(resolved.is_relative_to(system) for system in SYSTEM)


def wanted_ids(environ: dict[str, str]) -> tuple[int, int]:
    ids = []
    for name in ("PUID", "PGID"):
        given = environ.get(name, "").strip() or str(DEFAULT_ID)
        if not given.isdigit() or int(given) == 0 or int(given) > 2**31 - 2:
            raise SystemExit(f"error: {name}={given!r} is not a user or group number other than 0 (root): set "
                             f"{name} to the owner of the state on the host, e.g. {name}=$(id -{name[1].lower()})")
        ids.append(int(given))
    return ids[0], ids[1]


def give(folder: Path, uid: int, gid: int) -> None:
    """``folder`` and everything in it to uid:gid, when the folder itself belongs to another."""
    if not folder.is_dir():
        return
    if not may_give(folder):
        raise SystemExit(f"error: {folder} is not a folder to hand to PUID:PGID: point DISPUTE_AGENT_STATE__DIR at "
                         "the state volume (/data)")
    status = folder.stat()
    if (status.st_uid, status.st_gid) == (uid, gid):
        return
    for root, folders, files in os.walk(folder):
        for name in [*folders, *files]:
            os.lchown(os.path.join(root, name), uid, gid)
    os.chown(folder, uid, gid)
    os.chmod(folder, 0o700)


def command_of(argv: list[str]) -> list[str]:
    called_as = Path(argv[0]).name
    command = argv[1:] if called_as != "dispute-agent" else ["dispute-agent", *argv[1:]]
    command = command or ["dispute-agent", "run"]
    if command[0] == "dispute-agent":
        command[0] = PROGRAM
    return command


def main(argv: list[str]) -> None:
    command = command_of(argv)
    if os.getuid() == 0:
        uid, gid = wanted_ids(dict(os.environ))
        give(Path(os.environ.get("DISPUTE_AGENT_STATE__DIR", "/data")), uid, gid)
        give(Path(IMAGE_HOME), uid, gid)
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        os.umask(0o077)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv)
