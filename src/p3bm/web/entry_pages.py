"""Pages where SKPDs enter and submit data and Bappeda reviews it.

``/entri`` lists an SKPD's indicators for a year with the submission's
status, the Excel template and an upload form; ``/entri/{indicator}`` is the
form for one indicator by area; ``/verifikasi`` is Bappeda's review. Account
and user pages are in ``account_pages``.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from p3bm.areas import registry as area_registry
from p3bm.areas.registry import Area
from p3bm.catalogue import Catalogue, Indicator, skpd_names
from p3bm.entry import Entry, EntryWriter, is_written
from p3bm.errors import PermissionDenied, ValidationFailed
from p3bm.i18n import label
from p3bm.imports import Importer, ImportOptions
from p3bm.imports.problems import ImportReport
from p3bm.permissions import can_review, can_submit, require_reviewer, require_user
from p3bm.rules import load_rules
from p3bm.storage.schema import observation
from p3bm.users import User
from p3bm.web.auth import CurrentUser, require_csrf
from p3bm.web.pages import render_page
from p3bm.web.uploads import read_upload
from p3bm.workbook import build_template, read_notes
from p3bm.workflow import (
    deadline_of,
    get_submission,
    justify,
    return_values,
    returned_comments,
    review,
    set_deadline,
    submission_states,
    submit,
)

router = APIRouter(include_in_schema=False)
# Rows of each table on the upload result page; a file with more problems
# would make a page of many megabytes.
MAX_SHOWN_PROBLEMS = 200
Year = Annotated[int, Query(ge=1900, le=2100)]
Lang = Annotated[str, Query(pattern="^(id|en)$")]
WRITER_ROLES = ("admin", "analyst", "skpd_operator", "area_operator")


def _writer(user: User | None) -> User:
    user = require_user(user)
    if user.role not in WRITER_ROLES:
        raise PermissionDenied(
            f"Role {user.role} cannot enter data.",
            indonesian=(
                f"Peran {user.role_label('id')} tidak dapat mengisi data.",
                None,
            ),
        )
    return user


def _default_year() -> int:
    return date.today().year - 1


def _skpd_for(user: User, requested: str | None, catalogue: Catalogue) -> str | None:
    if user.role == "skpd_operator":
        return user.skpd_code
    if requested and requested.upper() in {item.skpd for item in catalogue}:
        return requested.upper()
    return None


def _indicators_for(
    user: User, catalogue: Catalogue, skpd: str | None
) -> list[Indicator]:
    items = [item for item in catalogue if skpd is None or item.skpd == skpd]
    if user.role == "area_operator":
        items = [item for item in items if item.data_type == "sektoral"]
    return items


def _areas_for(connection, user: User, indicator: Indicator) -> list[Area]:
    region = area_registry.get_area(
        connection, area_registry.home_region(connection) or "ID"
    )
    areas = [
        a
        for a in area_registry.list_areas(connection, within=region)
        if region.level <= a.level <= indicator.lowest_level
    ]
    if user.role == "area_operator":
        areas = [a for a in areas if any(a.is_within(code) for code in user.areas)]
    return areas


@router.get("/entri", response_class=HTMLResponse)
def entry_home(
    request: Request,
    user: CurrentUser,
    tahun: Year | None = None,
    skpd: Annotated[str | None, Query(max_length=32)] = None,
    lang: Lang = "id",
) -> HTMLResponse:
    user = _writer(user)
    year = tahun or _default_year()
    with request.app.state.db.connect() as connection:
        catalogue = Catalogue.load(connection)
        skpd_code = _skpd_for(user, skpd, catalogue)
        items = _indicators_for(user, catalogue, skpd_code)
        filled = _filled_counts(connection, [i.code for i in items], year)
        state = None
        if skpd_code:
            state = next(
                s
                for s in submission_states(connection, catalogue, year)
                if s.skpd_code == skpd_code
            )
        context = {
            "year": year,
            "skpd_code": skpd_code,
            "items": items,
            "filled": filled,
            "state": state,
            "skpd_names": skpd_names(connection),
            "all_skpd": sorted({i.skpd for i in catalogue}),
            "returned": _returned_values(connection, items, year),
            "may_submit": bool(skpd_code) and can_submit(user, skpd_code),
            "blocking": [],
        }
    return render_page(request, "web/entry.html", lang, **context)


def _filled_counts(connection, codes: list[str], year: int) -> dict[str, int]:
    if not codes:
        return {}
    query = (
        sa.select(observation.c.indicator_code, sa.func.count())
        .where(
            observation.c.indicator_code.in_(codes),
            observation.c.year == year,
            observation.c.disaggregation == "",
        )
        .group_by(observation.c.indicator_code)
    )
    return dict(connection.execute(query).all())


def _returned_values(connection, items: list[Indicator], year: int) -> list[dict]:
    codes = [item.code for item in items]
    if not codes:
        return []
    rows = list(
        connection.execute(
            sa.select(observation).where(
                observation.c.indicator_code.in_(codes),
                observation.c.year == year,
                observation.c.status == "returned",
            )
        )
    )
    comments = returned_comments(connection, [row.id for row in rows])
    return [
        {
            "indicator": row.indicator_code,
            "area": row.area_code,
            "value": row.value,
            "comments": [
                c["text"] for c in comments.get(row.id, []) if c["kind"] == "return"
            ],
        }
        for row in rows
    ]


@router.get("/entri/templat")
def entry_template(
    request: Request,
    user: CurrentUser,
    tahun: Year,
    skpd: Annotated[str, Query(max_length=32)],
) -> Response:
    user = _writer(user)
    with request.app.state.db.connect() as connection:
        catalogue = Catalogue.load(connection)
        code = _skpd_for(user, skpd, catalogue) or skpd.upper()
        region = area_registry.home_region(connection) or "ID"
        data = build_template(
            connection, catalogue, code, tahun, region, deadline_of(connection, tahun)
        )
    filename = f"p3bm-{code}-{tahun}.xlsx"
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        data,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/entri/{code}", response_class=HTMLResponse)
def entry_form(
    request: Request,
    code: str,
    user: CurrentUser,
    tahun: Year | None = None,
    lang: Lang = "id",
) -> HTMLResponse:
    user = _writer(user)
    year = tahun or _default_year()
    return _render_form(request, user, code, year, lang, results={})


def _render_form(
    request,
    user: User,
    code: str,
    year: int,
    lang: str,
    results,
    notice=None,
    notice_kind=None,
    status=200,
) -> HTMLResponse:
    with request.app.state.db.connect() as connection:
        indicator = Catalogue.load(connection).get(code)
        areas = _areas_for(connection, user, indicator)
        rows = _form_rows(connection, indicator, areas, year)
        comments = returned_comments(connection, [r["id"] for r in rows if r["id"]])
    for row in rows:
        row["comments"] = comments.get(row["id"], [])
        row["result"] = results.get(row["area"].code)
    return render_page(
        request,
        "web/entry_form.html",
        lang,
        status=status,
        indicator=indicator,
        year=year,
        rows=rows,
        notice=notice,
        notice_kind=notice_kind,
        # A form with a rejected value saves nothing, so it shows what was typed.
        saved=is_written(list(results.values())),
    )


def _form_rows(connection, indicator: Indicator, areas: list[Area], year: int):
    codes = [a.code for a in areas]
    query = sa.select(observation).where(
        observation.c.indicator_code == indicator.code,
        observation.c.year.in_([year - 1, year]),
        observation.c.area_code.in_(codes),
        observation.c.disaggregation == "",
        observation.c.source == "",
    )
    found = {(row.area_code, row.year): row for row in connection.execute(query)}
    rows = []
    for area in areas:
        current = found.get((area.code, year))
        previous = found.get((area.code, year - 1))
        rows.append(
            {
                "area": area,
                "previous": previous.value if previous else None,
                "value": current.value if current else None,
                "version": current.version if current else None,
                "status": current.status if current else None,
                "id": current.id if current else None,
            }
        )
    return rows


@router.post(
    "/entri/{code}", response_class=HTMLResponse, dependencies=[Depends(require_csrf)]
)
async def entry_save(
    request: Request, code: str, user: CurrentUser, tahun: Year, lang: Lang = "id"
) -> HTMLResponse:
    user = _writer(user)
    form = await request.form()
    # Checking and writing is blocking database work, kept off the event loop.
    return await run_in_threadpool(_save_form, request, user, code, tahun, lang, form)


def _save_form(
    request: Request, user: User, code: str, year: int, lang: str, form
) -> HTMLResponse:
    entries = _entries_from_form(form, code, year)
    db = request.app.state.db
    with db.connect() as connection:
        rules = load_rules(
            Catalogue.load(connection), request.app.state.settings.rules_file
        )
    results = EntryWriter(db, user, rules, lang).write(
        entries, channel="form", reason=str(form.get("reason") or "") or "web form"
    )
    by_area = {r.entry.area: r for r in results}
    if is_written(results):
        counts = {
            name: sum(r.outcome == name for r in results)
            for name in ("added", "changed", "unchanged")
        }
        notice, kind = label("saved", lang, **counts), "ok"
    else:
        rejected = sum(bool(r.errors) for r in results)
        notice, kind = label("not_saved", lang, rejected=rejected), "error"
    return _render_form(
        request,
        user,
        code,
        year,
        lang,
        by_area,
        notice,
        kind,
        status=_form_status(results),
    )


def _form_status(results) -> int:
    """409 when a value changed since the form was read, 422 for other refusals."""
    if any(r.outcome == "conflict" for r in results):
        return 409
    if any(r.errors for r in results):
        return 422
    return 200


def _form_version(text: str) -> int | None:
    """The version a form row was read at; a garbled one never matches."""
    if not text:
        return None
    return int(text) if text.isdigit() else -1


def _entries_from_form(form, code: str, year: int) -> list[Entry]:
    entries = []
    for key, raw in form.items():
        if not key.startswith("value:") or not isinstance(raw, str):
            continue
        area = key.split(":", 1)[1]
        original = str(form.get(f"original:{area}") or "")
        text = raw.strip()
        if text == original.strip():
            continue
        if text == "" and original.strip() == "":
            continue
        version_text = str(form.get(f"version:{area}") or "")
        entries.append(
            Entry(
                indicator=code,
                area=area,
                year=year,
                value=None if text.lower() == "tidak berlaku" else (text or ""),
                version=_form_version(version_text),
                comment=str(form.get(f"comment:{area}") or "").strip() or None,
            )
        )
    return entries


@router.post(
    "/entri-unggah", response_class=HTMLResponse, dependencies=[Depends(require_csrf)]
)
async def entry_upload(
    request: Request,
    user: CurrentUser,
    file: Annotated[UploadFile, File()],
    tahun: Year,
    lang: Lang = "id",
) -> HTMLResponse:
    user = _writer(user)
    name, data = await read_upload(file, "upload.xlsx")
    # Reading and checking a large workbook takes seconds of CPU and database
    # work, which would block every other request on the event loop.
    report, results = await run_in_threadpool(
        upload_file, request.app, user, name, data, lang, False
    )
    problems = [p for p in report.problems if p.severity != "info"]
    failed = [result for result in results if result["errors"]]
    return render_page(
        request,
        "web/upload_result.html",
        lang,
        report=report,
        problems=problems[:MAX_SHOWN_PROBLEMS],
        hidden_problems=len(problems) - MAX_SHOWN_PROBLEMS,
        failed=failed[:MAX_SHOWN_PROBLEMS],
        hidden_failed=len(failed) - MAX_SHOWN_PROBLEMS,
        year=tahun,
        file_name=name,
        # A rejected file gets the status of a rejected form.
        status=422 if report.outcome == "rejected" else 200,
    )


def upload_file(app, user: User, name: str, data: bytes, lang: str, dry_run: bool):
    """Check an uploaded file like any import, then write it with the entry checks.

    Nothing is written when any row has a problem or ``dry_run`` is set.
    Returns the import report and the per-value results. The report's added,
    changed and unchanged counts are those of the results: what was written,
    or what would be written on a dry run.
    """
    db = app.state.db
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        report, records, _ = Importer(db, user.username).check_file(
            path, ImportOptions(dry_run=True)
        )
        notes = read_notes(path)
    report.is_dry_run = dry_run
    if report.has_errors:
        report.outcome = "rejected"
        return report, []
    entries = [
        Entry(
            r.indicator,
            r.area,
            r.year,
            r.value,
            r.disaggregation,
            comment=notes.get((r.sheet, r.row)),
        )
        for r in records
        if not r.is_derived
    ]
    with db.connect() as connection:
        rules = load_rules(Catalogue.load(connection), app.state.settings.rules_file)
    results = EntryWriter(db, user, rules, lang).write(
        entries, channel="file", reason=f"upload {name}", dry_run=dry_run
    )
    cells = [(r.sheet, r.row, r.column) for r in records if not r.is_derived]
    if not is_written(results):
        report.outcome = "rejected"
    else:
        report.outcome = "checked" if dry_run else "written"
    return _count_outcomes(report, results), _with_cells(results, cells)


def _count_outcomes(report: ImportReport, results: list) -> ImportReport:
    """Set the report's added, changed and unchanged counts from the results."""
    report.added = sum(result.outcome == "added" for result in results)
    report.changed = sum(result.outcome == "changed" for result in results)
    report.unchanged = sum(result.outcome == "unchanged" for result in results)
    return report


