"""Commands that analyse the data: `analyze`, `targets` and `priorities`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from p3bm import areas as area_registry
from p3bm.analysis.base import BENCHMARKS, AnalysisSettings
from p3bm.analysis.decisions import DECISIONS, decision_history, record_decision
from p3bm.analysis.runner import KINDS, AnalysisRequest, run_analysis
from p3bm.analysis.targets import DEFAULT_KIND, import_targets, load_targets
from p3bm.areas import codes
from p3bm.catalogue import Catalogue
from p3bm.cli import App, pass_app
from p3bm.cli.data_commands import _print_problems
from p3bm.cli.output import format_option, print_json, print_rows
from p3bm.cli.params import YEAR, FiniteFloat

# Columns the table format shows for each kind; JSON and CSV keep them all.
TABLE_COLUMNS = {
    "aggregate": [
        "indicator",
        "rule",
        "sources",
        "value",
        "contributed",
        "expected",
        "coverage_percent",
        "reason",
    ],
    "scorecard": [
        "indicator",
        "area",
        "year",
        "value",
        "value_year",
        "status",
        "reason",
        "score",
        "province",
        "national",
        "target",
    ],
    "trend": [
        "indicator",
        "base_year",
        "last_year",
        "last_value",
        "change",
        "average_annual_change",
        "compound_growth_percent",
        "slope",
        "direction",
        "progress",
        "progress_ratio",
    ],
    "position": [
        "indicator",
        "value",
        "rank",
        "peers",
        "percentile",
        "z",
        "change_area",
        "change_benchmark",
        "relevant",
        "effective",
    ],
    "quadrant": ["area", "name", "x", "y", "population", "quadrant", "is_focus"],
    "priority-problems": [
        "indicator",
        "score",
        "value",
        "relative_gap",
        "slope",
        "people_affected",
        "reasons",
        "decision",
    ],
    "determinants": [
        "problem",
        "rank",
        "determinant",
        "value",
        "benchmark",
        "relative_gap",
        "intervention_priority",
        "skpd",
        "skpd_name",
    ],
    "priority-locations": [
        "area",
        "name",
        "poor",
        "total",
        "rate_percent",
        "category",
    ],
    "quality": ["code", "indicator", "area", "year", "value", "message"],
}

# A priority weight: a share, usually between 0 and 1.
Weight = FiniteFloat(0, 100)


def _level(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return codes.parse_level(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def analysis_settings(app: App, **options) -> AnalysisSettings:
    """Build the settings of an analysis from its options, else the configuration."""
    settings = app.settings
    return AnalysisSettings(
        stale_after_years=_pick(options.get("stale_after"), settings.stale_after_years),
        source_priority=tuple(options.get("source_priority") or ()),
        verified_only=bool(options.get("verified_only")) or settings.verified_only,
        scheme=(options.get("scheme") or settings.scorecard_scheme).upper(),
        benchmark=options.get("benchmark") or "province",
        target_kind=options.get("target_kind"),
        weight_gap=_pick(options.get("weight_gap"), settings.priority_weight_gap),
        weight_trend=_pick(options.get("weight_trend"), settings.priority_weight_trend),
        weight_people=_pick(
            options.get("weight_people"), settings.priority_weight_people
        ),
    )


def _pick(value, default):
    return default if value is None else value


@click.command()
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--area", "area_code", required=True, metavar="CODE")
@click.option("--year", required=True, type=YEAR)
@click.option(
    "--indicator",
    "indicators",
    multiple=True,
    metavar="CODE",
    help="Only these indicators; repeatable [default: every indicator with data].",
)
@click.option(
    "--scheme",
    type=click.Choice(["A", "B", "C"], case_sensitive=False),
    help="Scorecard scheme [default: setting scorecard_scheme, A].",
)
@click.option(
    "--mode",
    type=click.Choice(["area", "sub-areas"]),
    default="area",
    show_default=True,
    help="Scorecard of the area by year, or of its sub-areas in the year.",
)
@click.option("--level", help="Level of the sub-areas [default: the next level].")
@click.option("--from-level", help="Level aggregated from [default: the next level].")
@click.option(
    "--years",
    type=click.IntRange(1, 30),
    default=5,
    show_default=True,
    help="Years shown by the area scorecard.",
)
@click.option(
    "--span",
    type=click.IntRange(1, 50),
    default=5,
    show_default=True,
    help="Years k of the change, and of the window of the benchmark comparison.",
)
@click.option(
    "--base-year", type=YEAR, help="Base year of progress [default: year - span]."
)
@click.option(
    "--benchmark",
    type=click.Choice(BENCHMARKS),
    help="Benchmark of gaps and quadrant splits [default: province].",
)
@click.option(
    "--x", "x_code", metavar="CODE", help="Quadrant: indicator on the x axis."
)
@click.option(
    "--y", "y_code", metavar="CODE", help="Quadrant: indicator on the y axis."
)
@click.option(
    "--points",
    type=click.Choice(["peers", "sub-areas"]),
    default="peers",
    show_default=True,
    help="Quadrant: which areas are plotted.",
)
@click.option(
    "--weight-gap", type=Weight, help="Priority weight of the relative gap [0.4]."
)
@click.option("--weight-trend", type=Weight, help="Priority weight of the trend [0.3].")
@click.option(
    "--weight-people", type=Weight, help="Priority weight of people affected [0.3]."
)
@click.option(
    "--problem",
    "problems",
    multiple=True,
    metavar="CODE",
    help="Determinants of these problems [default: accepted, else candidate problems].",
)
@click.option(
    "--top",
    type=click.IntRange(1, 50),
    default=3,
    show_default=True,
    help="Intervention priorities per problem.",
)
@click.option(
    "--poor",
    default="JPM",
    show_default=True,
    help="Priority locations: indicator of the poor (people or households).",
)
@click.option(
    "--total",
    default="JP",
    show_default=True,
    help="Priority locations: indicator of the total in the same unit.",
)
@click.option("--dhis2", is_flag=True, help="Quality: DHIS2-compatible outlier mode.")
@click.option(
    "--source-priority",
    multiple=True,
    metavar="SOURCE",
    help="Preferred sources, first first; repeatable [default: unnamed, then by name].",
)
@click.option("--target-kind", help="Only targets of this plan (RPJMD, RKPD...).")
@click.option(
    "--stale-after",
    type=click.IntRange(0, 50),
    help="Years after which a value is stale [default: 3].",
)
@click.option("--verified-only", is_flag=True, help="Use only verified values.")
@format_option
@pass_app
def analyze(app: App, kind, area_code, year, output_format, **options) -> None:
    """Run an analysis of an area and year and print its rows.

    KIND is one of aggregate, scorecard, trend, position, quadrant,
    priority-problems, determinants, priority-locations or quality. JSON
    output records the parameters and every input value with its source.

    Example: p3bm analyze aggregate --area 32 --year 2019 --indicator P0
    """
    settings = analysis_settings(app, **options)
    request = AnalysisRequest(
        indicators=[code.upper() for code in options["indicators"]],
        from_level=_level(options["from_level"]),
        mode=options["mode"],
        level=_level(options["level"]),
        years=options["years"],
        span=options["span"],
        base_year=options["base_year"],
        x=options["x_code"],
        y=options["y_code"],
        points=options["points"],
        problems=[code.upper() for code in options["problems"]],
        top=options["top"],
        poor=options["poor"],
        total=options["total"],
        dhis2_mode=options["dhis2"],
        lang=app.lang,
    )
    with app.database().connect() as connection:
        area = area_registry.get_area(connection, area_code)
        outcome = run_analysis(connection, kind, area, year, settings, request)
    if output_format == "json":
        print_json(outcome.to_dict())
        return
    print_rows(outcome.rows(), output_format, TABLE_COLUMNS[kind])


@click.group()
def targets() -> None:
    """Import and list plan targets (RPJMD, RKPD, Renstra, SDG)."""


@targets.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--kind",
    default=DEFAULT_KIND,
    show_default=True,
    help="Plan of rows whose kind column is empty or absent.",
)
@format_option
@pass_app
def import_targets_command(app: App, file: Path, kind: str, output_format) -> None:
    """Import targets from a CSV or XLSX file; a file with any error writes nothing.

    Columns: kode (or wilayah), indikator, tahun, target and optionally jenis.

    Example: p3bm targets import target_rpjmd.csv --kind RPJMD
    """
    report = import_targets(app.database(), file, app.settings.user, kind)
    if output_format == "json":
        print_json(report.to_dict(app.lang))
    else:
        _print_problems(app, report, verbose=True)
        click.echo(_target_summary(app, report))
    if report.outcome == "rejected":
        sys.exit(1)


def _target_summary(app: App, report) -> str:
    if report.outcome == "rejected":
        return app.text(
            f"{report.file}: DITOLAK, {len(report.errors)} galat di "
            f"{report.rejected_rows} baris; tidak ada target yang ditulis.",
            f"{report.file}: REJECTED, {len(report.errors)} errors in "
            f"{report.rejected_rows} rows; no target was written.",
        )
    return app.text(
        f"{report.file}: {report.observations} target: {report.added} baru, "
        f"{report.changed} berubah, {report.unchanged} sama.",
        f"{report.file}: {report.observations} targets: {report.added} added, "
        f"{report.changed} changed, {report.unchanged} unchanged.",
    )


@targets.command(name="list")
@click.option(
    "--area",
    "area_code",
    required=True,
    metavar="CODE",
    help="Targets of this area and the areas below it.",
)
@click.option("--indicator", metavar="CODE", help="Only this indicator.")
@click.option("--kind", help="Only this plan (RPJMD, RKPD...).")
@format_option
@pass_app
def list_targets_command(app: App, area_code, indicator, kind, output_format) -> None:
    """List stored targets.

    Example: p3bm targets list --area 32.75 --indicator P0 --format csv
    """
    with app.database().connect() as connection:
        area = area_registry.get_area(connection, area_code)
        code = Catalogue.load(connection).get(indicator).code if indicator else None
        found = load_targets(
            connection, area_prefix=area.code, indicator=code, kind=kind
        )
    columns = ["indicator", "area", "year", "kind", "value", "source_file"]
    print_rows([t.to_dict() for t in found], output_format, columns)


@click.group()
def priorities() -> None:
    """Record and list the TKPK's decisions on priority problems."""


