"""The analysis API under ``/api/v1/analysis``: one endpoint per analysis.

Every response records its parameters and the input values it read (with
indicator, area, year and source), so a result can be reproduced. Anonymous
callers see analyses of published values only, as elsewhere in the API.

``POST /decisions`` records the TKPK's decision on a priority problem. Only
Bappeda analysts and administrators may call it, with an API token or with a
browser session and the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from p3bm.analysis.base import BENCHMARKS, AnalysisSettings
from p3bm.analysis.decisions import decision_history, record_decision
from p3bm.analysis.runner import AnalysisRequest, run_analysis
from p3bm.areas import codes
from p3bm.areas import registry as area_registry
from p3bm.catalogue import Catalogue
from p3bm.errors import ConfigurationError
from p3bm.permissions import readable_statuses, require_reviewer
from p3bm.web.auth import CurrentUser, require_csrf

router = APIRouter(prefix="/api/v1/analysis", tags=["analysis"])
RowT = TypeVar("RowT", bound=BaseModel)
Codes = Annotated[list[str] | None, Query(max_length=100)]


class InputOut(BaseModel):
    """A stored value an analysis read."""

    indicator: str
    area: str
    year: int
    source: str
    value: float


class Envelope(BaseModel, Generic[RowT]):
    """The result shape of every analysis: parameters, rows and inputs."""

    kind: str
    area: str
    year: int
    parameters: dict[str, Any]
    rows: list[RowT]
    inputs: list[InputOut]


class AggregateRow(BaseModel):
    indicator: str
    area: str
    year: int
    rule: str
    expected: int = Field(description="Sub-areas that existed in the year.")
    sources: str = Field(description="Source of each part, as CODE: source.")
    value: float | None
    contributed: int
    coverage_percent: float
    missing: str = Field(description="Codes of the sub-areas that did not contribute.")
    reason: str | None = Field(
        description="Why there is no aggregate: not_aggregable, below_lowest_level, "
        "no_sub_areas or no_data."
    )


class AggregateResult(Envelope[AggregateRow]):
    published: list[InputOut] = Field(description="The area's own stored values.")


class AggregateOut(BaseModel):
    kind: str = "aggregate"
    results: list[AggregateResult]


class ScorecardRow(BaseModel):
    indicator: str
    area: str
    area_name: str
    year: int
    value: float | None
    value_year: int | None
    source: str | None
    status: str = Field(description="green, yellow, red or grey.")
    reason: str | None = Field(
        description="Why grey: missing, stale, neutral, no_benchmark, no_target."
    )
    score: float | None = Field(description="Scheme C: 100 x / T or 100 T / x.")
    province: float | None
    national: float | None
    target: float | None
    target_kind: str | None
    previous: float | None


class ScorecardOut(Envelope[ScorecardRow]):
    columns: list[str]
    counts: dict[str, int]
    mode: str


class TrendRow(BaseModel):
    indicator: str
    area: str
    points: int
    base_year: int | None
    base_value: float | None
    last_year: int | None
    last_value: float | None
    change: float | None
    average_annual_change: float | None
    compound_growth_percent: float | None
    slope: float | None
    direction: str | None
    progress: str = Field(
        description="achieved, on_track, needs_acceleration, limited_progress, "
        "deterioration, not_available or no_target."
    )
    progress_ratio: float | None
    target: float | None
    target_year: int | None


class TrendOut(Envelope[TrendRow]):
    series: dict[str, list[list[float]]]
    progress: dict[str, dict[str, Any]]


class PositionRow(BaseModel):
    indicator: str
    value: float | None
    peers: int
    rank: int | None
    percentile: float | None
    z: float | None
    peer_mean: float | None
    from_year: int | None = None
    to_year: int | None = None
    change_area: float | None = None
    change_benchmark: float | None = None
    relevant: bool | None = None
    effective: bool | None = None
    benchmark: str | None = None


class PositionOut(Envelope[PositionRow]):
    peers: dict[str, list[list[Any]]]


class QuadrantRow(BaseModel):
    area: str
    name: str
    x: float
    x_year: int
    y: float
    y_year: int
    population: float | None
    quadrant: str = Field(
        description="worse_both, worse_x_only, worse_y_only or better_both."
    )
    is_focus: bool


class SplitOut(BaseModel):
    value: float | None
    method: str


class QuadrantResult(Envelope[QuadrantRow]):
    x_split: SplitOut
    y_split: SplitOut
    focus_quadrant: str | None
    counts: dict[str, int]
    missing: list[str]


class QuadrantOut(BaseModel):
    kind: str = "quadrant"
    results: list[QuadrantResult]


class DecisionOut(BaseModel):
    area: str
    year: int
    indicator: str
    decision: str
    reason: str
    score: float | None
    decided_at: str
    decided_by: str


class DecisionIn(BaseModel):
    """The TKPK's decision on one priority problem of an area and year."""

    area: str = Field(max_length=40, description="Area code.")
    year: int = Field(ge=1900, le=2100)
    indicator: str = Field(max_length=40, description="Indicator code.")
    decision: Literal["accepted", "rejected"]
    reason: str = Field(
        min_length=1, max_length=2000, description="Why the TKPK decided so."
    )
    score: float | None = Field(
        default=None, description="The problem's score when it was decided."
    )