def _with_cells(results, cells: list[tuple]) -> list[dict]:
    """Add to each value's result the sheet, row and column it was read from."""
    return [
        result.to_dict() | {"sheet": sheet, "row": row, "column": column}
        for result, (sheet, row, column) in zip(results, cells, strict=True)
    ]


@router.post(
    "/entri-kirim", response_class=HTMLResponse, dependencies=[Depends(require_csrf)]
)
def entry_submit(
    request: Request,
    user: CurrentUser,
    tahun: Year,
    skpd: Annotated[str, Query(max_length=32)],
    lang: Lang = "id",
) -> Response:
    user = _writer(user)
    db = request.app.state.db
    try:
        with db.begin() as connection:
            catalogue = Catalogue.load(connection)
            rules = load_rules(catalogue, request.app.state.settings.rules_file)
            submit(connection, user, rules, skpd.upper(), tahun)
    except ValidationFailed as exc:
        return _blocked(request, user, skpd, tahun, lang, exc)
    return RedirectResponse(f"/entri?tahun={tahun}&skpd={skpd}&lang={lang}&sent=1", 303)


def _blocked(
    request, user: User, skpd: str, year: int, lang: str, error
) -> HTMLResponse:
    with request.app.state.db.connect() as connection:
        catalogue = Catalogue.load(connection)
        items = _indicators_for(user, catalogue, skpd.upper())
        ids = _observation_ids(connection, error.results)
        state = next(
            s
            for s in submission_states(connection, catalogue, year)
            if s.skpd_code == skpd.upper()
        )
        context = {
            "year": year,
            "skpd_code": skpd.upper(),
            "items": items,
            "filled": _filled_counts(connection, [i.code for i in items], year),
            "state": state,
            "skpd_names": skpd_names(connection),
            "all_skpd": sorted({i.skpd for i in catalogue}),
            "returned": _returned_values(connection, items, year),
            "may_submit": True,
            "blocking": [
                r.to_dict(lang)
                | {"observation_id": ids.get((r.indicator, r.area, r.year))}
                for r in error.results
            ],
        }
    return render_page(
        request,
        "web/entry.html",
        lang,
        status=422,
        notice=error.text(lang),
        notice_kind="error",
        **context,
    )


