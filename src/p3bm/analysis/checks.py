"""Data-quality findings around an area, beside its completeness.

Runs the checks of ``p3bm.quality`` on the area and its subtree: rule
violations (ranges, numerator above denominator), sibling outliers (modified
z, or the DHIS2-compatible |x - mean| / population sd > 3), year-on-year
jumps, consistency between levels (sums of sub-areas and aggregated ratios
against the parent's own values) and method breaks, and lists the keys on
which sources disagree side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from p3bm.analysis.base import Result
from p3bm.analysis.scope import Scope
from p3bm.areas.registry import Area
from p3bm.quality import (
    QualityFlag,
    QualitySettings,
    check_method_breaks,
    check_numerators,
    check_ranges,
    check_ratio_consistency,
    check_siblings,
    check_sources,
    check_sum_coverage,
    check_sums,
    check_year_on_year,
    sources_side_by_side,
    sums_against_parents,
)

DEFAULT_YEARS = 5


@dataclass
class QualityFindings(Result):
    """Flags and disagreeing sources of an area and its subtree."""

    flags: list[QualityFlag] = field(default_factory=list)
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    lang: str = "id"

    def rows(self) -> list[dict[str, Any]]:
        return [
            flag.to_dict(self.lang)
            | {"area_name": self.names.get(flag.area, flag.area)}
            for flag in self.flags
        ]

    def counts(self) -> dict[str, int]:
        tally: dict[str, int] = {}
        for flag in self.flags:
            tally[flag.code] = tally.get(flag.code, 0) + 1
        return tally

    def to_dict(self) -> dict[str, Any]:
        return self.envelope(
            self.rows(), counts=self.counts(), sources_side_by_side=self.disagreements
        )


def _in_area(code: str, area: Area) -> bool:
    return area.code == "ID" or code == area.code or code.startswith(area.code + ".")


def analyse_quality(
    scope: Scope,
    area: Area,
    year: int,
    *,
    dhis2_mode: bool = False,
    years: int = DEFAULT_YEARS,
    yoy_band: float = 0.5,
    lang: str = "id",
) -> QualityFindings:
    """Quality findings of ``area`` and its subtree in the ``years`` up to ``year``.

    Method breaks are the exception: they are flagged in any year, since the
    break itself may lie outside the window.
    """
    settings = QualitySettings(yoy_band=yoy_band, dhis2_mode=dhis2_mode)
    result = QualityFindings(
        kind="quality",
        area=area.code,
        year=year,
        parameters={
            "dhis2_mode": dhis2_mode,
            "years": years,
            "yoy_band": yoy_band,
            "source_priority": list(scope.settings.source_priority),
        },
        names={code: a.name for code, a in scope.areas.items()},
        lang=lang,
    )
    # The subtree and the area's siblings: enough for every flag kept below.
    siblings = {a.code for a in scope.peers(area)} if area.parent_code else set()
    first = year - years + 1
    frame, best = _checked_values(scope, area, siblings)
    # Every check but the method breaks compares a value with others of the
    # same year or of the year before, so the window and the year before it
    # give the same flags within the window as the whole series.
    window = best[best["year"].between(first - 1, year)]
    flags = _window_flags(scope, frame, window, settings, first, year)
    flags += check_method_breaks(best, scope.catalogue)
    result.flags = sorted(
        (
            f
            for f in flags
            if _in_area(f.area, area)
            and (first <= f.year <= year or f.code == "method_break")
        ),
        key=lambda f: (f.area, f.indicator, -f.year, f.code),
    )
    inside = frame[~frame["area"].isin(siblings - {area.code})]
    inside = inside[inside["year"].between(first, year)]
    result.disagreements = sources_side_by_side(inside)
    return result


def _checked_values(
    scope: Scope, area: Area, siblings: set[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Select every source's values and the preferred ones, of subtree and siblings."""
    codes = scope.frame["area"].unique()
    checked = [code for code in codes if _in_area(code, area) or code in siblings]
    frame = scope.frame[scope.frame["area"].isin(checked)]
    best = scope.best[scope.best["area"].isin(checked)]
    return frame, best


def _window_flags(
    scope: Scope,
    frame: pd.DataFrame,
    window: pd.DataFrame,
    settings: QualitySettings,
    first: int,
    year: int,
) -> list[QualityFlag]:
    """Run every check but the method breaks on the window's values."""
    if window.empty:
        return []
    catalogue = scope.catalogue
    expected = {
        parent: len(scope.children(parent))
        for parent in {a.parent_code for a in scope.areas.values() if a.parent_code}
    }
    sums = sums_against_parents(window, catalogue)
    return (
        check_ranges(window, catalogue)
        + check_numerators(window, catalogue)
        + check_sums(window, catalogue, sums)
        + check_siblings(window, settings)
        + check_year_on_year(window, settings)
        + check_sources(frame[frame["year"].between(first - 1, year)])
        + check_sum_coverage(window, catalogue, expected, sums)
        + check_ratio_consistency(window, catalogue)
    )
