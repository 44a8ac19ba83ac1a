"""The JSON API of the programme register, quarterly reports and monitoring.

Reads are open: budget lines are public, and anonymous clients see the
realisation of verified quarterly reports only. Writes need a personal API
token (``Authorization: Bearer``) or a browser session with the
``X-CSRF-Token`` header, and are checked like the web forms: an SKPD
operator writes only their own SKPD's lines and reports.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path as FilePath
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from p3bm.areas import registry as area_registry
from p3bm.permissions import require_user
from p3bm.planning.audit import change_history
from p3bm.planning.budget_analysis import (
    DIMENSIONS,
    MEASURES,
    analyse_budget,
    budget_frame,
    export_xlsx,
    pivot,
)
from p3bm.planning.budget_import import BudgetImporter, BudgetImportOptions
from p3bm.planning.monitoring import (
    GROUPINGS,
    Thresholds,
    line_progress,
    program_labels,
    summarize,
)
from p3bm.planning.priorities import load_priorities
from p3bm.planning.quarterly import (
    ReportEntry,
    ReportWriter,
    quarter_states,
    readable_quarter_statuses,
    return_quarter,
    review_quarter,
    set_quarter_deadline,
    submit_quarter,
)
from p3bm.planning.register import (
    BudgetLine,
    CheckContext,
    Location,
    Output,
    check_budget_write,
    check_line,
    delete_line,
    get_line,
    load_lines,
    save_lines,
)
from p3bm.web.auth import CurrentUser, require_csrf
from p3bm.web.uploads import read_upload

router = APIRouter(
    prefix="/api/v1/planning", tags=["planning"], dependencies=[Depends(require_csrf)]
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Row ids and versions fit the database's 32-bit integer columns; a larger
# number would overflow them instead of finding nothing.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
YearQuery = Annotated[int, Query(ge=1900, le=2100)]
QuarterQuery = Annotated[int, Query(ge=1, le=4)]
Lang = Annotated[str, Query(pattern="^(id|en)$")]


class InputModel(BaseModel):
    """A request body whose numbers must be finite: NaN or infinity gets a 422."""

    model_config = ConfigDict(allow_inf_nan=False)


class OutputModel(InputModel):
    id: int | None = Field(default=None, description="Stored id; ignored on writes.")
    name: str = Field(max_length=300)
    unit: str = Field(default="", max_length=80)
    target: float | None = None


class LocationModel(InputModel):
    area: str = Field(max_length=16, description="Kemendagri area code.")
    pagu: float | None = Field(
        default=None, description="Rupiah allocated here; null shares the rest."
    )
    beneficiaries: int | None = None


class LineIn(InputModel):
    year: int = Field(ge=1900, le=2100)
    code: str = Field(max_length=40, description="Sub-kegiatan code.")
    skpd: str = Field(max_length=32)
    pagu: float = Field(description="Budget ceiling in rupiah.")
    name: str = Field(default="", max_length=500)
    is_pro_poor: bool = False
    beneficiary_group: str = Field(default="", max_length=200)
    beneficiaries: int | None = None
    indicators: list[str] = Field(default_factory=list, max_length=50)
    outputs: list[OutputModel] = Field(default_factory=list, max_length=50)
    locations: list[LocationModel] = Field(default_factory=list, max_length=500)
    version: int | None = Field(
        default=None,
        ge=1,
        description="Version read; a newer stored one gets a 409 response.",
    )
    reason: str | None = Field(default=None, max_length=500)


class LineOut(LineIn):
    id: int
    version: int | None = None


class ProblemOut(BaseModel):
    code: str
    severity: str
    column: str | None
    value: str | None
    message: str


class ChangeOut(BaseModel):
    action: str
    old: dict | None
    new: dict | None
    changed_at: str
    changed_by: str
    reason: str | None
    channel: str
    source_file: str | None


class ReportIn(InputModel):
    line_id: RowId
    quarter: int = Field(ge=1, le=4)
    realised: float = Field(description="Rupiah spent within the quarter.")
    physical: float = Field(description="Cumulative physical progress, percent.")
    outputs: dict[RowId, float] = Field(
        default_factory=dict, description="Output id to amount achieved in the quarter."
    )
    comment: str | None = Field(default=None, max_length=2000)
    version: RowId | None = None


class ReportsIn(InputModel):
    items: list[ReportIn] = Field(max_length=2000)
    reason: str | None = Field(default=None, max_length=500)


class ItemProblem(BaseModel):
    code: str
    column: str | None
    message: str


class ReportResultOut(BaseModel):
    line_id: int
    quarter: int
    outcome: str
    version: int | None
    errors: list[ItemProblem]
    warnings: list[ItemProblem]


class QuarterStateOut(BaseModel):
    skpd: str
    name: str
    year: int
    quarter: int
    status: str
    timeliness: str
    deadline: str
    first_submitted_at: str | None
    lines: int
    reported: int
    missing: int


class QuarterStatusOut(BaseModel):
    skpd: str
    year: int
    quarter: int
    status: str


class ActionIn(BaseModel):
    comment: str | None = Field(
        default=None, max_length=2000, description="Required to return or reopen."
    )
    line_comments: dict[int, str] = Field(
        default_factory=dict, description="Budget line id to what to correct."
    )


class DeadlineIn(BaseModel):
    deadline: date


class ProgressOut(BaseModel):
    key: str
    label: str
    pagu: float
    realised: float
    financial_percent: float | None
    physical_percent: float | None
    planned_percent: float
    financial_light: str
    physical_light: str
    lines: int
    reported: int


class MonitoringOut(BaseModel):
    year: int
    quarter: int
    by: str
    thresholds: dict[str, float]
    rows: list[ProgressOut]


class AnalysisOut(BaseModel):
    area: str
    year: int
    total_pagu: float
    pro_poor_pagu: float
    pro_poor_share_percent: float | None
    linked_pro_poor_pagu: float
    problem_relevance_percent: float | None
    priorities: dict
    funded: dict[str, float]
    unfunded: list[dict]
    location: dict
    lines: list[dict]
    outputs: list[dict]


def _line_out(line: BudgetLine) -> LineOut:
    return LineOut(
        id=line.id or 0,
        version=line.version,
        year=line.year,
        code=line.code,
        skpd=line.skpd,
        pagu=line.pagu,
        name=line.name,
        is_pro_poor=line.is_pro_poor,
        beneficiary_group=line.beneficiary_group,
        beneficiaries=line.beneficiaries,
        indicators=list(line.indicators),
        outputs=[OutputModel.model_validate(o.to_dict()) for o in line.outputs],
        locations=[
            LocationModel.model_validate(loc.to_dict()) for loc in line.locations
        ],
    )


def line_from_model(body: LineIn) -> BudgetLine:
    """The library's budget line for a request body."""
    return BudgetLine(
        year=body.year,
        code=body.code.strip(),
        skpd=body.skpd.strip().upper(),
        pagu=body.pagu,
        is_pro_poor=body.is_pro_poor,
        beneficiary_group=body.beneficiary_group.strip(),
        beneficiaries=body.beneficiaries,
        indicators=tuple(
            dict.fromkeys(code.strip().upper() for code in body.indicators)
        ),
        outputs=tuple(
            Output(o.name.strip(), o.unit.strip(), o.target) for o in body.outputs
        ),
        locations=tuple(
            Location(loc.area.strip(), loc.pagu, loc.beneficiaries)
            for loc in body.locations
        ),
        name=body.name.strip(),
        version=body.version,
    )


