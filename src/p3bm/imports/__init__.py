"""Importing indicator values from CSV, XLSX and BPS web export files.

``Importer.import_file`` reads a file, recognises its layout, checks every
row and, when no error was found, writes the values with their history. With
``skip_invalid`` the valid rows are written and the rejected ones saved with
their reasons to a CSV file the report names.
"""

from __future__ import annotations

import csv
import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from p3bm.areas.index import AreaIndex
from p3bm.catalogue import Catalogue
from p3bm.errors import InputFileError
from p3bm.formatting import exact_text
from p3bm.i18n import status_label
from p3bm.imports.layout import Layout, LayoutOptions, Role, detect_layout
from p3bm.imports.plain_rows import check_plain_rows
from p3bm.imports.problems import ImportReport, Localized, Problem
from p3bm.imports.reading import RawTable, read_tables
from p3bm.imports.records import Record, RowReader, derive_totals
from p3bm.observations import NewValue, file_sha256, locked_values, write_values
from p3bm.spreadsheet import escape_csv_row
from p3bm.storage.database import Database

logger = logging.getLogger(__name__)


@dataclass
class ImportOptions(LayoutOptions):
    """Everything an import can be told besides the file."""

    source: str = ""
    status: str = "verified"
    sheet: str | None = None
    skip_invalid: bool = False
    dry_run: bool = False
    rejected_dir: Path | None = None
    reason: str | None = None
    channel: str = "file"

    def as_record(self) -> dict[str, object]:
        """The options worth keeping with the import, for reproducing it."""
        keys = (
            "indicator",
            "area",
            "area_columns",
            "year",
            "year_column",
            "value_column",
            "indicator_column",
            "disaggregation_columns",
            "source",
            "status",
            "sheet",
            "skip_invalid",
        )
        return {key: getattr(self, key) for key in keys if getattr(self, key)}


