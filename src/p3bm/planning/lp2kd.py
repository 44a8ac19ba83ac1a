"""The annual regional poverty-reduction report (LP2KD) of an area and year.

Four parts: the situation of the poverty indicators against the province and
the nation, the priorities (problems with the TKPK's decisions, determinants
and locations), the programmes and budget (pro-poor share, relevance,
unfunded priorities, pagu by SKPD and programme) and the achievements
(financial and physical realisation, output targets). It is written as one
self-contained HTML file that loads nothing from the network, or as a DOCX
document that Bappeda edits further.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from p3bm import charts
from p3bm.areas import codes
from p3bm.areas.registry import Area, ancestors
from p3bm.catalogue import Catalogue, skpd_names
from p3bm.errors import ConfigurationError
from p3bm.formatting import format_number
from p3bm.planning.budget_analysis import BudgetAnalysis, analyse_budget
from p3bm.planning.labels import label
from p3bm.planning.maps import poverty_map, spending_map
from p3bm.planning.monitoring import (
    ProgressRow,
    Thresholds,
    line_progress,
    program_labels,
    summarize,
)
from p3bm.planning.priorities import Priorities, load_priorities
from p3bm.planning.register import load_lines
from p3bm.rendering import render
from p3bm.series import load_frame, preferred, series_of

SITUATION_INDICATORS = ("P0", "JPM", "P1", "P2", "GK", "GINI", "IPM", "TPT", "RLS")
TREND_INDICATORS = ("P0", "JPM")
FORMATS = {".html": "html", ".htm": "html", ".docx": "docx"}


@dataclass
class Lp2kd:
    """Everything the report shows."""

    area: Area
    year: int
    lang: str
    situation: list[dict[str, Any]]
    trends: list[str]
    priorities: Priorities
    budget: BudgetAnalysis
    by_skpd: list[ProgressRow]
    by_program: list[ProgressRow]
    poverty_svg: str = ""
    spending_svg: str = ""
    skpd: dict[str, str] = field(default_factory=dict)
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def build_lp2kd(
    connection: Connection,
    area: Area,
    year: int,
    *,
    lang: str = "id",
    poor: str = "RT_DTKS",
    total: str = "RT",
    thresholds: Thresholds | None = None,
    statuses: tuple[str, ...] | None = None,
) -> Lp2kd:
    """Gather the report of ``area`` for budget year ``year``."""
    catalogue = Catalogue.load(connection)
    trail = ancestors(connection, area)
    priorities = load_priorities(connection, area, year, poor=poor, total=total)
    budget = analyse_budget(connection, area, year, priorities, statuses=statuses)
    lines = load_lines(connection, year=year)
    progress = line_progress(
        connection, year, 4, thresholds=thresholds, statuses=statuses, lines=lines
    )
    names = program_labels(connection, lang)
    skpd = skpd_names(connection)
    situation, trends = _situation(connection, catalogue, area, trail, year, lang)
    return Lp2kd(
        area=area,
        year=year,
        lang=lang,
        situation=situation,
        trends=trends,
        priorities=priorities,
        budget=budget,
        by_skpd=summarize(progress, "skpd", labels=skpd, thresholds=thresholds),
        by_program=summarize(progress, "program", labels=names, thresholds=thresholds),
        poverty_svg=poverty_map(
            connection, area, year, poor=poor, total=total, lang=lang
        ),
        spending_svg=spending_map(connection, area, lines, lang=lang),
        skpd=skpd,
    )


def _situation(connection, catalogue, area: Area, trail: list[Area], year: int, lang):
    benchmarks = {
        a.level: a for a in trail if a.level in (codes.COUNTRY, codes.PROVINCE)
    }
    wanted = [code for code in SITUATION_INDICATORS if code in catalogue.by_code]
    related = [area.code, *(a.code for a in benchmarks.values())]
    best = preferred(load_frame(connection, indicators=wanted, areas=related))
    rows = []
    for code in wanted:
        item = catalogue.by_code[code]
        own = [p for p in series_of(best, code, area.code) if p[0] <= year]
        if not own:
            continue
        latest_year, value = own[-1]
        previous = own[-2] if len(own) > 1 else None
        rows.append(
            {
                "code": code,
                "name": item.label(lang),
                "unit": item.unit_label(lang),
                "decimals": item.decimals,
                "polarity": item.polarity,
                "year": latest_year,
                "value": value,
                "previous_year": previous[0] if previous else None,
                "previous": previous[1] if previous else None,
                "province": _at(
                    best, code, benchmarks.get(codes.PROVINCE), latest_year
                ),
                "national": _at(best, code, benchmarks.get(codes.COUNTRY), latest_year),
            }
        )
    trends = []
    for code in TREND_INDICATORS:
        if code not in catalogue.by_code:
            continue
        compared = [area, *reversed(list(benchmarks.values()))]
        series = [
            charts.Series(
                a.name,
                [p for p in series_of(best, code, a.code) if p[0] <= year],
                is_dashed=a is not area,
            )
            for a in (compared if code != "JPM" else [area])
        ]
        svg = charts.line_chart(
            series,
            title=catalogue.by_code[code].label(lang),
            unit=catalogue.by_code[code].unit_label(lang),
            lang=lang,
        )
        if svg:
            trends.append(svg)
    return rows, trends


def _at(frame, code: str, area: Area | None, year: int) -> float | None:
    if area is None:
        return None
    found = dict(series_of(frame, code, area.code))
    return found.get(year)


def render_lp2kd_html(report: Lp2kd) -> str:
    """The report as one HTML document with inline styles, tables and maps."""
    return render(
        "planning/lp2kd.html",
        report.lang,
        report=report,
        pt=lambda key, **params: label(key, report.lang, **params),
    )


def render_lp2kd_docx(report: Lp2kd) -> bytes:
    """The report as a DOCX document of headings, paragraphs and tables.

    The maps and trend charts stay in the HTML version, since the document is
    for editing the text and tables.
    """
    import io

    from docx import Document

    lang = report.lang
    document = Document()
    document.add_heading(
        f"{label('lp2kd_title', lang)}: {report.area.name} {report.year}", level=0
    )
    _docx_situation(document, report)
    _docx_priorities(document, report)
    _docx_budget(document, report)
    _docx_achievements(document, report)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _number(value: float | None, lang: str, decimals: int | None = None) -> str:
    return format_number(value, decimals, lang)


def _table(document, header: list[str], rows: list[list[str]]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text


def _docx_situation(document, report: Lp2kd) -> None:
    lang = report.lang
    document.add_heading(f"1. {label('situation', lang)}", level=1)
    header = [
        "Indikator" if lang == "id" else "Indicator",
        "Tahun" if lang == "id" else "Year",
        report.area.name,
        label("previous", lang),
        label("province", lang),
        label("national", lang),
    ]
    rows = [
        [
            f"{row['name']} ({row['unit']})",
            str(row["year"]),
            _number(row["value"], lang, row["decimals"]),
            _number(row["previous"], lang, row["decimals"]),
            _number(row["province"], lang, row["decimals"]),
            _number(row["national"], lang, row["decimals"]),
        ]
        for row in report.situation
    ]
    _table(document, header, rows)


def _docx_priorities(document, report: Lp2kd) -> None:
    lang = report.lang
    priorities = report.priorities
    document.add_heading(f"2. {label('priority_problems', lang)}", level=1)
    if priorities.basis == "tkpk":
        document.add_paragraph(label("basis_tkpk", lang, year=priorities.decided_year))
    else:
        document.add_paragraph(label("basis_candidates", lang))
    document.add_paragraph(", ".join(priorities.problems) or label("none", lang))
    document.add_heading(label("determinants", lang), level=2)
    document.add_paragraph(", ".join(priorities.determinants) or label("none", lang))
    if priorities.locations is not None:
        document.add_heading(label("priority_locations", lang), level=2)
        rows = [
            [loc.name, loc.area, _number(100 * loc.rate, lang, 2), loc.category]
            for loc in priorities.locations.locations
        ]
        _table(
            document,
            [
                label("location", lang),
                label("code", lang),
                "%",
                label("category", lang),
            ],
            rows,
        )


def _docx_budget(document, report: Lp2kd) -> None:
    lang = report.lang
    budget = report.budget
    document.add_heading(f"3. {label('programmes_budget', lang)}", level=1)
    summary = [
        [label("total_pagu", lang), _number(budget.total_pagu, lang, 0)],
        [label("pro_poor_share", lang), _percent(budget.pro_poor_share, lang)],
        [label("problem_relevance", lang), _percent(budget.problem_relevance, lang)],
        [
            label("location_relevance", lang),
            _number(budget.location.relevance, lang, 2),
        ],
        [
            label("unfunded", lang),
            ", ".join(item["indicator"] for item in budget.unfunded)
            or label("none", lang),
        ],
    ]
    _table(document, ["", ""], summary)
    document.add_heading(label("by_program", lang), level=2)
    _progress_table(document, report.by_program, lang)


def _docx_achievements(document, report: Lp2kd) -> None:
    lang = report.lang
    document.add_heading(f"4. {label('achievements', lang)}", level=1)
    _progress_table(document, report.by_skpd, lang)
    document.add_heading(label("outputs", lang), level=2)
    rows = [
        [
            f"{item['code']} {item['skpd']}",
            item["name"],
            _number(item["target"], lang),
            _number(item["achieved"], lang),
            _percent(item["achievement_percent"], lang),
        ]
        for item in report.budget.outputs
    ]
    _table(
        document,
        [
            label("code", lang),
            label("outputs", lang),
            label("target", lang),
            label("achieved", lang),
            label("achievement", lang),
        ],
        rows,
    )


def _progress_table(document, rows: list[ProgressRow], lang: str) -> None:
    _table(
        document,
        [
            label("name", lang),
            label("pagu", lang),
            label("realised", lang),
            label("financial", lang),
            label("physical", lang),
        ],
        [
            [
                f"{row.key} {row.label}".strip() if row.label != row.key else row.key,
                _number(row.pagu, lang, 0),
                _number(row.realised, lang, 0),
                _percent(row.financial_percent, lang),
                _percent(row.physical_percent, lang),
            ]
            for row in rows
        ],
    )


def _percent(value: float | None, lang: str) -> str:
    return "–" if value is None else f"{format_number(value, 1, lang)} %"


def report_format(output: Path) -> str:
    """html or docx, chosen by the output file's extension."""
    found = FORMATS.get(output.suffix.lower())
    if found is None:
        raise ConfigurationError(
            f"Cannot tell the report format from {output.name!r}.",
            hint="End the file name with .html or .docx.",
            indonesian=(
                f"Format laporan tidak dapat ditentukan dari {output.name!r}.",
                "Akhiri nama berkas dengan .html atau .docx.",
            ),
        )
    return found


def write_lp2kd(report: Lp2kd, output: Path) -> Path:
    """Write the report as HTML or DOCX, by the extension of ``output``."""
    kind = report_format(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    if kind == "docx":
        output.write_bytes(render_lp2kd_docx(report))
    else:
        output.write_text(render_lp2kd_html(report), encoding="utf-8")
    return output