def _problems_response(problems, lang: str) -> JSONResponse:
    return JSONResponse(
        {
            "error": {
                "code": "invalid_budget_line",
                "message": "; ".join(p.message(lang) for p in problems),
                "problems": [p.to_dict(lang) for p in problems],
            }
        },
        status_code=422,
    )


def _thresholds(request: Request) -> Thresholds:
    settings = request.app.state.settings
    return Thresholds(settings.traffic_light_green, settings.traffic_light_yellow)


@router.get("/budget-lines", response_model=list[LineOut])
def list_budget_lines(
    request: Request,
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    skpd: Annotated[str | None, Query(max_length=32)] = None,
) -> list[LineOut]:
    """Budget lines with pagu, outputs, locations and the indicators addressed."""
    with request.app.state.db.connect() as connection:
        lines = load_lines(
            connection, year=year, skpd_code=skpd.upper() if skpd else None
        )
    return [_line_out(line) for line in lines]


@router.get("/budget-lines/{line_id}", response_model=LineOut)
def read_budget_line(request: Request, line_id: PathId) -> LineOut:
    with request.app.state.db.connect() as connection:
        return _line_out(get_line(connection, line_id))


@router.put(
    "/budget-lines",
    response_model=LineOut,
    responses={409: {"description": "The line changed since it was read."}},
)
def write_budget_line(
    request: Request, body: LineIn, user: CurrentUser, lang: Lang = "id"
) -> Response:
    """Add or change one budget line; 422 lists every problem of the line."""
    found = require_user(user)
    line = line_from_model(body)
    check_budget_write(found, line.skpd)
    with request.app.state.db.begin() as connection:
        problems = check_line(line, CheckContext.load(connection))
        if problems:
            return _problems_response(problems, lang)
        saved = save_lines(
            connection,
            [line],
            user=found.username,
            channel="api",
            reason=body.reason or "api",
        )
    return JSONResponse(_line_out(saved.lines[0]).model_dump())


