"""The authenticated JSON API for writing values, files and workflow steps.

Clients authenticate with ``Authorization: Bearer <token>`` (a personal API
token) or with a browser session plus the ``X-CSRF-Token`` header. Writes are
checked exactly like the web form: permissions, locks, rules and versions; a
version that no longer matches answers 409.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from p3bm import dhis2
from p3bm.areas import registry as area_registry
from p3bm.catalogue import Catalogue
from p3bm.entry import Entry, EntryWriter, delete_value, is_written
from p3bm.errors import InputFileError
from p3bm.observations import value_history
from p3bm.permissions import require_reviewer, require_user
from p3bm.rules import load_rules
from p3bm.users import User
from p3bm.web.auth import CurrentUser, require_csrf
from p3bm.web.entry_pages import upload_file
from p3bm.web.uploads import read_upload
from p3bm.workbook import build_template
from p3bm.workflow import (
    deadline_of,
    return_values,
    review,
    set_deadline,
    submission_states,
    submit,
)

router = APIRouter(
    prefix="/api/v1", tags=["write"], dependencies=[Depends(require_csrf)]
)
MAX_BATCH = 5000
# Observation ids fit a 32-bit integer column; a larger one would overflow it.
ObservationId = Annotated[int, Field(ge=1, le=2**31 - 1)]
PathYear = Annotated[int, Path(ge=1900, le=2100)]
Number = float | int | str | None


class ValueIn(BaseModel):
    indicator: str = Field(max_length=40)
    area: str = Field(max_length=40)
    year: int = Field(ge=1900, le=2100)
    value: Number = Field(
        description="A number, a numeric text, or null for not applicable."
    )
    disaggregation: str = Field(default="", max_length=100)
    source: str = Field(default="", max_length=100)
    version: int | None = Field(
        default=None,
        ge=1,
        description="Version the value was "
        "read at; a newer stored version answers 409.",
    )
    comment: str | None = Field(default=None, max_length=2000)


class BatchIn(BaseModel):
    items: list[ValueIn] = Field(max_length=MAX_BATCH)
    dry_run: bool = False
    skip_invalid: bool = Field(
        default=False,
        description="Write the valid items even when others are rejected. "
        "Without it, one rejected item means nothing is written.",
    )
    reason: str | None = Field(default=None, max_length=500)


class Problem(BaseModel):
    code: str
    message: str


class ItemResult(BaseModel):
    index: int
    indicator: str
    area: str
    year: int
    disaggregation: str
    outcome: str
    version: int | None
    errors: list[Problem]
    warnings: list[Problem]


class BatchOut(BaseModel):
    dry_run: bool
    written: bool = Field(
        description="Whether any item was stored. It is false for a dry run, "
        "for a batch rejected because of an invalid item, and when every item "
        "was rejected."
    )
    added: int
    changed: int
    unchanged: int
    rejected: int
    items: list[ItemResult]


class UserOut(BaseModel):
    username: str
    full_name: str
    role: str
    skpd: str | None
    areas: list[str]


class StatusOut(BaseModel):
    skpd: str
    year: int
    status: str


class ReturnIn(BaseModel):
    values: dict[ObservationId, str] = Field(
        description="Observation id to the comment saying what to correct.",
        max_length=MAX_BATCH,
    )
    comment: str | None = Field(default=None, max_length=2000)


class ReasonIn(BaseModel):
    reason: str | None = Field(default=None, max_length=2000)


class DeadlineIn(BaseModel):
    deadline: date


def _writer_for(request: Request, user: User, lang: str) -> EntryWriter:
    with request.app.state.db.connect() as connection:
        rules = load_rules(
            Catalogue.load(connection), request.app.state.settings.rules_file
        )
    return EntryWriter(request.app.state.db, user, rules, lang)


def _summary(results, dry_run: bool, is_stored: bool) -> BatchOut:
    """Count what was written, or what a dry run would write.

    A batch that is rejected as a whole writes nothing, so its counts are 0
    and only its items show what each would have done.
    """
    items = [ItemResult(**result.to_dict()) for result in results]
    rejected = sum(bool(r.errors) for r in results)
    count = {
        name: sum(r.outcome == name for r in results) if is_stored else 0
        for name in ("added", "changed", "unchanged")
    }
    return BatchOut(
        dry_run=dry_run,
        written=is_stored and not dry_run and rejected < len(results),
        **count,
        rejected=rejected,
        items=items,
    )


def _entries(items: list[ValueIn]) -> list[Entry]:
    return [
        Entry(
            i.indicator,
            i.area,
            i.year,
            i.value,
            i.disaggregation,
            i.source,
            i.version,
            i.comment,
        )
        for i in items
    ]


@router.get("/me", response_model=UserOut)
def me(user: CurrentUser) -> UserOut:
    """The user the token or session belongs to."""
    found = require_user(user)
    data = found.to_dict()
    return UserOut(
        username=found.username,
        full_name=found.full_name,
        role=found.role,
        skpd=found.skpd_code,
        areas=list(data["areas"]),
    )  # type: ignore[arg-type]


@router.post(
    "/observations/batch",
    response_model=BatchOut,
    responses={
        409: {
            "model": BatchOut,
            "description": "Nothing was written: an item's value changed since "
            "it was read.",
        },
        422: {
            "model": BatchOut,
            "description": "Nothing was written: an item is invalid, locked or "
            "not the user's to write. The items say which.",
        },
    },
)
def write_batch(
    request: Request,
    body: BatchIn,
    user: CurrentUser,
    lang: Annotated[str, Query(pattern="^(id|en)$")] = "id",
) -> Response:
    """Write many values in one transaction; each item gets its outcome and problems.

    One rejected item means nothing is written (409 for a version conflict,
    422 otherwise), unless ``skip_invalid`` asks to write the valid items.
    With ``dry_run`` nothing is written and the outcomes say what would happen.
    """
    writer = _writer_for(request, require_user(user), lang)
    results = writer.write(
        _entries(body.items),
        channel="api",
        reason=body.reason or "api batch",
        dry_run=body.dry_run,
        skip_invalid=body.skip_invalid,
    )
    is_stored = body.skip_invalid or is_written(results)
    summary = _summary(results, body.dry_run, is_stored)
    status = 200
    if not is_stored:
        status = 409 if any(r.outcome == "conflict" for r in results) else 422
    return JSONResponse(summary.model_dump(), status_code=status)


@router.put(
    "/observations",
    response_model=ItemResult,
    responses={409: {"description": "The value changed since it was read."}},
)
def write_one(
    request: Request,
    body: ValueIn,
    user: CurrentUser,
    lang: Annotated[str, Query(pattern="^(id|en)$")] = "id",
) -> Response:
    """Write one value; 409 when ``version`` is no longer the stored version."""
    writer = _writer_for(request, require_user(user), lang)
    result = writer.write(_entries([body]), channel="api", reason="api")[0]
    status = {"conflict": 409, "forbidden": 403, "locked": 409, "rejected": 422}.get(
        result.outcome, 200
    )
    return JSONResponse(ItemResult(**result.to_dict()).model_dump(), status_code=status)


@router.delete(
    "/observations", status_code=204, responses={404: {"description": "No such value."}}
)
def delete_one(
    request: Request,
    user: CurrentUser,
    indicator: Annotated[str, Query(max_length=40)],
    area: Annotated[str, Query(max_length=40)],
    year: Annotated[int, Query(ge=1900, le=2100)],
    reason: Annotated[str, Query(min_length=1, max_length=500)],
    disaggregation: Annotated[str, Query(max_length=100)] = "",
    source: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """Delete a value; its history keeps it, with the reason."""
    found = require_user(user)
    with request.app.state.db.connect() as connection:
        catalogue = Catalogue.load(connection)
    key = {
        "indicator_code": catalogue.get(indicator).code,
        "area_code": area,
        "year": year,
        "disaggregation": disaggregation,
        "source": source,
    }
    if not delete_value(request.app.state.db, found, catalogue, key, reason, "api"):
        return JSONResponse(
            {"error": {"code": "not_found", "message": "No such value."}},
            status_code=404,
        )
    return Response(status_code=204)


@router.post("/imports")
async def import_upload(
    request: Request,
    user: CurrentUser,
    file: Annotated[UploadFile, File()],
    dry_run: bool = False,
    lang: Annotated[str, Query(pattern="^(id|en)$")] = "id",
) -> dict:
    """Import an uploaded CSV, XLSX or BPS file; nothing is written if any row fails."""
    found = require_user(user)
    name, data = await read_upload(file, "upload.csv")
    # Checking a large file takes seconds, so it runs in a worker thread and
    # the server keeps serving other requests meanwhile.
    report, results = await run_in_threadpool(
        upload_file, request.app, found, name, data, lang, dry_run
    )
    return {"report": report.to_dict(lang), "items": results}


@router.get(
    "/templates/{skpd}/{year}",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}
            }
        }
    },
)
def template(
    request: Request,
    skpd: Annotated[str, Path(max_length=32)],
    year: PathYear,
    user: CurrentUser,
) -> Response:
    """The Excel workbook an SKPD fills in for a year."""
    require_user(user)
    with request.app.state.db.connect() as connection:
        region = area_registry.home_region(connection) or "ID"
        data = build_template(
            connection,
            Catalogue.load(connection),
            skpd.upper()[:32],
            year,
            region,
            deadline_of(connection, year),
        )
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(data, media_type=media)


@router.get("/submissions")
def submissions(
    request: Request, year: Annotated[int, Query(ge=1900, le=2100)], user: CurrentUser
) -> list[dict]:
    """Each SKPD's status and timeliness for a year."""
    require_user(user)
    with request.app.state.db.connect() as connection:
        states = submission_states(connection, Catalogue.load(connection), year)
    return [state.to_dict() for state in states]


