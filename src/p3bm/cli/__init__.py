"""The ``p3bm`` command line: a thin layer over the library.

Errors a user can fix print one line (with ``--debug``, a traceback) and exit
with the error's code: 1 for bad input, 2 for bad options or settings, 3 for a
database that is missing or too old, 4 for refused permissions.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from typing import TypeVar

import click

from p3bm import __version__
from p3bm.cli.click_messages import indonesian_click_message
from p3bm.errors import P3BMError
from p3bm.settings import Settings, load_settings
from p3bm.storage.database import Database

logger = logging.getLogger("p3bm")
INTERNAL_ERROR_EXIT = 70
# Language of error lines printed by ``main``, set once the settings are read.
_language = ["id"]


# Text in both languages: a message, or a list of column titles.
_Text = TypeVar("_Text")


@dataclass
class App:
    """Settings and the database shared by the commands of one invocation."""

    settings: Settings
    _database: Database | None = field(default=None, repr=False)

    @property
    def lang(self) -> str:
        return self.settings.lang

    def text(self, indonesian: _Text, english: _Text) -> _Text:
        return english if self.lang == "en" else indonesian

    def database(self, *, must_exist: bool = True) -> Database:
        if self._database is None:
            self._database = Database(self.settings.database_url)
        if must_exist:
            self._database.check_ready()
        return self._database

    def close(self) -> None:
        """Close the database's pooled connections when the command ends."""
        if self._database is not None:
            self._database.dispose()
            self._database = None


pass_app = click.make_pass_decorator(App)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="p3bm")
@click.option(
    "--db",
    "database_url",
    metavar="URL",
    help="SQLite file or database URL [default: p3bm.sqlite; env P3BM_DATABASE_URL].",
)
@click.option(
    "--user", help="Name recorded as author of changes [default: login name]."
)
@click.option(
    "--lang", type=click.Choice(["id", "en"]), help="Message language [default: id]."
)
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.pass_context
def cli(context: click.Context, database_url, user, lang, debug) -> None:
    """P3BM: pro-poor planning, budgeting and monitoring for Indonesian regions.

    Example: p3bm init --region 32.75
    """
    if lang:
        # Errors raised while the settings are read print in this language too.
        _language[0] = lang
    settings = load_settings(
        database_url=database_url,
        user=user,
        lang=lang,
        log_level="DEBUG" if debug else None,
    )
    configure_logging("DEBUG" if debug else "WARNING")
    _language[0] = settings.lang
    context.obj = App(settings)
    context.call_on_close(context.obj.close)


def _register_commands() -> None:
    from p3bm.cli import (
        analysis_commands,
        data_commands,
        planning_commands,
        report_commands,
        workflow_commands,
    )

    for module in (
        data_commands,
        report_commands,
        workflow_commands,
        analysis_commands,
        planning_commands,
    ):
        for command in module.COMMANDS:
            cli.add_command(command)


_register_commands()


def _error_prefix() -> str:
    return "Error" if _language[0] == "en" else "Galat"


def _click_message(exc: click.ClickException) -> str:
    """Click's message on one line; a usage error adds where to find help."""
    message = " ".join(exc.format_message().split())
    if _language[0] == "id":
        message = indonesian_click_message(message)
    context = exc.ctx if isinstance(exc, click.UsageError) else None
    if context is not None:
        command = f"{context.command_path} {context.help_option_names[0]}"
        hint = f"Lihat `{command}`." if _language[0] == "id" else f"See `{command}`."
        ending = "" if message.endswith(("?", "!")) else "."
        message = f"{message.rstrip('.')}{ending} {hint}"
    return message


def _requested_language(arguments: list[str]) -> str:
    """Return the language that ``--lang`` or P3BM_LANG requests, or id."""
    found = os.environ.get("P3BM_LANG", "id")
    for number, argument in enumerate(arguments):
        if argument == "--lang" and number + 1 < len(arguments):
            found = arguments[number + 1]
        elif argument.startswith("--lang="):
            found = argument.removeprefix("--lang=")
    return "en" if found == "en" else "id"


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and turn errors into one line and an exit code."""
    arguments = argv if argv is not None else sys.argv[1:]
    debug = "--debug" in arguments
    # Usage errors found before the options are parsed speak this language.
    _language[0] = _requested_language(arguments)
    try:
        cli.main(args=argv, prog_name="p3bm", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Dibatalkan." if _language[0] == "id" else "Aborted.", err=True)
        sys.exit(1)
    except click.exceptions.NoArgsIsHelpError as exc:
        # A group called without a command prints its help unchanged.
        click.echo(exc.ctx.get_help())
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        click.echo(f"{_error_prefix()}: {_click_message(exc)}", err=True)
        sys.exit(exc.exit_code)
    except P3BMError as exc:
        if debug:
            raise
        click.echo(f"{_error_prefix()}: {exc.text(_language[0])}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if debug:
            raise
        logger.error("unexpected error: %r", exc)
        click.echo(
            f"{_error_prefix()}: unexpected {type(exc).__name__}: {exc}. "
            "Run again with --debug for the traceback.",
            err=True,
        )
        sys.exit(INTERNAL_ERROR_EXIT)
