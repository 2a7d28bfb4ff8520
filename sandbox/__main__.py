"""``python -m sandbox``: run the sandbox marketplace until Ctrl-C.

``main(argv)`` is also what ``dispute-agent sandbox`` calls. A broken scenario file is
reported one problem per line (exit 2), never as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .clock import MAX_RATE
from .origins import DEFAULT_DOMAIN
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
                        help="TCP port of the www. and m. hosts (default 8700; 0 picks a free port)")
    parser.add_argument("--login-port", type=int, default=8701,
                        help="TCP port of the login. host (default 8701; 0 picks a free port)")
    parser.add_argument("--domain", default=DEFAULT_DOMAIN,
                        help=f"parent domain of the site's host names (default {DEFAULT_DOMAIN}, "
                             "which every browser resolves to this machine)")
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
    for name, port in (("--port", args.port), ("--login-port", args.login_port)):
        if not 0 <= port <= 65535:
            print(f"{name} must be between 0 and 65535", file=sys.stderr)
            return 2
    if args.port == args.login_port and args.port != 0:
        print("--port and --login-port must differ", file=sys.stderr)
        return 2
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as error:
        print(f"the scenario {error.source} cannot be used:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    server = SandboxServer(scenario, host=args.host, port=args.port, login_port=args.login_port,
                           domain=args.domain, rate=args.rate, log_level="warning")
    try:
        server.start()
    except OSError as error:
        print(f"cannot listen on {args.host} (ports {args.port} and {args.login_port}): "
              f"{error.strerror or error}", file=sys.stderr)
        return 1
    account = scenario.account
    print(f"Sandbox marketplace '{scenario.name}' running at {server.url}/", flush=True)
    print(f"  orders:      {server.url}/p/order/index.html")
    print(f"  disputes:    {server.mobile_url}/p/refund-dispute/list.html")
    print(f"  sign-in:     {server.login_url}/")
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