@router.post("/submissions/{skpd}/{year}/return", response_model=StatusOut)
def submission_return(
    request: Request,
    skpd: Annotated[str, Path(max_length=32)],
    year: PathYear,
    body: ReturnIn,
    user: CurrentUser,
) -> StatusOut:
    """Return named values to the SKPD, each with a comment."""
    reviewer = require_reviewer(user)
    with request.app.state.db.begin() as connection:
        result = return_values(
            connection, reviewer, skpd.upper()[:32], year, body.values, body.comment
        )
    return StatusOut(skpd=result.skpd_code, year=result.year, status=result.status)


@router.post("/submissions/{skpd}/{year}/{action}", response_model=StatusOut)
def submission_action(
    request: Request,
    skpd: Annotated[str, Path(max_length=32)],
    year: PathYear,
    action: Literal["submit", "verify", "publish", "reopen"],
    user: CurrentUser,
    body: ReasonIn | None = None,
) -> StatusOut:
    """Submit, verify, publish or reopen an SKPD's data for a year."""
    found = require_user(user)
    with request.app.state.db.begin() as connection:
        catalogue = Catalogue.load(connection)
        if action == "submit":
            rules = load_rules(catalogue, request.app.state.settings.rules_file)
            result = submit(connection, found, rules, skpd.upper()[:32], year)
        else:
            result = review(
                connection,
                found,
                catalogue,
                skpd.upper()[:32],
                year,
                action,
                body.reason if body else None,
            )
    return StatusOut(skpd=result.skpd_code, year=result.year, status=result.status)


