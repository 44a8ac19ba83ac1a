"""Building blocks shared by the analyses: inputs, settings, gaps and results."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

GREEN, YELLOW, RED, GREY = "green", "yellow", "red", "grey"
BENCHMARKS = ("province", "national", "parent", "peer_median")
SCHEMES = ("A", "B", "C")


@dataclass(frozen=True)
class InputValue:
    """One stored value an analysis used: indicator, area, year, source and value."""

    indicator: str
    area: str
    year: int
    source: str
    value: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AnalysisSettings:
    """Parameters shared by the analyses, with the defaults of docs/METHODS.md."""

    stale_after_years: int = 3
    source_priority: tuple[str, ...] = ()
    verified_only: bool = False
    scheme: str = "A"
    benchmark: str = "province"
    target_kind: str | None = None
    weight_gap: float = 0.4
    weight_trend: float = 0.3
    weight_people: float = 0.3
    # Statuses of the values read; None reads every status.
    statuses: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["source_priority"] = list(self.source_priority)
        data["statuses"] = None if self.statuses is None else list(self.statuses)
        return data


@dataclass
class Result:
    """Common part of every analysis result: what was asked and what was read."""

    kind: str
    area: str
    year: int
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: list[InputValue] = field(default_factory=list)

    def use(self, *values: InputValue | None) -> None:
        """Record inputs, skipping None."""
        self.inputs.extend(value for value in values if value is not None)

    def envelope(self, rows: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        """Build the JSON shape of every analysis: parameters, inputs, rows, extras."""
        unique = sorted(
            set(self.inputs), key=lambda v: (v.indicator, v.area, v.year, v.source)
        )
        return {
            "kind": self.kind,
            "area": self.area,
            "year": self.year,
            "parameters": self.parameters,
            "rows": rows,
            **extra,
            "inputs": [value.to_dict() for value in unique],
        }


def gap(value: float, benchmark: float, polarity: int) -> float:
    """s (x - b): positive when the value is better than the benchmark."""
    return polarity * (value - benchmark)


def relative_gap(value: float, benchmark: float, polarity: int) -> float | None:
    """s (x - b) / |b|; None when the benchmark is zero."""
    if benchmark == 0:
        return None
    return polarity * (value - benchmark) / abs(benchmark)


def clean(number: float | None, digits: int = 6) -> float | None:
    """Round a float for output; None for a missing or non-finite number."""
    if number is None or not math.isfinite(number):
        return None
    return round(float(number), digits)


def min_max(values: list[float | None]) -> list[float]:
    """Min-max normalisation to 0..1; a missing value becomes 0.

    When every present value is equal, each of them becomes 1, so a single
    candidate keeps the full weight of the component.
    """
    present = [v for v in values if v is not None]
    if not present:
        return [0.0 for _ in values]
    low, high = min(present), max(present)
    if high == low:
        return [0.0 if v is None else 1.0 for v in values]
    return [0.0 if v is None else (v - low) / (high - low) for v in values]