@router.delete("/budget-lines/{line_id}", status_code=204)
def remove_budget_line(
    request: Request,
    line_id: PathId,
    user: CurrentUser,
    reason: Annotated[str, Query(min_length=1, max_length=500)],
) -> Response:
    """Delete a line without quarterly reports; the audit keeps it."""
    found = require_user(user)
    with request.app.state.db.begin() as connection:
        delete_line(connection, found, line_id, reason, "api")
    return Response(status_code=204)


@router.get("/budget-lines/{line_id}/history", response_model=list[ChangeOut])
def budget_line_history(request: Request, line_id: PathId, user: CurrentUser) -> list:
    """List every change of a line: who, when, the line before and after, and why."""
    require_user(user)
    with request.app.state.db.connect() as connection:
        changes = change_history(connection, "budget_line", entity_id=line_id)
    return [ChangeOut.model_validate(change.to_dict()) for change in changes]


@router.post("/budget-imports")
async def import_budget(
    request: Request,
    user: CurrentUser,
    file: Annotated[UploadFile, File()],
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    skpd: Annotated[str | None, Query(max_length=32)] = None,
    dry_run: bool = False,
    lang: Lang = "id",
) -> dict:
    """Import a SIPD budget export; with any error nothing is written."""
    found = require_user(user)
    report = await run_budget_upload(
        request, found, file, BudgetImportOptions(year=year, skpd=skpd, dry_run=dry_run)
    )
    return report.to_dict(lang)


async def run_budget_upload(request: Request, user, file: UploadFile, options):
    """Check an uploaded budget file, then write it when the user may write every
    SKPD in it; shared by the API and the upload form."""
    name, data = await read_upload(file, "anggaran.xlsx")
    importer = BudgetImporter(request.app.state.db, user.username)
    options.channel = "file"
    with tempfile.TemporaryDirectory() as folder:
        path = FilePath(folder) / name
        path.write_bytes(data)
        report, lines, _ = importer.check_file(path, options)
        for skpd_code in sorted({line.skpd for line in lines}):
            check_budget_write(user, skpd_code)
        return importer.import_file(path, options)