@router.put("/deadlines/{year}")
def put_deadline(
    request: Request, year: PathYear, body: DeadlineIn, user: CurrentUser
) -> dict:
    """Set a year's submission deadline."""
    reviewer = require_reviewer(user)
    with request.app.state.db.begin() as connection:
        set_deadline(connection, reviewer, year, body.deadline)
    return {"year": year, "deadline": body.deadline.isoformat()}


@router.get("/history")
def history(
    request: Request,
    user: CurrentUser,
    indicator: Annotated[str | None, Query(max_length=40)] = None,
    area: Annotated[str | None, Query(max_length=40)] = None,
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    by: Annotated[str | None, Query(max_length=64)] = None,
) -> list[dict]:
    """Changes to values: who, when, old, new, why and through what."""
    require_user(user)
    if not (indicator or area or by):
        raise InputFileError("Give indicator, area or by.")
    with request.app.state.db.connect() as connection:
        code = area_registry.get_area(connection, area).code if area else None
        changes = value_history(
            connection,
            indicator=indicator.upper() if indicator else None,
            area=code,
            year=year,
            user=by,
        )
    return [change.to_dict() for change in changes]


@router.post("/dhis2/dataValueSets")
def dhis2_import(
    request: Request,
    body: dhis2.DataValueSet,
    user: CurrentUser,
    dryRun: bool = False,  # noqa: N803
    idScheme: Annotated[  # noqa: N803
        str,
        Query(
            pattern="^(CODE|code)$",
            description="Only CODE: data elements are indicator codes and org "
            "units area codes.",
        ),
    ] = "CODE",
) -> dict:
    """Accept a DHIS2 dataValueSets document (idScheme CODE, yearly periods).

    Answers with a DHIS2-style import summary. DHIS2's default scheme, UID,
    is rejected with 422 because P3BM has no DHIS2 UIDs to match.
    """
    found = require_user(user)
    entries, conflicts = dhis2.to_entries(body)
    # DHIS2 imports the valid values of a set and lists the others as conflicts.
    results = _writer_for(request, found, "en").write(
        entries, channel="api", reason="dhis2", dry_run=dryRun, skip_invalid=True
    )
    return dhis2.import_summary(results, conflicts, dryRun)


@router.get("/dhis2/dataValueSets", response_model=dhis2.DataValueSet)
def dhis2_export(
    request: Request,
    user: CurrentUser,
    period: Annotated[str, Query(pattern=r"^\d{4}$")],
    orgUnit: Annotated[str, Query(max_length=40)],  # noqa: N803
    children: bool = False,
    dataElement: Annotated[list[str] | None, Query(max_length=200)] = None,  # noqa: N803
) -> dhis2.DataValueSet:
    """Values as a DHIS2 dataValueSets document."""
    require_user(user)
    with request.app.state.db.connect() as connection:
        return dhis2.export(connection, int(period), orgUnit, children, dataElement)
