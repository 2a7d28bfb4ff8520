"""Benchmark: logging in again through the page, as a phone would, against the sandbox.

Prints how long the agent's browser takes to show its first picture and to hand over
at the captcha, the size of the pictures, how soon a finger's move on the picture comes
back as a new picture (the knob following the finger), and how soon after the code's
"Enter" the session is saved. Goals: the first picture within 5 s, a move seen again
within 0.3 s, pictures of a few tens of kB (a phone on a mobile network).

    python bench/bench_relogin.py [--runs 2]

Each run starts the sandbox (demo world, the slider captcha after "Sign in", an e-mail
code) and the page's routes in a small app on 127.0.0.1, with a throw-away state
folder; the page is driven over HTTP (httpx) exactly as its script drives it. Where the
slider is comes from the same login opened beside it at the same size, untimed.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CODE = "246810"


def serve(app) -> tuple[str, object, threading.Thread, socket.socket]:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread, sock


def slider(sandbox) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    from agent.core.remote_input import VIEWPORT
    from flows.browser_path import QUIET_ARGS, resolve_chromium

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=resolve_chromium(headless=True), args=list(QUIET_ARGS))
        page = browser.new_page(viewport={"width": VIEWPORT[0], "height": VIEWPORT[1]})
        page.goto(f"{sandbox.url}/p/order/index.html")
        page.locator("input[label='Email or phone number']").fill("buyer@example.com")
        page.locator("input[label='Email or phone number']").blur()
        page.get_by_role("button", name="Continue").click()
        page.locator("#fm-login-password").fill("sandbox-pass")
        page.get_by_role("button", name="Sign in", exact=True).click()
        frame = page.frame_locator("iframe#baxia-dialog-content")
        knob, track = frame.locator("#nc_1_n1z").bounding_box(), frame.locator("#nc_1_n1t").bounding_box()
        browser.close()
    return {"x": knob["x"] + knob["width"] / 2, "y": knob["y"] + knob["height"] / 2,
            "end": track["x"] + track["width"] + 20}


def one_run() -> dict[str, float]:
    import httpx
    from starlette.applications import Starlette

    from agent.config.settings import load_settings
    from agent.core.remote_input import VIEWPORT
    from agent.web.relogin import routes
    from sandbox.scenario import load_scenario
    from sandbox.server import SandboxServer

    shown = list(VIEWPORT)  # the picture at its own size: no scaling on the way
    with SandboxServer() as sandbox, tempfile.TemporaryDirectory() as home:
        demo = load_scenario()
        sandbox.load(demo.model_copy(update={"account": demo.account.model_copy(update={"email_code": CODE})}))
        sandbox.set_captcha(True)
        where = slider(sandbox)
        os.environ.update({"DISPUTE_AGENT_LOGIN": "buyer@example.com", "DISPUTE_AGENT_PASSWORD": "sandbox-pass"})
        settings = load_settings(None, site={"base_url": sandbox.url}, state={"dir": str(Path(home) / "state")})
        address, server, thread, sock = serve(Starlette(routes=routes(settings)))
        sizes: list[int] = []
        seq = 0

        with httpx.Client(base_url=f"{address}/login-again", timeout=30) as page:
            def status() -> dict:
                return page.get("/status").json()

            def wait_for(phase_text: str, limit: float = 60) -> None:
                deadline = time.monotonic() + limit
                while phase_text not in status()["message"]:
                    if time.monotonic() > deadline:
                        raise SystemExit(f"no '{phase_text}' within {limit:g} s: {status()}")
                    time.sleep(0.05)

            def next_frame() -> float:
                nonlocal seq
                asked = time.monotonic()
                while True:
                    answer = page.get("/frame", params={"after": seq})
                    if answer.status_code == 200:
                        seq = int(answer.headers["x-frame"])
                        sizes.append(len(answer.content))
                        return time.monotonic() - asked

            def pointer(phase: str, x: float, y: float) -> None:
                page.post("/input", json={"kind": "pointer", "phase": phase, "points": [[x, y]], "shown": shown})

            started = time.monotonic()
            page.post("/start")
            next_frame()
            first_frame = time.monotonic() - started
            wait_for("slider captcha")
            handed_over = time.monotonic() - started
            pointer("down", where["x"], where["y"])
            moves = []
            for step in range(1, 9):
                x = where["x"] + (where["end"] - where["x"]) * step / 8
                pointer("move", x, where["y"])
                moves.append(next_frame())  # the knob follows: a new picture
            pointer("up", where["end"], where["y"])
            wait_for("one-time code")
            page.post("/input", json={"kind": "text", "text": CODE})
            page.post("/input", json={"kind": "key", "key": "Tab"})
            enter = time.monotonic()
            page.post("/input", json={"kind": "key", "key": "Enter"})
            wait_for("logged in")
            saved = time.monotonic() - enter
        server.should_exit = True
        thread.join(5)
        sock.close()
    return {"first_frame": first_frame, "handed_over": handed_over, "move_median": statistics.median(moves),
            "move_max": max(moves), "frame_kb_median": statistics.median(sizes) / 1000,
            "frame_kb_max": max(sizes) / 1000, "saved_after_enter": saved}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    runs = parser.parse_args().runs
    for run in range(1, runs + 1):
        figures = one_run()
        print(f"run {run}: first picture {figures['first_frame']:.2f} s; handed over at the captcha "
              f"{figures['handed_over']:.2f} s; a move seen again in {figures['move_median']:.3f} s "
              f"(median, max {figures['move_max']:.3f} s); pictures {figures['frame_kb_median']:.1f} kB "
              f"(median, max {figures['frame_kb_max']:.1f} kB); saved {figures['saved_after_enter']:.2f} s "
              "after the code's Enter")


if __name__ == "__main__":
    main()
