"""Commands for the programme register, quarterly reports, monitoring and
budget analysis.

The CLI acts as an administrator recorded under --user, as the workflow
commands do.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from p3bm.areas import registry as area_registry
from p3bm.cli import App, pass_app
from p3bm.cli.output import format_option, print_json, print_rows
from p3bm.cli.params import ROW_ID, YEAR, FiniteFloat
from p3bm.cli.workflow_commands import cli_user
from p3bm.errors import (
    ConfigurationError,
    ConflictError,
    ImportRejected,
    P3BMError,
    PermissionDenied,
    WorkflowError,
)
from p3bm.i18n import label
from p3bm.planning.audit import change_history
from p3bm.planning.budget_analysis import (
    DIMENSIONS,
    MEASURES,
    analyse_budget,
    budget_frame,
    export_xlsx,
    pivot,
)
from p3bm.planning.budget_import import BudgetImporter, BudgetImportOptions
from p3bm.planning.lp2kd import build_lp2kd, report_format, write_lp2kd
from p3bm.planning.monitoring import (
    GROUPINGS,
    Thresholds,
    line_progress,
    program_labels,
    summarize,
)
from p3bm.planning.priorities import load_priorities
from p3bm.planning.problems import MAX_AMOUNT
from p3bm.planning.quarterly import (
    ReportEntry,
    ReportWriter,
    quarter_states,
    return_quarter,
    review_quarter,
    set_quarter_deadline,
    submit_quarter,
)
from p3bm.planning.register import load_lines

Quarter = click.IntRange(1, 4)


Amount = FiniteFloat(0, MAX_AMOUNT, max_open=True)
# Outcomes of a quarterly report that wrote nothing, and the error they raise.
# P3BMError exits with 1, PermissionDenied with 4.
FAILED_OUTCOMES: dict[str, type[P3BMError]] = {
    "rejected": P3BMError,
    "locked": WorkflowError,
    "conflict": ConflictError,
    "forbidden": PermissionDenied,
}
Percent = FiniteFloat(0, 100)


def _thresholds(app: App) -> Thresholds:
    return Thresholds(
        app.settings.traffic_light_green, app.settings.traffic_light_yellow
    )


def _region(app: App, connection, code: str | None):
    return area_registry.get_area(
        connection, code or area_registry.home_region(connection) or "ID"
    )


@click.group()
def budget() -> None:
    """Import, list and analyse budget lines (pagu per sub-kegiatan)."""


@budget.command(name="import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--year", type=YEAR, help="Budget year when the file has none.")
@click.option("--skpd", help="SKPD code or name when the file has no SKPD column.")
@click.option("--sheet", help="Read only this sheet of a workbook.")
@click.option("--dry-run", is_flag=True, help="Check the file without writing.")
@format_option
@pass_app
def import_budget(app: App, path, year, skpd, sheet, dry_run, output_format) -> None:
    """Import a budget table exported from SIPD (CSV or XLSX).

    A file with any error writes nothing; its problems are listed with their
    row, column and code, and the command exits with 1.

    Example: p3bm budget import apbd-2025.xlsx --year 2025
    """
    importer = BudgetImporter(app.database(), app.settings.user)
    options = BudgetImportOptions(year=year, skpd=skpd, sheet=sheet, dry_run=dry_run)
    report = importer.import_file(path, options)
    if output_format == "json":
        print_json(report.to_dict(app.lang))
    else:
        outcome = label(f"outcome_{report.outcome}", app.lang)
        for problem in report.problems:
            click.echo(
                f"{label(f'severity_{problem.severity}', app.lang)}: "
                f"{problem.location(app.lang)}: "
                f"[{problem.code}] {problem.message(app.lang)}"
            )
        click.echo(
            app.text(
                f"{report.file}: {outcome}; {report.lines} sub-kegiatan, "
                f"{report.added} baru, {report.changed} berubah, "
                f"{report.unchanged} sama.",
                f"{report.file}: {outcome}; {report.lines} sub-activities, "
                f"{report.added} added, {report.changed} changed, "
                f"{report.unchanged} unchanged.",
            )
        )
    if report.outcome == "rejected":
        raise ImportRejected(
            f"{report.file} has {len(report.errors)} error(s); nothing was written.",
            report,
            indonesian=(
                f"{report.file} berisi {len(report.errors)} galat; tidak ada yang "
                "ditulis.",
                None,
            ),
        )


@budget.command(name="list")
@click.option("--year", type=YEAR, help="Budget year [default: all].")
@click.option("--skpd", help="Only this SKPD's lines.")
@format_option
@pass_app
def list_budget(app: App, year, skpd, output_format) -> None:
    """List budget lines with pagu, pro-poor flag and beneficiaries.

    Example: p3bm budget list --year 2025 --skpd DINKES
    """
    with app.database().connect() as connection:
        lines = load_lines(
            connection, year=year, skpd_code=skpd.upper() if skpd else None
        )
    rows = []
    for line in lines:
        row = line.to_dict()
        row["locations"] = [loc.area for loc in line.locations]
        row["indicators"] = list(line.indicators)
        rows.append(row)
    print_rows(
        rows,
        output_format,
        [
            "id",
            "year",
            "skpd",
            "code",
            "pagu",
            "is_pro_poor",
            "beneficiaries",
            "indicators",
            "locations",
        ],
    )


@budget.command(name="history")
@click.argument("line_id", type=ROW_ID)
@format_option
@pass_app
def budget_history(app: App, line_id, output_format) -> None:
    """Show the changes to one budget line: who, when, before and after.

    Example: p3bm budget history 12
    """
    with app.database().connect() as connection:
        changes = change_history(connection, "budget_line", entity_id=line_id)
    print_rows(
        [change.to_dict() for change in changes],
        output_format,
        ["changed_at", "changed_by", "action", "channel", "source_file", "reason"],
    )


@budget.command(name="analyse")
@click.option("--area", "area_code", metavar="CODE", help="Area [default: the region].")
@click.option("--year", type=YEAR, required=True, help="Budget year.")
@click.option(
    "--export",
    "export_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the summary, pivot tables and data to this XLSX file.",
)
@format_option
@pass_app
def analyse(app: App, area_code, year, export_path, output_format) -> None:
    """Show the pro-poor share, relevance ratios and unfunded priorities.

    Example: p3bm budget analyse --year 2025 --export analisis-2025.xlsx
    """
    settings = app.settings
    with app.database().connect() as connection:
        area = _region(app, connection, area_code)
        priorities = load_priorities(
            connection,
            area,
            year,
            poor=settings.location_poor_indicator,
            total=settings.location_total_indicator,
        )
        result = analyse_budget(connection, area, year, priorities)
        if export_path is not None:
            frame = budget_frame(connection, years=[year], lang=app.lang)
            export_xlsx(export_path, result, frame, lang=app.lang)
    data = result.to_dict()
    if output_format == "json":
        print_json(data)
        return
    summary = {
        "total_pagu": data["total_pagu"],
        "pro_poor_pagu": data["pro_poor_pagu"],
        "pro_poor_share_percent": data["pro_poor_share_percent"],
        "problem_relevance_percent": data["problem_relevance_percent"],
        "location_relevance": result.location.relevance,
        "unfunded": [item["indicator"] for item in result.unfunded],
        "priority_basis": priorities.basis,
    }
    print_rows([summary], output_format)
    if export_path is not None:
        click.echo(app.text(f"Ditulis ke {export_path}.", f"Written to {export_path}."))


@budget.command(name="pivot")
@click.option(
    "--rows",
    type=click.Choice(list(DIMENSIONS)),
    default="skpd",
    show_default=True,
    help="Row dimension.",
)
@click.option(
    "--columns", type=click.Choice(list(DIMENSIONS)), help="Column dimension."
)
@click.option(
    "--measure",
    type=click.Choice(MEASURES),
    default="pagu",
    show_default=True,
    help="What to sum: rupiah of pagu, pro-poor pagu or realisation, or people.",
)
@click.option(
    "--year", "years", type=YEAR, multiple=True, help="Budget year; repeatable."
)
@format_option
@pass_app
def pivot_command(app: App, rows, columns, measure, years, output_format) -> None:
    """Print a pivot table of pagu, realisation or beneficiaries.

    Example: p3bm budget pivot --rows program --columns year --measure realised
    """
    with app.database().connect() as connection:
        frame = budget_frame(connection, years=years or None, lang=app.lang)
    table = pivot(frame, rows, columns, measure, app.text("Jumlah", "Total"))
    records = [
        {str(key): value for key, value in record.items()}
        for record in table.to_dict(orient="records")
    ]
    print_rows(records, output_format)


@click.group()
def quarterly() -> None:
    """Quarterly (triwulan) reports of budget lines and their review."""


@quarterly.command(name="set")
@click.option("--line", "line_id", type=ROW_ID, required=True, help="Budget line id.")
@click.option("--quarter", type=Quarter, required=True, help="Quarter 1-4.")
@click.option(
    "--realised", type=Amount, required=True, help="Rupiah spent in the quarter."
)
@click.option(
    "--physical",
    type=Percent,
    required=True,
    help="Cumulative physical progress in percent, 0-100.",
)
@click.option(
    "--output",
    "outputs",
    multiple=True,
    metavar="ID=AMOUNT",
    help="Output achieved in the quarter, by output id; repeatable.",
)
@click.option("--comment", help="Comment on the quarter.")
@pass_app
def set_report(
    app: App, line_id, quarter, realised, physical, outputs, comment
) -> None:
    """Write one line's report for a quarter.

    Example: p3bm quarterly set --line 3 --quarter 1 --realised 450000000 --physical 22
    """
    achieved = {}
    for item in outputs:
        key, _, amount = item.partition("=")
        if not key.strip().isdigit() or not amount.strip():
            raise click.BadParameter(
                f"{item!r} is not ID=AMOUNT", param_hint="--output"
            )
        try:
            achieved[int(key)] = Amount.convert(amount.strip(), None, None)
        except click.BadParameter as exc:
            raise click.BadParameter(exc.message, param_hint="--output") from None
    entry = ReportEntry(line_id, quarter, realised, physical, achieved, comment)
    with app.database().begin() as connection:
        result = ReportWriter(cli_user(app)).write(connection, [entry], channel="cli")[
            0
        ]
    data = result.to_dict(app.lang)
    for problem in data["errors"] + data["warnings"]:  # type: ignore[operator]
        click.echo(f"{problem['code']}: {problem['message']}", err=True)
    click.echo(label(f"outcome_{result.outcome}", app.lang))
    if result.outcome in FAILED_OUTCOMES:
        error = FAILED_OUTCOMES[result.outcome]
        raise error(
            f"The report of line {line_id} for quarter {quarter} was "
            f"{result.outcome}; nothing was written.",
            indonesian=(
                f"Laporan baris {line_id} triwulan {quarter} tidak ditulis "
                f"({label(f'outcome_{result.outcome}')}).",
                None,
            ),
        )


@quarterly.command(name="status")
@click.option("--year", type=YEAR, required=True, help="Budget year.")
@click.option(
    "--quarter", "quarters", type=Quarter, multiple=True, help="Quarter [default: all]."
)
@format_option
@pass_app
def status(app: App, year, quarters, output_format) -> None:
    """Show each SKPD's report status, timeliness and missing lines by quarter.

    Example: p3bm quarterly status --year 2025 --quarter 2
    """
    with app.database().connect() as connection:
        states = quarter_states(
            connection,
            year,
            quarters or (1, 2, 3, 4),
            default_days=app.settings.quarter_deadline_days,
        )
    print_rows(
        [state.to_dict() for state in states],
        output_format,
        [
            "skpd",
            "quarter",
            "status",
            "timeliness",
            "deadline",
            "lines",
            "reported",
            "missing",
        ],
    )


@quarterly.command(name="deadline")
@click.option("--year", type=YEAR, required=True, help="Budget year.")
@click.option("--quarter", type=Quarter, required=True, help="Quarter 1-4.")
@click.option(
    "--date",
    "deadline",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    required=True,
    help="Last day for the quarter's reports, YYYY-MM-DD.",
)
@pass_app
def deadline(app: App, year, quarter, deadline) -> None:
    """Set the deadline of a quarter's reports.

    Example: p3bm quarterly deadline --year 2025 --quarter 1 --date 2025-04-15
    """
    day: date = deadline.date()
    with app.database().begin() as connection:
        set_quarter_deadline(connection, cli_user(app), year, quarter, day)
    click.echo(f"{year} Q{quarter}: {day.isoformat()}")


@quarterly.command(name="review")
@click.argument("action", type=click.Choice(["submit", "return", "verify", "reopen"]))
@click.option("--skpd", required=True, help="SKPD code.")
@click.option("--year", type=YEAR, required=True, help="Budget year.")
@click.option("--quarter", type=Quarter, required=True, help="Quarter 1-4.")
@click.option("--comment", help="What to correct (return) or why (reopen).")
@pass_app
def review(app: App, action, skpd, year, quarter, comment) -> None:
    """Submit, return, verify or reopen an SKPD's quarterly report.

    Example: p3bm quarterly review verify --skpd DINKES --year 2025 --quarter 1
    """
    user = cli_user(app)
    code = skpd.upper()
    with app.database().begin() as connection:
        if action == "submit":
            result = submit_quarter(connection, user, code, year, quarter)
        elif action == "return":
            result = return_quarter(
                connection, user, code, year, quarter, comment or ""
            )
        else:
            result = review_quarter(
                connection, user, code, year, quarter, action, comment
            )
    click.echo(f"{result.skpd_code} {result.year} Q{result.quarter}: {result.status}")


@click.command()
@click.option("--year", type=YEAR, required=True, help="Budget year.")
@click.option(
    "--quarter",
    type=Quarter,
    default=4,
    show_default=True,
    help="Quarter whose end the progress is measured at.",
)
@click.option(
    "--by",
    type=click.Choice(GROUPINGS),
    default="skpd",
    show_default=True,
    help="Group the lines by SKPD, programme or location, or show each line.",
)
@format_option
@pass_app
def monitor(app: App, year, quarter, by, output_format) -> None:
    """Show target against realisation, financial and physical, with lights.

    Example: p3bm monitor --year 2025 --quarter 2 --by program
    """
    thresholds = _thresholds(app)
    with app.database().connect() as connection:
        progress = line_progress(connection, year, quarter, thresholds=thresholds)
        labels = program_labels(connection, app.lang)
    rows = [
        row.to_dict()
        for row in summarize(progress, by, labels=labels, thresholds=thresholds)
    ]
    if output_format == "table":
        # A location's share of a line's pagu is rarely whole rupiah.
        for row in rows:
            row["pagu"], row["realised"] = round(row["pagu"]), round(row["realised"])
    print_rows(
        rows,
        output_format,
        [
            "key",
            "pagu",
            "realised",
            "financial_percent",
            "financial_light",
            "physical_percent",
            "physical_light",
            "reported",
        ],
    )


def write_lp2kd_report(app: App, area_code: str, year: int | None, output: Path):
    """Write the LP2KD of an area as HTML or DOCX, by the output's extension."""
    settings = app.settings
    report_format(output)
    with app.database().connect() as connection:
        area = area_registry.get_area(connection, area_code)
        chosen = year or _latest_budget_year(connection)
        report = build_lp2kd(
            connection,
            area,
            chosen,
            lang=app.lang,
            poor=settings.location_poor_indicator,
            total=settings.location_total_indicator,
            thresholds=_thresholds(app),
        )
    write_lp2kd(report, output)
    click.echo(
        app.text(
            f"LP2KD {area.name} {chosen} ditulis ke {output}.",
            f"LP2KD of {area.name} {chosen} written to {output}.",
        )
    )


def _latest_budget_year(connection) -> int:
    years = sorted({line.year for line in load_lines(connection)})
    if not years:
        raise ConfigurationError(
            "There is no budget yet, so there is no year to report.",
            hint="Import a budget first, or pass --year.",
            indonesian=(
                "Belum ada anggaran, jadi belum ada tahun untuk dilaporkan.",
                "Impor anggaran dulu, atau beri --year.",
            ),
        )
    return years[-1]


COMMANDS = [budget, quarterly, monitor]