@priorities.command(name="decide")
@click.option("--area", "area_code", required=True, metavar="CODE")
@click.option("--year", required=True, type=YEAR)
@click.option("--indicator", required=True, metavar="CODE")
@click.option("--decision", type=click.Choice(DECISIONS), required=True)
@click.option("--reason", required=True, help="Why the TKPK decided so.")
@click.option(
    "--score", type=FiniteFloat(-1e9, 1e9), help="Score of the problem when decided."
)
@pass_app
def decide(app: App, area_code, year, indicator, decision, reason, score) -> None:
    """Record the TKPK's decision on a priority problem; earlier ones are kept.

    Example: p3bm priorities decide --area 32.75 --year 2021 --indicator TPT
    --decision accepted --reason "Pengangguran di atas rata-rata provinsi"
    """
    with app.database().begin() as connection:
        area = area_registry.get_area(connection, area_code)
        code = Catalogue.load(connection).get(indicator).code
        record_decision(
            connection,
            area=area.code,
            year=year,
            indicator=code,
            decision=decision,
            reason=reason,
            user=app.settings.user,
            score=score,
        )
    click.echo(
        app.text(
            f"Keputusan {decision} untuk {code} {area.code} {year} disimpan.",
            f"Decision {decision} on {code} {area.code} {year} recorded.",
        )
    )


@priorities.command(name="decisions")
@click.option("--area", "area_code", required=True, metavar="CODE")
@click.option("--year", type=YEAR, help="Only this year.")
@format_option
@pass_app
def list_decisions(app: App, area_code, year, output_format) -> None:
    """List every decision of an area, oldest first.

    Example: p3bm priorities decisions --area 32.75 --year 2021
    """
    with app.database().connect() as connection:
        area = area_registry.get_area(connection, area_code)
        found = decision_history(connection, area.code, year)
    columns = ["decided_at", "decided_by", "indicator", "year", "decision", "reason"]
    print_rows([d.to_dict() for d in found], output_format, columns)


COMMANDS = [analyze, targets, priorities]
