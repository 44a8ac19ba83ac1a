"""Users, roles, Argon2 passwords, API tokens, login throttling and its audit."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa
from web_fixtures import (
    ACTOR,
    KECAMATAN,
    KELURAHAN,
    OTHER_KECAMATAN,
    PASSWORD,
    add_token,
    add_user,
    api_client,
    csrf_of,
    run_cli,
    session_csrf,
    signed_in,
    writable_server_fixture,  # noqa: F401
)

from p3bm.areas.registry import get_area
from p3bm.catalogue import Catalogue
from p3bm.errors import NotAuthenticated, P3BMError, TooManyAttempts
from p3bm.permissions import readable_statuses, write_refusal
from p3bm.storage.schema import api_token, app_user, auth_event, metadata
from p3bm.users import (
    FAILED_LOGINS_ALLOWED,
    IP_FAILURES_ALLOWED,
    UserError,
    authenticate,
    create_token,
    end_sessions,
    get_user,
    list_tokens,
    revoke_token,
    set_active,
    set_password,
    user_for_token,
)


def events(db, username: str | None = None) -> list[str]:
    """Events of the login audit, oldest first."""
    query = sa.select(auth_event.c.event).order_by(auth_event.c.id)
    if username is not None:
        query = query.where(auth_event.c.username == username)
    with db.connect() as connection:
        return list(connection.execute(query).scalars())


def database_text(db) -> str:
    """Every cell of every P3BM table, as text, to search for secrets."""
    parts = []
    with db.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(sa.select(table)):
                parts.extend(str(cell) for cell in row)
    return "\n".join(parts)


def attempt(db, username: str, password: str, ip: str = "10.0.0.1") -> str:
    """Try to sign in the way the login page does; return the outcome's name."""
    try:
        authenticate(db, username, password, ip)
    except TooManyAttempts:
        return "throttled"
    except NotAuthenticated:
        return "refused"
    return "signed_in"


# Library


def test_password_hashed_with_argon2id(db):
    add_user(db, "siti", "viewer")

    with db.connect() as connection:
        stored_hash = connection.execute(
            sa.select(app_user.c.password_hash).where(app_user.c.username == "siti")
        ).scalar_one()

    assert stored_hash.startswith("$argon2id$")
    assert PASSWORD not in database_text(db)


BAD_USERS = [
    ("Bad Name!", "viewer", None, (), PASSWORD, "invalid", "tidak sah"),
    ("budi", "superuser", None, (), PASSWORD, "Unknown role", "tidak dikenal"),
    ("budi", "skpd_operator", None, (), PASSWORD, "needs --skpd", "wajib diberi SKPD"),
    (
        "budi",
        "skpd_operator",
        "NOPE",
        (),
        PASSWORD,
        "'NOPE' is unknown",
        "'NOPE' tidak dikenal",
    ),
    (
        "budi",
        "area_operator",
        None,
        (),
        PASSWORD,
        "needs --area",
        "wajib diberi wilayah",
    ),
    ("budi", "area_operator", None, ("99.99",), PASSWORD, "99.99", "99.99"),
    ("budi", "viewer", None, (), "short", "at least 10", "minimal 10"),
]


def test_create_user_rejects(db):
    """Each bad user is rejected with its reason; the table runs on one database."""
    messages = []
    for username, role, skpd, areas, password, *_ in BAD_USERS:
        with pytest.raises(P3BMError) as caught:
            add_user(db, username, role, skpd=skpd, areas=areas, password=password)
        messages.append((caught.value.text("en"), caught.value.text("id")))

    for (english, indonesian), (*_, expected, diharapkan) in zip(
        messages, BAD_USERS, strict=True
    ):
        assert expected in english
        assert diharapkan in indonesian
    assert events(db) == []


def test_create_user_rejects_duplicate(db):
    add_user(db, "siti", "viewer")

    with pytest.raises(UserError, match="already exists") as raised:
        add_user(db, "SITI", "viewer")

    assert raised.value.text("id") == "Pengguna 'siti' sudah ada."