@router.put("/quarterly-reports", response_model=list[ReportResultOut])
def write_reports(
    request: Request, body: ReportsIn, user: CurrentUser, lang: Lang = "id"
) -> Response:
    """Write quarterly reports of lines; each item gets its own outcome.

    Nothing is written when any item is rejected, forbidden, locked or in
    conflict (422).
    """
    found = require_user(user)
    entries = [
        ReportEntry(
            item.line_id,
            item.quarter,
            item.realised,
            item.physical,
            dict(item.outputs),
            item.comment,
            item.version,
        )
        for item in body.items
    ]
    db = request.app.state.db
    with db.begin() as connection:
        results = ReportWriter(found).write(
            connection, entries, channel="api", reason=body.reason or "api"
        )
        failed = any(
            r.outcome in ("rejected", "forbidden", "locked", "conflict")
            for r in results
        )
        if failed:
            connection.rollback()
    payload = [
        ReportResultOut.model_validate(r.to_dict(lang)).model_dump() for r in results
    ]
    return JSONResponse(payload, status_code=422 if failed else 200)


@router.get("/quarters/{year}", response_model=list[QuarterStateOut])
def quarters(
    request: Request,
    year: Annotated[int, Path(ge=1900, le=2100)],
    quarter: Annotated[int | None, Query(ge=1, le=4)] = None,
) -> list[QuarterStateOut]:
    """List each SKPD's report status, timeliness and missing lines per quarter."""
    with request.app.state.db.connect() as connection:
        states = quarter_states(
            connection,
            year,
            (quarter,) if quarter else (1, 2, 3, 4),
            default_days=request.app.state.settings.quarter_deadline_days,
        )
    return [QuarterStateOut.model_validate(state.to_dict()) for state in states]


@router.post(
    "/quarters/{skpd}/{year}/{quarter}/{action}", response_model=QuarterStatusOut
)
def quarter_action(
    request: Request,
    skpd: Annotated[str, Path(max_length=32)],
    year: Annotated[int, Path(ge=1900, le=2100)],
    quarter: Annotated[int, Path(ge=1, le=4)],
    action: Literal["submit", "return", "verify", "reopen"],
    user: CurrentUser,
    body: ActionIn | None = None,
) -> QuarterStatusOut:
    """Submit, return (with a comment), verify or reopen (with a reason) a quarter."""
    found = require_user(user)
    body = body or ActionIn()
    code = skpd.upper()
    with request.app.state.db.begin() as connection:
        if action == "submit":
            result = submit_quarter(connection, found, code, year, quarter)
        elif action == "return":
            result = return_quarter(
                connection,
                found,
                code,
                year,
                quarter,
                body.comment or "",
                body.line_comments,
            )
        else:
            result = review_quarter(
                connection, found, code, year, quarter, action, body.comment
            )
    return QuarterStatusOut(
        skpd=result.skpd_code,
        year=result.year,
        quarter=result.quarter,
        status=result.status,
    )


@router.put("/quarters/{year}/{quarter}/deadline")
def put_quarter_deadline(
    request: Request,
    year: Annotated[int, Path(ge=1900, le=2100)],
    quarter: Annotated[int, Path(ge=1, le=4)],
    body: DeadlineIn,
    user: CurrentUser,
) -> dict:
    """Set the deadline of a quarter's reports."""
    found = require_user(user)
    with request.app.state.db.begin() as connection:
        set_quarter_deadline(connection, found, year, quarter, body.deadline)
    return {"year": year, "quarter": quarter, "deadline": body.deadline.isoformat()}


