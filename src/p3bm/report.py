"""The self-contained HTML report of an area and year."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Connection

from p3bm.analysis.sections import build_report_sections
from p3bm.areas.registry import Area
from p3bm.catalogue import Catalogue
from p3bm.overview import build_overview
from p3bm.rendering import render


def render_report(connection: Connection, area: Area, year: int, **options) -> str:
    """The report as one HTML document with inline styles, charts and maps.

    It loads nothing from the network, so it opens offline. ``options`` are
    passed to ``build_overview`` (lang, stale_after_years, verified_only...).
    """
    lang = options.get("lang", "id")
    overview = build_overview(connection, area, year, **options)
    return render(
        "report.html",
        lang,
        overview=overview,
        catalogue=Catalogue.load(connection),
        analysis=build_report_sections(connection, area, year, **options),
    )


def write_report(
    connection: Connection, area: Area, year: int, output: Path, **options
) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        render_report(connection, area, year, **options), encoding="utf-8"
    )
    return output
