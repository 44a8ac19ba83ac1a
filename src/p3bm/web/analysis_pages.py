"""Dashboard pages of the analyses: one page per analysis of an area and year.

Signed-in analysts and administrators also record the TKPK's decisions on
priority problems from the priority-problems page.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from p3bm.analysis.base import BENCHMARKS, AnalysisSettings
from p3bm.analysis.decisions import record_decision
from p3bm.analysis.labels import text
from p3bm.analysis.runner import KINDS, AnalysisRequest, Outcome, run_analysis
from p3bm.analysis.views import locations_svg, quadrant_svg, trend_charts
from p3bm.areas import codes
from p3bm.areas import registry as area_registry
from p3bm.catalogue import Catalogue
from p3bm.errors import AreaNotFound
from p3bm.overview import latest_year
from p3bm.permissions import can_review, readable_statuses, require_reviewer
from p3bm.web.auth import CurrentUser, current_user, require_csrf
from p3bm.web.pages import _linker, render_page

router = APIRouter(include_in_schema=False)
Lang = Annotated[str | None, Query(pattern="^(id|en)$")]
Year = Annotated[int | None, Query(ge=1900, le=2100)]
Text = Annotated[str | None, Query(max_length=40)]


def _settings(request: Request, scheme: str | None, benchmark: str | None):
    settings = request.app.state.settings
    return AnalysisSettings(
        stale_after_years=settings.stale_after_years,
        verified_only=settings.verified_only,
        scheme=(scheme or settings.scorecard_scheme).upper(),
        benchmark=benchmark if benchmark in BENCHMARKS else "province",
        weight_gap=settings.priority_weight_gap,
        weight_trend=settings.priority_weight_trend,
        weight_people=settings.priority_weight_people,
        statuses=readable_statuses(current_user(request)),
    )


@router.get("/analisis/{code}")
def analysis_home(
    request: Request, code: str, tahun: Year = None, lang: Lang = None
) -> Response:
    language = lang or request.app.state.settings.lang
    link = _linker(language)
    return RedirectResponse(
        link(f"/analisis/{code}/priority-problems", tahun=tahun), status_code=302
    )


@router.get("/analisis/{code}/{kind}", response_class=HTMLResponse)
def analysis_page(
    request: Request,
    code: str,
    kind: str,
    tahun: Year = None,
    lang: Lang = None,
    skema: Annotated[str | None, Query(pattern="^[ABCabc]$")] = None,
    mode: Annotated[str, Query(pattern="^(area|sub-areas)$")] = "area",
    pembanding: Text = None,
    x: Text = None,
    y: Text = None,
    indikator: Text = None,
    dhis2: bool = False,
) -> HTMLResponse:
    language = lang or request.app.state.settings.lang
    if kind not in KINDS:
        raise AreaNotFound(
            f"There is no analysis {kind!r}.",
            indonesian=(f"Tidak ada analisis {kind!r}.", None),
        )
    settings = _settings(request, skema, pembanding)
    analysis = AnalysisRequest(
        indicators=[indikator.upper()] if indikator else [],
        mode=mode,
        x=x.upper() if x else None,
        y=y.upper() if y else None,
        dhis2_mode=dhis2,
        lang=language,
    )
    with request.app.state.db.connect() as connection:
        area = area_registry.get_area(connection, code)
        statuses = settings.statuses
        year = tahun or latest_year(connection, area, statuses) or date.today().year
        outcome = run_analysis(connection, kind, area, year, settings, analysis)
        visuals = _visuals(connection, kind, outcome, language)
    assert outcome.scope is not None
    return render_page(
        request,
        f"analysis/{kind.replace('-', '_')}.html",
        language,
        area=area,
        year=year,
        kind=kind,
        kinds=KINDS,
        outcome=outcome,
        results=outcome.results,
        visuals=visuals,
        catalogue=outcome.scope.catalogue,
        at=lambda key, **params: text(key, language, **params),
        options={
            "skema": settings.scheme,
            "mode": mode,
            "pembanding": settings.benchmark,
            "x": analysis.x,
            "y": analysis.y,
            "indikator": indikator,
            "dhis2": dhis2,
        },
        benchmarks=BENCHMARKS,
        year_choices=list(range(year + 1, year - 15, -1)),
        level_name=lambda level: codes.LEVEL_NAMES[level],
        can_decide=can_review(current_user(request)),
    )


@router.post("/analisis/{code}/keputusan", dependencies=[Depends(require_csrf)])
def decide(
    request: Request,
    code: str,
    user: CurrentUser,
    tahun: Annotated[int, Query(ge=1900, le=2100)],
    indicator: Annotated[str, Form(max_length=40)],
    decision: Annotated[Literal["accepted", "rejected"], Form()],
    reason: Annotated[str, Form(max_length=2000)],
    score: Annotated[float | None, Form()] = None,
    lang: Lang = None,
) -> Response:
    """Record the TKPK's decision on a priority problem, then show the problems."""
    reviewer = require_reviewer(user)
    with request.app.state.db.begin() as connection:
        area = area_registry.get_area(connection, code)
        record_decision(
            connection,
            area=area.code,
            year=tahun,
            indicator=Catalogue.load(connection).get(indicator).code,
            decision=decision,
            reason=reason,
            user=reviewer.username,
            score=score,
        )
    link = _linker(lang or request.app.state.settings.lang)
    return RedirectResponse(
        link(f"/analisis/{area.code}/priority-problems", tahun=tahun), status_code=303
    )


def _visuals(connection, kind: str, outcome: Outcome, lang: str) -> dict[str, Any]:
    """Charts and maps of a result, drawn from the values the analysis read."""
    scope = outcome.scope
    assert scope is not None
    if kind == "quadrant":
        return {"charts": [quadrant_svg(r, lang) for r in outcome.results]}
    if kind == "priority-locations":
        return {"map": locations_svg(connection, scope, outcome.results[0], lang)}
    if kind == "trend":
        return {"charts": trend_charts(scope, outcome.results[0], lang)}
    return {}


def routes() -> APIRouter:
    """Combine the analysis API and these pages into one router for the app."""
    from p3bm.web import analysis_api

    combined = APIRouter()
    combined.include_router(analysis_api.router)
    combined.include_router(router)
    return combined