class ProblemRow(BaseModel):
    indicator: str
    value: float
    value_year: int
    reasons: str
    benchmark: float | None
    benchmark_kind: str | None
    relative_gap: float | None
    slope: float | None
    people_affected: float | None
    people_basis: str | None
    score: float
    skpd: str
    skpd_name: str
    decision: str | None
    decision_reason: str | None
    decided_by: str | None


class ProblemsOut(Envelope[ProblemRow]):
    decision_history: list[DecisionOut]


class DeterminantRow(BaseModel):
    problem: str
    determinant: str
    rank: int | None
    value: float | None
    value_year: int | None
    benchmark: float | None
    benchmark_kind: str | None
    relative_gap: float | None
    intervention_priority: bool
    skpd: str
    skpd_name: str


class DeterminantsOut(Envelope[DeterminantRow]):
    intervention_priorities: list[DeterminantRow]


class LocationRow(BaseModel):
    area: str
    name: str
    poor: float
    poor_year: int
    total: float
    total_year: int
    rate_percent: float | None
    category: str = Field(description="P1, P2, P3 or P4.")


class LocationsOut(Envelope[LocationRow]):
    summary: dict[str, Any]


class QualityRow(BaseModel):
    code: str
    indicator: str
    area: str
    area_name: str
    year: int
    value: float | None
    message: str


class QualityOut(Envelope[QualityRow]):
    counts: dict[str, int]
    sources_side_by_side: list[dict[str, Any]]


class Common(BaseModel):
    """Query parameters every analysis takes."""

    area: str
    year: int
    lang: str
    source_priority: list[str]
    stale_after_years: int | None
    verified_only: bool
    benchmark: str | None
    target_kind: str | None


def common(
    area: Annotated[str, Query(max_length=40, description="Area code")],
    year: Annotated[int, Query(ge=1900, le=2100)],
    lang: Annotated[str, Query(pattern="^(id|en)$")] = "id",
    source_priority: Codes = None,
    stale_after_years: Annotated[int | None, Query(ge=0, le=50)] = None,
    verified_only: bool = False,
    benchmark: Annotated[
        str | None, Query(pattern="^(" + "|".join(BENCHMARKS) + ")$")
    ] = None,
    target_kind: Annotated[str | None, Query(max_length=40)] = None,
) -> Common:
    return Common(
        area=area,
        year=year,
        lang=lang,
        source_priority=source_priority or [],
        stale_after_years=stale_after_years,
        verified_only=verified_only,
        benchmark=benchmark,
        target_kind=target_kind,
    )


CommonQuery = Annotated[Common, Depends(common)]


