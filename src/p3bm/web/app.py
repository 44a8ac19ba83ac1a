"""The FastAPI application: dashboard pages, JSON API and error handling.

Errors a user causes are answered in one shape: JSON ``{"error": {"code",
"message"}}`` under ``/api`` and an HTML page elsewhere, with the status the
error carries.

Every response carries security headers (``SECURITY_HEADERS``), and a request
whose body is larger than ``MAX_REQUEST_BYTES`` gets a 413 response before
its body is read, or as soon as a chunked body passes the limit. A HEAD
request gets the status and headers of the GET of the same path.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from p3bm import __version__
from p3bm.errors import P3BMError, TooManyAttempts
from p3bm.rendering import compile_templates, render
from p3bm.settings import Settings
from p3bm.storage.database import Database
from p3bm.web.auth import SESSION_COOKIE, SESSION_MAX_AGE, session_secret
from p3bm.web.cache import VersionedCache

logger = logging.getLogger(__name__)
# Above the 10 MB upload limit of entry_pages, with room for the multipart
# framing and the other form fields.
MAX_REQUEST_BYTES = 12 * 1024 * 1024
# The pages use inline <script> and <style> blocks, style="" attributes and
# onchange="" handlers, so scripts and styles need 'unsafe-inline'.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
TOO_LARGE_MESSAGE = (
    f"Permintaan lebih besar dari {MAX_REQUEST_BYTES // (1024 * 1024)} MB. "
    "Kirim berkas yang lebih kecil. / The request is larger than "
    f"{MAX_REQUEST_BYTES // (1024 * 1024)} MB. Send a smaller file."
)
NUL_MESSAGES = {
    "id": "Teks berisi karakter NUL (\\x00) yang tidak dapat disimpan. Hapus "
    "karakter itu lalu kirim lagi.",
    "en": "The text contains a NUL character (\\x00), which cannot be stored. "
    "Remove it and send again.",
}
# Indonesian for the HTTP errors the router raises itself, whose English
# detail is the status phrase.
HTTP_MESSAGES_ID = {
    404: "Halaman tidak ditemukan. Periksa alamatnya.",
    405: "Metode permintaan ini tidak diizinkan untuk alamat ini.",
}
INTERNAL_ERROR_MESSAGES = {
    "id": "Terjadi kesalahan di server. Coba lagi nanti atau hubungi admin.",
    "en": "Internal server error.",
}
# Indonesian reasons for the usual request validation errors, by pydantic's
# error type; other types keep pydantic's English message.
VALIDATION_REASONS_ID = {
    "missing": "wajib diisi",
    "int_parsing": "harus bilangan bulat",
    "float_parsing": "harus angka",
    "bool_parsing": "harus true atau false",
    "string_pattern_mismatch": "bentuknya tidak sesuai",
    "string_too_long": "terlalu panjang",
    "string_too_short": "terlalu pendek",
    "greater_than_equal": "terlalu kecil",
    "less_than_equal": "terlalu besar",
    "greater_than": "terlalu kecil",
    "less_than": "terlalu besar",
    "literal_error": "bukan salah satu pilihan yang sah",
}


class RequestTooLarge(StarletteHTTPException):
    """A request body passed ``MAX_REQUEST_BYTES`` while it was read."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail=TOO_LARGE_MESSAGE)


class RequestSizeLimit:
    """ASGI middleware that rejects a request body over ``max_bytes`` with 413.

    A declared Content-Length over the limit gets its 413 before the body is
    read. A chunked body is counted as it arrives, and reading it raises
    RequestTooLarge once it passes the limit, which the error handlers turn
    into a 413 response.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_REQUEST_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _content_length(scope) > self.max_bytes:
            request = Request(scope)
            logger.warning(
                "rejected %s %s: Content-Length over %d bytes",
                request.method,
                request.url.path,
                self.max_bytes,
            )
            response = _error_response(
                request, 413, "request_too_large", TOO_LARGE_MESSAGE
            )
            await response(scope, receive, send)
            return
        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise RequestTooLarge()
            return message

        await self.app(scope, receive_limited, send)


def _content_length(scope: Scope) -> int:
    """Return the request's declared Content-Length, or 0 when absent or invalid."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0


