"""Monitoring: target against realisation, financial and physical, by quarter.

For a budget line at the end of quarter q:

- financial realisation (%) = 100 x rupiah realised in quarters 1..q / pagu;
- physical progress (%) = the cumulative progress the SKPD reported for the
  latest quarter up to q;
- planned progress (%) = 25 q, a linear schedule over the year;
- output achievement (%) = 100 x output achieved in quarters 1..q / target.

A traffic light compares progress with the plan: green when progress is at
least ``green`` percent of the planned progress (90 by default), yellow from
``yellow`` percent (70 by default), red below, and grey when nothing was
reported. The thresholds are settings. Groups (SKPD, programme, location,
quarter) add pagu and realisation and weigh physical progress by pagu. A
location gets the share of each line's pagu allocated to it, and the same
share of its realisation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from p3bm.areas import codes
from p3bm.areas.registry import Area
from p3bm.planning import nomenclature as nom
from p3bm.planning.quarterly import QUARTERS, load_reports
from p3bm.planning.register import BudgetLine, Output, load_lines
from p3bm.storage.schema import quarter_submission

GREEN, YELLOW, RED, GREY = "green", "yellow", "red", "grey"
GROUPINGS = ("skpd", "program", "location", "line")


@dataclass(frozen=True)
class Thresholds:
    """Percentages of the planned progress at which the light turns green or yellow."""

    green: float = 90.0
    yellow: float = 70.0

    def light(self, progress: float | None, planned: float) -> str:
        if progress is None or planned <= 0:
            return GREY
        ratio = 100.0 * progress / planned
        if ratio >= self.green:
            return GREEN
        if ratio >= self.yellow:
            return YELLOW
        return RED


def planned_percent(quarter: int) -> float:
    """Progress planned by the end of a quarter under a linear schedule."""
    return 25.0 * quarter


def percent(part: float, whole: float) -> float | None:
    return 100.0 * part / whole if whole else None


@dataclass
class OutputProgress:
    output: Output
    achieved: float

    @property
    def achievement_percent(self) -> float | None:
        """Target achievement: achieved / target, in percent."""
        if self.output.target is None:
            return None
        return percent(self.achieved, self.output.target)

    def to_dict(self) -> dict[str, object]:
        return {
            **self.output.to_dict(),
            "achieved": self.achieved,
            "achievement_percent": self.achievement_percent,
        }


@dataclass
class LineProgress:
    """One budget line at the end of a quarter."""

    line: BudgetLine
    quarter: int
    status: str
    realised: float
    realised_in_quarter: float
    physical: float | None
    is_reported: bool
    # Whether any quarter up to this one was reported, so realisation is known.
    has_reports: bool = False
    outputs: list[OutputProgress] = field(default_factory=list)
    financial_light: str = GREY
    physical_light: str = GREY

    @property
    def financial_percent(self) -> float | None:
        return percent(self.realised, self.line.pagu)

    @property
    def planned(self) -> float:
        return planned_percent(self.quarter)

    def to_dict(self) -> dict[str, object]:
        return {
            "line_id": self.line.id,
            "year": self.line.year,
            "code": self.line.code,
            "name": self.line.name,
            "skpd": self.line.skpd,
            "quarter": self.quarter,
            "status": self.status,
            "pagu": self.line.pagu,
            "realised": self.realised,
            "realised_in_quarter": self.realised_in_quarter,
            "financial_percent": self.financial_percent,
            "physical_percent": self.physical,
            "planned_percent": self.planned,
            "financial_light": self.financial_light,
            "physical_light": self.physical_light,
            "reported": self.is_reported,
            "outputs": [item.to_dict() for item in self.outputs],
        }


def submission_statuses(
    connection: Connection, year: int
) -> dict[tuple[str, int], str]:
    """Status of each SKPD's quarterly report, by (SKPD, quarter)."""
    c = quarter_submission.c
    rows = connection.execute(
        sa.select(c.skpd_code, c.quarter, c.status).where(c.year == year)
    )
    return {(code, quarter): status for code, quarter, status in rows}


