"""Session revocation, security headers, request size limits and NUL characters."""

from __future__ import annotations

import httpx
import pytest
from web_fixtures import (
    ACTOR,
    PASSWORD,
    add_user,
    run_cli,
    session_csrf,
    signed_in,
    writable_server_fixture,  # noqa: F401
)

from p3bm.storage.schema import app_user
from p3bm.users import get_user, set_active

NEW_PASSWORD = "baru-sekali-123"


def copied_session(client: httpx.Client) -> httpx.Client:
    """A second client holding a copy of a signed-in client's session cookie."""
    cookie = client.cookies.get("p3bm_session")
    assert cookie, "the signed-in client has no session cookie"
    return httpx.Client(
        base_url=str(client.base_url), cookies={"p3bm_session": cookie}, timeout=60
    )


def session_works(client: httpx.Client) -> bool:
    """Whether the client's cookie still signs it in, on a page and on the API."""
    page = client.get("/entri", follow_redirects=False)
    me = client.get("/api/v1/me")
    return page.status_code == 200 and me.status_code == 200


def session_version(db, username: str) -> int:
    with db.connect() as connection:
        return get_user(connection, username).session_version


# Session revocation


def test_copied_cookie_works_before_change(db, writable_server):
    add_user(db, "siti", "analyst")

    with signed_in(writable_server, "siti") as client, copied_session(client) as copy:
        works = session_works(copy)

    assert works


def test_copied_cookie_rejected_after_logout(db, writable_server):
    add_user(db, "siti", "analyst")

    with signed_in(writable_server, "siti") as client, copied_session(client) as copy:
        client.post("/keluar", data={"csrf_token": session_csrf(client)})
        page = copy.get("/entri", follow_redirects=False)
        me = copy.get("/api/v1/me")

    assert page.status_code in (401, 303)
    assert me.status_code == 401
    assert me.json()["error"]["code"] == "not_authenticated"


def test_copied_cookie_rejected_after_cli_password(db, writable_server):
    add_user(db, "siti", "analyst")

    with signed_in(writable_server, "siti") as client, copied_session(client) as copy:
        changed = run_cli(
            db, "user", "password", "siti", "--password-stdin", stdin=NEW_PASSWORD
        )
        me = copy.get("/api/v1/me")
        own = client.get("/api/v1/me")

    assert changed.code == 0
    assert me.status_code == 401
    assert own.status_code == 401


def test_own_password_change_keeps_browser_only(db, writable_server):
    add_user(db, "siti", "analyst")

    with signed_in(writable_server, "siti") as client, copied_session(client) as copy:
        response = client.post(
            "/akun/sandi",
            data={"csrf_token": session_csrf(client), "password": NEW_PASSWORD},
        )
        own = client.get("/api/v1/me")
        copied = copy.get("/api/v1/me")

    assert response.status_code == 303
    assert own.status_code == 200
    assert copied.status_code == 401


def test_copied_cookie_rejected_after_disable_enable(db, writable_server):
    add_user(db, "siti", "analyst")

    with signed_in(writable_server, "siti") as client, copied_session(client) as copy:
        with db.begin() as connection:
            set_active(connection, "siti", False, ACTOR)
            set_active(connection, "siti", True, ACTOR)
        me = copy.get("/api/v1/me")

    assert me.status_code == 401


@pytest.mark.parametrize(
    "change",
    ["logout", "password", "disable_enable"],
)
def test_session_version_increases(db, writable_server, change):
    add_user(db, "siti", "analyst")
    before = session_version(db, "siti")

    with signed_in(writable_server, "siti") as client:
        if change == "logout":
            client.post("/keluar", data={"csrf_token": session_csrf(client)})
        elif change == "password":
            run_cli(
                db, "user", "password", "siti", "--password-stdin", stdin=NEW_PASSWORD
            )
        else:
            with db.begin() as connection:
                set_active(connection, "siti", False, ACTOR)
                set_active(connection, "siti", True, ACTOR)

    expected = before + (2 if change == "disable_enable" else 1)
    assert before == 0
    assert session_version(db, "siti") == expected


def test_session_version_column_migrated(db):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from p3bm.storage.schema import metadata

    with db.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)

    ours = [d for d in differences if app_user.name in repr(d)]
    assert ours == []


def test_sign_in_again_after_logout(db, writable_server):
    add_user(db, "siti", "analyst")

    with signed_in(writable_server, "siti") as client:
        client.post("/keluar", data={"csrf_token": session_csrf(client)})
    with signed_in(writable_server, "siti", PASSWORD) as client:
        works = session_works(client)

    assert works
