"""China–Russia Brief — command-line entry point.

    python bot.py console                 interactive briefing in the terminal
    python bot.py say [--json] CMD...     run commands, print the replies
    python bot.py digest [--as-of DATE]   print the daily digest
    python bot.py ingest PATH...          load sanctions lists or trade files
    python bot.py fetch [FEED...]         fetch the live data feeds now (docs/feeds.md)
    python bot.py run [--platform P]      start the bot with its scheduled digest
    python bot.py doctor [--json]         check the database, its schema and the delivery ledger
    python bot.py migrate                 upgrade the database schema now (every command does
                                          it at start)
    python bot.py rekey [--new-key]       re-encrypt the stored Slack tokens with the first
                                          TOKEN_ENCRYPTION_KEY (or print a new key)
    python bot.py comtrade [--monthly] YEAR...
                                          fetch and load UN Comtrade figures (COMTRADE_API_KEY)

Thin by design: parse arguments, load settings, wire the pieces, start.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from briefing.appstate import Briefing
    from briefing.command_table import CommandTable

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="China–Russia Brief: China–Russia trade and sanctions, with sources, in your chat.",
)


def _load(*, seed: bool = False) -> Briefing:
    """Settings, data pack and database, or a clear error and exit code 2.

    ``seed``: the console-side commands load the bundled OFAC lists into an empty database.
    """
    from briefing.appstate import Briefing
    from briefing.datapack import DataPackError
    from briefing.migrations import SchemaTooNewError
    from briefing.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from briefing.security.redact import install_redaction, secret_values

    # No token or secret reaches a log line, on any platform, at any level.
    install_redaction(secret_values(settings))
    # The scheduler and the SDKs are chatty at INFO and may echo request details at DEBUG.
    for noisy in ("apscheduler", "slack_sdk", "slack_bolt", "urllib3", "waitress", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    try:
        brief = Briefing.load(settings)  # upgrades the database schema first, under a lock
    except (DataPackError, SchemaTooNewError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if seed and settings.seed_bundled_lists:
        _seed(brief)
    return brief


def _seed(brief: Briefing) -> None:
    from briefing.ingest_types import IngestError
    from briefing.seed import bundled_lists, has_sanctions_data, seed_bundled

    if has_sanctions_data(brief) or not bundled_lists(brief.settings.data_dir):
        return
    typer.echo("First start: loading the bundled OFAC SDN lists (a few seconds)…", err=True)
    try:
        seed_bundled(brief, datetime.now(UTC))
    except IngestError as exc:
        typer.echo(f"warning: the bundled lists did not load: {exc}", err=True)


def _command_table() -> CommandTable:
    """The ``/brief`` subcommands, handed to the platform adapter: the one place that wires
    the handlers to a platform."""
    # Imported here, like every command's own modules: the handlers (and the data libraries
    # they load) cost half a second that `migrate`, `doctor` and `--help` need not pay.
    from handlers import TABLE

    return TABLE


def _today(tz_name: str) -> date:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(tz_name)).date()


@app.command()
def console() -> None:
    """Chat with the bot in the terminal (no tokens needed)."""
    from briefing.platforms.console import interactive

    brief = _load(seed=True)
    tz = brief.settings.timezone
    interactive(
        brief,
        _command_table(),
        lambda: _today(tz),
        Path(brief.settings.chart_dir).parent / "console_history",
    )


@app.command()
def say(
    commands: Annotated[list[str], typer.Argument(help='Commands, e.g. "/brief trade 2024"')],
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON array of replies")
    ] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Answer as of YYYY-MM-DD")] = None,
) -> None:
    """Run each command and print its reply, in order."""
    from briefing.platforms.console import say as say_commands

    brief = _load(seed=True)
    today = _parse_day(as_of) if as_of else _today(brief.settings.timezone)
    say_commands(brief, _command_table(), commands, today, as_json=json_output, out=sys.stdout)


@app.command()
def digest(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Digest as of YYYY-MM-DD")] = None,
) -> None:
    """Print the daily digest (today's, or as it stood on --as-of)."""
    from briefing.daily_digest import build_digest
    from briefing.render.text import render_text

    brief = _load(seed=True)
    day = _parse_day(as_of) if as_of else _today(brief.settings.timezone)
    typer.echo(render_text(build_digest(brief, day, command=brief.settings.command_name)))


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files to load (OFAC, OpenSanctions, trade)")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date of the data, YYYY-MM-DD")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Accept a list that shrank suspiciously")
    ] = False,
) -> None:
    """Load sanctions lists or trade files; report what changed."""
    from rich.progress import Progress

    from briefing.ingest_dispatch import ingest as run_ingest
    from briefing.ingest_types import IngestError, IngestOptions

    brief = _load()
    tz = brief.settings.timezone
    with Progress(transient=True) as bar:
        tasks: dict[str, object] = {}

        def progress(label: str, total: int | None, done: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total)
            bar.update(tasks[label], completed=done, total=total)  # type: ignore[arg-type]

        options = IngestOptions(
            as_of=_parse_day(as_of) if as_of else None,
            force=force,
            today=_today(tz),
            progress=progress,
        )
        try:
            results = run_ingest(brief, paths, options, datetime.now().astimezone())
        except IngestError as exc:
            typer.echo(f"error: {exc}", err=True)
            typer.echo("Nothing was replaced; the previous data keeps serving.", err=True)
            raise typer.Exit(1) from None
    for result in results:
        typer.echo(f"{result.fmt}: {result.summary}")


