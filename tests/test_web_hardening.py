"""Session revocation, security headers, request size limits and NUL characters."""

from __future__ import annotations

import asyncio
import io
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import openpyxl
import pytest
from web_fixtures import (
    ACTOR,
    KECAMATAN,
    KELURAHAN,
    PASSWORD,
    YEAR,
    add_token,
    add_user,
    api_client,
    count_rows,
    csrf_of,
    run_cli,
    session_csrf,
    signed_in,
    stored,
    writable_server_fixture,  # noqa: F401
)

from p3bm.areas.registry import get_area, list_areas
from p3bm.storage.schema import app_user, observation
from p3bm.users import get_user, set_active
from p3bm.web.app import MAX_REQUEST_BYTES

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


def post_login(client: httpx.Client, username: str, password: str):
    form = client.get("/masuk")
    return client.post(
        "/masuk",
        data={"username": username, "password": password, "csrf_token": csrf_of(form)},
    )


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
            data={
                "csrf_token": session_csrf(client),
                "current": PASSWORD,
                "password": NEW_PASSWORD,
            },
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


# Security headers

EXPECTED_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


@pytest.mark.parametrize("path", ["/", "/masuk", "/api/v1/me", "/tidak-ada"])
def test_security_headers_on_every_response(db, writable_server, path):
    with httpx.Client(base_url=writable_server, timeout=60) as client:
        response = client.get(path)

    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value, name
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert "form-action 'self'" in policy


def test_security_headers_on_unexpected_error(db):
    from p3bm.settings import load_settings
    from p3bm.web import create_app

    app = create_app(load_settings(database_url=db.url), db)

    @app.get("/rusak")
    def broken():
        raise RuntimeError("a bug in a handler")

    async def fetch() -> httpx.Response:
        # Starlette sends the 500 response, then raises the error again for
        # the server to log; the transport keeps the response instead.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://p3bm.test"
        ) as client:
            return await client.get("/rusak")

    response = asyncio.run(fetch())

    assert response.status_code == 500
    assert "Terjadi kesalahan di server." in response.text
    for name, value in EXPECTED_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert "default-src 'self'" in response.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/masuk", "/api/v1/health", "/api/openapi.json"])
def test_head_returns_get_headers(db, writable_server, path):
    with httpx.Client(base_url=writable_server, timeout=60) as client:
        got = client.get(path)
        head = client.head(path)

    assert got.status_code == 200
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["x-frame-options"] == "DENY"


def test_head_of_missing_page_is_404(db, writable_server):
    with httpx.Client(base_url=writable_server, timeout=60) as client:
        head = client.head("/tidak-ada")

    assert head.status_code == 404
    assert head.content == b""


# Request size limit


