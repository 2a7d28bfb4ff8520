"""The ``dispute-agent`` command line: thin commands that call use cases.

Heavy libraries (Playwright, SQLAlchemy, Apprise, APScheduler) are imported inside
the commands that need them, so ``dispute-agent --help`` answers at once. Every
error the agent raises on purpose becomes one line on stderr and its exit code
(``agent.core.errors``): no traceback for a problem the user can fix.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup

from agent.core.errors import ConfigError, DisputeAgentError


class _OneErrorForm(TyperGroup):
    """Every error the command line prints has one form, ``error: …`` on one line: the
    agent's own and the parser's (an unknown option, a missing argument), which Click
    would print as ``Error: …`` under a usage block."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except Exception as error:  # the parser's errors, by their shape (Click's or Typer's own copy)
            if not (hasattr(error, "format_message") and isinstance(getattr(error, "exit_code", None), int)):
                raise
            if type(error).__name__ == "NoArgsIsHelpError":  # the bare command: its help
                error.show()
                sys.exit(error.exit_code)
            typer.echo(f"error: {usage_line(error)}", err=True)
            sys.exit(error.exit_code)
        except typer.Abort:
            typer.echo("error: aborted", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


#: the commands as a newcomer meets them: start, look, act on a dispute, run unattended,
#: check and report, then the tools; a command missing here is listed after them
HELP_ORDER = ("login", "sync", "agenda", "orders", "order", "disputes", "open", "reasons", "reject", "accept",
              "escalate", "evidence", "ship-return", "poll", "log", "run", "web", "status", "healthcheck", "doctor",
              "backup", "restore", "notify-test", "feeds", "secrets", "session", "check-site", "capture", "parse",
              "demo", "sandbox", "install-browser")


class _AgentGroup(_OneErrorForm):
    """The commands in ``HELP_ORDER`` in ``--help``, not in the order they are defined."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        rank = {name: index for index, name in enumerate(HELP_ORDER)}
        return sorted(names, key=lambda name: (rank.get(name, len(HELP_ORDER)), names.index(name)))


def usage_line(error: Any) -> str:
    """A parser's message in the agent's form, with where to read how the command is used."""
    message = error.format_message().strip().rstrip(".")
    if message[:1].isupper() and message[1:2].islower():
        message = message[0].lower() + message[1:]
    ctx = getattr(error, "ctx", None)
    if ctx is not None:
        message += f"; see '{ctx.command_path} --help'"
    return message


class _NamedArguments(TyperCommand):
    """Help lists an argument by its name (``ORDER_ID``), not with its Python type
    (``ORDER_ID <str>``); options show their metavars (``--counter <amount>``)."""

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append((param.metavar or record[0].split(" ", 1)[0], record[1]))
            else:
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


class _Typer(typer.Typer):
    """Every command of the agent's command line is a :class:`_NamedArguments`."""

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", _NamedArguments)
        return super().command(*args, **kwargs)


app = _Typer(
    cls=_AgentGroup,
    name="dispute-agent",
    help="Watches AliExpress orders and disputes, files disputes correctly and warns "
    "before any deadline lapses.",
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    # an unexpected error prints a plain traceback: never the local variables (secrets)
    pretty_exceptions_show_locals=False,
)


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"dispute-agent {version('dispute-agent')}")
        except PackageNotFoundError:  # a source folder that was never installed
            typer.echo("dispute-agent (not installed: version unknown)")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _options(
    ctx: typer.Context,
    show_version: Annotated[bool, typer.Option("--version", callback=_show_version, is_eager=True,
                                               help="Print the version and exit.")] = False,
    config: Annotated[Path | None, typer.Option(
        "--config", "-c", metavar="<path>", envvar="DISPUTE_AGENT_CONFIG", show_default=False,
        help="Settings file (TOML), for any command: 'dispute-agent -c FILE sync' is 'dispute-agent sync -c FILE'.")
    ] = None,
) -> None:
    """Watches AliExpress orders and disputes, files disputes correctly and warns before any deadline lapses.

    With no command: what needs you, by when (the same as 'dispute-agent agenda').
    """
    if config is not None:  # given here or by DISPUTE_AGENT_CONFIG; a --config after the command still wins
        ctx.default_map = _config_defaults(ctx.command, config)
    if ctx.invoked_subcommand is None:
        agenda(config=config, as_json=False)


def _config_defaults(group: Any, config: Path) -> dict[str, Any]:
    """``{command: {"config": path}}`` for every command (and subcommand) that takes --config."""
    defaults: dict[str, Any] = {}
    for name, command in getattr(group, "commands", {}).items():
        if getattr(command, "commands", None):
            defaults[name] = _config_defaults(command, config)
            if any(param.name == "config" for param in command.params):  # a group that runs by itself
                defaults[name]["config"] = config
        elif any(param.name == "config" for param in command.params):
            defaults[name] = {"config": config}
    return defaults


session_app = _Typer(help="Move a logged-in browser session between machines.", no_args_is_help=True)
app.add_typer(session_app, name="session")

T = TypeVar("T")

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", metavar="<path>", show_default=False,
                 help="Settings file (TOML); default: $DISPUTE_AGENT_CONFIG, else the user's config directory."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]


def _now() -> str:
    """``now`` of a --json output that reads no database: this machine's clock."""
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat()


def _fail(message: str, code: int) -> None:
    from agent.core.site_text import plain

    typer.echo(f"error: {plain(message)}", err=True)  # a message may quote the site: no terminal codes
    raise typer.Exit(code)


def _with_next_step(error: DisputeAgentError) -> str:
    from agent.core.error_lines import with_next_step

    return with_next_step(error)