def _observation_ids(connection, results) -> dict[tuple[str, str, int], int]:
    found = {}
    for result in results:
        row = connection.execute(
            sa.select(observation.c.id).where(
                observation.c.indicator_code == result.indicator,
                observation.c.area_code == result.area,
                observation.c.year == result.year,
                observation.c.disaggregation == "",
            )
        ).first()
        if row is not None:
            found[(result.indicator, result.area, result.year)] = row[0]
    return found


@router.post("/entri-alasan", dependencies=[Depends(require_csrf)])
def entry_justify(
    request: Request,
    user: CurrentUser,
    tahun: Year,
    skpd: Annotated[str, Query(max_length=32)],
    observation_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    rule: Annotated[str, Form(max_length=80)],
    text: Annotated[str, Form(max_length=2000)],
    lang: Lang = "id",
) -> Response:
    user = _writer(user)
    with request.app.state.db.begin() as connection:
        justify(connection, user, observation_id, rule, text)
    return RedirectResponse(f"/entri?tahun={tahun}&skpd={skpd}&lang={lang}", 303)


@router.get("/verifikasi", response_class=HTMLResponse)
def review_home(
    request: Request, user: CurrentUser, tahun: Year | None = None, lang: Lang = "id"
) -> HTMLResponse:
    require_reviewer(user)
    year = tahun or _default_year()
    with request.app.state.db.connect() as connection:
        states = submission_states(connection, Catalogue.load(connection), year)
        deadline = deadline_of(connection, year)
    return render_page(
        request, "web/review.html", lang, year=year, states=states, deadline=deadline
    )


