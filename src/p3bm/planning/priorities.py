"""The priorities a budget is measured against, taken from the analyses.

Priority problems are the indicators the TKPK accepted for the area, in the
latest year up to the budget year that has decisions. Before the TKPK has
decided anything, the candidates that the priority-problem analysis ranks
stand in for them, and ``basis`` records which of the two was used.
Intervention priorities are the determinants that analysis ranks worst for
those problems. Priority
locations put the kelurahan (or another level) into P1 to P4.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from p3bm.analysis import AnalysisSettings, load_scope
from p3bm.analysis.decisions import current_decisions, decision_history
from p3bm.analysis.determinants import analyse_determinants
from p3bm.analysis.locations import PriorityLocations, analyse_locations
from p3bm.analysis.priority import analyse_problems
from p3bm.areas import codes
from p3bm.areas.registry import Area

TKPK, CANDIDATES = "tkpk", "candidates"


@dataclass
class Priorities:
    """Priority problems, intervention priorities and locations of an area."""

    area: str
    year: int
    basis: str
    decided_year: int | None
    problems: list[str] = field(default_factory=list)
    determinants: list[str] = field(default_factory=list)
    problem_rows: list[dict[str, Any]] = field(default_factory=list)
    determinant_rows: list[dict[str, Any]] = field(default_factory=list)
    locations: PriorityLocations | None = None

    @property
    def linked_codes(self) -> set[str]:
        """Problems and intervention priorities: what budget lines should address."""
        return set(self.problems) | set(self.determinants)

    def categories(self) -> dict[str, str]:
        """P1 to P4 by area code."""
        if self.locations is None:
            return {}
        return {loc.area: loc.category for loc in self.locations.locations}

    def poor_by_area(self) -> dict[str, float]:
        if self.locations is None:
            return {}
        return {loc.area: loc.poor.value for loc in self.locations.locations}

    def to_dict(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "year": self.year,
            "basis": self.basis,
            "decided_year": self.decided_year,
            "problems": self.problems,
            "determinants": self.determinants,
            "problem_rows": self.problem_rows,
            "determinant_rows": self.determinant_rows,
            "locations": self.locations.to_dict() if self.locations else None,
        }


def load_priorities(
    connection: Connection,
    area: Area,
    year: int,
    *,
    poor: str = "RT_DTKS",
    total: str = "RT",
    location_level: int = codes.VILLAGE,
    settings: AnalysisSettings | None = None,
) -> Priorities:
    """The priorities of ``area`` that a budget of ``year`` should address."""
    scope = load_scope(connection, area, settings or AnalysisSettings())
    history = [d for d in decision_history(connection, area.code) if d.year <= year]
    decided_year = max((d.year for d in history), default=None)
    problems = analyse_problems(
        scope,
        area,
        year,
        [d for d in history if d.year == decided_year],
    )
    if decided_year is not None:
        latest = current_decisions([d for d in history if d.year == decided_year])
        chosen = [code for code, d in latest.items() if d.decision == "accepted"]
        basis = TKPK
    else:
        chosen = [candidate.indicator.code for candidate in problems.candidates]
        basis = CANDIDATES
    result = Priorities(area.code, year, basis, decided_year, sorted(chosen))
    result.problem_rows = problems.rows()
    if result.problems:
        determinants = analyse_determinants(scope, area, year, result.problems)
        result.determinant_rows = determinants.rows()
        result.determinants = sorted(
            {row["determinant"] for row in determinants.priorities()}
        )
    if area.level < location_level:
        result.locations = analyse_locations(
            scope, area, year, level=location_level, poor=poor, total=total
        )
    return result
