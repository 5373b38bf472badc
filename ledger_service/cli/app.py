"""The ``chainwitness`` command, built when it is called (no import-time state).

Every command reads the same Settings (``CHAINWITNESS_*`` environment variables,
or ``--data-dir``). Errors print one line saying what was expected and what was
found, and exit non-zero. Installed plugins (entry points ``chainwitness.cli``,
e.g. ``chainwitness notary ...``) are loaded by :func:`build_app`, never on import.
"""

from __future__ import annotations

import logging
import os
import sys
from enum import StrEnum
from importlib.metadata import entry_points
from typing import Annotated

import typer

from ledger_service import __version__
from ledger_service.cli import admin, court, evidence, keys, logs, supervise, tenders
from ledger_service.cli.console import EXIT_CODES_HELP, EXIT_USAGE, err, out, run
from ledger_service.cli.help_text import HumanGroup
from ledger_service.settings import check_environment


class LogFormat(StrEnum):
    text = "text"
    json = "json"


def _show_version(value: bool) -> None:
    if value:
        out.print(f"chainwitness {__version__}")
        raise typer.Exit()


def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log debug details")] = False,
    log_format: Annotated[
        LogFormat,
        typer.Option(
            "--log-format", envvar="CHAINWITNESS_LOG_FORMAT",
            help="log lines as readable text or as JSON lines (one object per line, with "
            "the identifiers of each event)",
        ),
    ] = LogFormat.text,
    _version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True,
                     help="print the version and exit"),
    ] = False,
) -> None:
    logs.configure("json" if log_format == LogFormat.json else "text", verbose)
    run(lambda: check_environment(os.environ))  # a mistyped CHAINWITNESS_ variable is refused


def version() -> None:
    """Print the version."""
    out.print(f"chainwitness {__version__}")


def build_app() -> typer.Typer:
    """The root command with every group and installed plugin."""
    app = typer.Typer(
        cls=HumanGroup,  # --help without Python types, with the settings' defaults
        help="Chain Witness (链见证): verifiable evidence log anchored on an EVM chain.",
        epilog=EXIT_CODES_HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    app.callback()(_main)
    app.command()(version)
    admin.register(app)
    evidence.register(app)
    tenders.register(app)
    keys.register(app)
    court.register(app)
    supervise.register(app)
    # the independent log witness (not witness *reports*): chainwitness cosigner init|run|status
    from ledger_service.cosigner.cli import app as cosigner_app

    app.add_typer(cosigner_app, name="cosigner")
    for ep in entry_points(group="chainwitness.cli"):  # e.g. `chainwitness notary ...`
        try:
            app.add_typer(ep.load(), name=ep.name)
        except Exception as exc:  # a broken plugin must not break the command
            logging.getLogger("chainwitness.cli").warning("plugin %s: %s", ep.name, exc)
    return app


def main() -> None:
    """Entry point: usage errors, like our own errors, are one line on stderr."""
    try:  # typer 0.2x vendors click; older ones use the click package
        from typer._click import exceptions as click
    except ImportError:  # pragma: no cover
        import click  # type: ignore[no-redef]

    try:
        code = build_app()(standalone_mode=False)
    except click.ClickException as exc:  # a missing or malformed option or argument
        err.print(f"error: {exc.format_message()} (see --help)", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code if exc.exit_code else EXIT_USAGE)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
