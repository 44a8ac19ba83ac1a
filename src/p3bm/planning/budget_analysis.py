"""Budget analysis: how much of the budget is pro-poor, and whether it follows
the priorities, the poor and its targets.

For the budget lines of an area's budget year (rupiah of pagu):

- pro-poor share = pro-poor pagu / total pagu;
- problem relevance = pro-poor pagu of lines that address a priority problem
  or one of its intervention priorities (determinants) / pro-poor pagu;
- an unfunded priority is a priority problem or intervention priority that
  no line with a pagu above 0 addresses;
- location relevance = (share of location-specific pro-poor pagu spent in P1
  and P2 kelurahan) / (share of the poor living in them). Both shares are
  taken over the kelurahan that the priority-location analysis could place;
  pagu located in a kecamatan is split evenly over its kelurahan, and
  city-wide pagu is not location-specific. A value of 1 or more means the
  spending follows poverty;
- cost per beneficiary = pagu / beneficiaries, and realised / beneficiaries;
- target achievement = output achieved / output target.

Ratios are returned in percent, except location relevance, which is a plain
ratio. A ratio whose denominator is 0 is None.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection

from p3bm.areas import codes
from p3bm.areas.registry import Area, list_areas
from p3bm.catalogue import Catalogue, skpd_names
from p3bm.planning import nomenclature as nom
from p3bm.planning.monitoring import (
    LineProgress,
    line_progress,
    location_shares,
    percent,
    village_amounts,
)
from p3bm.planning.priorities import Priorities
from p3bm.planning.register import BudgetLine, load_lines
from p3bm.spreadsheet import protect_workbook

TOP_CATEGORIES = ("P1", "P2")
DIMENSIONS: dict[str, tuple[str, ...]] = {
    "skpd": ("skpd", "skpd_name"),
    "program": ("program", "program_name"),
    "location": ("location", "location_name"),
    "year": ("year",),
}
MEASURES = ("pagu", "pro_poor_pagu", "realised", "beneficiaries")


@dataclass
class LocationRelevance:
    """Location-specific pro-poor pagu against where the poor live."""

    located_pagu: float = 0.0
    classified_pagu: float = 0.0
    top_pagu: float = 0.0
    classified_poor: float = 0.0
    top_poor: float = 0.0
    by_category: dict[str, float] = field(default_factory=dict)

    @property
    def unclassified_pagu(self) -> float:
        """Located pro-poor pagu in kelurahan without poverty data."""
        return self.located_pagu - self.classified_pagu

    @property
    def budget_share(self) -> float | None:
        return percent(self.top_pagu, self.classified_pagu)

    @property
    def poor_share(self) -> float | None:
        return percent(self.top_poor, self.classified_poor)

    @property
    def relevance(self) -> float | None:
        if self.budget_share is None or not self.poor_share:
            return None
        return self.budget_share / self.poor_share

    def to_dict(self) -> dict[str, Any]:
        return {
            "located_pro_poor_pagu": self.located_pagu,
            "classified_pagu": self.classified_pagu,
            "unclassified_pagu": self.unclassified_pagu,
            "p1_p2_pagu": self.top_pagu,
            "budget_share_percent": self.budget_share,
            "poor_share_percent": self.poor_share,
            "location_relevance": self.relevance,
            "pagu_by_category": self.by_category,
        }


@dataclass
class BudgetAnalysis:
    """The budget analysis of an area and year."""

    area: str
    year: int
    priorities: Priorities
    total_pagu: float = 0.0
    pro_poor_pagu: float = 0.0
    linked_pro_poor_pagu: float = 0.0
    funded: dict[str, float] = field(default_factory=dict)
    unfunded: list[dict[str, Any]] = field(default_factory=list)
    location: LocationRelevance = field(default_factory=LocationRelevance)
    lines: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def pro_poor_share(self) -> float | None:
        return percent(self.pro_poor_pagu, self.total_pagu)

    @property
    def problem_relevance(self) -> float | None:
        return percent(self.linked_pro_poor_pagu, self.pro_poor_pagu)

    def to_dict(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "year": self.year,
            "total_pagu": self.total_pagu,
            "pro_poor_pagu": self.pro_poor_pagu,
            "pro_poor_share_percent": self.pro_poor_share,
            "linked_pro_poor_pagu": self.linked_pro_poor_pagu,
            "problem_relevance_percent": self.problem_relevance,
            "priorities": {
                "basis": self.priorities.basis,
                "decided_year": self.priorities.decided_year,
                "problems": self.priorities.problems,
                "determinants": self.priorities.determinants,
            },
            "funded": self.funded,
            "unfunded": self.unfunded,
            "location": self.location.to_dict(),
            "lines": self.lines,
            "outputs": self.outputs,
        }


def analyse_budget(
    connection: Connection,
    area: Area,
    year: int,
    priorities: Priorities,
    *,
    statuses: Iterable[str] | None = None,
) -> BudgetAnalysis:
    """Analyse the budget lines of ``year`` spent within ``area``.

    ``statuses`` limits the quarterly reports counted for realisation and
    achievement, as in ``monitoring.line_progress``.
    """
    lines = [line for line in load_lines(connection, year=year) if _within(line, area)]
    result = BudgetAnalysis(area.code, year, priorities)
    result.total_pagu = sum(line.pagu for line in lines)
    pro_poor = [line for line in lines if line.is_pro_poor]
    result.pro_poor_pagu = sum(line.pagu for line in pro_poor)
    linked = priorities.linked_codes
    result.linked_pro_poor_pagu = sum(
        line.pagu for line in pro_poor if linked & set(line.indicators)
    )
    _funding(result, lines, Catalogue.load(connection))
    villages = list_areas(connection, within=area, level=codes.VILLAGE)
    result.location = location_relevance(pro_poor, villages, priorities)
    progress = line_progress(connection, year, 4, statuses=statuses, lines=lines)
    result.lines = [_line_row(item, linked) for item in progress]
    result.outputs = [
        {"line_id": item.line.id, "code": item.line.code, "skpd": item.line.skpd}
        | output.to_dict()
        for item in progress
        for output in item.outputs
    ]
    return result


def _within(line: BudgetLine, area: Area) -> bool:
    """Whether a line is spent in ``area``: any location inside it, or none."""
    if not line.locations:
        return True
    return any(
        loc.area == area.code
        or loc.area.startswith(area.code + ".")
        or area.code.startswith(loc.area + ".")
        for loc in line.locations
    )


def _funding(result: BudgetAnalysis, lines: list[BudgetLine], catalogue) -> None:
    kinds = {code: "problem" for code in result.priorities.problems}
    for code in result.priorities.determinants:
        kinds.setdefault(code, "determinant")
    for code in kinds:
        result.funded[code] = sum(
            line.pagu for line in lines if code in line.indicators and line.pagu > 0
        )
    for code, kind in kinds.items():
        if result.funded[code] > 0:
            continue
        item = catalogue.by_code.get(code)
        result.unfunded.append(
            {
                "indicator": code,
                "kind": kind,
                "name": item.name if item else code,
                "name_en": item.name_en if item else code,
                "skpd": item.skpd if item else None,
            }
        )


def location_relevance(
    pro_poor: list[BudgetLine], villages: list[Area], priorities: Priorities
) -> LocationRelevance:
    """Location relevance of pro-poor lines over the kelurahan of an area."""
    amounts = village_amounts(pro_poor, villages, pro_poor_only=True)
    categories = priorities.categories()
    poor = priorities.poor_by_area()
    result = LocationRelevance(located_pagu=sum(amounts.values()))
    for code, amount in amounts.items():
        category = categories.get(code)
        if category is None:
            continue
        result.classified_pagu += amount
        result.by_category[category] = result.by_category.get(category, 0.0) + amount
        if category in TOP_CATEGORIES:
            result.top_pagu += amount
    for code, count in poor.items():
        result.classified_poor += count
        if categories.get(code) in TOP_CATEGORIES:
            result.top_poor += count
    return result


def _line_row(item: LineProgress, linked: set[str]) -> dict[str, Any]:
    line = item.line
    return {
        "line_id": line.id,
        "code": line.code,
        "name": line.name,
        "skpd": line.skpd,
        "program": line.program_code,
        "pagu": line.pagu,
        "is_pro_poor": line.is_pro_poor,
        "addresses_priority": bool(linked & set(line.indicators)),
        "indicators": list(line.indicators),
        "beneficiary_group": line.beneficiary_group,
        "beneficiaries": line.beneficiaries,
        "cost_per_beneficiary": line.pagu / line.beneficiaries
        if line.beneficiaries
        else None,
        "realised": item.realised,
        "realised_per_beneficiary": item.realised / line.beneficiaries
        if line.beneficiaries
        else None,
        "financial_percent": item.financial_percent,
        "physical_percent": item.physical,
    }


# Pivot tables


def budget_frame(
    connection: Connection,
    *,
    years: Iterable[int] | None = None,
    statuses: Iterable[str] | None = None,
    lang: str = "id",
) -> pd.DataFrame:
    """One row per budget line and location share, ready for pivot tables.

    A line spent in several locations gives one row per location with its
    share of pagu, realisation and beneficiaries; a line without locations
    gives one row with an empty location.
    """
    wanted = None if years is None else set(years)
    lines = [
        line for line in load_lines(connection) if wanted is None or line.year in wanted
    ]
    names = nom.load_names(connection)
    skpd = skpd_names(connection)
    areas = {a.code: a.name for a in list_areas(connection)}
    realised = _realised_by_line(connection, lines, statuses)
    records = []
    for line in lines:
        for location, share in location_shares(line):
            records.append(
                {
                    "year": line.year,
                    "skpd": line.skpd,
                    "skpd_name": skpd.get(line.skpd, line.skpd),
                    "program": line.program_code,
                    "program_name": _label(names, line.program_code, lang),
                    "code": line.code,
                    "name": line.name,
                    "location": location,
                    "location_name": areas.get(location, "")
                    if location
                    else ("(tanpa lokasi)" if lang == "id" else "(no location)"),
                    "is_pro_poor": line.is_pro_poor,
                    "pagu": line.pagu * share,
                    "pro_poor_pagu": line.pagu * share if line.is_pro_poor else 0.0,
                    "realised": realised.get(line.id or 0, 0.0) * share,
                    "beneficiaries": (line.beneficiaries or 0) * share,
                }
            )
    columns = [
        "year",
        "skpd",
        "skpd_name",
        "program",
        "program_name",
        "code",
        "name",
        "location",
        "location_name",
        "is_pro_poor",
        *MEASURES,
    ]
    return pd.DataFrame(records, columns=columns)


def _label(names: dict[str, nom.Item], code: str, lang: str) -> str:
    item = names.get(code)
    return item.label(lang) if item else code


def _realised_by_line(connection, lines, statuses) -> dict[int, float]:
    found: dict[int, float] = {}
    for year in sorted({line.year for line in lines}):
        chosen = [line for line in lines if line.year == year]
        for item in line_progress(connection, year, 4, statuses=statuses, lines=chosen):
            found[item.line.id or 0] = item.realised
    return found


def pivot(
    frame: pd.DataFrame,
    rows: str,
    columns: str | None = None,
    measure: str = "pagu",
    total_label: str = "Jumlah",
) -> pd.DataFrame:
    """A pivot table of ``measure`` summed by ``rows`` and ``columns``, with totals."""
    for name in (rows, columns):
        if name is not None and name not in DIMENSIONS:
            raise ValueError(
                f"unknown dimension {name!r}; use one of {', '.join(DIMENSIONS)}"
            )
    if measure not in MEASURES:
        raise ValueError(
            f"unknown measure {measure!r}; use one of {', '.join(MEASURES)}"
        )
    if columns == rows:
        columns = None
    index = list(DIMENSIONS[rows])
    if frame.empty:
        return pd.DataFrame(columns=[*index, measure])
    table = pd.pivot_table(
        frame,
        values=measure,
        index=index,
        columns=DIMENSIONS[columns][0] if columns else None,
        aggfunc="sum",
        fill_value=0.0,
        margins=True,
        margins_name=total_label,
        observed=True,
    )
    if columns is None:
        table = table.to_frame() if isinstance(table, pd.Series) else table
    return table.reset_index()


def export_xlsx(
    path: Path,
    analysis: BudgetAnalysis | None,
    frame: pd.DataFrame,
    *,
    lang: str = "id",
) -> Path:
    """Write the analysis summary, one pivot per dimension and the data to XLSX.

    Every cell is data, so text that looks like a formula is stored as text.
    """
    total = "Jumlah" if lang == "id" else "Total"
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        if analysis is not None:
            _summary_frame(analysis, lang).to_excel(
                writer,
                sheet_name="ringkasan" if lang == "id" else "summary",
                index=False,
            )
        for name in ("skpd", "program", "location"):
            pivot(frame, name, "year", "pagu", total).to_excel(
                writer, sheet_name=f"pagu_{name}", index=False
            )
            pivot(frame, name, "year", "realised", total).to_excel(
                writer, sheet_name=f"realisasi_{name}", index=False
            )
        frame.to_excel(writer, sheet_name="data", index=False)
        protect_workbook(writer.book)
    return path


def _summary_frame(analysis: BudgetAnalysis, lang: str) -> pd.DataFrame:
    labels = {
        "total_pagu": ("Total pagu (Rp)", "Total budget (Rp)"),
        "pro_poor_pagu": ("Pagu pro-poor (Rp)", "Pro-poor budget (Rp)"),
        "pro_poor_share": ("Porsi pro-poor (%)", "Pro-poor share (%)"),
        "problem_relevance": ("Relevansi masalah (%)", "Problem relevance (%)"),
        "location_relevance": ("Relevansi lokasi", "Location relevance"),
        "unfunded": ("Prioritas tanpa anggaran", "Unfunded priorities"),
    }
    values = {
        "total_pagu": analysis.total_pagu,
        "pro_poor_pagu": analysis.pro_poor_pagu,
        "pro_poor_share": analysis.pro_poor_share,
        "problem_relevance": analysis.problem_relevance,
        "location_relevance": analysis.location.relevance,
        "unfunded": ", ".join(item["indicator"] for item in analysis.unfunded) or "-",
    }
    column = 1 if lang == "en" else 0
    return pd.DataFrame(
        {
            ("Ukuran" if lang == "id" else "Measure"): [
                labels[key][column] for key in values
            ],
            ("Nilai" if lang == "id" else "Value"): list(values.values()),
        }
    )
