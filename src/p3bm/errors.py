"""Exceptions raised by the P3BM library.

Every error a user can cause derives from ``P3BMError``. The CLI prints its
message on one line and exits with ``exit_code``; the web API answers with
``http_status`` and the JSON error shape ``{"error": {"code", "message"}}``.

    P3BMError
    ├── ConfigurationError        bad setting, database URL or option value
    ├── DatabaseNotReady          schema missing or older than this version
    ├── AreaError
    │   ├── AreaNotFound
    │   ├── AmbiguousAreaName
    │   └── RegionNotFound
    ├── IndicatorNotFound
    ├── SkpdNotFound
    ├── CatalogueError            invalid catalogue file
    ├── InputFileError            unreadable or unrecognised input file
    │   └── ImportRejected        validation found errors; nothing was written
    ├── PermissionDenied
    ├── NotAuthenticated
    │   └── TooManyAttempts       failed logins slowed down
    ├── WorkflowError             a status change the workflow forbids
    │   └── ValidationFailed      rules block a submission
    └── ConflictError             a value changed since it was read
"""

from __future__ import annotations


class P3BMError(Exception):
    """Base class of the errors a user can cause and correct."""

    code = "error"
    exit_code = 1
    http_status = 400

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        indonesian: tuple[str, str | None] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # Message and hint in Indonesian, where the raiser wrote them.
        self.indonesian = indonesian

    def __str__(self) -> str:
        return self.text("en")

    def text(self, lang: str) -> str:
        """The message and hint in ``lang`` (id or en), falling back to English."""
        message, hint = self.message, self.hint
        if lang == "id" and self.indonesian is not None:
            message, hint = self.indonesian
        return f"{message} {hint}" if hint else message


class ConfigurationError(P3BMError):
    code = "invalid_configuration"
    exit_code = 2


class DatabaseNotReady(P3BMError):
    code = "database_not_ready"
    exit_code = 3
    http_status = 503


class AreaError(P3BMError):
    code = "area_error"


class AreaNotFound(AreaError):
    code = "area_not_found"
    http_status = 404


class AmbiguousAreaName(AreaError):
    code = "ambiguous_area_name"

    def __init__(self, message: str, candidates: list[str], **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.candidates = candidates


class RegionNotFound(AreaError):
    code = "region_not_found"
    http_status = 404


class IndicatorNotFound(P3BMError):
    code = "indicator_not_found"
    http_status = 404


class SkpdNotFound(P3BMError):
    code = "skpd_not_found"
    http_status = 404


class BudgetLineNotFound(P3BMError):
    """No budget line has the requested id."""

    code = "budget_line_not_found"
    http_status = 404


class CatalogueError(P3BMError):
    code = "invalid_catalogue"


class InputFileError(P3BMError):
    code = "invalid_file"


class ImportRejected(InputFileError):
    """Validation found errors, so the import wrote nothing."""

    code = "import_rejected"
    http_status = 422

    def __init__(self, message: str, report, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.report = report


class PermissionDenied(P3BMError):
    code = "permission_denied"
    exit_code = 4
    http_status = 403


class NotAuthenticated(P3BMError):
    code = "not_authenticated"
    exit_code = 4
    http_status = 401


class TooManyAttempts(NotAuthenticated):
    code = "too_many_attempts"
    http_status = 429

    def __init__(self, message: str, retry_after: int, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class WorkflowError(P3BMError):
    code = "workflow_error"
    http_status = 409


class ValidationFailed(WorkflowError):
    """Validation rules found errors, or warnings without a comment."""

    code = "validation_failed"
    http_status = 422

    def __init__(self, message: str, results: list, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.results = results


class ConflictError(P3BMError):
    code = "conflict"
    http_status = 409