@contextmanager
def _garbage_collection_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector, and restore it afterwards.

    Reading a large file creates millions of objects that stay alive until
    the import ends. The collector would scan them again and again, which took
    about a fifth of a million-row import, while reference counting frees
    everything else. The collector is global, so other threads of the process
    go without it meanwhile; their cyclic garbage is collected afterwards.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Importer:
    """Imports files into one database, reusing its catalogue and area index."""

    # Whether plain rows are checked column by column before the others are
    # read row by row (see ``plain_rows``); both ways give the same report.
    checks_plain_rows = True

    def __init__(self, db: Database, user: str) -> None:
        self.db = db
        self.user = user
        with db.connect() as connection:
            self.catalogue = Catalogue.load(connection)
            self.index = AreaIndex.load(connection)

    def import_file(self, path: Path, options: ImportOptions) -> ImportReport:
        """Check a file and write its values unless it has errors.

        Raises InputFileError when the file cannot be read or its layout cannot
        be recognised; row problems go into the returned report instead.
        """
        with _garbage_collection_paused():
            return self._import_file(path, options)

    def _import_file(self, path: Path, options: ImportOptions) -> ImportReport:
        report, records, rejected = self.check_file(path, options)
        if options.reason is None:
            records = self._hold_locked(path, options, records, report)
        if report.has_errors and not options.skip_invalid:
            report.outcome = "rejected"
            return report
        if rejected:
            report.rejected_file = self._save_rejected(path, rejected, options)
        self._write(path, options, records, report)
        return report

    def check_file(self, path: Path, options: ImportOptions):
        """Read and check a file without writing anything.

        Returns the report, the valid records (derived totals included) and
        the rejected rows.
        """
        report = ImportReport(file=path.name, is_dry_run=options.dry_run)
        with _garbage_collection_paused():
            records, rejected = self._read(path, options, report)
        derived = derive_totals(records, self.catalogue)
        if derived:
            report.add(
                Problem(
                    "derived_total",
                    path.name,
                    params={
                        "count": len(derived),
                        "dimension": Localized("jenis kelamin", "sex"),
                    },
                )
            )
        report.derived = len(derived)
        report.observations = len(records) + len(derived)
        report.indicators = sorted({record.indicator for record in records})
        report.rejected_rows = len(rejected)
        return report, records + derived, rejected

    def _hold_locked(self, path: Path, options, records: list[Record], report):
        """Leave out changes to verified or published values, reporting each.

        Changing locked data needs a reason (``reason``), which the history
        keeps, as reopening it on the web does.
        """
        locked = locked_values(self.db, records, options.source)
        if not locked:
            return records
        kept = []
        for record in records:
            stored = locked.get(
                (record.indicator, record.area, record.year, record.disaggregation)
            )
            if stored is None or stored[0] == record.value:
                kept.append(record)
                continue
            status = Localized(status_label(stored[1]), status_label(stored[1], "en"))
            params = {"status": status, "stored": stored[0]}
            if record.is_derived:
                # The row is the first category's, whose own value is not the one
                # that differs.
                code = "locked_derived_total"
                params |= {
                    "indicator": record.indicator,
                    "area": record.area,
                    "year": record.year,
                    "total": exact_text(record.value, "-"),
                    "stored": exact_text(stored[0], "-"),
                }
            else:
                code = "locked_value"
            report.add(
                Problem(
                    code,
                    path.name,
                    row=record.row,
                    value=record.value,
                    params=params,
                )
            )
            report.rejected_rows += 1
        return kept

    def _read(self, path: Path, options: ImportOptions, report: ImportReport):
        tables = read_tables(path, options.sheet)
        records: list[Record] = []
        rejected: list[tuple[RawTable, int, list[object], list[Problem]]] = []
        layouts: list[str] = []
        failures: list[InputFileError] = []
        # The records of the sheets read so far, by key, to find a key that
        # two sheets of a workbook both give.
        earlier: dict[tuple, Record] = {}
        for table in tables:
            try:
                layout = detect_layout(table, self.catalogue, self.index, options)
            except InputFileError as exc:
                failures.append(exc)
                continue
            layouts.append(layout.kind)
            self._note_layout(layout, report)
            reader = RowReader(layout, self.catalogue, self.index, report)
            plain = check_plain_rows(reader) if self.checks_plain_rows else None
            reader.read(plain)
            reader.drop_keys_of_earlier_sheets(earlier)
            records.extend(reader.records)
            rows_by_number = dict(zip(table.row_numbers, table.rows, strict=True))
            for number, problems in reader.rejected_rows.items():
                rejected.append((table, number, rows_by_number[number], problems))
        if not layouts:
            raise failures[0]
        report.layout = ", ".join(dict.fromkeys(layouts))
        return records, rejected

    def _note_layout(self, layout: Layout, report: ImportReport) -> None:
        table = layout.table
        for code, params in layout.notes:
            details = {key: value for key, value in params.items() if key != "value"}
            report.add(
                Problem(
                    code,
                    table.file_name,
                    sheet=table.sheet,
                    value=params.get("value"),
                    params=details,
                )
            )
        for column in layout.columns:
            if column.role is Role.IGNORED and column.header:
                report.add(
                    Problem(
                        "ignored_column",
                        table.file_name,
                        sheet=table.sheet,
                        column=column.header,
                    )
                )

    def _save_rejected(self, path: Path, rejected, options: ImportOptions) -> Path:
        folder = options.rejected_dir or Path.cwd()
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{path.stem}.rejected.csv"
        with target.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(["sheet", "row", "problems", "cells..."])
            for table, number, cells, problems in rejected:
                # A cell checked by two rules may carry the same text twice.
                reasons = "; ".join(
                    dict.fromkeys(f"{p.code}: {p.message('id')}" for p in problems)
                )
                writer.writerow(
                    escape_csv_row(
                        [
                            table.sheet or "",
                            number,
                            reasons,
                            *("" if cell is None else cell for cell in cells),
                        ]
                    )
                )
        return target

    def _write(
        self, path, options: ImportOptions, records: list[Record], report
    ) -> None:
        values = [
            NewValue(
                r.indicator,
                r.area,
                r.year,
                r.disaggregation,
                options.source,
                r.value,
                r.is_derived,
            )
            for r in records
        ]
        result = write_values(
            self.db,
            values,
            user=self.user,
            status=options.status,
            channel=options.channel,
            file_name=path.name,
            reason=options.reason or f"import {path.name}",
            file_digest=file_sha256(path),
            options=options.as_record(),
            dry_run=options.dry_run,
            keep_locked=options.reason is None,
        )
        report.added, report.changed = result.added, result.changed
        report.unchanged = result.unchanged
        if options.dry_run:
            report.outcome = "checked"
            return
        report.import_id = result.import_id
        report.outcome = "written"
        logger.info(
            "imported %s as import %d: %d added, %d changed, %d unchanged",
            path.name,
            result.import_id,
            result.added,
            result.changed,
            result.unchanged,
        )


__all__ = ["ImportOptions", "ImportReport", "Importer"]