@router.post("/verifikasi-batas", dependencies=[Depends(require_csrf)])
def review_deadline(
    request: Request,
    user: CurrentUser,
    tahun: Year,
    deadline: Annotated[date, Form()],
    lang: Lang = "id",
) -> Response:
    reviewer = require_reviewer(user)
    with request.app.state.db.begin() as connection:
        set_deadline(connection, reviewer, tahun, deadline)
    return RedirectResponse(f"/verifikasi?tahun={tahun}&lang={lang}", 303)


@router.get("/verifikasi/{skpd}", response_class=HTMLResponse)
def review_skpd(
    request: Request, skpd: str, user: CurrentUser, tahun: Year, lang: Lang = "id"
) -> HTMLResponse:
    require_reviewer(user)
    with request.app.state.db.connect() as connection:
        catalogue = Catalogue.load(connection)
        current = get_submission(connection, skpd.upper(), tahun)
        codes = [item.code for item in catalogue if item.skpd == skpd.upper()]
        rows = list(
            connection.execute(
                sa.select(observation)
                .where(
                    observation.c.indicator_code.in_(codes or [""]),
                    observation.c.year == tahun,
                )
                .order_by(observation.c.indicator_code, observation.c.area_code)
            )
        )
        comments = returned_comments(connection, [row.id for row in rows])
        names = {
            a.code: a.name
            for a in area_registry.list_areas(connection)
            if a.code in {row.area_code for row in rows}
        }
    return render_page(
        request,
        "web/review_skpd.html",
        lang,
        submission=current,
        rows=rows,
        comments=comments,
        names=names,
        is_reviewer=can_review(user),
    )