def line_progress(
    connection: Connection,
    year: int,
    quarter: int,
    *,
    thresholds: Thresholds | None = None,
    statuses: Iterable[str] | None = None,
    skpd_code: str | None = None,
    lines: list[BudgetLine] | None = None,
) -> list[LineProgress]:
    """Progress of every line of a year at the end of ``quarter``.

    ``statuses`` limits the reports counted to those whose SKPD quarter has
    one of these statuses (None counts every report).
    """
    thresholds = thresholds or Thresholds()
    lines = (
        lines
        if lines is not None
        else load_lines(connection, year=year, skpd_code=skpd_code)
    )
    reports = load_reports(connection, [line.id for line in lines])  # type: ignore[misc]
    states = submission_statuses(connection, year)
    allowed = None if statuses is None else set(statuses)
    found = []
    for line in lines:
        counted = {}
        for q in range(1, quarter + 1):
            report = reports.get((line.id, q))  # type: ignore[arg-type]
            status = states.get((line.skpd, q), "draft")
            if report is not None and (allowed is None or status in allowed):
                counted[q] = report
        found.append(_progress(line, quarter, counted, states, thresholds))
    return found


def _progress(line, quarter: int, counted: dict, states, thresholds) -> LineProgress:
    realised = sum(report.realised for report in counted.values())
    latest = counted[max(counted)] if counted else None
    achieved: dict[int, float] = {}
    for report in counted.values():
        for output_id, amount in report.outputs.items():
            achieved[output_id] = achieved.get(output_id, 0.0) + amount
    item = LineProgress(
        line=line,
        quarter=quarter,
        status=states.get((line.skpd, quarter), "missing" if not counted else "draft"),
        realised=realised,
        realised_in_quarter=counted[quarter].realised if quarter in counted else 0.0,
        physical=latest.physical if latest else None,
        is_reported=quarter in counted,
        has_reports=bool(counted),
        outputs=[OutputProgress(o, achieved.get(o.id or 0, 0.0)) for o in line.outputs],
    )
    planned = planned_percent(quarter)
    item.financial_light = thresholds.light(
        item.financial_percent if item.has_reports else None, planned
    )
    item.physical_light = thresholds.light(item.physical, planned)
    return item


@dataclass
class ProgressRow:
    """A group of lines (an SKPD, programme, location or quarter) and its progress."""

    key: str
    label: str
    pagu: float = 0.0
    realised: float = 0.0
    physical_weight: float = 0.0
    physical_pagu: float = 0.0
    lines: int = 0
    # Lines that reported this quarter, and lines that reported any quarter.
    reported: int = 0
    with_reports: int = 0
    planned: float = 0.0
    financial_light: str = GREY
    physical_light: str = GREY

    @property
    def financial_percent(self) -> float | None:
        return percent(self.realised, self.pagu)

    @property
    def physical_percent(self) -> float | None:
        """Physical progress weighted by pagu over the lines that reported it."""
        if not self.physical_pagu:
            return None
        return self.physical_weight / self.physical_pagu

    def add(self, item: LineProgress, share: float = 1.0) -> None:
        pagu = item.line.pagu * share
        self.pagu += pagu
        self.realised += item.realised * share
        if item.physical is not None:
            self.physical_weight += item.physical * pagu
            self.physical_pagu += pagu
        self.lines += 1
        self.reported += item.is_reported
        self.with_reports += item.has_reports

    def finish(self, planned: float, thresholds: Thresholds) -> ProgressRow:
        self.planned = planned
        # Like a line's, a group's light is grey only when none of its lines
        # reported any quarter, not when they missed the last one.
        self.financial_light = thresholds.light(
            self.financial_percent if self.with_reports else None, planned
        )
        self.physical_light = thresholds.light(self.physical_percent, planned)
        return self

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "label": self.label,
            "pagu": self.pagu,
            "realised": self.realised,
            "financial_percent": self.financial_percent,
            "physical_percent": self.physical_percent,
            "planned_percent": self.planned,
            "financial_light": self.financial_light,
            "physical_light": self.physical_light,
            "lines": self.lines,
            "reported": self.reported,
        }