def raw_request(base_url: str, head: str) -> tuple[int, bytes]:
    """Send a request head without its body; return the status and response body."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(head.encode("ascii"))
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    status_line, _, rest = received.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/v1/observations/batch", "application/json"),
        ("/entri-unggah?tahun=2024", "multipart/form-data; boundary=x"),
    ],
)
def test_declared_length_over_limit_returns_413(
    db, writable_server, path, content_type
):
    length = 100 * 1024 * 1024
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    )

    status, body = raw_request(writable_server, head)

    assert status == 413
    assert b"12 MB" in body
    assert b"Permintaan lebih besar" in body


MULTIPART_HEAD = (
    b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.xlsx"\r\n\r\n'
)


def chunks(total: int, first: bytes = b"", size: int = 1024 * 1024) -> Iterator[bytes]:
    """Yield ``first``, then spaces up to ``total`` bytes: a chunked request body."""
    yield first
    sent = len(first)
    while sent < total:
        part = min(size, total - sent)
        sent += part
        yield b" " * part


def test_chunked_json_over_limit_returns_413(db, writable_server):
    add_user(db, "siti", "analyst")
    token = add_token(db, "siti")

    with api_client(writable_server, token) as client:
        response = client.post(
            "/api/v1/observations/batch",
            content=chunks(MAX_REQUEST_BYTES + 1024 * 1024, b"["),
            headers={"Content-Type": "application/json"},
        )

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert "12 MB" in response.json()["error"]["message"]


def test_chunked_anonymous_upload_returns_413(db, writable_server):
    with api_client(writable_server) as client:
        response = client.post(
            "/entri-unggah",
            params={"tahun": 2024},
            content=chunks(MAX_REQUEST_BYTES + 1024 * 1024, MULTIPART_HEAD),
            headers={"Content-Type": "multipart/form-data; boundary=x"},
        )

    assert response.status_code == 413
    assert "12 MB" in response.text


def test_body_under_limit_still_read(db, writable_server):
    add_user(db, "siti", "analyst")
    token = add_token(db, "siti")

    with api_client(writable_server, token) as client:
        response = client.post(
            "/api/v1/observations/batch",
            content=chunks(2 * 1024 * 1024, b"["),
            headers={"Content-Type": "application/json"},
        )

    assert response.status_code == 422


# NUL characters

ONLY_POSTGRESQL = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@ONLY_POSTGRESQL
def test_login_with_nul_fails_cleanly(db, writable_server):
    add_user(db, "adam", "viewer")

    with httpx.Client(base_url=writable_server, timeout=60) as client:
        response = post_login(client, "ad\x00am", PASSWORD)

    assert response.status_code == 401
    assert "Nama pengguna atau kata sandi salah" in response.text


@ONLY_POSTGRESQL
def test_nul_in_form_returns_400(db, writable_server):
    add_user(db, "siti", "viewer")

    with signed_in(writable_server, "siti") as client:
        response = client.post(
            "/akun/token",
            data={"csrf_token": session_csrf(client), "name": "lap\x00top"},
            params={"lang": "en"},
        )

    assert response.status_code == 400
    assert "NUL character" in response.text


@ONLY_POSTGRESQL
def test_nul_in_api_returns_json_400(db, writable_server):
    add_user(db, "siti", "analyst")
    token = add_token(db, "siti")

    with api_client(writable_server, token) as client:
        response = client.get("/api/v1/history", params={"by": "si\x00ti"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_text"


# Uploads

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_HEADER = [
    "kode_wilayah",
    "nama_wilayah",
    "tingkat",
    "kode_indikator",
    "nama_indikator",
    "satuan",
    "tahun",
    "nilai_tahun_lalu",
    "nilai",
    "keterangan",
]
# Enough invalid rows that checking the file takes about a second or more.
SLOW_UPLOAD_ROWS = 20_000


def workbook(rows: list[tuple[str, str, int, object]]) -> bytes:
    """An upload workbook of (area, indicator, year, value) rows."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Data")
    sheet.append(UPLOAD_HEADER)
    for area, indicator, year, value in rows:
        sheet.append([area, "", "", indicator, "", "", year, None, value, None])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def slow_upload() -> bytes:
    return workbook([(KELURAHAN, "STUNTING", YEAR, "abc")] * SLOW_UPLOAD_ROWS)


def upload_page(client: httpx.Client, data: bytes, lang: str = "id"):
    page = client.get("/entri", params={"tahun": YEAR})
    return client.post(
        "/entri-unggah",
        params={"tahun": YEAR, "lang": lang},
        data={"csrf_token": csrf_of(page)},
        files={"file": ("data.xlsx", data, XLSX)},
    )


def import_api(client: httpx.Client, data: bytes, dry_run: bool) -> dict:
    response = client.post(
        "/api/v1/imports",
        params={"dry_run": str(dry_run).lower(), "lang": "en"},
        files={"file": ("data.xlsx", data, XLSX)},
    )
    assert response.status_code == 200, response.text
    return response.json()


def outcome_counts(body: dict) -> dict[str, int]:
    report = body["report"]
    return {name: report[name] for name in ("added", "changed", "unchanged")}


def item_counts(body: dict) -> dict[str, int]:
    outcomes = [item["outcome"] for item in body["items"]]
    return {name: outcomes.count(name) for name in ("added", "changed", "unchanged")}


