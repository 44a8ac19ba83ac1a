"""Commands for users, tokens, Excel templates, deadlines and submissions.

The CLI runs on the server with the rights of an administrator, recorded
under the name given by --user (default: the login name).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from p3bm.areas import registry as area_registry
from p3bm.catalogue import Catalogue
from p3bm.cli import App, pass_app
from p3bm.cli.output import format_option, print_rows
from p3bm.cli.params import ROW_ID, YEAR
from p3bm.errors import ConfigurationError, ValidationFailed
from p3bm.i18n import label, status_label
from p3bm.observations import value_history
from p3bm.rules import load_rules
from p3bm.users import (
    ROLES,
    User,
    auth_events,
    create_token,
    create_user,
    list_tokens,
    list_users,
    revoke_token,
    set_active,
    set_password,
)
from p3bm.workbook import build_template
from p3bm.workflow import deadline_of, review, set_deadline, submission_states, submit


def cli_user(app: App) -> User:
    """The person running the CLI, acting as an administrator."""
    return User(0, app.settings.user, app.settings.user, "admin", None, (), True)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt(
        "Kata sandi / password", hide_input=True, confirmation_prompt=True
    )


@click.group()
def user() -> None:
    """Manage users, their roles and their API tokens."""


@user.command(name="add")
@click.argument("username")
@click.option(
    "--role", type=click.Choice(ROLES), required=True, help="What the user may do."
)
@click.option("--name", "full_name", required=True, help="Full name.")
@click.option("--skpd", help="SKPD code, for an SKPD operator.")
@click.option(
    "--area",
    "areas",
    multiple=True,
    metavar="CODE",
    help="Kecamatan or kelurahan code, for an area operator; repeatable.",
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input."
)
@pass_app
def add_user(app: App, username, role, full_name, skpd, areas, password_stdin) -> None:
    """Add a user.

    Example: p3bm user add dinkes1 --role skpd_operator --skpd DINKES --name "Siti"
    """
    password = _read_password(password_stdin)
    with app.database().begin() as connection:
        created = create_user(
            connection,
            username,
            full_name=full_name,
            role=role,
            password=password,
            actor=app.settings.user,
            skpd_code=skpd,
            areas=tuple(areas),
        )
    click.echo(
        app.text(
            f"Pengguna {created.username} ({created.role}) dibuat.",
            f"User {created.username} ({created.role}) created.",
        )
    )


@user.command(name="list")
@format_option
@pass_app
def list_users_command(app: App, output_format) -> None:
    """List the users.

    Example: p3bm user list --format json
    """
    with app.database().connect() as connection:
        rows = [found.to_dict() for found in list_users(connection)]
    print_rows(
        rows,
        output_format,
        ["username", "full_name", "role", "skpd", "areas", "is_active"],
    )


@user.command(name="disable")
@click.argument("username")
@pass_app
def disable_user(app: App, username) -> None:
    """Disable a user; their sessions and tokens stop working at once.

    Example: p3bm user disable dinkes1
    """
    with app.database().begin() as connection:
        set_active(connection, username, False, app.settings.user)
    click.echo(
        app.text(f"Pengguna {username} dinonaktifkan.", f"User {username} disabled.")
    )


@user.command(name="enable")
@click.argument("username")
@pass_app
def enable_user(app: App, username) -> None:
    """Enable a disabled user again.

    Example: p3bm user enable dinkes1
    """
    with app.database().begin() as connection:
        set_active(connection, username, True, app.settings.user)
    click.echo(
        app.text(f"Pengguna {username} diaktifkan.", f"User {username} enabled.")
    )


@user.command(name="password")
@click.argument("username")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input."
)
@pass_app
def change_password(app: App, username, password_stdin) -> None:
    """Set a user's password.

    Example: p3bm user password dinkes1
    """
    password = _read_password(password_stdin)
    with app.database().begin() as connection:
        set_password(connection, username, password, app.settings.user)
    click.echo(app.text("Kata sandi diubah.", "Password changed."))


@user.group()
def token() -> None:
    """Personal API tokens for machine clients."""


@token.command(name="create")
@click.argument("username")
@click.option("--name", "token_name", required=True, help="What the token is for.")
@pass_app
def create_token_command(app: App, username, token_name) -> None:
    """Create a token and print it once; store it safely.

    Example: p3bm user token create dinkes1 --name dhis2-sync
    """
    with app.database().begin() as connection:
        secret = create_token(connection, username, token_name, app.settings.user)
    click.echo(secret)


@token.command(name="list")
@click.argument("username")
@format_option
@pass_app
def list_tokens_command(app: App, username, output_format) -> None:
    """List a user's tokens (never the secrets).

    Example: p3bm user token list dinkes1
    """
    with app.database().connect() as connection:
        rows = list_tokens(connection, username)
    print_rows(
        rows,
        output_format,
        ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at"],
    )


@token.command(name="revoke")
@click.argument("username")
@click.argument("token_id", type=ROW_ID)
@pass_app
def revoke_token_command(app: App, username, token_id) -> None:
    """Revoke one of a user's tokens.

    Example: p3bm user token revoke dinkes1 3
    """
    with app.database().begin() as connection:
        revoke_token(connection, username, token_id, app.settings.user)
    click.echo(app.text("Token dicabut.", "Token revoked."))


@user.command(name="activity")
@click.argument("username")
@format_option
@pass_app
def activity(app: App, username, output_format) -> None:
    """List a user's logins and every change they made to values.

    Example: p3bm user activity dinkes1 --format csv > dinkes1.csv
    """
    with app.database().connect() as connection:
        events = auth_events(connection, username)
        changes = value_history(connection, user=username)
    rows = [
        {
            "at": e["at"],
            "kind": e["event"],
            "detail": e["detail"] or "",
            "ip": e["ip"] or "",
        }
        for e in events
    ]
    rows += [
        {
            "at": c.changed_at,
            "kind": f"value {c.action}",
            "detail": f"{c.indicator} {c.area} {c.year}: {c.old_value} -> "
            f"{c.new_value} ({c.channel}, {c.reason or ''})",
            "ip": "",
        }
        for c in changes
    ]
    rows.sort(key=lambda row: str(row["at"]))
    print_rows(rows, output_format, ["at", "kind", "detail", "ip"])


@click.command()
@click.option("--skpd", "skpd_code", required=True, metavar="CODE")
@click.option("--year", required=True, type=YEAR)
@click.option(
    "--region",
    metavar="CODE",
    help="Area the template covers [default: the database's region].",
)
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), required=True
)
@pass_app
def template(app: App, skpd_code, year, region, output) -> None:
    """Write the Excel workbook an SKPD fills in for a year.

    Example: p3bm template --skpd DINKES --year 2024 --output dinkes-2024.xlsx
    """
    with app.database().connect() as connection:
        region = region or area_registry.home_region(connection)
        if region is None:
            raise ConfigurationError("No region is set up; pass --region CODE.")
        data = build_template(
            connection,
            Catalogue.load(connection),
            skpd_code.upper(),
            year,
            region,
            deadline_of(connection, year),
        )
    output.write_bytes(data)
    click.echo(
        app.text(f"Templat ditulis ke {output}.", f"Template written to {output}.")
    )


@click.group()
def submission() -> None:
    """Deadlines and the draft, submitted, verified, published workflow."""


@submission.command(name="deadline")
@click.option("--year", required=True, type=YEAR)
@click.option(
    "--date",
    "deadline",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="Last day for submissions, YYYY-MM-DD.",
)
@pass_app
def deadline_command(app: App, year, deadline) -> None:
    """Set the submission deadline of a year.

    Example: p3bm submission deadline --year 2024 --date 2025-03-31
    """
    with app.database().begin() as connection:
        set_deadline(connection, cli_user(app), year, deadline.date())
    click.echo(
        app.text(
            f"Batas waktu {year}: {deadline.date()}.",
            f"Deadline of {year}: {deadline.date()}.",
        )
    )


@submission.command(name="status")
@click.option("--year", required=True, type=YEAR)
@format_option
@pass_app
def status_command(app: App, year, output_format) -> None:
    """Show each SKPD's status and timeliness for a year.

    Example: p3bm submission status --year 2024
    """
    with app.database().connect() as connection:
        states = submission_states(
            connection, Catalogue.load(connection), year, date.today()
        )
    print_rows(
        [s.to_dict() for s in states],
        output_format,
        [
            "skpd",
            "name",
            "status",
            "timeliness",
            "deadline",
            "submitted_at",
            "values",
            "returned",
        ],
    )


def _action(name: str):
    @click.option("--skpd", "skpd_code", required=True, metavar="CODE")
    @click.option("--year", required=True, type=YEAR)
    @click.option("--reason", help="Why; required to reopen.")
    @pass_app
    def command(app: App, skpd_code, year, reason) -> None:
        with app.database().begin() as connection:
            catalogue = Catalogue.load(connection)
            try:
                result = _run_action(
                    app, connection, catalogue, name, skpd_code, year, reason
                )
            except ValidationFailed as exc:
                for broken in exc.results:
                    click.echo(
                        f"  {label(f'severity_{broken.severity}', app.lang)}: "
                        f"{broken.indicator} {broken.area} "
                        f"{broken.year}: {broken.message(app.lang)}",
                        err=True,
                    )
                raise
        click.echo(
            f"{result.skpd_code} {result.year}: {status_label(result.status, app.lang)}"
        )

    command.__doc__ = (
        f"{name.capitalize()} an SKPD's data for a year.\n\n"
        f"Example: p3bm submission {name} --skpd DINKES --year 2024"
    )
    return submission.command(name=name)(command)


def _run_action(app: App, connection, catalogue, name, skpd_code, year, reason):
    if name == "submit":
        rules = load_rules(catalogue, app.settings.rules_file)
        return submit(connection, cli_user(app), rules, skpd_code.upper(), year)
    return review(
        connection, cli_user(app), catalogue, skpd_code.upper(), year, name, reason
    )


for _name in ("submit", "verify", "publish", "reopen"):
    _action(_name)


COMMANDS = [user, template, submission]
