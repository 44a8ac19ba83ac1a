"""Priority problems: which indicators of an area need action first.

Candidates are the indicators that are not neutral and have a current value,
and that meet one of three conditions. They are red in scorecard scheme A,
or the area lies in the quadrant worse on both axes of a standard pair among
its peers, or they miss their plan target of the value's year. Each
candidate gets

    score = w_gap N(-relative gap) + w_trend N(-s slope) + w_people N(people)

with N the min-max normalisation across the candidates (a component that
cannot be computed adds 0) and weights 0.4, 0.3 and 0.3 by default.

- relative gap = s (x - b) / |b| against the chosen benchmark (province by
  default, then national, then the peers' median when it has no value);
- slope: the least-squares slope of the area's values over all years;
- people affected: for a percentage, the share of the population in the bad
  state (x / 100 for lower-is-better, (100 - x) / 100 for higher-is-better)
  times the population JP. For a count of people it is the count in
  persons. For any other unit (indices, years, rupiah) it is the number of
  poor people (JPM in persons), since the problem is weighed by the poor it
  concerns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from p3bm.analysis.base import RED, InputValue, Result, clean, min_max, relative_gap
from p3bm.analysis.decisions import Decision
from p3bm.analysis.quadrant import WORSE_BOTH, standard_quadrants
from p3bm.analysis.scope import Scope
from p3bm.analysis.scorecard import assess
from p3bm.analysis.targets import choose_target
from p3bm.analysis.trend import least_squares_slope
from p3bm.areas.registry import Area
from p3bm.catalogue import Indicator
from p3bm.imports import units

PERSON_UNITS = {"jiwa": 1.0, "ribu jiwa": 1000.0}
POPULATION = "JP"
POOR = "JPM"
BENCHMARK_FALLBACK = ("province", "national", "peer_median")


@dataclass
class Candidate:
    """One indicator proposed as a priority problem, with its score components."""

    indicator: Indicator
    value: InputValue
    reasons: list[str] = field(default_factory=list)
    benchmark: InputValue | None = None
    benchmark_kind: str | None = None
    relative_gap: float | None = None
    slope: float | None = None
    people: float | None = None
    people_basis: str | None = None
    score: float = 0.0
    decision: Decision | None = None

    def to_row(self, skpd: dict[str, str]) -> dict[str, Any]:
        decision = self.decision
        return {
            "indicator": self.indicator.code,
            "value": self.value.value,
            "value_year": self.value.year,
            "reasons": ", ".join(self.reasons),
            "benchmark": self.benchmark.value if self.benchmark else None,
            "benchmark_kind": self.benchmark_kind,
            "relative_gap": clean(self.relative_gap, 4),
            "slope": clean(self.slope),
            "people_affected": clean(self.people, 0),
            "people_basis": self.people_basis,
            "score": round(self.score, 4),
            "skpd": self.indicator.skpd,
            "skpd_name": skpd.get(self.indicator.skpd, ""),
            "decision": decision.decision if decision else None,
            "decision_reason": decision.reason if decision else None,
            "decided_by": decision.decided_by if decision else None,
        }


@dataclass
class PriorityProblems(Result):
    """Candidates ranked by score, with the TKPK's decisions."""

    candidates: list[Candidate] = field(default_factory=list)
    skpd: dict[str, str] = field(default_factory=dict)
    history: list[Decision] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        return [c.to_row(self.skpd) for c in self.candidates]

    def to_dict(self) -> dict[str, Any]:
        return self.envelope(
            self.rows(), decision_history=[d.to_dict() for d in self.history]
        )


def people_affected(
    scope: Scope, item: Indicator, area: Area, value: InputValue, year: int
) -> tuple[float | None, str | None, list[InputValue]]:
    """People affected by a problem indicator, the basis used and the inputs read."""
    unit = item.unit.strip().lower()
    if unit == "%":
        population = scope.current(POPULATION, area.code, year)
        if population is None:
            return None, None, []
        share = value.value if item.polarity < 0 else 100.0 - value.value
        return (
            max(share, 0.0) / 100.0 * population.value,
            "share_of_population",
            [population],
        )
    if unit in PERSON_UNITS:
        return value.value * PERSON_UNITS[unit], "count", []
    poor = scope.current(POOR, area.code, year)
    if poor is None:
        return None, None, []
    poor_item = scope.catalogue.by_code.get(POOR)
    factor = units.conversion_factor(poor_item.unit, "jiwa") if poor_item else None
    return poor.value * (factor or 1.0), "poor_people", [poor]


