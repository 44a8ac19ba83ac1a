"""Hand-written pandas baselines of P3BM's analyses, for benchmarks/analysis.py.

Each baseline reads what the analysis reads, with ``pandas.read_sql``: the
stored totals of the same areas and years, the catalogue, the areas, and the
targets and TKPK decisions where the analysis uses them. It then computes the
same result with vectorised pandas and numpy, using the default settings of
``AnalysisSettings`` (no source priority, province benchmark, stale after 3
years). ``baseline`` returns a projection of that result, a sorted list of
tuples, and ``project`` returns the same projection of a P3BM outcome, so the
benchmark can check that both agree before it times them.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from baseline_analyses import (
    baseline_aggregate,
    baseline_determinants,
    baseline_locations,
    baseline_position,
    baseline_problems,
    baseline_quadrant,
    baseline_scorecard,
    baseline_trend,
)
from baseline_quality import baseline_quality
from baseline_reading import Projection, read_catalogue

from p3bm.analysis.runner import Outcome
from p3bm.areas.registry import Area

__all__ = ["baseline", "differences", "project", "read_catalogue"]


BASELINES: dict[str, Callable[..., Projection]] = {
    "aggregate": baseline_aggregate,
    "scorecard": baseline_scorecard,
    "trend": baseline_trend,
    "position": baseline_position,
    "quadrant": baseline_quadrant,
    "priority-problems": baseline_problems,
    "determinants": baseline_determinants,
    "priority-locations": baseline_locations,
    "quality": baseline_quality,
}


def baseline(kind: str, connection, area: Area, year: int) -> Projection:
    """Compute analysis ``kind`` of an area and year in pandas."""
    return sorted(BASELINES[kind](connection, area, year))


def project(outcome: Outcome) -> Projection:
    """Project a P3BM outcome to the shape the baseline of its kind returns."""
    return sorted(PROJECTIONS[outcome.kind](outcome.results))


def _aggregates(results) -> list[tuple]:
    return [
        (r.indicator.code, "\x1f".join(v.sources.values()), v.value, len(v.contributed))
        for r in results
        for v in r.variants
    ]


def _trend_lines(results) -> list[tuple]:
    return [
        (
            line.indicator.code,
            len(line.points),
            line.last.year,
            line.base.year if line.span else None,
            line.change,
            line.slope,
            line.progress.status if line.progress else "no_target",
        )
        for line in results[0].lines
    ]


def _standings(results) -> list[tuple]:
    return [
        (
            s.indicator.code,
            s.rank,
            s.percentile,
            s.z,
            s.change.get("relevant"),
            s.change.get("effective"),
        )
        for s in results[0].standings
    ]


def _flags(results) -> list[tuple]:
    """Return the quality flags and one more tuple: the keys with several sources."""
    result = results[0]
    flags = [(f.code, f.indicator, f.area, f.year) for f in result.flags]
    return flags + [("sources_side_by_side", len(result.disagreements))]


PROJECTIONS: dict[str, Callable[[list], list[tuple]]] = {
    "aggregate": _aggregates,
    "scorecard": lambda results: [
        (code, int(column), cell.status)
        for (code, column), cell in results[0].cells.items()
    ],
    "trend": _trend_lines,
    "position": _standings,
    "quadrant": lambda results: [
        (r.x_indicator.code, r.y_indicator.code, p.area, p.quadrant)
        for r in results
        for p in r.points
    ],
    "priority-problems": lambda results: [
        (c.indicator.code, c.score) for c in results[0].candidates
    ],
    "determinants": lambda results: [
        (r.problem, r.indicator.code, r.rank, r.is_priority) for r in results[0].ranks
    ],
    "priority-locations": lambda results: [
        (loc.area, loc.category) for loc in results[0].locations
    ],
    "quality": _flags,
}


def differences(ours: Projection, theirs: Projection, limit: int = 5) -> list[str]:
    """List where two projections differ, with floats equal within 1e-9."""
    found = []
    if len(ours) != len(theirs):
        found.append(f"{len(ours)} rows against {len(theirs)}")
    for mine, other in zip(ours, theirs, strict=False):
        if not _same(mine, other):
            found.append(f"{mine} against {other}")
        if len(found) >= limit:
            break
    return found


def _same(mine: tuple, other: tuple) -> bool:
    if len(mine) != len(other):
        return False
    for a, b in zip(mine, other, strict=True):
        if isinstance(a, float) or isinstance(b, float):
            if (
                a is None
                or b is None
                or not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
            ):
                return False
        elif a != b:
            return False
    return True
