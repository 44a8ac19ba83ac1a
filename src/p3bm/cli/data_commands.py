"""Commands that set up a database and put data in or take it out."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from p3bm import areas as area_registry
from p3bm.areas import codes
from p3bm.areas.boundaries import import_boundaries
from p3bm.areas.crosswalk import import_crosswalk
from p3bm.catalogue import (
    Catalogue,
    indicator_csv_rows,
    install_default_catalogue,
    known_skpd_codes,
    read_catalogue_file,
    skpd_names,
    store_catalogue,
)
from p3bm.catalogue_history import catalogue_history
from p3bm.cli import App, pass_app
from p3bm.cli.output import format_option, print_json, print_rows
from p3bm.cli.params import YEAR
from p3bm.completeness import compute_completeness
from p3bm.errors import ConfigurationError, ImportRejected
from p3bm.i18n import label
from p3bm.imports import Importer, ImportOptions, ImportReport
from p3bm.observations import STATUSES, query_values, value_history

_EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
ERRORS_SHOWN = 200


def _level(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return codes.parse_level(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--level") from None


@click.command()
@click.option(
    "--region",
    required=True,
    help="Province or kabupaten/kota code (32, 32.75, 3275), or ID for all.",
)
@pass_app
def init(app: App, region: str) -> None:
    """Create or upgrade the database and load a region's official areas.

    Loads the country, every province and kabupaten/kota, and the kecamatan
    and desa/kelurahan of the region, then the default indicator catalogue.
    The first region becomes the home region, for which SKPDs report; a
    later, larger one (the province, ID) only adds areas.

    Example: p3bm init --region 32.75
    """
    db = app.database(must_exist=False)
    db.upgrade()
    counts = area_registry.load_region(db, region)
    with db.begin() as connection:
        catalogue = install_default_catalogue(connection, user=app.settings.user)
        home = area_registry.home_region(connection)
    if home != area_registry.region_code(region):
        click.echo(
            app.text(
                f"Wilayah kerja tetap {home}; {region} menambah pembanding.",
                f"The home region stays {home}; {region} adds peers and benchmarks.",
            )
        )
    click.echo(
        app.text(
            f"Basis data {db.display_url} siap. Wilayah {region}: "
            f"{counts['province']} provinsi, {counts['regency']} kabupaten/kota, "
            f"{counts['district']} kecamatan, {counts['village']} desa/kelurahan "
            f"({counts['added']} baru). Katalog: {catalogue['added']} indikator baru.",
            f"Database {db.display_url} is ready. Region {region}: "
            f"{counts['province']} provinces, {counts['regency']} regencies/cities, "
            f"{counts['district']} districts, {counts['village']} villages "
            f"({counts['added']} new). Catalogue: {catalogue['added']} new indicators.",
        )
    )


@click.command()
@pass_app
def migrate(app: App) -> None:
    """Upgrade the database schema to this version of P3BM.

    Example: p3bm migrate --db postgresql://p3bm@localhost/p3bm
    """
    db = app.database(must_exist=False)
    db.upgrade()
    click.echo(
        app.text(
            f"Skema {db.display_url}: {db.schema_revision()}.",
            f"Schema of {db.display_url}: {db.schema_revision()}.",
        )
    )


@click.command(name="areas")
@click.option("--within", metavar="CODE", help="Only this area and those below it.")
@click.option(
    "--level", help="Only one level: provinsi, kabupaten, kecamatan, kelurahan."
)
@format_option
@pass_app
def list_areas_command(app: App, within, level, output_format) -> None:
    """List the loaded areas.

    Example: p3bm areas --within 32.75 --level kelurahan --format json
    """
    with app.database().connect() as connection:
        scope = area_registry.get_area(connection, within) if within else None
        found = area_registry.list_areas(connection, within=scope, level=_level(level))
    rows = [area.to_dict() for area in found]
    columns = ["code", "name", "level", "kind", "parent", "bps_code", "has_boundary"]
    if output_format == "json":
        rows = [
            {
                k: row[k]
                for k in (
                    "code",
                    "name",
                    "level",
                    "parent",
                    "kind",
                    "bps_code",
                    "has_boundary",
                )
            }
            for row in rows
        ]
    if output_format == "table" and app.lang != "en":
        # The table names levels as Indonesian readers do; JSON and CSV keep keys.
        rows = [
            {**row, "level": codes.LEVEL_LABELS_ID[area.level].lower()}
            for row, area in zip(rows, found, strict=True)
        ]
    headers = app.text(
        ["kode", "nama", "tingkat", "jenis", "induk", "kode_bps", "ada_batas"],
        columns,
    )
    print_rows(rows, output_format, columns, headers)


@click.command(name="import-boundaries")
@click.argument("file", type=_EXISTING_FILE)
@click.option(
    "--code-property", help="Feature property with the Kemendagri code [guessed]."
)
@format_option
@pass_app
def import_boundaries_command(
    app: App, file: Path, code_property, output_format
) -> None:
    """Attach polygons from a GeoJSON file to areas by their code.

    Example: p3bm import-boundaries kota_bekasi_kelurahan.geojson
    """
    result = import_boundaries(app.database(), file, code_property)
    if output_format == "json":
        print_json(
            {
                "file": file.name,
                "code_property": result.code_property,
                "matched": result.matched,
                "unmatched": result.unmatched,
            }
        )
        return
    click.echo(
        app.text(
            f"{file.name}: {result.matched} poligon dipasang "
            f"(properti {result.code_property}).",
            f"{file.name}: {result.matched} polygons attached "
            f"(property {result.code_property}).",
        )
    )
    for item in result.unmatched:
        click.echo(
            app.text(
                f"  fitur {item['feature']} kode {item['code']} ({item['name']}) "
                "tidak cocok",
                f"  feature {item['feature']} code {item['code']} ({item['name']}) "
                "matches no area",
            )
        )


@click.command(name="import-crosswalk")
@click.argument("file", type=_EXISTING_FILE)
@pass_app
def import_crosswalk_command(app: App, file: Path) -> None:
    """Import pairs of BPS and Kemendagri codes below kabupaten/kota level.

    Example: p3bm import-crosswalk bps_kemendagri_desa.csv
    """
    try:
        result = import_crosswalk(app.database(), file)
    except ImportRejected as exc:
        _print_problems(app, exc.report)
        raise
    pairs = result.pairs_text(app.lang)
    click.echo(
        app.text(
            f"{file.name}: {pairs}; {result.added} padanan baru, "
            f"{result.updated} diubah.",
            f"{file.name}: {pairs}; {result.added} pairs added, "
            f"{result.updated} changed.",
        )
    )


@click.command()
@click.option("--sector", help="Only one sector, such as kemiskinan or pendidikan.")
@format_option
@pass_app
def indicators(app: App, sector, output_format) -> None:
    """List the indicator catalogue.

    With --format csv the output can be edited and loaded back with
    `p3bm catalogue load`.

    Example: p3bm indicators --format csv > katalog.csv
    """
    with app.database().connect() as connection:
        catalogue = Catalogue.load(connection)
    items = [item for item in catalogue if sector is None or item.sector == sector]
    if output_format == "csv":
        print_rows(indicator_csv_rows(items), "csv")
        return
    rows = [item.to_dict() for item in items]
    columns = [
        "code",
        "name" if app.lang == "id" else "name_en",
        "unit",
        "polarity",
        "aggregation",
        "sector",
        "data_type",
        "skpd",
        "lowest_level",
    ]
    print_rows(rows, output_format, columns)


@click.group()
def catalogue() -> None:
    """Manage the indicator catalogue."""


@catalogue.command(name="load")
@click.argument("file", type=_EXISTING_FILE)
@click.option("--reason", help="Why the catalogue changes, kept in its history.")
@pass_app
def load_catalogue(app: App, file: Path, reason: str | None) -> None:
    """Replace the catalogue with a CSV or XLSX file in the export layout.

    Every indicator added, changed or removed is kept in the catalogue's
    history (see `p3bm catalogue history`).

    Example: p3bm catalogue load katalog.csv --reason "Target RPJMD 2025-2029"
    """
    db = app.database()
    with db.begin() as connection:
        items = read_catalogue_file(file, known_skpd_codes(connection))
        counts = store_catalogue(
            connection,
            items,
            user=app.settings.user,
            reason=reason,
            source_file=file.name,
        )
    click.echo(
        app.text(
            f"Katalog dari {file.name}: {counts['added']} baru, "
            f"{counts['updated']} diperbarui, "
            f"{counts['removed']} dihapus.",
            f"Catalogue from {file.name}: {counts['added']} added, "
            f"{counts['updated']} updated, "
            f"{counts['removed']} removed.",
        )
    )


@catalogue.command(name="history")
@click.option("--indicator", "indicator_code", metavar="CODE")
@format_option
@pass_app
def catalogue_changes(app: App, indicator_code: str | None, output_format) -> None:
    """List what each catalogue load added, changed or removed: who, when and why.

    A change lists the fields it touched, with their old and new values in
    --format json.

    Example: p3bm catalogue history --indicator P0 --format json
    """
    with app.database().connect() as connection:
        changes = catalogue_history(
            connection, indicator_code.upper() if indicator_code else None
        )
    if output_format == "json":
        print_rows([change.to_dict() for change in changes], output_format)
        return
    columns = [
        "changed_at",
        "changed_by",
        "indicator",
        "action",
        "fields",
        "reason",
        "source_file",
    ]
    if output_format == "csv":
        columns += ["old", "new"]
    rows = []
    for change in changes:
        data = change.to_dict()
        # An added or removed indicator has every field; the table names none.
        data["fields"] = " ".join(change.fields()) if change.action == "update" else ""
        rows.append({column: data[column] for column in columns})
    print_rows(rows, output_format, columns)


def _print_problems(app: App, report: ImportReport, verbose: bool = False) -> None:
    """Print every error; print warnings and notes in full only when verbose."""
    for problem in report.errors[:ERRORS_SHOWN]:
        _echo_problem(app, problem)
    if len(report.errors) > ERRORS_SHOWN:
        click.echo(
            app.text(
                f"  ... dan {len(report.errors) - ERRORS_SHOWN} galat lain "
                "(lihat --format json)",
                f"  ... and {len(report.errors) - ERRORS_SHOWN} more errors "
                "(see --format json)",
            ),
            err=True,
        )
    others = [p for p in report.problems if p.severity != "error"]
    if verbose:
        for problem in others:
            _echo_problem(app, problem)
        return
    by_code: dict[str, list] = {}
    for problem in others:
        by_code.setdefault(problem.code, []).append(problem)
    for problems in by_code.values():
        first = problems[0]
        more = app.text(
            f" (dan {len(problems) - 1} lagi; --verbose menampilkan semua)",
            f" (and {len(problems) - 1} more; --verbose shows all)",
        )
        _echo_problem(app, first, more if len(problems) > 1 else "")


def _echo_problem(app: App, problem, suffix: str = "") -> None:
    click.echo(
        f"  {label(f'severity_{problem.severity}', app.lang)}: "
        f"{problem.location(app.lang)}: "
        f"[{problem.code}] {problem.message(app.lang)}{suffix}",
        err=True,
    )


# Layout kinds as an Indonesian reader knows them.
_LAYOUTS_ID = {
    "long": "memanjang",
    "wide by year": "melebar per tahun",
    "wide by indicator": "melebar per indikator",
    "wide by category": "melebar per kategori",
}


def _layout_id(layouts: str) -> str:
    return ", ".join(_LAYOUTS_ID.get(kind, kind) for kind in layouts.split(", "))


def _summary(app: App, report: ImportReport) -> str:
    if report.outcome == "rejected":
        if any(problem.code == "code_name_mismatch" for problem in report.errors):
            click.echo(
                app.text(
                    "  Catatan: bila berkas memakai kode BPS yang berbeda dari kode "
                    "Kemendagri, impor tabel padanannya (`p3bm import-crosswalk`) atau "
                    "pilih kolom nama saja dengan --area-column.",
                    "  Note: if the file uses BPS codes that differ from Kemendagri's, "
                    "import a crosswalk (`p3bm import-crosswalk`) or use only the name "
                    "column with --area-column.",
                ),
                err=True,
            )
        return app.text(
            f"{report.file}: DITOLAK, {len(report.errors)} galat di "
            f"{report.rejected_rows} "
            "baris; tidak ada yang ditulis. Perbaiki baris di atas, atau pakai "
            "--skip-invalid untuk menulis baris yang sah saja.",
            f"{report.file}: REJECTED, {len(report.errors)} errors in "
            f"{report.rejected_rows} rows; nothing was written. Fix the rows above, "
            "or pass --skip-invalid to write only the valid rows.",
        )
    verb = app.text("diperiksa", "checked") if report.outcome == "checked" else ""
    text = app.text(
        f"{report.file}: {report.observations} nilai ({_layout_id(report.layout)}; "
        f"{', '.join(report.indicators)}): {report.added} baru, {report.changed} "
        f"berubah, {report.unchanged} sama {verb}".rstrip(),
        f"{report.file}: {report.observations} values ({report.layout}; "
        f"{', '.join(report.indicators)}): {report.added} added, {report.changed} "
        f"changed, {report.unchanged} unchanged {verb}".rstrip(),
    )
    if report.rejected_file:
        text += app.text(
            f"; {report.rejected_rows} baris ditolak, disimpan di "
            f"{report.rejected_file}",
            f"; {report.rejected_rows} rows rejected, saved to {report.rejected_file}",
        )
    return text + "."


# An option that sets one value for the whole file, and the option that reads
# the same thing from a column instead.
_EXCLUSIVE_OPTIONS = (
    ("indicator", "indicator-column"),
    ("area", "area-column"),
    ("year", "year-column"),
)


def _parameter(option: str) -> str:
    return "area_columns" if option == "area-column" else option.replace("-", "_")


@click.command(name="import")
@click.argument("files", nargs=-1, required=True, type=_EXISTING_FILE)
@click.option(
    "--indicator", metavar="CODE", help="Indicator of every value in the file."
)
@click.option("--area", metavar="CODE", help="Area of every value in the file.")
@click.option(
    "--area-column",
    "area_columns",
    multiple=True,
    metavar="COLUMN",
    help="Column with area codes or names; repeat for parent columns.",
)
@click.option("--year", type=YEAR, help="Year of every value.")
@click.option("--year-column", metavar="COLUMN", help="Column with the year.")
@click.option("--value-column", metavar="COLUMN", help="Column with the values.")
@click.option(
    "--indicator-column", metavar="COLUMN", help="Column with indicator codes or names."
)
@click.option(
    "--disaggregation-column",
    "disaggregation_columns",
    multiple=True,
    metavar="COLUMN",
    help="Column with a breakdown such as sex; repeatable.",
)
@click.option("--sheet", help="Only this sheet of a workbook.")
@click.option(
    "--source",
    default="",
    help="Name of the data source, kept beside other sources' values [default: none].",
)
@click.option(
    "--status",
    type=click.Choice(STATUSES),
    default="verified",
    show_default=True,
    help="Status given to written values.",
)
@click.option("--reason", help="Why the values change [default: import FILE].")
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Write the valid rows and save the rejected ones to a CSV file.",
)
@click.option(
    "--rejected-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for rejected rows [default: current folder].",
)
@click.option("--dry-run", is_flag=True, help="Check the file without writing.")
@click.option("-v", "--verbose", is_flag=True, help="List every warning and note.")
@format_option
@pass_app
def import_command(app: App, files, output_format, verbose, **options) -> None:
    """Import indicator values from CSV, XLSX or BPS export files.

    The layout is recognised from the headers: long (area, indicator, year,
    value), wide by year, wide by indicator, and the Open Data Jabar layout.
    A file with any error writes nothing.

    Example: p3bm import data.csv --indicator P0 --area-column kode --year-column tahun
    """
    for single, column in _EXCLUSIVE_OPTIONS:
        if options[single.replace("-", "_")] and options[_parameter(column)]:
            raise click.UsageError(
                app.text(
                    f"Beri --{single} atau --{column}, jangan keduanya: "
                    f"--{single} berlaku untuk setiap nilai di berkas.",
                    f"Give --{single} or --{column}, not both: --{single} applies "
                    "to every value of the file.",
                )
            )
    importer = Importer(app.database(), app.settings.user)
    import_options = ImportOptions(
        **{k: (list(v) if isinstance(v, tuple) else v) for k, v in options.items()}
    )
    reports = []
    for file in files:
        report = importer.import_file(file, import_options)
        reports.append(report)
        if output_format != "json":
            _print_problems(app, report, verbose)
            click.echo(_summary(app, report))
    if output_format == "json":
        print_json([report.to_dict(app.lang) for report in reports])
    if any(report.outcome == "rejected" for report in reports):
        sys.exit(1)


@click.command()
@click.option("--indicator", "indicator_code", required=True, metavar="CODE")
@click.option("--area", metavar="CODE", help="Only this area.")
@click.option("--within", metavar="CODE", help="Only areas below this one.")
@click.option("--year", type=YEAR, help="Only this year.")
@click.option("--source", help="Only this source.")
@format_option
@pass_app
def values(app: App, indicator_code, area, within, year, source, output_format) -> None:
    """Print stored values of an indicator.

    Example: p3bm values --indicator JPM --area 32.75 --format json
    """
    with app.database().connect() as connection:
        indicator = Catalogue.load(connection).get(indicator_code)
        area_codes = None
        if area:
            area_codes = [area_registry.get_area(connection, area).code]
        elif within:
            scope = area_registry.get_area(connection, within)
            area_codes = [
                a.code for a in area_registry.list_areas(connection, within=scope)
            ]
        stored = query_values(
            connection,
            indicators=[indicator.code],
            areas=area_codes,
            years=[year] if year else None,
        )
    chosen = [value for value in stored if source is None or value.source == source]
    rows = [value.to_dict() for value in chosen]
    if output_format == "table":
        for row, value in zip(rows, chosen, strict=True):
            row["disaggregation"] = value.disaggregation
    columns = [
        "indicator",
        "area",
        "year",
        "disaggregation",
        "value",
        "source",
        "status",
        "version",
        "updated_by",
        "updated_at",
    ]
    print_rows(rows, output_format, columns)


@click.command()
@click.option("--indicator", "indicator_code", metavar="CODE")
@click.option("--area", metavar="CODE")
@click.option("--year", type=YEAR)
@click.option("--by", "user_name", metavar="USER", help="Only changes by this user.")
@format_option
@pass_app
def history(app: App, indicator_code, area, year, user_name, output_format) -> None:
    """List the recorded changes of values: who, when, old, new and why.

    Example: p3bm history --indicator JPM --area 32.75 --year 2018
    """
    if not (indicator_code or area or user_name):
        raise ConfigurationError(
            "Give --indicator, --area or --by to choose which history to list."
        )
    with app.database().connect() as connection:
        area_code = area_registry.get_area(connection, area).code if area else None
        changes = value_history(
            connection,
            indicator=indicator_code.upper() if indicator_code else None,
            area=area_code,
            year=year,
            user=user_name,
        )
    columns = [
        "changed_at",
        "changed_by",
        "indicator",
        "area",
        "year",
        "disaggregation",
        "source",
        "action",
        "old_value",
        "new_value",
        "reason",
        "source_file",
    ]
    print_rows([change.to_dict() for change in changes], output_format, columns)


@click.command()
@click.option("--area", "area_code", required=True, metavar="CODE")
@click.option("--year", required=True, type=YEAR)
@click.option(
    "--stale-after",
    type=click.IntRange(0, 50),
    help="Years after which a latest value is stale [default: 3].",
)
@click.option("--verified-only", is_flag=True, help="Count only verified values.")
@format_option
@pass_app
def completeness(
    app: App, area_code, year, stale_after, verified_only, output_format
) -> None:
    """Show how many expected indicators have a value, with breakdowns.

    Example: p3bm completeness --area 32.75 --year 2021
    """
    settings = app.settings
    with app.database().connect() as connection:
        area = area_registry.get_area(connection, area_code)
        result = compute_completeness(
            connection,
            Catalogue.load(connection),
            area,
            year,
            stale_after_years=settings.stale_after_years
            if stale_after is None
            else stale_after,
            verified_only=verified_only or settings.verified_only,
            skpd_names=skpd_names(connection),
            lang=app.lang,
        )
    data = result.to_dict()
    if output_format == "json":
        print_json(data)
        return
    if output_format == "csv":
        rows = [
            {
                "group": "total",
                "key": area.code,
                "expected": result.expected,
                "filled": result.filled,
                "percent": result.percent,
            }
        ]
        for group in ("by_sector", "by_data_type", "by_skpd", "by_level"):
            rows += [{"group": group, **tally} for tally in data[group]]  # type: ignore[union-attr]
        print_rows(rows, "csv")
        return
    _print_completeness(app, result, data)


def _print_completeness(app: App, result, data) -> None:
    click.echo(
        app.text(
            f"{result.area.name} ({result.area.code}), {result.year}: "
            f"dari {result.expected} "
            f"indikator, {result.filled} terisi: {result.percent} %",
            f"{result.area.name} ({result.area.code}), {result.year}: "
            f"of {result.expected} "
            f"indicators, {result.filled} are filled: {result.percent} %",
        )
    )
    for group, title in (
        ("by_level", app.text("Tingkat", "Level")),
        ("by_sector", app.text("Sektor", "Sector")),
        ("by_data_type", app.text("Jenis data", "Data type")),
        ("by_skpd", "SKPD"),
    ):
        click.echo(f"\n{title}")
        print_rows(
            data[group],
            "table",
            ["key", "label", "filled", "expected", "percent"],
            app.text(
                ["kode", "nama", "terisi", "diharapkan", "persen"],
                ["key", "label", "filled", "expected", "percent"],
            ),
        )
    stale = {state.code for state in result.stale}
    click.echo("\n" + app.text("Belum terisi", "Missing"))
    rows = [
        state.to_dict()
        | {"stale": app.text("usang", "stale") if state.code in stale else ""}
        for state in result.missing
    ]
    print_rows(
        rows,
        "table",
        ["code", "name", "skpd", "latest_year", "lag", "stale"],
        app.text(
            ["kode", "nama", "skpd", "tahun_terakhir", "selisih", "usang"],
            ["code", "name", "skpd", "latest_year", "lag", "stale"],
        ),
    )


COMMANDS = [
    init,
    migrate,
    list_areas_command,
    import_boundaries_command,
    import_crosswalk_command,
    indicators,
    catalogue,
    import_command,
    values,
    history,
    completeness,
]
