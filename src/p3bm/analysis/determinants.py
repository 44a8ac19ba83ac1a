"""Determinants of priority problems, ranked by how far they lag the benchmark.

Each problem indicator lists its determinants in the catalogue. For the
area's current value x of a determinant and its benchmark b (province by
default, then national, then the peers' median), the relative gap
s (x - b) / |b| ranks them from worst to best; determinants without a value
or benchmark come last. The worst ones that are behind the benchmark
(relative gap below 0), up to ``top`` per problem, become intervention
priorities, each with the SKPD responsible for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from p3bm.analysis.base import InputValue, Result, clean, relative_gap
from p3bm.analysis.priority import _benchmark
from p3bm.analysis.scope import Scope
from p3bm.areas.registry import Area
from p3bm.catalogue import Indicator

DEFAULT_TOP = 3


@dataclass
class DeterminantRank:
    """One determinant of one problem."""

    problem: str
    indicator: Indicator
    value: InputValue | None
    benchmark: InputValue | None = None
    benchmark_kind: str | None = None
    relative_gap: float | None = None
    rank: int | None = None
    is_priority: bool = False

    def to_row(self, skpd: dict[str, str]) -> dict[str, Any]:
        return {
            "problem": self.problem,
            "determinant": self.indicator.code,
            "rank": self.rank,
            "value": self.value.value if self.value else None,
            "value_year": self.value.year if self.value else None,
            "benchmark": self.benchmark.value if self.benchmark else None,
            "benchmark_kind": self.benchmark_kind,
            "relative_gap": clean(self.relative_gap, 4),
            "intervention_priority": self.is_priority,
            "skpd": self.indicator.skpd,
            "skpd_name": skpd.get(self.indicator.skpd, ""),
        }


@dataclass
class Determinants(Result):
    """Ranked determinants of each problem."""

    ranks: list[DeterminantRank] = field(default_factory=list)
    skpd: dict[str, str] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        return [r.to_row(self.skpd) for r in self.ranks]

    def priorities(self) -> list[dict[str, Any]]:
        return [r.to_row(self.skpd) for r in self.ranks if r.is_priority]

    def to_dict(self) -> dict[str, Any]:
        return self.envelope(self.rows(), intervention_priorities=self.priorities())


def rank_determinants(
    scope: Scope, problem: Indicator, area: Area, year: int, top: int = DEFAULT_TOP
) -> list[DeterminantRank]:
    """Rank the determinants of one problem, worst first."""
    found = []
    for code in problem.determinants:
        item = scope.catalogue.by_code.get(code)
        if item is None:
            continue
        value = scope.current(code, area.code, year)
        entry = DeterminantRank(problem.code, item, value)
        if value is not None and item.polarity != 0:
            entry.benchmark, entry.benchmark_kind = _benchmark(
                scope, item, area, value.year
            )
            if entry.benchmark is not None:
                entry.relative_gap = relative_gap(
                    value.value, entry.benchmark.value, item.polarity
                )
        found.append(entry)
    ranked = sorted(
        found,
        key=lambda e: (
            e.relative_gap is None,
            e.relative_gap or 0.0,
            e.indicator.position,
        ),
    )
    chosen = 0
    for position, entry in enumerate(ranked, start=1):
        entry.rank = position
        if entry.relative_gap is not None and entry.relative_gap < 0 and chosen < top:
            entry.is_priority = True
            chosen += 1
    return ranked


def analyse_determinants(
    scope: Scope, area: Area, year: int, problems: list[str], *, top: int = DEFAULT_TOP
) -> Determinants:
    """Rank the determinants of each problem in ``problems``."""
    result = Determinants(
        kind="determinants",
        area=area.code,
        year=year,
        parameters={
            "problems": problems,
            "top": top,
            "benchmark": scope.settings.benchmark,
            "stale_after_years": scope.settings.stale_after_years,
            "source_priority": list(scope.settings.source_priority),
        },
        skpd=scope.skpd,
    )
    for code in problems:
        problem = scope.catalogue.get(code)
        ranks = rank_determinants(scope, problem, area, year, top)
        result.ranks.extend(ranks)
        for entry in ranks:
            result.use(entry.value, entry.benchmark)
    return result
