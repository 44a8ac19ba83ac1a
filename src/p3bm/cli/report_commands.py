"""Commands that present the data: the HTML report, the dashboard and `up`."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from p3bm.areas import registry as area_registry
from p3bm.catalogue import install_default_catalogue
from p3bm.cli import App, configure_logging, pass_app
from p3bm.cli.params import YEAR
from p3bm.errors import ConfigurationError
from p3bm.overview import latest_year
from p3bm.report import write_report
from p3bm.samples import load_samples

logger = logging.getLogger("p3bm.serve")


def _report_year(app: App, connection, area, year: int | None) -> int:
    if year is not None:
        return year
    found = latest_year(connection, area)
    if found is None:
        raise ConfigurationError(
            f"{area.name} has no values yet, so there is no year to report.",
            hint="Import data first, or pass --year.",
            indonesian=(
                f"{area.name} belum punya nilai, jadi belum ada tahun untuk "
                "dilaporkan.",
                "Impor data dulu, atau beri --year.",
            ),
        )
    return found


@click.command()
@click.option("--area", "area_code", required=True, metavar="CODE")
@click.option(
    "--year",
    type=YEAR,
    help="Year to report [default: the year with the most values].",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="HTML file to write (an lp2kd report may also be .docx).",
)
@click.option(
    "--kind",
    type=click.Choice(["profile", "lp2kd"]),
    default="profile",
    show_default=True,
    help="profile: the data profile; lp2kd: the annual poverty-reduction report.",
)
@pass_app
def report(app: App, area_code: str, year: int | None, output: Path, kind: str) -> None:
    """Write a self-contained HTML report of an area that opens offline.

    Example: p3bm report --area 32.75 --year 2021 --output bekasi-2021.html
    """
    if kind == "lp2kd":
        from p3bm.cli.planning_commands import write_lp2kd_report

        write_lp2kd_report(app, area_code, year, output)
        return
    settings = app.settings
    with app.database().connect() as connection:
        area = area_registry.get_area(connection, area_code)
        chosen = _report_year(app, connection, area, year)
        write_report(
            connection,
            area,
            chosen,
            output,
            lang=app.lang,
            stale_after_years=settings.stale_after_years,
            verified_only=settings.verified_only,
        )
    click.echo(
        app.text(
            f"Laporan {area.name} {chosen} ditulis ke {output}.",
            f"Report of {area.name} {chosen} written to {output}.",
        )
    )


def _serve(app: App, host: str, port: int, workers: int) -> None:
    import uvicorn

    from p3bm.web import create_app

    configure_logging(app.settings.log_level)
    settings = app.settings.model_copy(update={"host": host, "port": port})
    app.database()
    logger.info("starting P3BM dashboard on http://%s:%d", host, port)
    if workers > 1:
        uvicorn.run(
            "p3bm.web.factory:app",
            host=host,
            port=port,
            workers=workers,
            factory=False,
            log_level=settings.log_level.lower(),
        )
    else:
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_level=settings.log_level.lower(),
        )
    logger.info("P3BM dashboard stopped")


@click.command()
@click.option("--host", help="Address to bind [default: 127.0.0.1; env P3BM_HOST].")
@click.option("--port", type=click.IntRange(1, 65535), help="TCP port [default: 8000].")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes; more than one suits PostgreSQL.",
)
@pass_app
def serve(app: App, host, port, workers) -> None:
    """Serve the dashboard and the JSON API until stopped with Ctrl+C.

    Example: p3bm serve --port 8000
    """
    _serve(app, host or app.settings.host, port or app.settings.port, workers)


@click.command()
@click.option(
    "--region",
    default="32.75",
    show_default=True,
    help="Region to set up (Kemendagri or BPS code).",
)
@click.option(
    "--sample-data",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of public sample tables to import [env P3BM_SAMPLE_DATA].",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Report file [default: out/p3bm-REGION-YEAR.html].",
)
@click.option(
    "--serve/--no-serve",
    "then_serve",
    default=True,
    show_default=True,
    help="Serve the dashboard afterwards.",
)
@click.option("--host", help="Address to bind [default: 127.0.0.1].")
@click.option("--port", type=click.IntRange(1, 65535), help="TCP port [default: 8000].")
@pass_app
def up(app: App, region, sample_data, output, then_serve, host, port) -> None:
    """Set up a region, import the sample tables, write the report and serve.

    This is the whole main job on one command: `init`, `import` of every
    known public sample table found in the folder, `report` and `serve`.

    Example: p3bm up --sample-data ../data
    """
    db = app.database(must_exist=False)
    db.upgrade()
    counts = area_registry.load_region(db, region)
    with db.begin() as connection:
        install_default_catalogue(connection, user=app.settings.user)
    click.echo(
        app.text(
            f"Wilayah {region} dimuat: {counts['village']} desa/kelurahan.",
            f"Region {region} loaded: {counts['village']} villages.",
        )
    )
    folder = sample_data or app.settings.sample_data
    out_folder = output.parent if output else Path("out")
    if folder is not None:
        if not Path(folder).is_dir():
            raise ConfigurationError(
                f"Sample data folder {folder} does not exist.",
                indonesian=(f"Folder data contoh {folder} tidak ada.", None),
            )
        result = load_samples(
            db,
            Path(folder),
            app.settings.user,
            out_folder / "rejected",
            progress=lambda line: click.echo("  " + line),
            lang=app.lang,
        )
        if result.skipped:
            click.echo(
                app.text(
                    f"  {len(result.skipped)} berkas contoh tidak ditemukan.",
                    f"  {len(result.skipped)} sample files not found.",
                )
            )
    with db.connect() as connection:
        area = area_registry.get_area(connection, region)
        year = latest_year(connection, area)
        if year is not None:
            target = output or out_folder / f"p3bm-{area.code}-{year}.html"
            write_report(connection, area, year, target, lang=app.lang)
            click.echo(
                app.text(
                    f"Laporan ditulis ke {target}.", f"Report written to {target}."
                )
            )
    if then_serve:
        _serve(app, host or app.settings.host, port or app.settings.port, 1)


COMMANDS = [report, serve, up]
