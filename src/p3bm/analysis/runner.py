"""One entry point for every analysis, shared by the CLI, the API and the pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from p3bm.analysis.aggregate import aggregate
from p3bm.analysis.base import AnalysisSettings, Result
from p3bm.analysis.checks import DEFAULT_YEARS as QUALITY_YEARS
from p3bm.analysis.checks import analyse_quality
from p3bm.analysis.decisions import current_decisions, decision_history
from p3bm.analysis.determinants import DEFAULT_TOP, analyse_determinants
from p3bm.analysis.locations import DEFAULT_POOR, DEFAULT_TOTAL, analyse_locations
from p3bm.analysis.position import analyse_position
from p3bm.analysis.priority import analyse_problems
from p3bm.analysis.quadrant import (
    SIZE_INDICATOR,
    STANDARD_PAIRS,
    analyse_quadrant,
    standard_quadrants,
)
from p3bm.analysis.scope import Scope, load_scope
from p3bm.analysis.scorecard import DEFAULT_YEARS, scorecard_area, scorecard_sub_areas
from p3bm.analysis.trend import DEFAULT_SPAN, analyse_trends
from p3bm.areas.registry import Area
from p3bm.catalogue import Catalogue
from p3bm.errors import ConfigurationError

KINDS = (
    "aggregate",
    "scorecard",
    "trend",
    "position",
    "quadrant",
    "priority-problems",
    "determinants",
    "priority-locations",
    "quality",
)
# Analyses that compare the area with its peers, directly or by the peers' median.
NEEDS_PEERS = ("position", "quadrant", "priority-problems", "determinants", "quality")


@dataclass
class AnalysisRequest:
    """The options of an analysis; each kind reads the ones it needs."""

    indicators: list[str] = field(default_factory=list)
    from_level: int | None = None
    mode: str = "area"
    level: int | None = None
    years: int = DEFAULT_YEARS
    span: int = DEFAULT_SPAN
    base_year: int | None = None
    x: str | None = None
    y: str | None = None
    points: str = "peers"
    problems: list[str] = field(default_factory=list)
    top: int = DEFAULT_TOP
    poor: str = DEFAULT_POOR
    total: str = DEFAULT_TOTAL
    dhis2_mode: bool = False
    lang: str = "id"


@dataclass
class Outcome:
    """The results of one request: one result, or one per indicator or pair.

    ``scope`` is what the analysis read, for charts drawn from the same values.
    """

    kind: str
    results: list[Any]
    scope: Scope | None = field(default=None, repr=False)

    def rows(self) -> list[dict[str, Any]]:
        return [row for result in self.results for row in result.rows()]

    def to_dict(self) -> dict[str, Any]:
        if len(self.results) == 1:
            return self.results[0].to_dict()
        return {"kind": self.kind, "results": [r.to_dict() for r in self.results]}


def run_analysis(
    connection: Connection,
    kind: str,
    area: Area,
    year: int,
    settings: AnalysisSettings,
    request: AnalysisRequest | None = None,
) -> Outcome:
    """Run analysis ``kind`` for an area and year; raises ConfigurationError."""
    request = request or AnalysisRequest()
    if kind not in KINDS:
        raise ConfigurationError(
            f"Unknown analysis {kind!r}.",
            hint=f"Use one of {', '.join(KINDS)}.",
            indonesian=(
                f"Analisis {kind!r} tidak dikenal.",
                f"Pakai salah satu dari {', '.join(KINDS)}.",
            ),
        )
    reads = _reads(kind, area, year, request)
    if kind == "quality":
        # Every check but the method breaks looks at the window and the year
        # before it; a method break needs the indicator's whole series.
        catalogue = Catalogue.load(connection)
        reads |= {
            "since": year - QUALITY_YEARS,
            "whole_series": [item.code for item in catalogue if item.method_breaks],
            "catalogue": catalogue,
        }
    scope = load_scope(connection, area, settings, **reads)
    if kind in ("priority-problems", "determinants"):
        history = decision_history(connection, area.code, year)
        return _with_decisions(scope, kind, area, year, request, history)
    return Outcome(kind, _dispatch(scope, kind, area, year, request), scope)


def _reads(kind: str, area: Area, year: int, request: AnalysisRequest) -> dict:
    """Select what an analysis reads: subtree depth, peers, indicators and years.

    Every analysis uses values up to ``year`` only.
    """
    reads: dict[str, Any] = {
        "depth": _depth(kind, area, request),
        "peers": kind in NEEDS_PEERS,
        "until": year,
    }
    if kind == "aggregate":
        reads["since"] = year
    if kind == "priority-locations":
        reads["indicators"] = [request.poor, request.total]
    if kind == "quadrant":
        reads["peers"] = request.points == "peers"
        pairs = [(request.x, request.y)] if request.x and request.y else STANDARD_PAIRS
        reads["indicators"] = [SIZE_INDICATOR, *(c for pair in pairs for c in pair)]
    if "indicators" in reads:
        reads["indicators"] = [
            str(code).strip().upper() for code in reads["indicators"]
        ]
    return reads


def _depth(kind: str, area: Area, request: AnalysisRequest) -> int | None:
    """Levels of the subtree an analysis reads: None for all of them."""
    if kind == "quality":
        return None
    below = [request.from_level, request.level]
    deepest = max([level for level in below if level is not None], default=None)
    if kind in ("aggregate", "priority-locations") or request.mode == "sub-areas":
        return (deepest or area.level + 1) - area.level
    if kind == "quadrant" and request.points == "sub-areas":
        return 1
    return 0


def _dispatch(scope: Scope, kind: str, area: Area, year: int, request) -> list[Result]:
    if kind == "aggregate":
        return _aggregates(scope, area, year, request)
    if kind == "scorecard":
        if request.mode == "sub-areas":
            return [
                scorecard_sub_areas(
                    scope,
                    area,
                    year,
                    scheme=scope.settings.scheme,
                    level=request.level,
                    indicators=request.indicators or None,
                )
            ]
        return [
            scorecard_area(
                scope,
                area,
                year,
                scheme=scope.settings.scheme,
                years=request.years,
                indicators=request.indicators or None,
            )
        ]
    if kind == "trend":
        return [
            analyse_trends(
                scope,
                area,
                year,
                indicators=request.indicators or None,
                span=request.span,
                base_year=request.base_year,
            )
        ]
    if kind == "position":
        return [
            analyse_position(
                scope,
                area,
                year,
                indicators=request.indicators or None,
                span=request.span,
            )
        ]
    if kind == "quadrant":
        return _quadrants(scope, area, year, request)
    if kind == "priority-locations":
        return [
            analyse_locations(
                scope,
                area,
                year,
                level=request.level,
                poor=request.poor,
                total=request.total,
            )
        ]
    return [
        analyse_quality(
            scope, area, year, dhis2_mode=request.dhis2_mode, lang=request.lang
        )
    ]


def _aggregates(scope: Scope, area: Area, year: int, request) -> list[Result]:
    codes = request.indicators or [
        item.code
        for item in scope.catalogue
        if item.aggregation != "none"
        and (request.from_level or area.level + 1) <= item.lowest_level
    ]
    found = [aggregate(scope, code, area, year, request.from_level) for code in codes]
    if request.indicators:
        return found
    return [result for result in found if result.variants] or found[:0]


def _quadrants(scope: Scope, area: Area, year: int, request) -> list[Result]:
    if request.x and request.y:
        return [
            analyse_quadrant(
                scope, area, year, request.x, request.y, points=request.points
            )
        ]
    if request.x or request.y:
        raise ConfigurationError(
            "A quadrant needs both --x and --y, or neither for the standard pairs.",
            indonesian=(
                "Kuadran memerlukan --x dan --y sekaligus, atau keduanya kosong "
                "untuk pasangan bawaan.",
                None,
            ),
        )
    return list(standard_quadrants(scope, area, year, points=request.points))


def _with_decisions(scope, kind, area, year, request, history) -> Outcome:
    if kind == "priority-problems":
        return Outcome(kind, [analyse_problems(scope, area, year, history)], scope)
    chosen = request.problems or [
        d.indicator
        for d in current_decisions(history).values()
        if d.decision == "accepted"
    ]
    if not chosen:
        problems = analyse_problems(scope, area, year, history)
        chosen = [c.indicator.code for c in problems.candidates]
    chosen = [code for code in chosen if scope.catalogue.get(code).determinants]
    determinants = analyse_determinants(scope, area, year, chosen, top=request.top)
    return Outcome(kind, [determinants], scope)
