"""Who is asking: web sessions, API tokens, CSRF protection, login and logout.

Browsers sign in with a form and get a signed session cookie (HttpOnly,
SameSite=Lax). Every state-changing request made with that cookie must carry
the session's CSRF token, in the form field ``csrf_token`` or the header
``X-CSRF-Token``. Machine clients send ``Authorization: Bearer <token>`` with
a personal API token instead and need no CSRF token. A disabled user's
session and tokens stop working on the next request.

A session stores the user's session version from its login and counts as
signed out once the user's version differs. Logging out (on any device), a
change of password, and disabling or enabling the user increase the version,
so a copy of an earlier cookie no longer works.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Annotated
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from p3bm.errors import NotAuthenticated, PermissionDenied, TooManyAttempts
from p3bm.storage.database import Database
from p3bm.storage.schema import meta
from p3bm.users import (
    User,
    authenticate,
    end_sessions,
    get_user_by_id,
    record_event,
    user_for_token,
)

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
SESSION_COOKIE = "p3bm_session"
SESSION_MAX_AGE = 8 * 60 * 60
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# The largest id an integer column holds on both engines; larger ids in a
# path are invalid requests, not server errors.
MAX_ID = 2**31 - 1


def session_secret(db: Database, configured: str | None) -> str:
    """The key that signs sessions: the setting, else one kept in the database.

    Keeping a generated key in the database lets every worker process share it
    and keeps users signed in across restarts.
    """
    if configured:
        return configured
    with db.begin() as connection:
        found = connection.execute(
            sa.select(meta.c.value).where(meta.c.key == "session_secret")
        ).scalar()
        if found:
            return found
        generated = secrets.token_urlsafe(48)
        connection.execute(meta.insert().values(key="session_secret", value=generated))
        return generated


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def current_user(request: Request) -> User | None:
    """The signed-in user, found once per request; None for anonymous visitors.

    Raises NotAuthenticated for a bearer token that is unknown, revoked or
    belongs to a disabled user.
    """
    if hasattr(request.state, "user"):
        return request.state.user
    user = None
    token = _bearer(request)
    db: Database = request.app.state.db
    if token is not None:
        with db.begin() as connection:
            user = user_for_token(connection, token)
        if user is None:
            raise NotAuthenticated("The API token is invalid or revoked.")
        request.state.uses_token = True
    else:
        user_id = request.session.get("user_id")
        if isinstance(user_id, int):
            with db.connect() as connection:
                user = get_user_by_id(connection, user_id)
            if not _session_is_current(request, user):
                request.session.clear()
                user = None
    request.state.user = user
    return user


def _session_is_current(request: Request, user: User | None) -> bool:
    return (
        user is not None
        and user.is_active
        and request.session.get("session_version") == user.session_version
    )


CurrentUser = Annotated[User | None, Depends(current_user)]


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def require_csrf(request: Request) -> None:
    """Reject an unsafe cookie-authenticated request without the session's token."""
    if request.method not in UNSAFE_METHODS or _bearer(request) is not None:
        return
    if request.url.path.startswith("/api/") and "user_id" not in request.session:
        # No session means no ambient authority to abuse; the endpoint answers 401.
        return
    expected = request.session.get("csrf")
    given = request.headers.get("x-csrf-token")
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else None
    if not expected or not given or not hmac.compare_digest(expected, given):
        raise PermissionDenied(
            "The form has expired or the request lacks its CSRF token; "
            "reload the page.",
            indonesian=(
                "Formulir kedaluwarsa atau tanpa token CSRF; muat ulang halaman.",
                None,
            ),
        )


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _login_page(
    request: Request, lang: str, message: str | None, status: int, next_path: str
) -> HTMLResponse:
    from p3bm.web.pages import render_page

    return render_page(
        request,
        "web/login.html",
        lang,
        status=status,
        message=message,
        next_path=next_path,
    )


def _safe_next(path: str | None) -> str:
    if not path or not path.startswith("/") or path.startswith("//"):
        return "/"
    return path


@router.get("/masuk", response_class=HTMLResponse)
def login_form(request: Request, lang: str = "id", next: str = "/") -> HTMLResponse:
    return _login_page(request, _lang(lang), None, 200, _safe_next(next))


def _lang(lang: str | None) -> str:
    return lang if lang in ("id", "en") else "id"


@router.post(
    "/masuk", response_class=HTMLResponse, dependencies=[Depends(require_csrf)]
)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next_path: Annotated[str, Form(alias="next", max_length=500)] = "/",
    lang: str = "id",
) -> Response:
    db: Database = request.app.state.db
    language = _lang(lang)
    try:
        user = authenticate(db, username, password, _client_ip(request))
    except TooManyAttempts as exc:
        logger.warning("login throttled for %r from %s", username, _client_ip(request))
        response = _login_page(request, language, exc.text(language), 429, next_path)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except NotAuthenticated as exc:
        logger.info("failed login for %r from %s", username, _client_ip(request))
        return _login_page(request, language, exc.text(language), 401, next_path)
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["session_version"] = user.session_version
    request.session["csrf"] = secrets.token_urlsafe(32)
    logger.info("user %s signed in from %s", user.username, _client_ip(request))
    target = _safe_next(next_path)
    separator = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{separator}{urlencode({'lang': language})}", 303)


@router.post("/keluar", dependencies=[Depends(require_csrf)])
def logout(request: Request, user: CurrentUser, lang: str = "id") -> Response:
    if user is not None:
        with request.app.state.db.begin() as connection:
            record_event(connection, user.username, "logout", ip=_client_ip(request))
            end_sessions(connection, user.id)
    request.session.clear()
    return RedirectResponse(f"/?lang={_lang(lang)}", 303)
