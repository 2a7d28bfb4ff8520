"""``python -m sandbox``: run the sandbox marketplace until Ctrl-C.

``main(argv)`` is also what ``dispute-agent sandbox`` calls. A broken scenario file is
reported one problem per line (exit 2), never as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .clock import MAX_RATE
from .scenario import DEFAULT_SCENARIO, ScenarioError, load_scenario
from .server import SandboxServer


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="Run the AliExpress-shaped sandbox marketplace (pages, JSON APIs, virtual "
                    "clock, scripted sellers) for the dispute agent's tests and demo.",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1: only this machine can connect)")
    parser.add_argument("--port", type=int, default=8700,
                        help="TCP port (default 8700; 0 picks a free port)")
    parser.add_argument("--scenario", type=Path, default=None, metavar="FILE",
                        help=f"scenario TOML file (default: the built-in demo, {DEFAULT_SCENARIO.name})")
    parser.add_argument("--rate", type=float, default=None, metavar="R",
                        help="virtual seconds per real second (default: the scenario's clock.rate; "
                             "0 stops time)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.rate is not None and not 0 <= args.rate <= MAX_RATE:  # also refuses nan
        print(f"--rate must be between 0 and {MAX_RATE:,.0f}", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print("--port must be between 0 and 65535", file=sys.stderr)
        return 2
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as error:
        print(f"the scenario {error.source} cannot be used:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    server = SandboxServer(scenario, host=args.host, port=args.port, rate=args.rate, log_level="warning")
    try:
        server.start()
    except OSError as error:
        print(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}", file=sys.stderr)
        return 1
    account = scenario.account
    print(f"Sandbox marketplace '{scenario.name}' running at {server.url}/", flush=True)
    print(f"  orders:      {server.url}/p/order/index.html")
    print(f"  login:       {account.login}")
    print(f"  password:    {account.password}")
    print(f"  control API: {server.control_url}/  (state: {server.control_url}/state)")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        server.wait()
    except KeyboardInterrupt:
        print("\nStopping the sandbox…", flush=True)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