@router.get("/monitoring", response_model=MonitoringOut)
def monitoring(
    request: Request,
    user: CurrentUser,
    year: YearQuery,
    quarter: QuarterQuery = 4,
    by: Annotated[str, Query(pattern="^(" + "|".join(GROUPINGS) + ")$")] = "skpd",
    lang: Lang = "id",
) -> MonitoringOut:
    """Target against realisation with traffic lights, grouped by ``by``."""
    thresholds = _thresholds(request)
    with request.app.state.db.connect() as connection:
        progress = line_progress(
            connection,
            year,
            quarter,
            thresholds=thresholds,
            statuses=readable_quarter_statuses(user),
        )
        labels = program_labels(connection, lang)
    rows = summarize(progress, by, labels=labels, thresholds=thresholds)
    return MonitoringOut(
        year=year,
        quarter=quarter,
        by=by,
        thresholds={"green": thresholds.green, "yellow": thresholds.yellow},
        rows=[ProgressOut.model_validate(row.to_dict()) for row in rows],
    )


@router.get("/budget-analysis", response_model=AnalysisOut)
def budget_analysis(
    request: Request,
    user: CurrentUser,
    year: YearQuery,
    area: Annotated[str | None, Query(max_length=40)] = None,
) -> AnalysisOut:
    """Pro-poor share, problem and location relevance, unfunded priorities,
    cost per beneficiary and target achievement."""
    settings = request.app.state.settings
    with request.app.state.db.connect() as connection:
        region = area_registry.get_area(
            connection, area or area_registry.home_region(connection) or "ID"
        )
        priorities = load_priorities(
            connection,
            region,
            year,
            poor=settings.location_poor_indicator,
            total=settings.location_total_indicator,
        )
        result = analyse_budget(
            connection,
            region,
            year,
            priorities,
            statuses=readable_quarter_statuses(user),
        )
    return AnalysisOut.model_validate(result.to_dict())


@router.get("/budget-pivot")
def budget_pivot(
    request: Request,
    user: CurrentUser,
    rows: Annotated[str, Query(pattern="^(" + "|".join(DIMENSIONS) + ")$")] = "skpd",
    columns: Annotated[
        str | None, Query(pattern="^(" + "|".join(DIMENSIONS) + ")$")
    ] = None,
    measure: Annotated[str, Query(pattern="^(" + "|".join(MEASURES) + ")$")] = "pagu",
    year: Annotated[
        list[Annotated[int, Field(ge=1900, le=2100)]] | None, Query()
    ] = None,
    lang: Lang = "id",
) -> list[dict]:
    """Sum pagu, pro-poor pagu, realisation or beneficiaries in a pivot table."""
    with request.app.state.db.connect() as connection:
        frame = budget_frame(
            connection, years=year, statuses=readable_quarter_statuses(user), lang=lang
        )
    table = pivot(frame, rows, columns, measure, "Jumlah" if lang == "id" else "Total")
    return [
        {str(key): value for key, value in record.items()}
        for record in table.to_dict(orient="records")
    ]


@router.get(
    "/budget-pivot.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
)
def budget_pivot_xlsx(
    request: Request, user: CurrentUser, year: YearQuery, lang: Lang = "id"
) -> Response:
    """Download the budget analysis and its pivot tables as an XLSX workbook."""
    data = budget_workbook(request, user, year, lang)
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="anggaran-{year}.xlsx"'},
    )


def budget_workbook(request: Request, user, year: int, lang: str) -> bytes:
    """Build the XLSX export of a budget year, for the API and the dashboard."""
    settings = request.app.state.settings
    statuses = readable_quarter_statuses(user)
    with request.app.state.db.connect() as connection:
        region = area_registry.get_area(
            connection, area_registry.home_region(connection) or "ID"
        )
        priorities = load_priorities(
            connection,
            region,
            year,
            poor=settings.location_poor_indicator,
            total=settings.location_total_indicator,
        )
        result = analyse_budget(connection, region, year, priorities, statuses=statuses)
        frame = budget_frame(connection, years=[year], statuses=statuses, lang=lang)
    with tempfile.TemporaryDirectory() as folder:
        path = export_xlsx(FilePath(folder) / "anggaran.xlsx", result, frame, lang=lang)
        return path.read_bytes()