def summarize(
    progress: list[LineProgress],
    by: str,
    *,
    labels: dict[str, str] | None = None,
    thresholds: Thresholds | None = None,
) -> list[ProgressRow]:
    """Group line progress by ``by``: skpd, program, location or line."""
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}; use one of {', '.join(GROUPINGS)}")
    thresholds = thresholds or Thresholds()
    labels = labels or {}
    rows: dict[str, ProgressRow] = {}
    for item in progress:
        for key, share in _group_keys(item.line, by):
            row = rows.get(key)
            if row is None:
                row = rows[key] = ProgressRow(key, labels.get(key, key))
            row.add(item, share)
    planned = planned_percent(progress[0].quarter) if progress else 0.0
    return [rows[key].finish(planned, thresholds) for key in sorted(rows)]


def _group_keys(line: BudgetLine, by: str) -> list[tuple[str, float]]:
    if by == "skpd":
        return [(line.skpd, 1.0)]
    if by == "program":
        return [(line.program_code, 1.0)]
    if by == "line":
        return [(f"{line.code} {line.skpd}", 1.0)]
    return location_shares(line)


def location_shares(line: BudgetLine) -> list[tuple[str, float]]:
    """Each location's share of a line's pagu; "" is the unlocated part."""
    amounts = line.location_amounts()
    if not amounts:
        return [("", 1.0)]
    if not line.pagu:
        return [(area, 1.0 / len(amounts)) for area in amounts]
    shares = [(area, amount / line.pagu) for area, amount in amounts.items()]
    rest = 1.0 - sum(share for _, share in shares)
    # Allocations that leave part of the pagu unplaced keep it unlocated.
    return shares + ([("", rest)] if rest > 1e-9 else [])


def by_quarter(
    connection: Connection,
    year: int,
    *,
    thresholds: Thresholds | None = None,
    statuses: Iterable[str] | None = None,
    lines: list[BudgetLine] | None = None,
) -> list[ProgressRow]:
    """The whole budget's cumulative progress at the end of each quarter."""
    thresholds = thresholds or Thresholds()
    lines = lines if lines is not None else load_lines(connection, year=year)
    rows = []
    for quarter in QUARTERS:
        progress = line_progress(
            connection,
            year,
            quarter,
            thresholds=thresholds,
            statuses=statuses,
            lines=lines,
        )
        row = ProgressRow(
            str(quarter), f"Triwulan {('I', 'II', 'III', 'IV')[quarter - 1]}"
        )
        for item in progress:
            row.add(item)
        rows.append(row.finish(planned_percent(quarter), thresholds))
    return rows


def program_labels(connection: Connection, lang: str = "id") -> dict[str, str]:
    """Names of programmes and other nomenclature items, by code."""
    return {code: item.label(lang) for code, item in nom.load_names(connection).items()}


def village_amounts(
    lines: Iterable[BudgetLine],
    villages: list[Area],
    *,
    pro_poor_only: bool = True,
) -> dict[str, float]:
    """Rupiah of location-specific spending in each kelurahan.

    Spending located in a kecamatan is split evenly over its kelurahan;
    city-wide spending has no place on a kelurahan map and is left out.
    """
    by_district: dict[str, list[str]] = {}
    for village in villages:
        if village.parent_code:
            by_district.setdefault(village.parent_code, []).append(village.code)
    known = {village.code for village in villages}
    totals = {code: 0.0 for code in known}
    for line in lines:
        if pro_poor_only and not line.is_pro_poor:
            continue
        for area, amount in line.location_amounts().items():
            level = codes.level_of_code(area)
            if level == codes.VILLAGE and area in known:
                totals[area] += amount
            elif level == codes.DISTRICT and by_district.get(area):
                members = by_district[area]
                for code in members:
                    totals[code] += amount / len(members)
    return totals