def run(action: Callable[[], T]) -> T:
    """Call a use case and turn the agent's errors into one line and an exit code."""
    try:
        return action()
    except ConfigError as error:
        if len(error.problems) > 1:  # one problem: the message says it, with its remedy, on one line
            typer.echo("error: invalid configuration", err=True)
            for problem in error.problems:
                typer.echo(f"  {problem}", err=True)
            raise typer.Exit(error.exit_code) from None
        _fail(str(error), error.exit_code)
    except DisputeAgentError as error:
        _fail(_with_next_step(error), error.exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None
    except OSError as error:  # a file of the state or the disk itself (agent.core.state_errors)
        from agent.core.state_errors import as_storage_error

        mapped = as_storage_error(error)
        if mapped is None:
            raise
        _fail(str(mapped), mapped.exit_code)
    raise AssertionError("unreachable")


def settings_from(config: Path | None):
    from agent.config.settings import load_settings

    return run(lambda: load_settings(config))


def with_browser(settings, action: Callable[[], T]) -> T:
    """Run a browser-driving use case while holding the session lock the daemon also takes."""

    def locked() -> T:
        with browser_held(settings):
            return action()

    return run(locked)


@contextmanager
def browser_held(settings) -> Iterator[None]:
    """The browser session's lock (``agent.storage.lock.browser_held``), as the page and the daemon take it."""
    from agent.storage.lock import browser_held as held

    with held(settings):
        yield


def echo_plain(line: object) -> None:
    """A progress line: it may quote the site (a refusal, a store's name), so control
    characters are written out, never sent to the terminal."""
    from agent.core.site_text import plain

    typer.echo(plain(line))


def ask(question: str) -> bool:
    """Ask the person at the terminal, letting go of the browser lock while they decide (the daemon may poll)."""
    from agent.core.errors import UserInputError
    from agent.storage.lock import released_while_asking

    if not sys.stdin.isatty():
        raise UserInputError("confirmation needed and no terminal to ask on: pass --yes")
    with released_while_asking():
        return typer.confirm(question, default=False)


def open_store(settings, *, read_only: bool = False):
    """The database; ``read_only`` for commands that only look: a snapshot, nothing on disk
    created or changed. A writing command checks first that it can write (not locked,
    not read-only), before any work on the site that could then not be saved."""
    from agent.storage.store import Store

    def opened():
        store = Store(settings.state.db_path, read_only=read_only)
        if not read_only:
            store.check_writable()
        return store

    return run(opened)


# --- the sandbox and the browser ---------------------------------------------------------


@app.command()
def sandbox(
    host: Annotated[str, typer.Option(metavar="<address>", help="Address to bind; keep 127.0.0.1 unless you mean it.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="<port>", help="Port of the www. and m. hosts (0 picks a free one).")] = 8700,
    login_port: Annotated[int, typer.Option(metavar="<port>", help="Port of the login. host (0 picks a free one).")] = 8701,
    domain: Annotated[str | None, typer.Option(metavar="<domain>", help="Parent domain of the site's host names (default "
                                                    "aliexpress.localhost, which every browser resolves "
                                                    "to this machine).")] = None,
    scenario: Annotated[Path | None, typer.Option(metavar="<file>", help="Scenario file (TOML); default: the demo world.")] = None,
    rate: Annotated[float | None, typer.Option(metavar="<rate>", help="Virtual seconds per real second (0 freezes the clock); "
                                                  "default: the scenario's clock.rate.")] = None,
) -> None:
    """Run the built-in AliExpress-shaped marketplace (for tests, the demo and trying things).

    Example: dispute-agent sandbox --port 8700, then open http://www.aliexpress.localhost:8700/
    and sign in with buyer@example.com / sandbox-pass (every browser resolves *.localhost
    to this machine).
    """
    _need_the_sandbox("sandbox")
    from sandbox.__main__ import main as sandbox_main

    argv = ["--host", host, "--port", str(port), "--login-port", str(login_port)]
    if domain is not None:
        argv += ["--domain", domain]
    if rate is not None:
        argv += ["--rate", str(rate)]
    if scenario is not None:
        argv += ["--scenario", str(scenario)]
    raise typer.Exit(sandbox_main(argv))


@app.command("install-browser")
def install_browser_command(
    executable: Annotated[str | None, typer.Option(metavar="<path>", help="Use this Chromium executable.")] = None,
    config: ConfigOption = None,
) -> None:
    """Find a Chromium to drive, installing one when none is found.

    Order: --executable, the browser.executable setting (DISPUTE_AGENT_BROWSER wins
    over the file's), then on PATH `chromium-headless-shell` (headless runs) and
    `chromium`, then Playwright's own build; if none, Playwright's download, then
    Debian's packages (as root). A Debian `chromium` gets its lighter headless shell
    added where apt has it.
    """
    from agent.usecases.browser_install import install_browser

    if executable is None:
        from agent.config.settings import load_settings

        try:
            executable = load_settings(config).browser.executable
        except ConfigError as error:
            # the browser can still be installed; the settings' problem shows up elsewhere
            typer.echo(f"warning: settings not read ({error}); browser.executable ignored", err=True)
    run(lambda: install_browser(executable, say=typer.echo))


# --- reading ---------------------------------------------------------------------------


@app.command()
def parse(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A saved API response (JSON or JSONP), or a capture bundle (.zip).",
                                         exists=False)],
    as_json: JsonOption = False,
) -> None:
    """Parse a saved API response of the site, or every answer of a capture bundle, and
    print what the agent reads from it.

    Detects the kind (order list, order detail, tracking, refund list, dispute detail,
    dispute form). The body may be JSON or JSONP (mtopjsonp1({...}), as the site answers
    its GET calls). This is how to report a page that changed: a response it cannot read
    gets an error naming the missing field, and exit code 2. A bundle ('dispute-agent
    capture') gets one line per answer: ✓ what was read, ✗ what is missing, – an API the
    agent does not read; exit code 2 when any answer could not be read.

    \b
    Examples:
      dispute-agent parse order-list.json --json
      dispute-agent parse dispute-agent-capture-20261201T090000Z.zip
    """
    from agent.cli.views import print_parsed

    if file.suffix.lower() == ".zip":
        _parse_bundle(file, as_json)
        return

    def action():
        from agent.core.errors import PageChanged, UserInputError, with_hint
        from flows.parsers.detect import detect_and_parse
        from flows.parsers.transport import decode_api_body

        try:
            data = decode_api_body(file.read_bytes(), str(file))
        except OSError as error:
            raise UserInputError(f"{file}: cannot be read ({error.strerror}); check the path") from None
        except PageChanged as error:
            raise UserInputError(f"{error}; save the response body as it came") from None
        try:
            return detect_and_parse(data)
        except PageChanged as error:  # whoever runs parse fixes the agent: the hint is theirs
            raise UserInputError(f"{file}: {with_hint(error)}") from None

    parsed = run(action)
    print_parsed(parsed, as_json)


def _parse_bundle(file: Path, as_json: bool) -> None:
    from agent.core.site_text import plain
    from agent.usecases.bundle import read_answers, read_bundle

    readings = run(lambda: read_answers(read_bundle(file)))
    if as_json:
        print(json.dumps({"now": _now(), "answers": [reading.model_dump(mode="json") for reading in readings]},
                         indent=2, ensure_ascii=False))
    else:
        for reading in readings:
            mark = {True: "✓", False: "✗", None: "–"}[reading.read]
            typer.echo(f"{mark} {reading.file}: {plain(reading.summary)}")
        unread = sum(1 for reading in readings if reading.read is False)
        typer.echo(f"{sum(1 for r in readings if r.read)} read, {unread} not readable, "
                   f"{sum(1 for r in readings if r.read is None)} not read by the agent")
    if any(reading.read is False for reading in readings):
        raise typer.Exit(2)


@app.command()
def login(
    config: ConfigOption = None,
    headed: Annotated[bool, typer.Option("--headed", help="Open a visible browser and let a person log in.")] = False,
    timeout: Annotated[int, typer.Option(metavar="<minutes>", help="Minutes to wait for a person (--headed).")] = 10,
) -> None:
    """Log in and save the browser session (0600) so later runs need no login.

    Without --headed the configured credentials are used once; a captcha or a code
    stops with a screenshot. With --headed a visible browser opens for you to log in.

    Example: dispute-agent login --headed
    """
    from agent.usecases.session import login as login_use_case

    settings = settings_from(config)
    path = with_browser(settings, lambda: login_use_case(settings, headed=headed, timeout_s=timeout * 60))
    typer.echo(f"logged in; session saved to {path}")


@session_app.command("export")
def session_export(
    dest: Annotated[Path, typer.Argument(metavar="FILE", help="File to write (keep it private: it holds live cookies).")],
    config: ConfigOption = None,
) -> None:
    """Write the saved browser session to FILE, to use it on another machine.

    Example: dispute-agent session export ~/aliexpress-session.json
    """
    from flows.session_file import export_storage_state

    settings = settings_from(config)
    path = run(lambda: export_storage_state(settings, dest))
    typer.echo(f"session written to {path} (mode 0600); import it with 'dispute-agent session import'")


@session_app.command("import")
def session_import(
    src: Annotated[Path, typer.Argument(metavar="FILE", help="A session file written by 'session export'.")],
    config: ConfigOption = None,
) -> None:
    """Use a browser session saved elsewhere (e.g. a desktop login on a headless server).

    Example: dispute-agent session import aliexpress-session.json
    """
    from flows.session_file import import_storage_state

    settings = settings_from(config)
    path = run(lambda: import_storage_state(settings, src))
    typer.echo(f"session imported to {path}")


secrets_app = _Typer(help="Keep the site's password in the keyring named by secrets.keyring_backend.",
                     no_args_is_help=True)
app.add_typer(secrets_app, name="secrets")


@secrets_app.command("set")
def secrets_set(
    login: Annotated[str | None, typer.Option(metavar="<login>", help="The account's login (default: account.login).")
                     ] = None,
    config: ConfigOption = None,
) -> None:
    """Store the site's password in the keyring, for the agent to log in by itself.

    Asks for the password without showing it (twice); without a terminal it reads one
    line from standard input. The keyring is the backend named in secrets.keyring_backend
    (a plaintext one only with secrets.allow_plaintext_keyring = true); the password is
    stored under the service 'dispute-agent' and the login.

    \b
    Examples:
      dispute-agent secrets set
      dispute-agent secrets set --login buyer@example.com
    """
    from agent.config.secrets import store_password

    settings = settings_from(config)
    account = (login or settings.account.login or "").strip()
    if not account:
        _fail("no login to store the password for: pass --login or set account.login", 2)
    if sys.stdin.isatty():
        password = typer.prompt(f"password of {account}", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    run(lambda: store_password(settings, account, password))
    typer.echo(f"password of {account} stored in the keyring ({settings.secrets.keyring_backend})")
    if settings.account.login != account:
        typer.echo(f"set account.login = \"{account}\" so the agent looks it up (it reads the keyring by login)")


feeds_app = _Typer(help="The calendar feed's secret address and the token for /metrics (served by the web page).",
                   no_args_is_help=True)
app.add_typer(feeds_app, name="feeds")


@feeds_app.command("calendar-url")
def feeds_calendar_url(
    new: Annotated[bool, typer.Option("--new", help="Make a new secret address; the old one stops working.")] = False,
    base: Annotated[str, typer.Option(metavar="<url>", help="The web page's address as the phone reaches it "
                                      "(your reverse proxy's, if any).")] = "http://127.0.0.1:8710",
    config: ConfigOption = None,
) -> None:
    """The secret address of the deadlines' calendar feed, to subscribe to on a phone.

    Anyone with the address sees your deadlines and items: share it with no one, and
    make a new one with --new if it leaked (then subscribe again).

    \b
    Examples:
      dispute-agent feeds calendar-url --base https://disputes.example.org
      dispute-agent feeds calendar-url --new
    """
    from agent.web.feed_files import calendar_secret
    from agent.web.feeds import calendar_path

    settings = settings_from(config)
    secret = run(lambda: calendar_secret(settings.state.dir, new=new))
    typer.echo(base.rstrip("/") + calendar_path(secret))


@feeds_app.command("metrics-token")
def feeds_metrics_token(config: ConfigOption = None) -> None:
    """Make a new bearer token for /metrics (the old one stops working); it is shown once.

    Only its SHA-256 is kept in the state directory: put the token in Prometheus'
    scrape config (authorization: credentials), not in a file others can read.

    Example: dispute-agent feeds metrics-token
    """
    from agent.web.feed_files import new_metrics_token

    settings = settings_from(config)
    typer.echo(run(lambda: new_metrics_token(settings.state.dir)))


@app.command()
def sync(config: ConfigOption = None) -> None:
    """Read every order and its protection timer, and the disputes, from the site into the local database.

    Logs in if needed. If the session expires half-way, what was read is kept and the
    command ends with 'login needed'. Nothing is judged or sent: 'dispute-agent' then
    shows what needs you; 'poll' also alerts.
    """
    from agent.cli.views import PollProgress
    from agent.usecases.poll import read_disputes
    from agent.usecases.sync import credentials_provider, sync_orders

    settings = settings_from(config)
    store = open_store(settings)

    def read_both():
        from flows.browser import BrowserSession

        credentials = credentials_provider(settings)
        with BrowserSession(settings) as session, PollProgress() as progress:
            report = sync_orders(settings, store, progress, credentials=credentials, session=session)
            return report, read_disputes(settings, store, session, echo_plain, credentials, progress=progress)

    report, disputes = with_browser(settings, read_both)
    older = (f"; {report.settled_unread} older settled orders not read again (the whole list is read weekly)"
             if report.settled_unread else "")
    typer.echo(f"{report.orders} orders read ({report.details} detail pages, from the {report.source}) and "
               f"{disputes} open dispute{'s' if disputes != 1 else ''}{older}; stored in {settings.state.db_path}")


@app.command()
def agenda(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """What needs you, by when: open disputes and orders whose protection is running out, soonest first.

    Each shows the item, the amount, the seller's last offer and words, what to do and the
    command that does it. It reads what the last 'sync' or 'poll' stored; the site is not
    visited. 'dispute-agent' with no command shows the same.

    \b
    Examples:
      dispute-agent
      dispute-agent agenda --json
    """
    from agent.cli.views import print_agenda
    from agent.judge.agenda import build_agenda, freshness
    from agent.usecases.poll import watch_state
    from agent.usecases.sync import site_clock

    settings = settings_from(config)
    store = open_store(settings, read_only=True)
    state, now = watch_state(store), site_clock(store)()
    print_agenda(build_agenda(state, now, settings.policy), now, as_json, settings.zone,
                 freshness(state.health, settings.zone, bool(state.orders)))


@app.command()
def orders(
    config: ConfigOption = None,
    show_all: Annotated[bool, typer.Option("--all", help="Also orders whose protection is over or unknown.")] = False,
    as_json: JsonOption = False,
) -> None:
    """List stored orders by protection end, most urgent first (run 'sync' to refresh).

    Colours: red ≤ 3 days left, orange ≤ 7, yellow ≤ 15.
    """
    from agent.cli.views import print_orders
    from agent.storage.dispute_records import DisputeRecords
    from agent.usecases.sync import site_clock

    settings = settings_from(config)
    store = open_store(settings, read_only=True)
    print_orders(store.orders(), site_clock(store)(), show_all, as_json, settings.zone,
                 DisputeRecords(store).by_order())


@app.command()
def order(
    order_id: Annotated[str, typer.Argument(metavar="ORDER_ID", help="The order's id as the site shows it.")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one stored order in full, with the history of its timer and status."""
    from agent.cli.views import print_order
    from agent.core.errors import UserInputError
    from agent.core.ids import check_id
    from agent.storage.dispute_records import DisputeRecords
    from agent.usecases.sync import site_clock

    order_id = run(lambda: check_id(order_id, "ORDER_ID"))
    settings = settings_from(config)
    store = open_store(settings, read_only=True)
    stored = store.order(order_id)
    if stored is None:
        run(lambda: (_ for _ in ()).throw(UserInputError(
            f"unknown order id {order_id!r}; run 'dispute-agent sync' or check 'dispute-agent orders --all'")))
    print_order(stored, site_clock(store)(), as_json, settings.zone, DisputeRecords(store).by_order().get(order_id, []))


# --- filing -------------------------------------------------------------------------------


@app.command()
def reasons(as_json: JsonOption = False) -> None:
    """List the dispute reasons per branch, with the keys 'open --reason' takes."""
    from agent.core.reasons import Branch, reasons_for

    if as_json:
        print(json.dumps({"now": _now(), **{branch.value: [{"key": r.key, "label": r.label, "summary": r.summary}
                                                           for r in reasons_for(branch)] for branch in Branch}},
                         indent=2))
        return
    for branch, flag in ((Branch.NOT_RECEIVED, "--not-received"), (Branch.RECEIVED, "--received")):
        typer.echo(f"{flag} (package {'not ' if branch is Branch.NOT_RECEIVED else ''}received):")
        for reason in reasons_for(branch):
            typer.echo(f"  {reason.key:20} {reason.label}")


@app.command("open")
def open_command(
    order_id: Annotated[str, typer.Argument(metavar="ORDER_ID", help="The order to dispute.")],
    reason: Annotated[str, typer.Option("--reason", "-r", metavar="<key>", help="Reason key (see 'dispute-agent reasons').")],
    received: Annotated[bool | None, typer.Option("--received/--not-received",
                                                  help="Did the package arrive? (required)")] = None,
    refund: Annotated[str, typer.Option(metavar="full|partial", help="'full' or 'partial' (with --amount).")] = "full",
    amount: Annotated[str | None, typer.Option(metavar="<amount>", help="Partial refund, in the order's currency, e.g. 12.50.")] = None,
    with_return: Annotated[bool, typer.Option("--return", help="Offer to send the item back (received only).")] = False,
    message: Annotated[str | None, typer.Option(metavar="<text>", help="Your words, ADDED after the pre-filled English text.")] = None,
    message_file: Annotated[Path | None, typer.Option(metavar="<file>", help="Read your words from a file (same as --message).")] = None,
    replace_message: Annotated[bool, typer.Option("--replace-message",
                                                  help="Use only your words instead of the pre-filled text.")] = False,
    attach: Annotated[list[Path] | None, typer.Option(metavar="<file>", help="A photo or video; repeat for more.")] = None,
    line: Annotated[list[str] | None, typer.Option(metavar="<id>", help="Item (order line) id; repeat for several.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Fill the form, save a screenshot, do not submit.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    force: Annotated[bool, typer.Option(help="Go past the monthly limit of disputes.")] = False,
    config: ConfigOption = None,
) -> None:
    """Open a dispute: pre-filled English text, the right reason, evidence attached.

    Shows the whole form (order, item, reason, solution, amount, text, files with their
    final sizes) and asks before anything is typed into the site. A run interrupted after
    submitting is resolved on the next run: the case is found and linked, never filed twice.

    \b
    Examples:
      dispute-agent open 8215000000000004 --not-received --reason not_arrived --attach tracking.png
      dispute-agent open 8215000000000010 --received --reason damaged --refund partial --amount 20 --return
    """
    from agent.cli.views import print_plan
    from agent.usecases.filing import OpenRequest, open_dispute

    if received is None:
        _fail("say whether the package arrived: --received or --not-received", 2)
    if message_file is not None:
        if message is not None:
            _fail("use --message or --message-file, not both", 2)
        try:
            message = message_file.read_text(encoding="utf-8")
        except OSError as error:
            _fail(f"{message_file}: cannot be read ({error.strerror})", 2)
        except UnicodeDecodeError as error:
            from agent.core.state_errors import not_utf8

            _fail(f"{message_file}: {not_utf8(error)}; --message-file takes your words as UTF-8 text", 2)
    settings = settings_from(config)
    store = open_store(settings)
    request = OpenRequest(order_id=order_id.strip(), received=received, reason=reason, refund=refund, amount=amount,
                          with_return=with_return, message=message, replace_message=replace_message,
                          attach=tuple(attach or ()), lines=tuple(line or ()), dry_run=dry_run, force=force)

    def confirm(plan) -> bool:
        print_plan(plan, dry_run)
        return yes or dry_run or ask("Submit this dispute?")

    outcomes = with_browser(settings, lambda: open_dispute(settings, store, request, confirm, say=echo_plain))
    for outcome in outcomes:
        if outcome.dry_run:
            typer.echo(f"dry run: the form was filled and not submitted; screenshot in {outcome.evidence[0]}")
        elif outcome.reverse_line_id and not outcome.linked:
            typer.echo(f"dispute {outcome.reverse_line_id} opened; evidence in {outcome.evidence[-1]}")


@app.command("log")
def log_command(
    order_id: Annotated[str | None, typer.Argument(metavar="ORDER_ID", help="Only this order.")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """What the agent did on the site, with the folders of its screenshots."""
    from agent.cli.views import print_log
    from agent.core.ids import check_id
    from agent.storage.dispute_records import DisputeRecords
    from agent.usecases.sync import site_clock

    if order_id is not None:
        order_id = run(lambda: check_id(order_id, "ORDER_ID"))
    settings = settings_from(config)
    store = open_store(settings, read_only=True)
    print_log(DisputeRecords(store).audit_entries(order_id), as_json, settings.zone, site_clock(store)())


# --- notifications ------------------------------------------------------------------------


@app.command("notify-test")
def notify_test(
    channel: Annotated[str | None, typer.Argument(metavar="CHANNEL", help="Only this channel (default: every channel).")] = None,
    config: ConfigOption = None,
) -> None:
    """Send a test message to the notification channels and report on each.

    One line per channel: 'ok', or 'failed' with the reason (passwords and tokens
    masked). Exit code 1 if any channel failed, 2 if CHANNEL is not configured.

    \b
    Examples:
      dispute-agent notify-test
      dispute-agent notify-test mail
    """
    from agent.core.clock import system_now
    from agent.notifications.notify import Notifier

    settings = settings_from(config)
    notifier = run(lambda: Notifier(settings.notifications))
    names = notifier.channel_names
    if not names:
        _fail("no notification channels configured; add a [[notifications.channels]] table "
              "(every key is described in config/agent.example.toml)", 2)
    if channel is not None and channel not in names:
        _fail(f"unknown channel {channel!r}; known channels: {', '.join(names)}", 2)
    results = notifier.send_test([channel] if channel is not None else None, system_now())
    for result in results:
        typer.echo(result.line())
    if not all(result.ok for result in results):
        raise typer.Exit(1)


# --- watching disputes ---------------------------------------------------------------------


DisputeId = Annotated[str, typer.Argument(metavar="DISPUTE_ID", help="The dispute's id (see 'dispute-agent disputes').")]


@app.command()
def poll(config: ConfigOption = None,
         no_deliver: Annotated[bool, typer.Option("--no-deliver", help="Judge and record, but send nothing.")] = False,
         ) -> None:
    """Read orders and disputes, judge them, act on zero offers if the policy says so, notify.

    A one-shot run of what the daemon does on its schedule, with progress on stderr and
    one summary line at the end. The browser lock is let go before messages are sent.
    Exit code 1 when the site could not be read (the failure is counted and reported by
    the rules).
    """
    from agent.cli.views import PollProgress
    from agent.usecases.poll import poll as poll_use_case

    settings = settings_from(config)
    store = open_store(settings)
    with PollProgress() as progress:
        report = run(lambda: poll_use_case(settings, store, settings.policy, say=echo_plain, deliver=not no_deliver,
                                           browser_lock=lambda: browser_held(settings), progress=progress))
    from agent.notifications.message_groups import as_told

    for alert in as_told(report.new_alerts, settings.zone):
        echo_plain(f"[{alert.severity.value}] {alert.title}")  # an offer and what was done about it: one line
    typer.echo(report.summary_line())
    if not report.read_ok:
        raise typer.Exit(1)


@app.command()
def disputes(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """The disputes the agent knows: status, last offer (zero offers in red), next deadline, what to do.

    Run 'dispute-agent poll' to refresh them from the site.
    """
    from agent.cli.views import print_disputes
    from agent.usecases.poll import watch_state
    from agent.usecases.sync import site_clock

    settings = settings_from(config)
    store = open_store(settings, read_only=True)
    print_disputes(watch_state(store), site_clock(store)(), settings.policy, as_json, settings.zone)


def _act(config: Path | None, dispute_id: str, action: str, **kwargs: Any) -> None:
    from agent.core.site_text import plain
    from agent.usecases.acting import act

    settings = settings_from(config)
    store = open_store(settings)
    detail = with_browser(settings, lambda: act(settings, store, dispute_id.strip(), action, say=echo_plain,
                                                **kwargs))
    if detail is not None:
        typer.echo(f"done: dispute {detail.reverse_line_id} is now '{plain(detail.stage_text or detail.stage.value)}'")


@app.command()
def escalate(dispute_id: DisputeId, config: ConfigOption = None) -> None:
    """Ask the platform to decide the dispute, where the dispute page offers that.

    Today's page usually offers no escalation: AliExpress steps in by itself. Then
    nothing is done and one line says when it is expected to (exit code 2).

    Example: dispute-agent escalate 6400000000000001
    """
    _act(config, dispute_id, "escalate")


@app.command()
def reject(
    dispute_id: DisputeId,
    counter: Annotated[str | None, typer.Option(metavar="<amount>", help="Your counter-offer in the dispute's currency, e.g. 12.50, "
                                                "exactly (no more decimals than the currency has); a currency "
                                                "named with it (12.50 EUR) must be the dispute's or it is refused.")
                       ] = None,
    message: Annotated[str | None, typer.Option(metavar="<text>", help="Why you reject it (English).")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    config: ConfigOption = None,
) -> None:
    """Reject the seller's offer, optionally with a counter-offer; asks first (--yes skips it).

    Example: dispute-agent reject 6400000000000001 --counter 40 --message "The item never arrived."
    """
    from agent.core.site_text import plain
    from agent.usecases.amounts import parse_amount

    amount = currency = None
    if counter is not None:
        amount, currency = run(lambda: parse_amount(counter, "--counter"))

    def confirm(detail, offer) -> bool:
        shown = (f"{offer.refund} ({plain(offer.solution_type_text or 'solution unknown')})"
                 if offer is not None and offer.refund is not None else "no offer waiting for an answer")
        answer = f"with a counter-offer of {amount}" if amount is not None else "without a counter-offer"
        typer.echo(f"Offer on dispute {detail.reverse_line_id}: {shown}. You reject it {answer}.")
        return yes or ask("Reject this offer?")

    _act(config, dispute_id, "reject", amount=amount, currency=currency, message=message or "", confirm=confirm)


@app.command()
def evidence(
    dispute_id: DisputeId,
    attach: Annotated[list[Path] | None, typer.Option(metavar="<file>", help="A photo or video; repeat for more.")] = None,
    message: Annotated[str | None, typer.Option(metavar="<text>", help="A note to go with the files.")] = None,
    config: ConfigOption = None,
) -> None:
    """Add evidence to a dispute (photos, a video, a message); big photos are resized first.

    Example: dispute-agent evidence 6400000000000001 --attach label.jpg --message "The parcel label."
    """
    _act(config, dispute_id, "evidence", files=tuple(attach or ()), message=message or "")


@app.command("ship-return")
def ship_return(
    dispute_id: DisputeId,
    tracking: Annotated[str, typer.Option(metavar="<number>", help="The return parcel's tracking number.")],
    config: ConfigOption = None,
) -> None:
    """Enter the tracking number of an agreed return (without it in time, the seller keeps the money).

    Example: dispute-agent ship-return 6400000000000001 --tracking RR123456789CN
    """
    _act(config, dispute_id, "ship_return", tracking_number=tracking.strip())


@app.command()
def accept(
    dispute_id: DisputeId,
    accept_zero: Annotated[bool, typer.Option("--accept-zero", help="Allow accepting an offer of nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    config: ConfigOption = None,
) -> None:
    """Accept the offer on the table. This closes the dispute for good.

    A zero offer is refused unless --accept-zero. The agent never accepts anything on its own.
    """
    from agent.core.site_text import plain

    def confirm(detail, offer) -> bool:
        typer.echo(f"Offer on dispute {detail.reverse_line_id}: {offer.refund} "
                   f"({plain(offer.solution_type_text or 'solution unknown')}). Accepting closes the dispute for good.")
        return yes or ask("Accept this offer?")

    _act(config, dispute_id, "accept", accept_zero=accept_zero, confirm=confirm)


@app.command()
def demo(
    keep_state: Annotated[Path | None, typer.Option(metavar="<dir>", help="Keep the demo's state in this folder.")] = None,
    web: Annotated[bool, typer.Option("--web", help="At the end, serve the page over the demo's state and print "
                                      "its address; the sandbox keeps running behind it.")] = False,
    web_minutes: Annotated[float, typer.Option(min=0.1, metavar="<minutes>", help="How long --web keeps the page "
                                               "and the sandbox up (Ctrl-C ends sooner).")] = 15,
) -> None:
    """Show the agent at work on the built-in sandbox: log in, read every order and its timer.

    Starts the sandbox on a free port, runs the real agent against it in a headless
    browser, prints what it found, and stops everything it started. With --web it ends by
    printing the page's sign-in address and keeps the demo explorable in a browser for
    --web-minutes before stopping.

    \b
    Examples:
      dispute-agent demo
      dispute-agent demo --web --web-minutes 30
    """
    _need_the_sandbox("demo")
    from agent.cli.demo import run_demo

    raise typer.Exit(run(lambda: run_demo(keep_state, say=echo_plain, web_minutes=web_minutes if web else None)))


def _need_the_sandbox(command: str) -> None:
    """The container image leaves the sandbox out (the daemon never needs it)."""
    from importlib.util import find_spec

    try:
        present = find_spec("sandbox") is not None
    except ImportError:
        present = False
    if not present:
        _fail(f"'{command}' needs the sandbox, which this installation leaves out (the container image does): "
              "run it from a checkout of the project (pip install -e .)", 2)


@app.command("run")
def run_command(
    config: ConfigOption = None,
    log_level: Annotated[str, typer.Option(metavar="<level>", help="DEBUG, INFO, WARNING or ERROR.", envvar="DISPUTE_AGENT_LOG_LEVEL")] = "INFO",
    log_format: Annotated[str, typer.Option(metavar="<format>", envvar="DISPUTE_AGENT_LOG_FORMAT",
                                            help="text (one line per event) or json (one object per line).")] = "text",
) -> None:
    """Run the daemon: daily poll, frequent polls near deadlines, reminders, notifications.

    One daemon per state directory. Stop it with Ctrl-C or SIGTERM (exit 0). Logs go to
    stdout, one line per event; under systemd (or with DISPUTE_AGENT_LOG_TIMESTAMPS=0)
    without a time of their own, as journald and Docker add one. With web.enabled = true it
    also serves the page (as 'dispute-agent web' does), which then needs a password or a
    trusted proxy. Example: dispute-agent run --log-level DEBUG --log-format json
    """
    from agent.usecases.daemon import run_daemon

    if log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        _fail(f"--log-level {log_level!r}: use DEBUG, INFO, WARNING or ERROR", 2)
    if log_format.lower() not in ("text", "json"):
        _fail(f"--log-format {log_format!r}: use text or json", 2)
    settings = settings_from(config)
    from agent.web.serve import start_page

    raise typer.Exit(run(lambda: run_daemon(settings, log_level, log_format.lower(), page=start_page)))


web_app = _Typer()
app.add_typer(web_app, name="web")


@web_app.callback(invoke_without_command=True)
def web(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(metavar="<address>", help="Address to listen on (default: web.host, "
                                             "127.0.0.1); another needs a password or a trusted proxy.")] = None,
    port: Annotated[int | None, typer.Option(metavar="<port>", help="Port (default: web.port, 8710; 0 picks a "
                                             "free one).")] = None,
    config: ConfigOption = None,
) -> None:
    """Serve the page: what needs you, each dispute (reject, accept, escalate, add photos),
    orders, status and the log, usable from a phone.

    Listens on 127.0.0.1 unless told otherwise. Sign-in is by the password set with
    'dispute-agent web password', or by a trusted reverse proxy's header (web.proxy_header,
    web.trusted_proxies). With neither, it serves only on a loopback address and prints
    a sign-in address that works while this command runs. 'dispute-agent run' serves the
    same page beside the scheduler when web.enabled = true. Ctrl-C stops it.

    \b
    Examples:
      dispute-agent web
      dispute-agent web password && dispute-agent web --host 0.0.0.0 --port 8710
    """
    if ctx.invoked_subcommand is not None:
        return
    from agent.web.serve import foreground

    settings = settings_from(config)
    raise typer.Exit(run(lambda: foreground(settings, host if host is not None else settings.web.host,
                                            port if port is not None else settings.web.port, say=echo_plain)))


@web_app.command("password")
def web_password(
    config: ConfigOption = None,
    print_only: Annotated[bool, typer.Option("--print", help="Print the hash instead of writing it (for a read-only "
                                             "file or DISPUTE_AGENT_WEB__PASSWORD_HASH).")] = False,
) -> None:
    """Set the page's password: asked twice, stored as an argon2 hash in the settings file.

    The hash goes to [web] password_hash of the file given with --config (else the
    user's agent.toml); the password itself is written nowhere. Without a terminal it
    reads one line from standard input. Restart the page (and 'dispute-agent run') after.

    \b
    Examples:
      dispute-agent web password
      dispute-agent web password --config /etc/dispute-agent/agent.toml
      docker compose run --rm agent dispute-agent web password --print
    """
    from agent.config.settings import default_config_file
    from agent.web.auth import hash_password, write_password_hash

    settings = settings_from(config)
    target = settings.config_file or config or default_config_file()
    if sys.stdin.isatty():
        password = typer.prompt("the page's password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    hashed = run(lambda: hash_password(password))
    if print_only:
        typer.echo(hashed)
        return
    run(lambda: write_password_hash(Path(target), hashed))
    typer.echo(f"the password's hash is in {target} ([web] password_hash); restart the page to use it")


# --- operations ---------------------------------------------------------------------------


@app.command()
def status(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """What the agent is doing: daemon, last poll, failures, next runs, alerts, outbox, session.

    Reads the database and the daemon's heartbeat; changes nothing. The --json fields
    are listed in the README ("Run it on a home server").

    \b
    Examples:
      dispute-agent status
      dispute-agent status --json
    """
    from agent.usecases.ops import format_status, status_report

    settings = settings_from(config)
    store = open_store(settings, read_only=True)
    try:
        report = status_report(settings, store)
    finally:
        store.close()
    if as_json:
        print(json.dumps(report, indent=2))
        return
    for line in format_status(report, settings.zone):
        typer.echo(line)


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The zip file to write (replaced if it exists).")],
    config: ConfigOption = None,
) -> None:
    """Write the agent's state to one zip file: database, saved session, settings without secrets.

    Safe while the daemon runs (SQLite's online backup). Secrets are NOT in it: the
    channel URLs and tokens are cut from the settings copy, and the site password in
    the keyring stays there. The file is private (0600). See docs/RUNBOOK.md.

    \b
    Example:
      dispute-agent backup ~/dispute-agent-$(date +%F).zip
    """
    from agent.usecases.state_backup import backup_state

    settings = settings_from(config)
    report = run(lambda: backup_state(settings.state.dir, settings.state.db_path, settings.state.sessions_dir,
                                      settings.config_file, file))
    typer.echo(f"wrote {report.file}: the database (schema {report.schema_revision}), {report.sessions} saved "
               f"session(s){', the settings without secrets' if report.settings else ''}; no password or channel "
               "URL is in it")
    if report.sessions:
        typer.echo("the saved sessions are your AliExpress login: keep this file like a password")


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A zip file made by 'dispute-agent backup'.")],
    config: ConfigOption = None,
) -> None:
    """Put a backup in place of the state; the current state is kept aside first.

    Refuses while the daemon runs (stop it first). Checks the backup, keeps the current
    database and sessions under <state>/backups/, migrates an older backup, and says
    what it did. The settings copy goes to <state>/restored-settings.toml: your
    settings file is not overwritten.

    \b
    Example:
      dispute-agent restore ~/dispute-agent-2026-11-30.zip
    """
    from agent.usecases.state_backup import restore_state

    settings = settings_from(config)
    run(lambda: restore_state(file, settings.state.dir, settings.state.db_path, settings.state.sessions_dir,
                              say=echo_plain))


@app.command()
def healthcheck(
    max_poll_age_hours: Annotated[float, typer.Option(min=0.001, metavar="<hours>", help="Unhealthy when the last successful "
                                                    "poll is older than this.")] = 36,
    max_heartbeat_age_minutes: Annotated[float, typer.Option(min=0.1, metavar="<minutes>", help="Unhealthy when the daemon's "
                                                           "heartbeat is older than this.")] = 10,
    config: ConfigOption = None,
) -> None:
    """Exit 0 if the daemon is alive and its polls succeed, else 1; prints one line.

    For Docker's HEALTHCHECK and any monitor. Fast and light: it reads
    <state>/heartbeat.json and the database (read-only), nothing else. A daemon that
    has not polled successfully yet is healthy for --max-poll-age-hours after it started.

    \b
    Examples:
      dispute-agent healthcheck
      dispute-agent healthcheck --max-poll-age-hours 6 || echo "dispute-agent needs a look"
    """
    from datetime import UTC, datetime, timedelta

    from agent.usecases.ops import healthcheck as check_health
    from agent.usecases.ops import resolve_state_dir

    try:
        state_dir = resolve_state_dir(config)
    except (OSError, ValueError) as error:
        typer.echo(f"unhealthy: {error}")
        raise typer.Exit(1) from None
    ok, line = check_health(state_dir, datetime.now(UTC), timedelta(hours=max_poll_age_hours),
                            timedelta(minutes=max_heartbeat_age_minutes))
    typer.echo(line)
    raise typer.Exit(0 if ok else 1)


@app.command()
def doctor(
    config: ConfigOption = None,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Do not start Chromium (skips that check).")] = False,
    as_json: JsonOption = False,
) -> None:
    """Check this machine is ready to run unattended, one line per check with its fix.

    Config, state directory (private), database, browser (started headless), keyring
    backend, credentials (never printed), saved session, each notification channel.
    ✓ fine, ✗ failed, – skipped. Exit code 1 if any check failed. Visits no site and
    sends nothing.

    \b
    Examples:
      dispute-agent doctor
      dispute-agent doctor --no-browser --config /etc/dispute-agent/agent.toml
      dispute-agent doctor --json | jq '.checks[] | select(.ok == false)'
    """
    from agent.config.settings import EXAMPLE_FILE, load_settings
    from agent.usecases.doctor import Check, format_check
    from agent.usecases.doctor import doctor as run_doctor

    try:
        settings = load_settings(config)
        checks = run_doctor(settings, launch_browser=not no_browser)
    except ConfigError as error:  # reported as the first failed check, not as an error exit
        checks = [Check("config", False, "; ".join(error.problems) or str(error),
                        f"fix each key where it is set (every key is described in {EXAMPLE_FILE})")]
    failed = any(check.ok is False for check in checks)
    if as_json:
        print(json.dumps({"now": _now(), "ok": not failed,
                          "checks": [{"check": c.name, "ok": c.ok, "detail": c.detail, "fix": c.fix or None}
                                     for c in checks]}, indent=2, ensure_ascii=False))
    else:
        for check in checks:
            typer.echo(format_check(check))
    if failed:
        raise typer.Exit(1)


@app.command("check-site")
def check_site(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Check, read-only, that the live site still looks as the agent assumes; one line each.

    Visits with the saved session the order list (two pages), an order's page and its
    tracking, the dispute list and each open dispute's page; clicks nothing that changes
    anything and never logs in (a session that is gone is a ✗ on the login line: run
    'dispute-agent login'). For each API, answer format, field, selector, text and the
    page language: ✓ holds, ✗ differs (with what was seen), – not reachable now (no open
    dispute, …). Exit code 0 when nothing differs, 1 otherwise. The --json fields are
    listed in the README ("Check the site").

    \b
    Examples:
      dispute-agent check-site
      dispute-agent check-site --json | jq '.checks[] | select(.verdict == "differs")'
    """
    from agent.usecases.site_check import check_site as check_site_use_case
    from agent.usecases.site_check import format_report

    settings = settings_from(config)
    report = with_browser(settings, lambda: check_site_use_case(settings))
    if as_json:
        print(json.dumps({"now": _now(), **report.model_dump(mode="json")}, indent=2))
    else:
        for line in format_report(report):
            typer.echo(line)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def capture(
    config: ConfigOption = None,
    out: Annotated[Path | None, typer.Option("--out", metavar="<file>", help="The zip to write (default: dispute-agent-capture-<time>.zip here).",
                                             dir_okay=False)] = None,
    from_evidence: Annotated[Path | None, typer.Option(
        "--from-evidence", metavar="<dir>", help="Make the bundle from a failure's evidence folder instead of visiting the site.",
        file_okay=False)] = None,
    also_remove: Annotated[list[str] | None, typer.Option(
        "--also-remove", metavar="<word>",
        help="A word to take out too (your name as the site greets you, a nickname); repeat it.")] = None,
) -> None:
    """Record what the agent sees of the live site into one anonymised zip to attach to a report.

    The same read-only pass as 'check-site' (order list, an order and its tracking, the
    dispute list, each open dispute's page) with the saved session; every API answer
    (JSONP unwrapped) and each page's HTML go into the zip with a manifest. Before anything
    is written, names, addresses, phone numbers, e-mail addresses, the login, cookies,
    tokens and signatures are removed, and order, line, case, product and parcel ids are
    replaced by fake ones (the same id always by the same fake); money, dates, statuses
    and texts are kept. Screenshots are never included. Read the bundle back with
    'dispute-agent parse FILE.zip'. With --from-evidence, the bundle is made from the
    folder a failure left (its page, error and API answers), without the browser.

    \b
    Examples:
      dispute-agent capture
      dispute-agent capture --out report.zip --also-remove "Jane"
      dispute-agent capture --from-evidence ~/.local/state/dispute-agent/evidence/20261201T090000Z-orders
    """
    from agent.usecases.bundle import counted
    from agent.usecases.capture import (
        capture_evidence,
        capture_site,
        default_bundle_path,
    )

    settings = settings_from(config)
    target = out or default_bundle_path()
    extra = also_remove or []
    if from_evidence is not None:
        report = run(lambda: capture_evidence(settings, from_evidence, target, also_remove=extra))
    else:
        def visited(step: str) -> None:
            typer.echo(f"  recorded: {step}", err=True)

        typer.echo("visiting the site read-only with the saved session…", err=True)
        report = with_browser(settings, lambda: capture_site(settings, target, also_remove=extra, progress=visited))
    for line in report.skipped:
        typer.echo(f"– not recorded: {line}")
    if report.stopped:
        typer.echo(f"the pass stopped early: {report.stopped}")
    replaced = ", ".join(counted(count, kind) for kind, count in report.anonymised.items() if kind != "ids") or "nothing"
    typer.echo(f"wrote {report.path}: {report.pages} pages, {report.answers} API answers; replaced {replaced}; "
               f"{report.anonymised.get('ids', 0)} ids remapped")
    typer.echo("look through it before sending (it is a zip of text files); "
               f"check what the agent reads from it: dispute-agent parse {shlex.quote(str(report.path))}")


def main(argv: list[str] | None = None) -> Any:
    from agent.storage.private_files import use_private_umask

    use_private_umask()  # the state directory's files: the session, the database, screenshots
    try:
        return app(args=argv, prog_name="dispute-agent")
    except Exception as error:  # noqa: BLE001 — the last resort, for what ``run`` was not given
        from agent.cli.crash_report import last_resort

        code, line = last_resort(error)
        typer.echo(f"error: {line}", err=True)
        sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