def _settings(request: Request, query: Common, user, **extra) -> AnalysisSettings:
    settings = request.app.state.settings
    return AnalysisSettings(
        stale_after_years=settings.stale_after_years
        if query.stale_after_years is None
        else query.stale_after_years,
        source_priority=tuple(query.source_priority),
        verified_only=query.verified_only or settings.verified_only,
        scheme=(extra.get("scheme") or settings.scorecard_scheme).upper(),
        benchmark=query.benchmark or "province",
        target_kind=query.target_kind,
        weight_gap=_first(extra.get("weight_gap"), settings.priority_weight_gap),
        weight_trend=_first(extra.get("weight_trend"), settings.priority_weight_trend),
        weight_people=_first(
            extra.get("weight_people"), settings.priority_weight_people
        ),
        statuses=readable_statuses(user),
    )


def _first(value, default):
    return default if value is None else value


def _level(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return codes.parse_level(text)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None


def _run(request: Request, kind: str, query: Common, user, analysis, **extra):
    settings = _settings(request, query, user, **extra)
    with request.app.state.db.connect() as connection:
        area = area_registry.get_area(connection, query.area)
        outcome = run_analysis(connection, kind, area, query.year, settings, analysis)
    return outcome


@router.get("/aggregate", response_model=AggregateOut)
def aggregate_endpoint(
    request: Request,
    query: CommonQuery,
    user: CurrentUser,
    indicator: Codes = None,
    from_level: Annotated[str | None, Query(max_length=20)] = None,
) -> dict:
    """Compute an area's values from its sub-areas, one result per source mix."""
    analysis = AnalysisRequest(
        indicators=[c.upper() for c in indicator or []], from_level=_level(from_level)
    )
    outcome = _run(request, "aggregate", query, user, analysis)
    return {"kind": "aggregate", "results": [r.to_dict() for r in outcome.results]}


@router.get("/scorecard", response_model=ScorecardOut)
def scorecard_endpoint(
    request: Request,
    query: CommonQuery,
    user: CurrentUser,
    indicator: Codes = None,
    scheme: Annotated[str | None, Query(pattern="^[ABCabc]$")] = None,
    mode: Annotated[str, Query(pattern="^(area|sub-areas)$")] = "area",
    level: Annotated[str | None, Query(max_length=20)] = None,
    years: Annotated[int, Query(ge=1, le=30)] = 5,
) -> dict:
    """Scorecard in scheme A, B or C, of the area by year or of its sub-areas."""
    analysis = AnalysisRequest(
        indicators=[c.upper() for c in indicator or []],
        mode=mode,
        level=_level(level),
        years=years,
    )
    outcome = _run(request, "scorecard", query, user, analysis, scheme=scheme)
    return outcome.results[0].to_dict()


@router.get("/trend", response_model=TrendOut)
def trend_endpoint(
    request: Request,
    query: CommonQuery,
    user: CurrentUser,
    indicator: Codes = None,
    span: Annotated[int, Query(ge=1, le=50)] = 5,
    base_year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
) -> dict:
    """Change, growth, slope and progress towards the plan target."""
    analysis = AnalysisRequest(
        indicators=[c.upper() for c in indicator or []], span=span, base_year=base_year
    )
    return _run(request, "trend", query, user, analysis).results[0].to_dict()


@router.get("/position", response_model=PositionOut)
def position_endpoint(
    request: Request,
    query: CommonQuery,
    user: CurrentUser,
    indicator: Codes = None,
    span: Annotated[int, Query(ge=1, le=50)] = 5,
) -> dict:
    """Rank, percentile and z among peers; relevance and effectiveness of change."""
    analysis = AnalysisRequest(
        indicators=[c.upper() for c in indicator or []], span=span
    )
    return _run(request, "position", query, user, analysis).results[0].to_dict()


@router.get("/quadrant", response_model=QuadrantOut)
def quadrant_endpoint(
    request: Request,
    query: CommonQuery,
    user: CurrentUser,
    x: Annotated[str | None, Query(max_length=40)] = None,
    y: Annotated[str | None, Query(max_length=40)] = None,
    points: Annotated[str, Query(pattern="^(peers|sub-areas)$")] = "peers",
) -> dict:
    """Quadrants of two indicators, or of the standard pairs when none is given."""
    analysis = AnalysisRequest(x=x, y=y, points=points)
    outcome = _run(request, "quadrant", query, user, analysis)
    return {"kind": "quadrant", "results": [r.to_dict() for r in outcome.results]}


@router.get("/priority-problems", response_model=ProblemsOut)
def problems_endpoint(
    request: Request,
    query: CommonQuery,
    user: CurrentUser,
    weight_gap: Annotated[float | None, Query(ge=0, le=100)] = None,
    weight_trend: Annotated[float | None, Query(ge=0, le=100)] = None,
    weight_people: Annotated[float | None, Query(ge=0, le=100)] = None,
) -> dict:
    """Candidate problems ranked by score, with the TKPK's decisions."""
    outcome = _run(
        request,
        "priority-problems",
        query,
        user,
        AnalysisRequest(),
        weight_gap=weight_gap,
        weight_trend=weight_trend,
        weight_people=weight_people,
    )
    return outcome.results[0].to_dict()


@router.get("/determinants", response_model=DeterminantsOut)
def determinants_endpoint(
    request: Request,
    query: CommonQuery,
    user: CurrentUser,
    problem: Codes = None,
    top: Annotated[int, Query(ge=1, le=50)] = 3,
) -> dict:
    """Determinants of each problem ranked by relative gap, with their SKPD."""
    analysis = AnalysisRequest(problems=[c.upper() for c in problem or []], top=top)
    return _run(request, "determinants", query, user, analysis).results[0].to_dict()


@router.get("/priority-locations", response_model=LocationsOut)
def locations_endpoint(
    request: Request,
    query: CommonQuery,
    user: CurrentUser,
    level: Annotated[str | None, Query(max_length=20)] = None,
    poor: Annotated[str, Query(max_length=40)] = "JPM",
    total: Annotated[str, Query(max_length=40)] = "JP",
) -> dict:
    """Sub-areas in P1 to P4 by their number and rate of poor."""
    analysis = AnalysisRequest(
        level=_level(level), poor=poor.upper(), total=total.upper()
    )
    outcome = _run(request, "priority-locations", query, user, analysis)
    return outcome.results[0].to_dict()


@router.get("/quality", response_model=QualityOut)
def quality_endpoint(
    request: Request,
    query: CommonQuery,
    user: CurrentUser,
    dhis2_mode: bool = False,
) -> dict:
    """Rule violations, outliers, level consistency and disagreeing sources."""
    analysis = AnalysisRequest(dhis2_mode=dhis2_mode, lang=query.lang)
    return _run(request, "quality", query, user, analysis).results[0].to_dict()


@router.get("/decisions", response_model=list[DecisionOut])
def decisions_endpoint(
    request: Request,
    area: Annotated[str, Query(max_length=40)],
    year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
) -> list[dict]:
    """List every TKPK decision of an area, oldest first."""
    with request.app.state.db.connect() as connection:
        found = area_registry.get_area(connection, area)
        return [d.to_dict() for d in decision_history(connection, found.code, year)]


@router.post(
    "/decisions",
    response_model=DecisionOut,
    status_code=201,
    dependencies=[Depends(require_csrf)],
    responses={
        401: {"description": "Not signed in."},
        403: {"description": "Not an analyst or administrator, or no CSRF token."},
        404: {"description": "No such area or indicator."},
    },
)
def decide_endpoint(request: Request, body: DecisionIn, user: CurrentUser) -> dict:
    """Record the TKPK's decision on a priority problem, keeping earlier ones."""
    reviewer = require_reviewer(user)
    with request.app.state.db.begin() as connection:
        area = area_registry.get_area(connection, body.area)
        code = Catalogue.load(connection).get(body.indicator).code
        decision = record_decision(
            connection,
            area=area.code,
            year=body.year,
            indicator=code,
            decision=body.decision,
            reason=body.reason,
            user=reviewer.username,
            score=body.score,
        )
    return decision.to_dict()