@app.command()
def fetch(
    feeds: Annotated[
        list[str] | None,
        typer.Argument(help="Feeds to fetch (default: those in FEEDS); see docs/feeds.md"),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Load even a list that shrank suspiciously, or unchanged bytes"
        ),
    ] = False,
    list_only: Annotated[
        bool, typer.Option("--list", help="List every feed and its state; fetch nothing")
    ] = False,
) -> None:
    """Fetch the live data feeds now: download, check, load what is new; say what happened.

    Exit code 1 when any feed failed or was refused (the last good data keeps serving).
    """
    from rich.progress import Progress

    from briefing.feeds.catalog import feed_table, find_feeds
    from briefing.feeds.fetch import FetchContext, run_feed
    from briefing.feeds.http import Limits
    from briefing.feeds.state import Outcome

    brief = _load()
    if list_only:
        from briefing.feeds.status import feed_lines

        for line in feed_lines(brief, feed_table(brief.settings), datetime.now(UTC)):
            typer.echo(line)
        return
    try:
        chosen = find_feeds(brief.settings, list(feeds or []))
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if not chosen:
        typer.echo("No feed to fetch: FEEDS names none (see docs/feeds.md).")
        return
    reports = []
    with Progress(transient=True) as bar:
        tasks: dict[str, object] = {}

        def progress(label: str, total: int | None, done: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total)
            bar.update(tasks[label], completed=done, total=total)  # type: ignore[arg-type]

        overall = bar.add_task("Fetching", total=len(chosen))
        for feed in chosen:
            bar.update(overall, description=f"Fetching {feed.title}")
            ctx = FetchContext(limits=Limits.of(brief.settings), progress=progress)
            reports.append(run_feed(brief, feed, ctx, datetime.now(UTC), force=force))
            bar.advance(overall)
    failed = 0
    for report in reports:
        outcome = report.outcome.value if report.outcome else "busy"
        typer.echo(f"{report.feed.name}: {outcome} — {report.message}")
        if report.outcome in (Outcome.FAILED, Outcome.REFUSED, None):
            failed += 1
    new = sum(1 for r in reports if r.outcome is Outcome.NEW)
    updates = sum(r.updates for r in reports)
    typer.echo(
        f"{len(reports)} feed{'s' if len(reports) != 1 else ''}: {new} with new data "
        f"({updates} update{'s' if updates != 1 else ''} to announce), {failed} failed or refused."
    )
    if failed:
        typer.echo("Where a feed failed, the last good data keeps serving.", err=True)
        raise typer.Exit(1)


