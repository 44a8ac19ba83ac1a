"""Pages of planning, budgeting and monitoring, Indonesian first.

``/perencanaan`` is the monitoring dashboard: target against realisation by
SKPD, programme, location and quarter with traffic lights, the report status
of each SKPD, and the poverty and pro-poor spending maps.
``/perencanaan/anggaran`` is the programme register with the budget
analysis, pivot tables and the import form, ``/perencanaan/anggaran/{id}``
one line's form and history, and ``/perencanaan/triwulan`` an SKPD's
quarterly report and Bappeda's review.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from p3bm.areas import registry as area_registry
from p3bm.catalogue import skpd_names
from p3bm.errors import WorkflowError
from p3bm.imports.numbers import MISSING, NOT_APPLICABLE, parse_number
from p3bm.permissions import can_review, require_reviewer, require_user
from p3bm.planning.audit import change_history
from p3bm.planning.budget_analysis import (
    DIMENSIONS,
    MEASURES,
    analyse_budget,
    budget_frame,
    pivot,
)
from p3bm.planning.budget_import import BudgetImportOptions
from p3bm.planning.labels import label
from p3bm.planning.lp2kd import build_lp2kd, render_lp2kd_docx, render_lp2kd_html
from p3bm.planning.maps import poverty_map, spending_map
from p3bm.planning.monitoring import (
    Thresholds,
    by_quarter,
    line_progress,
    program_labels,
    summarize,
)
from p3bm.planning.priorities import load_priorities
from p3bm.planning.quarterly import (
    ReportEntry,
    ReportWriter,
    get_quarter_submission,
    load_reports,
    open_comments,
    quarter_states,
    readable_quarter_statuses,
    return_quarter,
    review_quarter,
    submit_quarter,
)
from p3bm.planning.register import (
    BudgetLine,
    CheckContext,
    Location,
    Output,
    budget_write_refusal,
    check_budget_write,
    check_line,
    get_line,
    load_lines,
    save_lines,
)
from p3bm.users import User
from p3bm.web.auth import MAX_ID, CurrentUser, require_csrf
from p3bm.web.pages import render_page
from p3bm.web.planning_api import budget_workbook, run_budget_upload

router = APIRouter(include_in_schema=False)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
Lang = Annotated[str | None, Query(pattern="^(id|en)$")]
YearQuery = Annotated[int | None, Query(ge=1900, le=2100)]
QuarterQuery = Annotated[int | None, Query(ge=1, le=4)]


def _lang(request: Request, lang: str | None) -> str:
    return lang or request.app.state.settings.lang


def _year(year: int | None) -> int:
    return year or date.today().year


def _quarter(quarter: int | None) -> int:
    return quarter or (date.today().month - 1) // 3 + 1


def _page(request: Request, template: str, lang: str, **context) -> HTMLResponse:
    return render_page(
        request,
        template,
        lang,
        pt=lambda key, **params: label(key, lang, **params),
        **context,
    )


def _thresholds(request: Request) -> Thresholds:
    settings = request.app.state.settings
    return Thresholds(settings.traffic_light_green, settings.traffic_light_yellow)


@router.get("/perencanaan", response_class=HTMLResponse)
def dashboard(
    request: Request,
    user: CurrentUser,
    tahun: YearQuery = None,
    triwulan: QuarterQuery = None,
    lang: Lang = None,
) -> HTMLResponse:
    language = _lang(request, lang)
    year, quarter = _year(tahun), _quarter(triwulan)
    settings = request.app.state.settings
    thresholds = _thresholds(request)
    statuses = readable_quarter_statuses(user)
    with request.app.state.db.connect() as connection:
        region = area_registry.get_area(
            connection, area_registry.home_region(connection) or "ID"
        )
        lines = load_lines(connection, year=year)
        progress = line_progress(
            connection,
            year,
            quarter,
            thresholds=thresholds,
            statuses=statuses,
            lines=lines,
        )
        names = program_labels(connection, language)
        skpd = skpd_names(connection)
        areas = {
            a.code: a.name for a in area_registry.list_areas(connection, within=region)
        }
        context = {
            "year": year,
            "quarter": quarter,
            "lines": lines,
            "by_skpd": summarize(progress, "skpd", labels=skpd, thresholds=thresholds),
            "by_program": summarize(
                progress, "program", labels=names, thresholds=thresholds
            ),
            "by_location": summarize(
                progress, "location", labels=areas, thresholds=thresholds
            ),
            "by_quarter": by_quarter(
                connection, year, thresholds=thresholds, statuses=statuses, lines=lines
            ),
            "states": quarter_states(
                connection,
                year,
                (quarter,),
                default_days=settings.quarter_deadline_days,
            ),
            "thresholds": thresholds,
            "poverty_svg": poverty_map(
                connection,
                region,
                year,
                poor=settings.location_poor_indicator,
                total=settings.location_total_indicator,
                lang=language,
            ),
            "spending_svg": spending_map(connection, region, lines, lang=language),
        }
    return _page(request, "planning/dashboard.html", language, **context)


@router.get("/perencanaan/anggaran", response_class=HTMLResponse)
def register_page(
    request: Request,
    user: CurrentUser,
    tahun: YearQuery = None,
    skpd: Annotated[str | None, Query(max_length=32)] = None,
    baris: Annotated[str, Query(pattern="^(" + "|".join(DIMENSIONS) + ")$")] = "skpd",
    ukuran: Annotated[str, Query(pattern="^(" + "|".join(MEASURES) + ")$")] = "pagu",
    lang: Lang = None,
) -> HTMLResponse:
    language = _lang(request, lang)
    year = _year(tahun)
    settings = request.app.state.settings
    with request.app.state.db.connect() as connection:
        frame = budget_frame(
            connection, statuses=readable_quarter_statuses(user), lang=language
        )
        table = pivot(
            frame, baris, "year", ukuran, "Jumlah" if language == "id" else "Total"
        )
        region = area_registry.get_area(
            connection, area_registry.home_region(connection) or "ID"
        )
        lines = load_lines(
            connection, year=year, skpd_code=skpd.upper() if skpd else None
        )
        analysis = None
        if lines and not skpd:
            priorities = load_priorities(
                connection,
                region,
                year,
                poor=settings.location_poor_indicator,
                total=settings.location_total_indicator,
            )
            analysis = analyse_budget(
                connection,
                region,
                year,
                priorities,
                statuses=readable_quarter_statuses(user),
            )
        names = skpd_names(connection)
    return _page(
        request,
        "planning/register.html",
        language,
        year=year,
        skpd_code=skpd.upper() if skpd else None,
        lines=lines,
        analysis=analysis,
        skpd_names=names,
        pivot_rows=table.to_dict(orient="records"),
        pivot_columns=[str(column) for column in table.columns],
        pivot_labels=_pivot_labels(language),
        pivot_by=baris,
        pivot_measure=ukuran,
        dimensions=list(DIMENSIONS),
        measures=list(MEASURES),
        may_write=user is not None
        and user.role in ("admin", "analyst", "skpd_operator"),
    )


@router.get("/perencanaan/lp2kd")
def lp2kd_download(
    request: Request,
    user: CurrentUser,
    tahun: Annotated[int, Query(ge=1900, le=2100)],
    file_format: Annotated[
        str, Query(alias="format", pattern="^(html|docx)$")
    ] = "html",
    lang: Lang = None,
) -> Response:
    """Download the LP2KD of the region for a budget year, as HTML or DOCX."""
    language = _lang(request, lang)
    settings = request.app.state.settings
    with request.app.state.db.connect() as connection:
        region = area_registry.get_area(
            connection, area_registry.home_region(connection) or "ID"
        )
        report = build_lp2kd(
            connection,
            region,
            tahun,
            lang=language,
            poor=settings.location_poor_indicator,
            total=settings.location_total_indicator,
            thresholds=_thresholds(request),
            statuses=readable_quarter_statuses(user),
        )
    name = f"lp2kd-{region.code}-{tahun}.{file_format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if file_format == "docx":
        return Response(render_lp2kd_docx(report), media_type=DOCX, headers=headers)
    return HTMLResponse(render_lp2kd_html(report), headers=headers)


def _pivot_labels(lang: str) -> dict[str, str]:
    names = {
        "skpd": "skpd",
        "skpd_name": "name",
        "program": "program",
        "program_name": "name",
        "location": "location",
        "location_name": "name",
    }
    found = {column: label(key, lang) for column, key in names.items()}
    found["year"] = "Tahun" if lang == "id" else "Year"
    for measure in MEASURES:
        found[measure] = label(f"measure_{measure}", lang)
    return found


@router.get("/perencanaan/anggaran-xlsx")
def register_export(
    request: Request,
    user: CurrentUser,
    tahun: Annotated[int, Query(ge=1900, le=2100)],
    lang: Lang = None,
) -> Response:
    data = budget_workbook(request, user, tahun, _lang(request, lang))
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="anggaran-{tahun}.xlsx"'
        },
    )


@router.post(
    "/perencanaan/anggaran-unggah",
    response_class=HTMLResponse,
    dependencies=[Depends(require_csrf)],
)
async def register_upload(
    request: Request,
    user: CurrentUser,
    file: Annotated[UploadFile, File()],
    tahun: YearQuery = None,
    lang: Lang = None,
) -> HTMLResponse:
    found = require_user(user)
    language = _lang(request, lang)
    report = await run_budget_upload(
        request, found, file, BudgetImportOptions(year=tahun)
    )
    return _page(
        request,
        "planning/import_result.html",
        language,
        status=200 if report.outcome == "written" else 422,
        report=report,
        year=tahun or _year(None),
    )


@router.get("/perencanaan/anggaran/{line_id}", response_class=HTMLResponse)
def line_page(
    request: Request,
    line_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    user: CurrentUser,
    lang: Lang = None,
) -> HTMLResponse:
    language = _lang(request, lang)
    with request.app.state.db.connect() as connection:
        line = get_line(connection, line_id)
        history = change_history(connection, "budget_line", entity_id=line_id)
    return _line_form(request, user, language, line, history)


def _line_form(request, user, lang, line, history, problems=(), status=200):
    return _page(
        request,
        "planning/line.html",
        lang,
        status=status,
        line=line,
        history=history if user is not None else [],
        problems=list(problems),
        may_write=budget_write_refusal(user, line.skpd) is None
        if line.skpd
        else user is not None,
    )


@router.get("/perencanaan/anggaran-baru", response_class=HTMLResponse)
def new_line_page(
    request: Request, user: CurrentUser, tahun: YearQuery = None, lang: Lang = None
) -> HTMLResponse:
    found = require_user(user)
    # The form is only for users who may save it: an SKPD operator for the
    # own SKPD, and Bappeda.
    check_budget_write(found, found.skpd_code or "")
    blank = BudgetLine(_year(tahun), "", found.skpd_code or "", 0.0)
    return _line_form(request, found, _lang(request, lang), blank, [])


@router.post(
    "/perencanaan/anggaran",
    response_class=HTMLResponse,
    dependencies=[Depends(require_csrf)],
)
async def save_line(request: Request, user: CurrentUser, lang: Lang = None) -> Response:
    found = require_user(user)
    language = _lang(request, lang)
    form = await request.form()
    line, problems = _line_from_form(form)
    if not problems:
        check_budget_write(found, line.skpd)
    with request.app.state.db.begin() as connection:
        problems += (
            check_line(line, CheckContext.load(connection)) if not problems else []
        )
        if not problems:
            saved = save_lines(
                connection,
                [line],
                user=found.username,
                channel="form",
                reason=str(form.get("reason") or "").strip() or "web form",
            ).lines[0]
    if problems:
        return _line_form(request, found, language, line, [], problems, status=422)
    return RedirectResponse(f"/perencanaan/anggaran/{saved.id}?lang={language}", 303)


def _number(form, key: str, problems: list, kind: str = "number") -> float | None:
    from p3bm.planning.problems import BudgetProblem

    raw = str(form.get(key) or "").strip()
    try:
        value = parse_number(raw)
    except ValueError:
        problems.append(BudgetProblem("invalid_number", "", column=key, value=raw))
        return None
    if value is MISSING or value is NOT_APPLICABLE:
        return None
    return float(value)  # type: ignore[arg-type]


def _line_from_form(form) -> tuple[BudgetLine, list]:
    problems: list = []
    outputs = []
    for position in range(1, 6):
        name = str(form.get(f"output_name_{position}") or "").strip()
        if name:
            outputs.append(
                Output(
                    name,
                    str(form.get(f"output_unit_{position}") or "").strip(),
                    _number(form, f"output_target_{position}", problems),
                )
            )
    locations = []
    for part in str(form.get("locations") or "").replace(",", " ").split():
        area, _, amount = part.partition("=")
        locations.append(
            Location(area, _number({"a": amount}, "a", problems) if amount else None)
        )
    version = str(form.get("version") or "")
    year_text = str(form.get("year") or "").strip()
    beneficiaries = _number(form, "beneficiaries", problems)
    line = BudgetLine(
        year=int(year_text) if year_text.isdigit() else 0,
        code=str(form.get("code") or "").strip(),
        skpd=str(form.get("skpd") or "").strip().upper(),
        pagu=_number(form, "pagu", problems) or 0.0,
        is_pro_poor=form.get("is_pro_poor") == "ya",
        beneficiary_group=str(form.get("beneficiary_group") or "").strip()[:200],
        beneficiaries=int(beneficiaries) if beneficiaries is not None else None,
        indicators=tuple(
            str(form.get("indicators") or "").upper().replace(",", " ").split()
        ),
        outputs=tuple(outputs),
        locations=tuple(locations),
        name=str(form.get("name") or "").strip()[:500],
        version=int(version) if version.isdigit() else None,
    )
    return line, problems


@router.get("/perencanaan/triwulan", response_class=HTMLResponse)
def quarterly_page(
    request: Request,
    user: CurrentUser,
    tahun: YearQuery = None,
    triwulan: QuarterQuery = None,
    skpd: Annotated[str | None, Query(max_length=32)] = None,
    lang: Lang = None,
) -> HTMLResponse:
    found = require_user(user)
    return _quarterly(
        request, found, _year(tahun), _quarter(triwulan), skpd, _lang(request, lang)
    )


def _quarterly(
    request,
    user: User,
    year,
    quarter,
    skpd,
    lang,
    results=None,
    notice=None,
    status=200,
):
    code = (
        user.skpd_code
        if user.role == "skpd_operator"
        else (skpd.upper() if skpd else None)
    )
    with request.app.state.db.connect() as connection:
        states = quarter_states(
            connection,
            year,
            (quarter,),
            default_days=request.app.state.settings.quarter_deadline_days,
        )
        lines = load_lines(connection, year=year, skpd_code=code) if code else []
        reports = load_reports(connection, [line.id for line in lines])  # type: ignore[misc]
        current = {k[0]: r for k, r in reports.items() if k[1] == quarter}
        earlier = {
            line.id: sum(
                r.realised
                for (lid, q), r in reports.items()
                if lid == line.id and q < quarter
            )
            for line in lines
        }
        comments = open_comments(connection, [r.id for r in current.values()])
        submission = (
            get_quarter_submission(connection, code, year, quarter) if code else None
        )
        names = skpd_names(connection)
    return _page(
        request,
        "planning/quarterly.html",
        lang,
        status=status,
        year=year,
        quarter=quarter,
        skpd_code=code,
        states=states,
        lines=lines,
        current=current,
        earlier=earlier,
        comments=comments,
        submission=submission,
        skpd_names=names,
        is_reviewer=can_review(user),
        may_write=bool(code) and budget_write_refusal(user, code or "") is None,
        results=results or {},
        notice=notice,
        notice_kind="error" if status >= 400 else "ok",
    )


@router.post(
    "/perencanaan/triwulan",
    response_class=HTMLResponse,
    dependencies=[Depends(require_csrf)],
)
async def quarterly_save(
    request: Request,
    user: CurrentUser,
    tahun: Annotated[int, Query(ge=1900, le=2100)],
    triwulan: Annotated[int, Query(ge=1, le=4)],
    skpd: Annotated[str, Query(max_length=32)],
    lang: Lang = None,
) -> HTMLResponse:
    found = require_user(user)
    language = _lang(request, lang)
    form = await request.form()
    entries, problems = _entries_from_form(form, triwulan)
    db = request.app.state.db
    with db.begin() as connection:
        results = ReportWriter(found).write(
            connection, entries, channel="form", reason="web form"
        )
        failed = any(
            r.outcome not in ("added", "changed", "unchanged") for r in results
        )
        if failed:
            connection.rollback()
    by_line = {r.entry.line_id: r.to_dict(language) for r in results}
    counts = {
        name: sum(r.outcome == name for r in results)
        for name in ("added", "changed", "unchanged")
    }
    notice = label("not_saved" if failed else "saved_reports", language, **counts)
    return _quarterly(
        request,
        found,
        tahun,
        triwulan,
        skpd,
        language,
        by_line,
        notice,
        422 if failed else 200,
    )


def _entries_from_form(form, quarter: int) -> tuple[list[ReportEntry], list]:
    problems: list = []
    entries = []
    ids = sorted(
        {
            int(key.split(":")[1])
            for key in form
            if key.startswith("realised:") and key.split(":")[1].isdigit()
        }
    )
    for line_id in ids:
        realised = _number(form, f"realised:{line_id}", problems)
        physical = _number(form, f"physical:{line_id}", problems)
        if realised is None and physical is None:
            continue
        outputs = {}
        for key in form:
            if key.startswith(f"output:{line_id}:"):
                amount = _number(form, key, problems)
                if amount is not None:
                    outputs[int(key.rsplit(":", 1)[1])] = amount
        version = str(form.get(f"version:{line_id}") or "")
        entries.append(
            ReportEntry(
                line_id,
                quarter,
                realised or 0.0,
                physical or 0.0,
                outputs,
                str(form.get(f"comment:{line_id}") or "").strip() or None,
                int(version) if version.isdigit() else None,
            )
        )
    return entries, problems


@router.post("/perencanaan/triwulan/{action}", dependencies=[Depends(require_csrf)])
async def quarterly_action(
    request: Request,
    action: str,
    user: CurrentUser,
    tahun: Annotated[int, Query(ge=1900, le=2100)],
    triwulan: Annotated[int, Query(ge=1, le=4)],
    skpd: Annotated[str, Query(max_length=32)],
    lang: Lang = None,
) -> Response:
    found = require_user(user)
    language = _lang(request, lang)
    form = await request.form()
    comment = str(form.get("comment") or "").strip()
    code = skpd.upper()
    try:
        with request.app.state.db.begin() as connection:
            if action == "kirim":
                submit_quarter(connection, found, code, tahun, triwulan)
            elif action == "kembalikan":
                require_reviewer(found)
                return_quarter(connection, found, code, tahun, triwulan, comment)
            elif action in ("verifikasi", "buka"):
                review_quarter(
                    connection,
                    found,
                    code,
                    tahun,
                    triwulan,
                    "verify" if action == "verifikasi" else "reopen",
                    comment,
                )
            else:
                raise WorkflowError(
                    f"Unknown action {action!r}.",
                    indonesian=(f"Aksi {action!r} tidak dikenal.", None),
                )
    except WorkflowError as exc:
        return _quarterly(
            request,
            found,
            tahun,
            triwulan,
            code,
            language,
            notice=exc.text(language),
            status=exc.http_status,
        )
    return RedirectResponse(
        f"/perencanaan/triwulan?tahun={tahun}&triwulan={triwulan}&skpd={code}&lang={language}",
        303,
    )
