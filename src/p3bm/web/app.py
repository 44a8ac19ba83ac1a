"""The FastAPI application: dashboard pages, JSON API and error handling.

Errors a user causes are answered in one shape: JSON ``{"error": {"code",
"message"}}`` under ``/api`` and an HTML page elsewhere, with the status the
error carries.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from p3bm import __version__
from p3bm.errors import P3BMError, TooManyAttempts
from p3bm.rendering import render
from p3bm.settings import Settings
from p3bm.storage.database import Database
from p3bm.web.auth import SESSION_COOKIE, SESSION_MAX_AGE, session_secret
from p3bm.web.cache import VersionedCache

logger = logging.getLogger(__name__)


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    """Build the application for one database."""
    db = database or Database(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        try:
            db.check_ready()
            logger.info("P3BM %s serving %s", __version__, db.display_url)
            yield
            logger.info("P3BM stopped serving %s", db.display_url)
        finally:
            db.dispose()

    app = FastAPI(
        title="P3BM API",
        version=__version__,
        description="Read-only access to areas, indicators, observations and "
        "data completeness.",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.settings = settings
    app.state.overviews = VersionedCache()
    try:
        secret = session_secret(db, settings.secret_key)
    except P3BMError:
        # The caller gets no application, so nothing else would close the pool.
        db.dispose()
        raise
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=settings.secure_cookies,
    )

    from p3bm.web import (
        account_pages,
        analysis_pages,
        api,
        auth,
        entry_pages,
        pages,
        planning_api,
        planning_pages,
        write_api,
    )

    for module in (
        api,
        write_api,
        planning_api,
        auth,
        entry_pages,
        account_pages,
        pages,
        planning_pages,
    ):
        app.include_router(module.router)
    app.include_router(analysis_pages.routes())
    _add_error_handlers(app)
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api")


def _error_response(
    request: Request, status: int, code: str, message: str, details=None
):
    if _wants_json(request):
        error: dict[str, object] = {"code": code, "message": message}
        if details:
            error["details"] = details
        return JSONResponse({"error": error}, status_code=status)
    lang = request.query_params.get("lang") or request.app.state.settings.lang
    lang = lang if lang in ("id", "en") else "id"
    html = render(
        "web/error.html",
        lang,
        status=status,
        message=message,
        link=lambda path, **_: path,
        switch_lang="/",
    )
    return HTMLResponse(html, status_code=status)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(P3BMError)
    async def on_p3bm_error(request: Request, exc: P3BMError):
        if exc.http_status >= 500:
            logger.error("request %s failed: %s", request.url.path, exc)
        lang = request.query_params.get("lang") or app.state.settings.lang
        # A blocked submission lists the rules that block it.
        details = [
            result.to_dict(lang) for result in getattr(exc, "results", None) or []
        ]
        response = _error_response(
            request, exc.http_status, exc.code, exc.text(lang), details
        )
        if isinstance(exc, TooManyAttempts):
            response.headers["Retry-After"] = str(exc.retry_after)
        if exc.http_status == 401 and _wants_json(request):
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        message = f"Invalid {where}: {first.get('msg', 'invalid request')}."
        return _error_response(request, 422, "invalid_request", message)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException):
        return _error_response(request, exc.status_code, "http_error", str(exc.detail))

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception):
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error_response(request, 500, "internal_error", "Internal server error.")