def _stop_on_sigterm() -> None:
    """SIGTERM stops ``run`` as Ctrl-C does (by default it would end the process at once)."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


@app.command()
def run(
    platform: Annotated[str | None, typer.Option(help="console | slack | discord")] = None,
    http: Annotated[
        bool, typer.Option("--http", help="Slack: serve HTTP instead of Socket Mode")
    ] = False,
    port: Annotated[int, typer.Option(help="HTTP port (Slack --http; 0 picks a free one)")] = 3000,
    host: Annotated[str, typer.Option(help="HTTP address to listen on (Slack --http)")] = "0.0.0.0",
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Serve delivery metrics (Prometheus) on this port at /metrics"),
    ] = None,
) -> None:
    """Start the bot and its delivery (every replica delivers; one plans). Ctrl-C or SIGTERM
    (``docker stop``, systemd, Kubernetes) stops it cleanly: the posts in flight finish, the
    rows not started are given back."""
    from briefing.settings import SettingsError

    _stop_on_sigterm()
    brief = _load()
    chosen = platform or brief.settings.platform
    if metrics_port is not None:
        from briefing.delivery.metrics import serve_metrics, watch_ledger

        watch_ledger(brief.engine)
        server = serve_metrics(metrics_port, host)
        typer.echo(f"Metrics at http://{host}:{server.server_port}/metrics")
    if chosen == "console":
        from briefing.delivery.service import start_delivery
        from briefing.platforms.console import run_console

        # The digest printed at DIGEST_TIME through the delivery ledger, as in a chat channel;
        # the feeds fetched on their schedule.
        run_console(brief, start_delivery)
        return
    if chosen == "slack":
        from briefing.platforms.slack import run_slack

        try:
            run_slack(brief, _command_table(), http=http, host=host, port=port, announce=typer.echo)
        except SettingsError as exc:
            typer.echo(f"error: {exc}", err=True)
            if not http:
                typer.echo("Socket Mode needs SLACK_APP_TOKEN; --http serves HTTP.", err=True)
            raise typer.Exit(2) from None
        return
    if chosen == "discord":
        from briefing.platforms.discord import run_discord

        try:
            run_discord(brief, _command_table(), announce=typer.echo)
        except SettingsError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        return
    typer.echo(f"error: platform {chosen!r} is not available in this build", err=True)
    raise typer.Exit(2)


@app.command()
def doctor(
    json_output: Annotated[bool, typer.Option("--json", help="Print the checks as JSON")] = False,
) -> None:
    """Check the database, its schema and the delivery ledger; exit 1 when unhealthy.

    Read-only: it neither migrates nor repairs.
    """
    from briefing.db import make_engine
    from briefing.doctor import diagnose
    from briefing.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    engine = make_engine(settings.database_url)
    try:
        found = diagnose(engine, settings, datetime.now(UTC))
    finally:
        engine.dispose()
    typer.echo(found.to_json() if json_output else found.render())
    if not found.healthy:
        raise typer.Exit(1)


@app.command()
def migrate() -> None:
    """Upgrade the database schema to this version's (every command also does it at start)."""
    from briefing.db import make_engine
    from briefing.migrations import head, upgrade
    from briefing.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    engine = make_engine(settings.database_url)
    try:
        applied = upgrade(engine)
    finally:
        engine.dispose()
    if applied:
        typer.echo(f"Upgraded the database: {', '.join(applied)}; now at {head()}.")
    else:
        typer.echo(f"The database is already at {head()}.")


@app.command()
def rekey(
    new_key: Annotated[
        bool, typer.Option("--new-key", help="Print a fresh key for TOKEN_ENCRYPTION_KEY")
    ] = False,
) -> None:
    """Re-encrypt every stored Slack token with the first key of TOKEN_ENCRYPTION_KEY.

    The rotation: set TOKEN_ENCRYPTION_KEY=NEW,OLD and restart, run this once, then drop OLD
    and restart again (SECURITY.md).
    """
    from briefing.security.crypto import generate_key

    if new_key:
        typer.echo(generate_key())
        return
    from briefing.platforms.slack.oauth import EncryptedInstallationStore
    from briefing.security.rekey import reencrypt_tokens
    from briefing.settings import SettingsError, load_settings

    try:
        rows = reencrypt_tokens(load_settings(), EncryptedInstallationStore)
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Re-encrypted the tokens of {rows} stored installation row(s) with the first key.")


@app.command()
def comtrade(
    years: Annotated[list[int], typer.Argument(help="Years to fetch, e.g. 2023 2024")],
    monthly: Annotated[
        bool, typer.Option("--monthly", help="The months of each year (default: the year)")
    ] = False,
) -> None:
    """Fetch China's reported trade with Russia from the UN Comtrade API and load it.

    Needs COMTRADE_API_KEY and the comtrade extra (docs/trade.md).
    """
    from briefing.ingest_types import IngestError
    from briefing.trade.comtrade import FetchError, refresh_from_comtrade

    brief = _load()
    key = brief.settings.comtrade_api_key
    now = datetime.now(UTC)
    try:
        results = refresh_from_comtrade(
            brief,
            years,
            monthly=monthly,
            today=now.astimezone(brief.settings.tz).date(),
            now=now,
            api_key=key.get_secret_value() if key is not None else None,
        )
    except (FetchError, IngestError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    for result in results:
        typer.echo(f"{result.fmt}: {result.summary}")


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        typer.echo(f"error: {text!r} is not a date as YYYY-MM-DD", err=True)
        raise typer.Exit(2) from None


if __name__ == "__main__":
    app()