def test_authenticate_records_login(db):
    add_user(db, "siti", "viewer")

    outcome = attempt(db, "Siti ", PASSWORD)

    assert outcome == "signed_in"
    assert events(db, "siti") == ["user_created", "login"]


def test_authenticate_locks_name_after_failures(db):
    add_user(db, "siti", "viewer")

    outcomes = [attempt(db, "siti", "wrong-password") for _ in range(6)]
    correct = attempt(db, "siti", PASSWORD)

    assert outcomes == ["refused"] * FAILED_LOGINS_ALLOWED + ["throttled"]
    assert correct == "throttled"
    assert events(db, "siti").count("login_failed") == FAILED_LOGINS_ALLOWED
    assert "locked" in events(db, "siti")


def test_authenticate_locks_unknown_name_too(db):
    """A name that does not exist is throttled like one that does.

    Otherwise the 429 after five failures would tell an attacker which names
    exist.
    """
    outcomes = [attempt(db, "nobody", "wrong-password") for _ in range(6)]

    assert outcomes == ["refused"] * FAILED_LOGINS_ALLOWED + ["throttled"]


def test_authenticate_refuses_disabled_user(db):
    add_user(db, "siti", "viewer")
    with db.begin() as connection:
        set_active(connection, "siti", False, ACTOR)

    assert attempt(db, "siti", PASSWORD) == "refused"


def test_last_active_admin_stays_enabled(db):
    add_user(db, "admin1", "admin")
    with (
        pytest.raises(UserError, match="only active administrator"),
        db.begin() as connection,
    ):
        set_active(connection, "admin1", False, "admin1")

    add_user(db, "admin2", "admin")
    with db.begin() as connection:
        set_active(connection, "admin1", False, "admin2")
        assert not get_user(connection, "admin1").is_active


@pytest.mark.parametrize(
    ("name", "password"),
    [("si\x00ti", PASSWORD), ("siti", "kata\x00sandi"), ("\x00", "\x00")],
)
def test_authenticate_nul_character_refused(db, name, password):
    add_user(db, "siti", "viewer")

    outcome = attempt(db, name, password)

    assert outcome == "refused"
    assert events(db)[-1] == "login_failed"


def test_session_version_increases_on_changes(db):
    add_user(db, "siti", "viewer")

    with db.begin() as connection:
        versions = [get_user(connection, "siti").session_version]
        set_password(connection, "siti", "baru-sekali-123", ACTOR)
        versions.append(get_user(connection, "siti").session_version)
        set_active(connection, "siti", False, ACTOR)
        versions.append(get_user(connection, "siti").session_version)
        set_active(connection, "siti", True, ACTOR)
        versions.append(get_user(connection, "siti").session_version)
        end_sessions(connection, get_user(connection, "siti").id)
        versions.append(get_user(connection, "siti").session_version)

    assert versions == [0, 1, 2, 3, 4]


def test_login_keeps_session_version(db):
    add_user(db, "siti", "viewer")

    user = authenticate(db, "siti", PASSWORD)

    assert user.session_version == 0
    with db.connect() as connection:
        assert get_user(connection, "siti").session_version == 0