def _benchmark(scope: Scope, item: Indicator, area: Area, year: int):
    preferred = scope.settings.benchmark
    order = [preferred, *[k for k in BENCHMARK_FALLBACK if k != preferred]]
    for kind in order:
        value, _label = scope.benchmark(item.code, area, year, kind)
        if value is not None and value.area != area.code:
            return value, kind
    return None, None


def _worst_quadrant_codes(scope: Scope, area: Area, year: int) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for quadrant in standard_quadrants(scope, area, year):
        if quadrant.focus_quadrant == WORSE_BOTH:
            assert quadrant.x_indicator and quadrant.y_indicator
            pair = f"{quadrant.x_indicator.code}+{quadrant.y_indicator.code}"
            for code in (quadrant.x_indicator.code, quadrant.y_indicator.code):
                found.setdefault(code, []).append(pair)
    return found


def find_candidates(scope: Scope, area: Area, year: int) -> list[Candidate]:
    """Indicators red in scheme A, in the worst quadrant, or missing their target."""
    worst = _worst_quadrant_codes(scope, area, year)
    found = []
    for item in scope.catalogue:
        if item.polarity == 0:
            continue
        value = scope.current(item.code, area.code, year)
        if value is None:
            continue
        reasons = []
        if assess(scope, item, area, year, "A").status == RED:
            reasons.append("red_scheme_a")
        if item.code in worst:
            reasons.append("worst_quadrant " + " ".join(worst[item.code]))
        target = choose_target(scope.targets, item.code, area.code, value.year)
        if target is not None and item.polarity * (value.value - target.value) < 0:
            reasons.append(f"target_missed {target.kind} {target.value:g}")
        if reasons:
            found.append(Candidate(item, value, reasons))
    return found


def analyse_problems(
    scope: Scope, area: Area, year: int, decisions: list[Decision] | None = None
) -> PriorityProblems:
    """Rank the candidate problems of an area by score."""
    settings = scope.settings
    result = PriorityProblems(
        kind="priority-problems",
        area=area.code,
        year=year,
        parameters={
            "benchmark": settings.benchmark,
            "weights": {
                "gap": settings.weight_gap,
                "trend": settings.weight_trend,
                "people": settings.weight_people,
            },
            "stale_after_years": settings.stale_after_years,
            "target_kind": settings.target_kind,
            "source_priority": list(settings.source_priority),
        },
        skpd=scope.skpd,
        history=decisions or [],
    )
    result.candidates = find_candidates(scope, area, year)
    for candidate in result.candidates:
        _components(scope, result, candidate, area, year)
    _score(result.candidates, settings)
    latest = {d.indicator: d for d in result.history}
    for candidate in result.candidates:
        candidate.decision = latest.get(candidate.indicator.code)
    result.candidates.sort(key=lambda c: (-c.score, c.indicator.position))
    return result


def _components(scope, result, candidate: Candidate, area: Area, year: int) -> None:
    item, value = candidate.indicator, candidate.value
    candidate.benchmark, candidate.benchmark_kind = _benchmark(
        scope, item, area, value.year
    )
    if candidate.benchmark is not None:
        candidate.relative_gap = relative_gap(
            value.value, candidate.benchmark.value, item.polarity
        )
    points = scope.series(item.code, area.code, until=year)
    candidate.slope = least_squares_slope([(p.year, p.value) for p in points])
    people, basis, used = people_affected(scope, item, area, value, year)
    candidate.people, candidate.people_basis = people, basis
    result.use(value, candidate.benchmark, *points, *used)


def _score(candidates: list[Candidate], settings) -> None:
    gaps = min_max(
        [-c.relative_gap if c.relative_gap is not None else None for c in candidates]
    )
    trends = min_max(
        [
            -c.indicator.polarity * c.slope if c.slope is not None else None
            for c in candidates
        ]
    )
    people = min_max([c.people for c in candidates])
    for candidate, g, t, p in zip(candidates, gaps, trends, people, strict=True):
        candidate.score = (
            settings.weight_gap * g
            + settings.weight_trend * t
            + settings.weight_people * p
        )
