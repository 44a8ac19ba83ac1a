"""Fixtures and helpers for tests that sign in, write values and run commands.

``live_server`` in conftest serves the shared loaded database, which tests
must not change. ``writable_server`` serves the test's own ``db`` (Kota
Bekasi and the default catalogue, on SQLite and on PostgreSQL), so a test may
add users, write values and move submissions through the workflow. Test
modules import ``writable_server_fixture`` to use it as ``writable_server``.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import sqlalchemy as sa

from conftest import running_server
from p3bm.catalogue import Catalogue
from p3bm.cli import main
from p3bm.rules import RuleSet, load_rules
from p3bm.storage import Database
from p3bm.storage.schema import observation
from p3bm.users import User, create_token, create_user

PASSWORD = "kata-sandi-uji-2024"
ACTOR = "pytest"
YEAR = 2024
# A kecamatan of Kota Bekasi, one of its kelurahan, and a kelurahan elsewhere.
KECAMATAN = "32.75.01"
KELURAHAN = "32.75.01.1001"
OTHER_KECAMATAN = "32.75.02"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(name="writable_server")
def writable_server_fixture(db: Database) -> Iterator[str]:
    """Base URL of a real server over the test's own database."""
    with running_server(db.url) as url:
        yield url


def add_user(
    db: Database,
    username: str,
    role: str,
    *,
    skpd: str | None = None,
    areas: tuple[str, ...] = (),
    password: str = PASSWORD,
) -> User:
    with db.begin() as connection:
        return create_user(
            connection,
            username,
            full_name=username.title(),
            role=role,
            password=password,
            actor=ACTOR,
            skpd_code=skpd,
            areas=areas,
        )


def add_token(db: Database, username: str, name: str = "test") -> str:
    with db.begin() as connection:
        return create_token(connection, username, name, ACTOR)


def rules_of(db: Database) -> RuleSet:
    with db.connect() as connection:
        return load_rules(Catalogue.load(connection))


def api_client(base_url: str, token: str | None = None) -> httpx.Client:
    """An HTTP client for the API, with a bearer token when given one."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=base_url, headers=headers, timeout=60)


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token a page's forms carry."""
    found = _CSRF.search(page.text)
    assert found, f"no CSRF token on {page.url}"
    return found.group(1)


@contextlib.contextmanager
def signed_in(
    base_url: str, username: str, password: str = PASSWORD
) -> Iterator[httpx.Client]:
    """A browser-like client signed in through the login form."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        form = client.get("/masuk")
        response = client.post(
            "/masuk",
            data={
                "username": username,
                "password": password,
                "csrf_token": csrf_of(form),
                "next": "/akun",
            },
        )
        assert response.status_code == 303, response.text
        yield client


def session_csrf(client: httpx.Client) -> str:
    """The CSRF token of a signed-in client's session."""
    return csrf_of(client.get("/akun"))


def stored(db: Database, indicator: str, area: str, year: int = YEAR):
    """The stored row of a total value, or None."""
    with db.connect() as connection:
        return connection.execute(
            sa.select(observation).where(
                observation.c.indicator_code == indicator,
                observation.c.area_code == area,
                observation.c.year == year,
                observation.c.disaggregation == "",
                observation.c.source == "",
            )
        ).first()


def count_rows(db: Database, table: sa.Table) -> int:
    with db.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count()).select_from(table)
        ).scalar_one()


@dataclass
class CliRun:
    code: int
    out: str
    err: str


def run_cli(db: Database, *args: object, stdin: str = "") -> CliRun:
    """Run ``p3bm --db URL --user pytest ARGS`` in this process."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(["--db", db.url, "--user", ACTOR, *(str(arg) for arg in args)])
    except SystemExit as exc:
        code = 0 if exc.code is None else int(exc.code)
    finally:
        sys.stdin = saved_stdin
        root.handlers[:] = handlers
        root.setLevel(level)
    return CliRun(code, out.getvalue(), err.getvalue())