def test_token_stored_as_sha256_digest(db):
    add_user(db, "siti", "viewer")

    token = add_token(db, "siti")

    with db.connect() as connection:
        row = connection.execute(sa.select(api_token)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in database_text(db)
    assert token.startswith(row.token_prefix)


def test_token_finds_its_user(db):
    add_user(db, "siti", "viewer")
    token = add_token(db, "siti")

    with db.begin() as connection:
        found = user_for_token(connection, token)
        tokens = list_tokens(connection, "siti")

    assert found.username == "siti"
    assert tokens[0]["last_used_at"] is not None


def test_token_unknown_finds_nobody(db):
    tokens = ["", "p3bm_", "p3bm_unknown", "Bearer", "x" * 200, "p3bm_" + "a" * 200]

    with db.begin() as connection:
        found = [user_for_token(connection, token) for token in tokens]

    assert found == [None] * len(tokens)


def test_token_revoked_finds_nobody(db):
    add_user(db, "siti", "viewer")
    token = add_token(db, "siti")

    with db.begin() as connection:
        token_id = list_tokens(connection, "siti")[0]["id"]
        revoke_token(connection, "siti", token_id, ACTOR)
    with db.begin() as connection:
        found = user_for_token(connection, token)

    assert found is None
    assert events(db, "siti")[-1] == "token_revoked"


def test_token_revoke_twice_rejected(db):
    add_user(db, "siti", "viewer")
    add_token(db, "siti")

    with db.begin() as connection:
        token_id = list_tokens(connection, "siti")[0]["id"]
        revoke_token(connection, "siti", token_id, ACTOR)
    with pytest.raises(UserError, match="no active token"), db.begin() as connection:
        revoke_token(connection, "siti", token_id, ACTOR)


def test_token_of_disabled_user_finds_nobody(db):
    add_user(db, "siti", "viewer")
    token = add_token(db, "siti")

    with db.begin() as connection:
        set_active(connection, "siti", False, ACTOR)
    with db.begin() as connection:
        found = user_for_token(connection, token)

    assert found is None


def test_token_of_other_user_not_revocable(db):
    add_user(db, "siti", "viewer")
    add_user(db, "budi", "viewer")
    add_token(db, "siti")

    with db.begin() as connection:
        token_id = list_tokens(connection, "siti")[0]["id"]
    with pytest.raises(UserError), db.begin() as connection:
        revoke_token(connection, "budi", token_id, ACTOR)


# Roles: who may write what. The indicators: STUNTING is Dinkes's sectoral
# data produced down to kelurahan, P0 a BPS statistic of Bappeda.
ROLE_CASES = [
    ("admin", None, (), "STUNTING", KELURAHAN, True),
    ("admin", None, (), "P0", "32.75", True),
    ("analyst", None, (), "STUNTING", KELURAHAN, True),
    ("analyst", None, (), "P0", "32.75", True),
    ("skpd_operator", "DINKES", (), "STUNTING", KELURAHAN, True),
    ("skpd_operator", "DINKES", (), "STUNTING", "32.75", True),
    ("skpd_operator", "DINKES", (), "P0", "32.75", False),
    ("skpd_operator", "DINSOS", (), "STUNTING", KELURAHAN, False),
    ("area_operator", None, (KECAMATAN,), "STUNTING", KECAMATAN, True),
    ("area_operator", None, (KECAMATAN,), "STUNTING", KELURAHAN, True),
    ("area_operator", None, (KECAMATAN,), "STUNTING", OTHER_KECAMATAN, False),
    ("area_operator", None, (KECAMATAN,), "STUNTING", "32.75", False),
    ("area_operator", None, (KECAMATAN,), "P0", KECAMATAN, False),
    ("area_operator", None, (KELURAHAN,), "STUNTING", KECAMATAN, False),
    ("viewer", None, (), "STUNTING", KELURAHAN, False),
]


def test_role_may_write(db):
    """Every case of the table, checked on one database; failures list the cases."""
    wrong = []
    with db.connect() as connection:
        catalogue = Catalogue.load(connection)
    for number, (role, skpd, areas, indicator, area, allowed) in enumerate(ROLE_CASES):
        user = add_user(db, f"user{number}", role, skpd=skpd, areas=areas)
        with db.connect() as connection:
            refusal = write_refusal(
                user, catalogue.get(indicator), get_area(connection, area)
            )
        if (refusal is None) is not allowed:
            wrong.append((role, skpd, areas, indicator, area, refusal))

    assert wrong == []


def test_anonymous_reads_published_only(db):
    with db.connect() as connection:
        item = Catalogue.load(connection).get("STUNTING")
        refusal = write_refusal(None, item, get_area(connection, KELURAHAN))

    assert refusal is not None
    assert readable_statuses(None) == ("published",)
    assert readable_statuses(add_user(db, "siti", "viewer")) is None


# Command line


def test_cli_user_lifecycle(db):
    added = run_cli(
        db,
        "user",
        "add",
        "dinkes1",
        "--role",
        "skpd_operator",
        "--skpd",
        "DINKES",
        "--name",
        "Siti Aminah",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    listed = run_cli(db, "user", "list", "--format", "json")
    disabled = run_cli(db, "user", "disable", "dinkes1")
    refused = attempt(db, "dinkes1", PASSWORD)
    enabled = run_cli(db, "user", "enable", "dinkes1")
    changed = run_cli(
        db, "user", "password", "dinkes1", "--password-stdin", stdin="baru-sekali-123\n"
    )
    old_password = attempt(db, "dinkes1", PASSWORD)
    new_password = attempt(db, "dinkes1", "baru-sekali-123")

    assert added.code == 0, added.err
    assert json.loads(listed.out) == [
        {
            "username": "dinkes1",
            "full_name": "Siti Aminah",
            "role": "skpd_operator",
            "skpd": "DINKES",
            "areas": [],
            "is_active": True,
        }
    ]
    assert disabled.code == 0
    assert refused == "refused"
    assert enabled.code == 0
    assert changed.code == 0
    assert old_password == "refused"
    assert new_password == "signed_in"
    assert events(db, "dinkes1") == [
        "user_created",
        "user_disabled",
        "login_failed",
        "user_enabled",
        "password_changed",
        "login_failed",
        "login",
    ]


def test_cli_user_add_rejects_bad_role_skpd(db):
    result = run_cli(
        db,
        "user",
        "add",
        "budi",
        "--role",
        "skpd_operator",
        "--skpd",
        "NOPE",
        "--name",
        "Budi",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )

    assert result.code == 1
    assert "NOPE" in result.err


def test_cli_token_lifecycle(db):
    add_user(db, "siti", "viewer")

    created = run_cli(db, "user", "token", "create", "siti", "--name", "dhis2-sync")
    token = created.out.strip()
    listed = json.loads(
        run_cli(db, "user", "token", "list", "siti", "--format", "json").out
    )
    revoked = run_cli(db, "user", "token", "revoke", "siti", listed[0]["id"])
    after = json.loads(
        run_cli(db, "user", "token", "list", "siti", "--format", "json").out
    )

    assert created.code == 0
    assert token.startswith("p3bm_")
    assert listed[0]["name"] == "dhis2-sync"
    assert token.startswith(listed[0]["prefix"])
    assert token not in json.dumps(listed)
    assert revoked.code == 0
    assert after[0]["revoked_at"] is not None
    with db.begin() as connection:
        assert user_for_token(connection, token) is None


def test_cli_activity_lists_logins(db):
    add_user(db, "siti", "viewer")
    attempt(db, "siti", "wrong-password")
    attempt(db, "siti", PASSWORD)

    result = run_cli(db, "user", "activity", "siti", "--format", "json")

    kinds = [row["kind"] for row in json.loads(result.out)]
    assert result.code == 0
    assert kinds == ["user_created", "login_failed", "login"]


# Web sign-in


def test_login_page_signs_in(db, writable_server):
    add_user(db, "siti", "viewer")

    with signed_in(writable_server, "siti") as client:
        account = client.get("/akun")
        me = client.get("/api/v1/me")

    assert account.status_code == 200
    assert "Siti" in account.text
    assert me.json()["username"] == "siti"
    assert events(db, "siti") == ["user_created", "login"]


def test_login_cookie_is_httponly(db, writable_server):
    add_user(db, "siti", "viewer")

    with api_client(writable_server) as client:
        form = client.get("/masuk")
        response = client.post(
            "/masuk",
            data={
                "username": "siti",
                "password": PASSWORD,
                "csrf_token": csrf_of(form),
            },
        )

    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_login_wrong_password_answers_401(db, writable_server):
    add_user(db, "siti", "viewer")

    with api_client(writable_server) as client:
        form = client.get("/masuk")
        response = client.post(
            "/masuk",
            data={"username": "siti", "password": "nope", "csrf_token": csrf_of(form)},
        )

    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah" in response.text
    assert events(db, "siti") == ["user_created", "login_failed"]


def test_login_without_csrf_rejected(db, writable_server):
    add_user(db, "siti", "viewer")

    with api_client(writable_server) as client:
        client.get("/masuk")
        response = client.post("/masuk", data={"username": "siti", "password": "x"})

    assert response.status_code == 403


def post_login(client, username: str, password: str):
    form = client.get("/masuk")
    return client.post(
        "/masuk",
        data={"username": username, "password": password, "csrf_token": csrf_of(form)},
    )


def test_login_throttled_after_five_failures(db, writable_server):
    add_user(db, "siti", "viewer")

    with api_client(writable_server) as client:
        failures = [post_login(client, "siti", "wrong").status_code for _ in range(5)]
        throttled = post_login(client, "siti", PASSWORD)

    assert failures == [401] * 5
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1
    assert events(db, "siti") == ["user_created"] + ["login_failed"] * 5 + ["locked"]


def test_login_throttled_after_twenty_failures_from_address(db, writable_server):
    add_user(db, "siti", "viewer")

    with api_client(writable_server) as client:
        failures = [
            post_login(client, f"guess{n}", "wrong").status_code
            for n in range(IP_FAILURES_ALLOWED)
        ]
        throttled = post_login(client, "siti", PASSWORD)

    assert failures == [401] * IP_FAILURES_ALLOWED
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 60
    assert events(db, "siti") == ["user_created"]


def test_logout_recorded_and_ends_session(db, writable_server):
    add_user(db, "siti", "viewer")

    with signed_in(writable_server, "siti") as client:
        token = session_csrf(client)
        response = client.post("/keluar", data={"csrf_token": token})
        after = client.get("/akun", follow_redirects=False)

    assert response.status_code == 303
    assert (after.status_code, after.headers["location"]) == (
        303,
        "/masuk?next=%2Fakun",
    )
    assert events(db, "siti") == ["user_created", "login", "logout"]


def test_disabled_user_session_ends(db, writable_server):
    add_user(db, "siti", "viewer")

    with signed_in(writable_server, "siti") as client:
        with db.begin() as connection:
            set_active(connection, "siti", False, ACTOR)
        response = client.get("/akun", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/masuk?next=%2Fakun"


@pytest.mark.parametrize("change", ["revoke", "disable"])
def test_token_rejected_after_change(db, writable_server, change):
    add_user(db, "siti", "viewer")
    token = add_token(db, "siti")

    with api_client(writable_server, token) as client:
        before = client.get("/api/v1/me")
        with db.begin() as connection:
            if change == "revoke":
                token_id = list_tokens(connection, "siti")[0]["id"]
                revoke_token(connection, "siti", token_id, ACTOR)
            else:
                set_active(connection, "siti", False, ACTOR)
        after = client.get("/api/v1/me")
        read = client.get("/api/v1/observations", params={"area": "32.75"})

    assert before.status_code == 200
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "not_authenticated"
    assert after.headers["WWW-Authenticate"] == "Bearer"
    assert read.status_code == 401


# Web user management


def test_users_page_manages_users(db, writable_server):
    add_user(db, "admin", "admin")

    with signed_in(writable_server, "admin") as client:
        page = client.get("/pengguna")
        token = csrf_of(page)
        added = client.post(
            "/pengguna",
            data={
                "csrf_token": token,
                "username": "camat1",
                "full_name": "Camat Satu",
                "role": "area_operator",
                "password": PASSWORD,
                "areas": KECAMATAN,
            },
        )
        disabled = client.post("/pengguna/camat1/nonaktif", data={"csrf_token": token})
        after_disable = get_user_active(db, "camat1")
        enabled = client.post("/pengguna/camat1/aktif", data={"csrf_token": token})
        listing = client.get("/pengguna")

    assert page.status_code == 200
    assert '<option value="area_operator">Operator kecamatan/kelurahan</option>' in (
        page.text
    )
    assert added.status_code == 303
    assert disabled.status_code == 303
    assert after_disable is False
    assert enabled.status_code == 303
    assert get_user_active(db, "camat1") is True
    assert 'data-user="camat1"' in listing.text
    assert events(db, "camat1") == ["user_created", "user_disabled", "user_enabled"]


def get_user_active(db, username: str) -> bool:
    with db.connect() as connection:
        return get_user(connection, username).is_active


def test_users_page_sets_password(db, writable_server):
    add_user(db, "admin", "admin")
    add_user(db, "siti", "viewer")

    with signed_in(writable_server, "admin") as client:
        response = client.post(
            "/pengguna/siti/sandi",
            data={"csrf_token": session_csrf(client), "password": "baru-sekali-123"},
        )

    assert response.status_code == 303
    assert attempt(db, "siti", "baru-sekali-123") == "signed_in"


def test_users_page_shows_activity(db, writable_server):
    add_user(db, "admin", "admin")
    add_user(db, "siti", "viewer")
    attempt(db, "siti", "wrong-password")

    with signed_in(writable_server, "admin") as client:
        response = client.get("/pengguna/siti")
        english = client.get("/pengguna/siti", params={"lang": "en"})

    assert response.status_code == 200
    assert "<td>gagal masuk</td>" in response.text
    assert "<td>pengguna dibuat</td>" in response.text
    assert "<td>login_failed</td>" in english.text


@pytest.mark.parametrize("role", ["analyst", "viewer", "skpd_operator"])
def test_users_page_admin_only(db, writable_server, role):
    add_user(db, "someone", role, skpd="DINKES" if role == "skpd_operator" else None)

    with signed_in(writable_server, "someone") as client:
        page = client.get("/pengguna")
        added = client.post(
            "/pengguna",
            data={
                "csrf_token": session_csrf(client),
                "username": "intruder",
                "full_name": "Intruder",
                "role": "admin",
                "password": PASSWORD,
            },
        )

    assert page.status_code == 403
    assert added.status_code == 403
    with db.connect() as connection, pytest.raises(UserError):
        get_user(connection, "intruder")


def test_account_page_creates_and_revokes_token(db, writable_server):
    add_user(db, "siti", "viewer")

    with signed_in(writable_server, "siti") as client:
        token_csrf = session_csrf(client)
        client.post("/akun/token", data={"csrf_token": token_csrf, "name": "laptop"})
        shown = client.get("/akun")
        shown_again = client.get("/akun")
        with db.connect() as connection:
            token_id = list_tokens(connection, "siti")[0]["id"]
        revoked = client.post(
            f"/akun/token/{token_id}/cabut", data={"csrf_token": token_csrf}
        )

    new_token = shown.text.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert new_token.startswith("p3bm_")
    assert "<th>Awalan</th>" in shown.text
    assert new_token not in shown_again.text
    assert revoked.status_code == 303
    with api_client(writable_server, new_token) as client:
        assert client.get("/api/v1/me").status_code == 401


def test_account_page_changes_password(db, writable_server):
    add_user(db, "siti", "viewer")

    with signed_in(writable_server, "siti") as client:
        wrong = client.post(
            "/akun/sandi",
            data={
                "csrf_token": session_csrf(client),
                "current": "bukan-sandinya",
                "password": "baru-sekali-123",
            },
        )
        response = client.post(
            "/akun/sandi",
            data={
                "csrf_token": session_csrf(client),
                "current": PASSWORD,
                "password": "baru-sekali-123",
            },
        )
        too_short = client.post(
            "/akun/sandi",
            data={
                "csrf_token": session_csrf(client),
                "current": "baru-sekali-123",
                "password": "x",
            },
        )

    assert wrong.status_code == 400
    assert "Kata sandi saat ini salah" in wrong.text
    assert response.status_code == 303
    assert too_short.status_code == 400
    assert attempt(db, "siti", "baru-sekali-123") == "signed_in"


def test_token_created_by_library_is_usable(db, writable_server):
    add_user(db, "siti", "viewer")
    with db.begin() as connection:
        token = create_token(connection, "siti", "script", ACTOR)

    with api_client(writable_server, token) as client:
        response = client.get("/api/v1/me")

    assert response.status_code == 200
    assert response.json()["role"] == "viewer"
