"""The analysis sections of the offline report: priorities, scorecard, quadrants."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from p3bm.analysis.base import AnalysisSettings
from p3bm.analysis.decisions import current_decisions, decision_history
from p3bm.analysis.determinants import Determinants, analyse_determinants
from p3bm.analysis.labels import text
from p3bm.analysis.locations import PriorityLocations, analyse_locations
from p3bm.analysis.priority import PriorityProblems, analyse_problems
from p3bm.analysis.quadrant import Quadrant, standard_quadrants
from p3bm.analysis.scope import load_scope
from p3bm.analysis.scorecard import Scorecard, scorecard_area
from p3bm.analysis.trend import analyse_trends
from p3bm.analysis.views import TrendChart, locations_svg, quadrant_svg, trend_charts
from p3bm.areas import codes
from p3bm.areas.registry import Area

REPORT_TRENDS = ("P0", "JPM", "TPT", "IPM")


@dataclass
class ReportSections:
    """Analysis results and their charts for the report."""

    scorecard: Scorecard
    problems: PriorityProblems
    determinants: Determinants
    quadrants: list[tuple[Quadrant, str]] = field(default_factory=list)
    locations: PriorityLocations | None = None
    locations_map: str = ""
    trends: list[TrendChart] = field(default_factory=list)
    lang: str = "id"

    def label(self, key: str, **params: Any) -> str:
        return text(key, self.lang, **params)


def build_report_sections(
    connection: Connection,
    area: Area,
    year: int,
    *,
    lang: str = "id",
    stale_after_years: int = 3,
    verified_only: bool = False,
    statuses: tuple[str, ...] | None = None,
    source_priority: tuple[str, ...] = (),
    scheme: str = "A",
    **_ignored: Any,
) -> ReportSections:
    """Run the analyses the report shows for an area and year."""
    settings = AnalysisSettings(
        stale_after_years=stale_after_years,
        verified_only=verified_only,
        statuses=statuses,
        source_priority=tuple(source_priority),
        scheme=scheme,
    )
    scope = load_scope(connection, area, settings, depth=1, until=year)
    history = decision_history(connection, area.code, year)
    problems = analyse_problems(scope, area, year, history)
    chosen = _problems_to_explain(scope, problems, history)
    sections = ReportSections(
        scorecard=scorecard_area(scope, area, year, scheme=scheme),
        problems=problems,
        determinants=analyse_determinants(scope, area, year, chosen),
        lang=lang,
    )

    for quadrant in standard_quadrants(scope, area, year):
        sections.quadrants.append((quadrant, quadrant_svg(quadrant, lang)))
    if area.level < codes.VILLAGE:
        sections.locations = analyse_locations(scope, area, year)
        if sections.locations.locations:
            sections.locations_map = locations_svg(
                connection, scope, sections.locations, lang
            )

    present = [c for c in REPORT_TRENDS if c in scope.catalogue.by_code]
    trend = analyse_trends(scope, area, year, indicators=present)
    sections.trends = [c for c in trend_charts(scope, trend, lang) if c.svg]
    return sections


def _problems_to_explain(scope, problems: PriorityProblems, history) -> list[str]:
    """Choose the problems whose determinants the report ranks.

    These are the accepted problems, else every candidate, of those with
    determinants in the catalogue.
    """
    accepted = [
        d.indicator
        for d in current_decisions(history).values()
        if d.decision == "accepted"
    ]
    chosen = accepted or [c.indicator.code for c in problems.candidates]
    return [code for code in chosen if scope.catalogue.get(code).determinants]