@router.post("/verifikasi/{skpd}/{action}", dependencies=[Depends(require_csrf)])
async def review_action(
    request: Request,
    skpd: str,
    action: str,
    user: CurrentUser,
    tahun: Year,
    lang: Lang = "id",
) -> Response:
    reviewer = require_reviewer(user)
    form = await request.form()
    await run_in_threadpool(
        _review, request.app.state.db, reviewer, skpd, tahun, action, form
    )
    return RedirectResponse(f"/verifikasi/{skpd}?tahun={tahun}&lang={lang}", 303)


def _review(db, reviewer: User, skpd: str, year: int, action: str, form) -> None:
    """Return values to the SKPD, or verify, publish or reopen its submission."""
    reason = str(form.get("reason") or "").strip() or None
    with db.begin() as connection:
        catalogue = Catalogue.load(connection)
        if action == "kembalikan":
            comments = {
                int(key.split(":", 1)[1]): str(
                    form.get(f"comment:{key.split(':', 1)[1]}") or ""
                )
                for key in form
                if key.startswith("return:") and key.split(":", 1)[1].isdigit()
            }
            return_values(connection, reviewer, skpd.upper(), year, comments, reason)
        else:
            actions = {"verifikasi": "verify", "terbitkan": "publish", "buka": "reopen"}
            if action not in actions:
                raise PermissionDenied(
                    f"Unknown action {action!r}.",
                    indonesian=(f"Aksi {action!r} tidak dikenal.", None),
                )
            review(
                connection,
                reviewer,
                catalogue,
                skpd.upper(),
                year,
                actions[action],
                reason,
            )