class SecurityHeaders:
    """ASGI middleware adding ``SECURITY_HEADERS`` to every HTTP response.

    Starlette runs the handler of unexpected errors (500) outside all added
    middleware, so that handler adds the headers itself.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeadAsGet:
    """ASGI middleware that passes a HEAD request to the routes as a GET.

    The routes declare GET only, so HEAD would get 405. The HTTP server still
    sees the original HEAD request, so it sends the status and headers of the
    GET response and leaves the body out.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "HEAD":
            scope = {**scope, "method": "GET"}
        await self.app(scope, receive, send)


def create_app(settings: Settings, database: Database | None = None) -> FastAPI:
    """Build the application for one database."""
    db = database or Database(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        try:
            db.check_ready()
            compile_templates()
            logger.info("P3BM %s serving %s", __version__, db.display_url)
            yield
            logger.info("P3BM stopped serving %s", db.display_url)
        finally:
            db.dispose()

    app = FastAPI(
        title="P3BM API",
        version=__version__,
        description="Areas, indicators, observations, completeness and the "
        "analyses to read; batches of values, file imports, DHIS2 data value "
        "sets, the submission workflow and the programme register to write, "
        "with a personal API token (Authorization: Bearer TOKEN).",
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
    # Added last, so they run first: oversized bodies are rejected before the
    # session is read, and 413 responses get the security headers too.
    app.add_middleware(RequestSizeLimit)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(HeadAsGet)

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
        if (
            exc.http_status == 401
            and request.method == "GET"
            and not _wants_json(request)
        ):
            # A page that needs an account sends the visitor to sign in first.
            target = request.url.path + (
                f"?{request.url.query}" if request.url.query else ""
            )
            return RedirectResponse(f"/masuk?{urlencode({'next': target})}", 303)
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
        reason = first.get("msg", "invalid request")
        lang = request.query_params.get("lang") or app.state.settings.lang
        if lang == "en":
            message = f"Invalid {where}: {reason}."
        else:
            reason = VALIDATION_REASONS_ID.get(first.get("type"), reason)
            message = f"Nilai {where} tidak sah ({reason}); periksa alamat atau isian."
        return _error_response(request, 422, "invalid_request", message)

    @app.exception_handler(sa.exc.DataError)
    async def on_data_error(request: Request, exc: sa.exc.DataError):
        # psycopg raises DataError for a text parameter containing NUL, because
        # PostgreSQL text cannot store it; SQLite stores such text unchanged.
        if "NUL" not in str(exc.orig):
            return await on_unexpected(request, exc)
        logger.info("rejected NUL character on %s %s", request.method, request.url.path)
        lang = request.query_params.get("lang") or app.state.settings.lang
        message = NUL_MESSAGES["en" if lang == "en" else "id"]
        return _error_response(request, 400, "invalid_text", message)

    @app.exception_handler(RequestTooLarge)
    async def on_too_large(request: Request, exc: RequestTooLarge):
        logger.warning(
            "rejected %s %s: body over %d bytes",
            request.method,
            request.url.path,
            MAX_REQUEST_BYTES,
        )
        return _error_response(request, 413, "request_too_large", TOO_LARGE_MESSAGE)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException):
        message = str(exc.detail)
        lang = request.query_params.get("lang") or app.state.settings.lang
        if lang != "en" and exc.status_code in HTTP_MESSAGES_ID:
            message = HTTP_MESSAGES_ID[exc.status_code]
        return _error_response(request, exc.status_code, "http_error", message)

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception):
        logger.exception("unexpected error on %s %s", request.method, request.url.path)
        lang = request.query_params.get("lang") or app.state.settings.lang
        message = INTERNAL_ERROR_MESSAGES["en" if lang == "en" else "id"]
        response = _error_response(request, 500, "internal_error", message)
        response.headers.update(SECURITY_HEADERS)
        return response
