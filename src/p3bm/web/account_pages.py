"""Pages for one's own account and tokens, user management and value history."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from p3bm.areas import registry as area_registry
from p3bm.catalogue import known_skpd_codes
from p3bm.errors import NotAuthenticated
from p3bm.observations import value_history
from p3bm.permissions import require_admin, require_user
from p3bm.spreadsheet import escape_csv_value
from p3bm.users import (
    ROLE_LABELS,
    UserError,
    auth_events,
    authenticate,
    create_token,
    create_user,
    get_user,
    list_tokens,
    list_users,
    revoke_token,
    set_active,
    set_password,
)
from p3bm.web.auth import MAX_ID, CurrentUser, require_csrf
from p3bm.web.pages import render_page

router = APIRouter(include_in_schema=False)
Lang = Annotated[str, Query(pattern="^(id|en)$")]


@router.get("/akun", response_class=HTMLResponse)
def account(
    request: Request, user: CurrentUser, lang: Lang = "id", new_token: str | None = None
) -> HTMLResponse:
    found = require_user(user)
    with request.app.state.db.connect() as connection:
        tokens = list_tokens(connection, found.username)
    # The new token arrives once, from the redirect after creating it.
    token = request.session.pop("new_token", None)
    return render_page(
        request, "web/account.html", lang, tokens=tokens, new_token=token
    )


@router.post("/akun/token", dependencies=[Depends(require_csrf)])
def account_token(
    request: Request,
    user: CurrentUser,
    name: Annotated[str, Form(min_length=1, max_length=100)],
    lang: Lang = "id",
) -> Response:
    found = require_user(user)
    with request.app.state.db.begin() as connection:
        request.session["new_token"] = create_token(
            connection, found.username, name, found.username
        )
    return RedirectResponse(f"/akun?lang={lang}", 303)


@router.post("/akun/token/{token_id}/cabut", dependencies=[Depends(require_csrf)])
def account_revoke(
    request: Request,
    token_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    user: CurrentUser,
    lang: Lang = "id",
) -> Response:
    found = require_user(user)
    with request.app.state.db.begin() as connection:
        revoke_token(connection, found.username, token_id, found.username)
    return RedirectResponse(f"/akun?lang={lang}", 303)


@router.post("/akun/sandi", dependencies=[Depends(require_csrf)])
def account_password(
    request: Request,
    user: CurrentUser,
    password: Annotated[str, Form(max_length=256)],
    current: Annotated[str, Form(max_length=256)] = "",
    lang: Lang = "id",
) -> Response:
    found = require_user(user)
    # The current password proves that the person at an open browser owns the
    # account; the check is audited and throttled like a sign-in.
    try:
        authenticate(
            request.app.state.db,
            found.username,
            current,
            request.client.host if request.client else None,
        )
    except NotAuthenticated:
        raise UserError(
            "The current password is wrong; the password was not changed.",
            indonesian=("Kata sandi saat ini salah; kata sandi tidak diubah.", None),
        ) from None
    with request.app.state.db.begin() as connection:
        set_password(connection, found.username, password, found.username)
        changed = get_user(connection, found.username)
    # The change revokes every other session, including copies of this cookie,
    # but keeps this browser signed in under the new session version.
    request.session["session_version"] = changed.session_version
    return RedirectResponse(f"/akun?lang={lang}", 303)


@router.get("/pengguna", response_class=HTMLResponse)
def users_page(request: Request, user: CurrentUser, lang: Lang = "id") -> HTMLResponse:
    require_admin(user)
    with request.app.state.db.connect() as connection:
        users = list_users(connection)
        skpd_codes = sorted(known_skpd_codes(connection))
    return render_page(
        request,
        "web/users.html",
        lang,
        users=users,
        roles=ROLE_LABELS,
        skpd_codes=skpd_codes,
    )


@router.post("/pengguna", dependencies=[Depends(require_csrf)])
def users_add(
    request: Request,
    user: CurrentUser,
    username: Annotated[str, Form(max_length=64)],
    full_name: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=20)],
    password: Annotated[str, Form(max_length=256)],
    skpd: Annotated[str, Form(max_length=32)] = "",
    areas: Annotated[str, Form(max_length=500)] = "",
    lang: Lang = "id",
) -> Response:
    admin = require_admin(user)
    with request.app.state.db.begin() as connection:
        create_user(
            connection,
            username,
            full_name=full_name,
            role=role,
            password=password,
            actor=admin.username,
            skpd_code=skpd or None,
            areas=tuple(code for code in areas.replace(",", " ").split() if code),
        )
    return RedirectResponse(f"/pengguna?lang={lang}", 303)


@router.get("/pengguna/{username}", response_class=HTMLResponse)
def user_activity(
    request: Request, username: str, user: CurrentUser, lang: Lang = "id"
) -> HTMLResponse:
    """A user's logins and changes to values, as `p3bm user activity` lists them."""
    require_admin(user)
    with request.app.state.db.connect() as connection:
        found = get_user(connection, username)
        events = auth_events(connection, found.username)
        changes = value_history(connection, user=found.username)
    return render_page(
        request,
        "web/user_activity.html",
        lang,
        person=found,
        events=events,
        changes=changes,
    )


@router.post("/pengguna/{username}/sandi", dependencies=[Depends(require_csrf)])
def users_password(
    request: Request,
    username: str,
    user: CurrentUser,
    password: Annotated[str, Form(max_length=256)],
    lang: Lang = "id",
) -> Response:
    admin = require_admin(user)
    with request.app.state.db.begin() as connection:
        set_password(connection, username, password, admin.username)
    return RedirectResponse(f"/pengguna?lang={lang}", 303)


@router.post("/pengguna/{username}/{action}", dependencies=[Depends(require_csrf)])
def users_toggle(
    request: Request, username: str, action: str, user: CurrentUser, lang: Lang = "id"
) -> Response:
    admin = require_admin(user)
    if action not in ("nonaktif", "aktif"):
        return RedirectResponse(f"/pengguna?lang={lang}", 303)
    with request.app.state.db.begin() as connection:
        set_active(connection, username, action == "aktif", admin.username)
    return RedirectResponse(f"/pengguna?lang={lang}", 303)


@router.get("/riwayat", response_class=HTMLResponse)
def history_page(
    request: Request,
    user: CurrentUser,
    indikator: Annotated[str | None, Query(max_length=40)] = None,
    wilayah: Annotated[str | None, Query(max_length=40)] = None,
    tahun: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    pengguna: Annotated[str | None, Query(max_length=64)] = None,
    format: Annotated[str, Query(pattern="^(html|csv)$")] = "html",
    lang: Lang = "id",
) -> Response:
    require_user(user)
    with request.app.state.db.connect() as connection:
        area = area_registry.get_area(connection, wilayah).code if wilayah else None
        changes = []
        if indikator or area or pengguna:
            changes = value_history(
                connection,
                indicator=indikator.upper() if indikator else None,
                area=area,
                year=tahun,
                user=pengguna,
            )
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer, fieldnames=list(changes[0].to_dict()) if changes else ["indicator"]
        )
        writer.writeheader()
        for change in changes:
            # Reasons and comments are user text: keep formulas in them inert.
            writer.writerow(
                {key: escape_csv_value(v) for key, v in change.to_dict().items()}
            )
        return Response(
            buffer.getvalue(),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="riwayat.csv"'},
        )
    return render_page(
        request,
        "web/history.html",
        lang,
        changes=changes,
        query={
            "indikator": indikator or "",
            "wilayah": wilayah or "",
            "tahun": tahun or "",
            "pengguna": pengguna or "",
        },
    )