def test_import_report_counts_written_values(db, writable_server):
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")
    token = add_token(db, "dinkes1")
    first = workbook(
        [(KELURAHAN, "STUNTING", YEAR, 12), (KECAMATAN, "STUNTING", YEAR, 9)]
    )
    second = workbook(
        [(KELURAHAN, "STUNTING", YEAR, 15), (KECAMATAN, "STUNTING", YEAR, 9)]
    )

    with api_client(writable_server, token) as client:
        written = import_api(client, first, dry_run=False)
        again = import_api(client, second, dry_run=False)

    assert written["report"]["outcome"] == "written"
    assert written["report"]["dry_run"] is False
    assert outcome_counts(written) == {"added": 2, "changed": 0, "unchanged": 0}
    assert item_counts(written) == outcome_counts(written)
    assert again["report"]["dry_run"] is False
    assert outcome_counts(again) == {"added": 0, "changed": 1, "unchanged": 1}
    assert item_counts(again) == outcome_counts(again)
    assert stored(db, "STUNTING", KELURAHAN).value == 15


def test_import_report_counts_dry_run(db, writable_server):
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")
    token = add_token(db, "dinkes1")
    data = workbook(
        [(KELURAHAN, "STUNTING", YEAR, 12), (KECAMATAN, "STUNTING", YEAR, 9)]
    )

    with api_client(writable_server, token) as client:
        checked = import_api(client, data, dry_run=True)

    assert checked["report"]["outcome"] == "checked"
    assert checked["report"]["dry_run"] is True
    assert outcome_counts(checked) == {"added": 2, "changed": 0, "unchanged": 0}
    assert item_counts(checked) == outcome_counts(checked)
    assert count_rows(db, observation) == 0


@pytest.mark.parametrize(
    ("lang", "notice"),
    [
        ("id", "Hanya 200 masalah pertama yang ditampilkan; 19800 masalah lainnya"),
        ("en", "Only the first 200 problems are shown; 19800 more problems"),
    ],
)
def test_upload_page_shows_first_problems(
    db, writable_server, slow_upload, lang, notice
):
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")

    with signed_in(writable_server, "dinkes1") as client:
        response = upload_page(client, slow_upload, lang)

    assert response.status_code == 422
    assert 'data-outcome="rejected"' in response.text
    assert response.text.count('<tr class="error">') == 200
    assert notice in response.text
    assert len(response.content) < 500_000


def test_upload_page_shows_first_rejected_values(db, writable_server):
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")
    with db.connect() as connection:
        region = get_area(connection, "32.75")
        areas = [area.code for area in list_areas(connection, within=region)]
    # DESIL1_JIWA belongs to DINSOS, so every row is forbidden to a DINKES operator.
    keys = [(area, year) for area in areas for year in range(2015, 2025)]
    rows = [(area, "DESIL1_JIWA", year, 10) for area, year in keys[:250]]

    with signed_in(writable_server, "dinkes1") as client:
        response = upload_page(client, workbook(rows), "en")

    assert 'data-outcome="rejected"' in response.text
    assert response.text.count('<tr class="error">') == 200
    assert "Only the first 200 rejected values are shown; 50 more" in response.text


def test_upload_leaves_server_responsive(db, writable_server, slow_upload):
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")
    finished: dict[str, float] = {}

    with signed_in(writable_server, "dinkes1") as uploader:
        csrf = session_csrf(uploader)

        def upload() -> None:
            uploader.post(
                "/entri-unggah",
                params={"tahun": YEAR},
                data={"csrf_token": csrf},
                files={"file": ("data.xlsx", slow_upload, XLSX)},
            )
            finished["upload"] = time.monotonic()

        worker = threading.Thread(target=upload)
        worker.start()
        # The upload is sent within milliseconds and checked for a second or more.
        time.sleep(0.3)
        with httpx.Client(base_url=writable_server, timeout=60) as client:
            other = client.get("/masuk")
        finished["other"] = time.monotonic()
        worker.join(120)

    assert other.status_code == 200
    assert "upload" in finished
    assert finished["other"] < finished["upload"]
