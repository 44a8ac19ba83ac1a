"""Importing a crosswalk between BPS and Kemendagri area codes.

BPS numbers kecamatan and villages differently from Kemendagri (BPS kecamatan
``3216100`` is Kemendagri ``32.16.01``), and some kabupaten/kota too. A
crosswalk file has, for one or more levels, a column of BPS codes and a column
of Kemendagri codes, with the level word (``kabupaten_kota``, ``kecamatan``,
``desa_kelurahan``) in both headers, for example ``bps_kode_kecamatan`` and
``kemendagri_kode_kecamatan``. Rows may repeat a pair (one per year).

A BPS code paired with several Kemendagri codes (a BPS kecamatan whose villages
Kemendagri splits between two kecamatan) cannot place a value, so it is left
out of the stored crosswalk and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from p3bm.areas import codes
from p3bm.errors import ImportRejected, InputFileError
from p3bm.imports.layout import find_header_row, header_key
from p3bm.imports.problems import ImportReport, Problem
from p3bm.imports.reading import read_tables
from p3bm.storage.database import Database
from p3bm.storage.schema import crosswalk

_LEVEL_WORDS = {
    codes.REGENCY: ("kabupaten", "kota", "kab"),
    codes.DISTRICT: ("kecamatan", "kec"),
    codes.VILLAGE: ("desa", "kelurahan", "kel"),
}
_BPS_DIGITS = {codes.REGENCY: 4, codes.DISTRICT: 7, codes.VILLAGE: 10}
_KEMENDAGRI_WORDS = ("kemendagri", "kemdagri", "permendagri", "mendagri")


@dataclass
class CrosswalkResult:
    """What a crosswalk import found and stored."""

    report: ImportReport
    pairs: dict[str, int] = field(default_factory=dict)
    added: int = 0
    updated: int = 0

    def pairs_text(self, lang: str = "id") -> str:
        """Count the pairs by level, as in ``538 kecamatan, 5312 desa/kelurahan``."""
        names = codes.LEVEL_LABELS_EN if lang == "en" else codes.LEVEL_LABELS_ID
        return ", ".join(
            f"{count} {names[codes.parse_level(level)].lower()}"
            for level, count in self.pairs.items()
        )


def _level_of_header(words: set[str]) -> int | None:
    for level in (codes.VILLAGE, codes.DISTRICT, codes.REGENCY):
        if words & set(_LEVEL_WORDS[level]):
            return level
    return None


def _find_pairs(header: list[object]) -> dict[int, tuple[int, int]]:
    """Column indexes of (BPS code, Kemendagri code) per level."""
    bps: dict[int, int] = {}
    kemendagri: dict[int, int] = {}
    for index, cell in enumerate(header):
        words = set(header_key(cell).split("_"))
        if not words & {"kode", "code", "kd"}:
            continue
        level = _level_of_header(words)
        if level is None:
            continue
        if "bps" in words:
            bps.setdefault(level, index)
        elif words & set(_KEMENDAGRI_WORDS):
            kemendagri.setdefault(level, index)
    return {
        level: (bps[level], kemendagri[level]) for level in bps if level in kemendagri
    }


def _kemendagri_code(text: str, level: int) -> str | None:
    value = codes.clean_code_text(text)
    if not codes.is_dotted_code(value):
        value = codes.dotted_from_digits(value) or ""
    if codes.is_dotted_code(value) and codes.level_of_code(value) == level:
        return value
    return None


def read_crosswalk(path: Path) -> tuple[dict[str, tuple[str, int]], ImportReport]:
    """Pairs BPS code -> (Kemendagri code, level) found in a file, and the problems."""
    report = ImportReport(file=path.name)
    table = read_tables(path)[0]
    header_row = find_header_row(table)
    header = table.rows[header_row]
    pairs = _find_pairs(header)
    if not pairs:
        raise InputFileError(
            f"{path.name}: no pair of BPS and Kemendagri code columns found.",
            hint="Name them like bps_kode_kecamatan and kemendagri_kode_kecamatan.",
        )
    targets: dict[str, dict[str, int]] = {}
    levels: dict[str, int] = {}
    for position in range(header_row + 1, len(table.rows)):
        row, number = table.rows[position], table.row_numbers[position]
        if not any(cell not in (None, "") for cell in row):
            continue
        report.rows_read += 1
        for level, (bps_index, kemendagri_index) in pairs.items():
            pair = _read_pair(
                report,
                table.file_name,
                row,
                number,
                header,
                level,
                bps_index,
                kemendagri_index,
            )
            if pair is not None:
                targets.setdefault(pair[0], {}).setdefault(pair[1], number)
                levels[pair[0]] = level
    mapping = {}
    for bps, found in targets.items():
        if len(found) == 1:
            mapping[bps] = (next(iter(found)), levels[bps])
            continue
        listed = ", ".join(f"{code} (row {row})" for code, row in found.items())
        report.add(
            Problem(
                "ambiguous_mapping",
                table.file_name,
                value=bps,
                params={"targets": listed},
            )
        )
    return mapping, report


def _read_pair(
    report, file_name, row, number, header, level, bps_index, kemendagri_index
) -> tuple[str, str] | None:
    bps_cell = row[bps_index] if bps_index < len(row) else None
    kemendagri_cell = row[kemendagri_index] if kemendagri_index < len(row) else None
    if bps_cell in (None, "") and kemendagri_cell in (None, ""):
        return None
    bps = codes.clean_code_text(bps_cell)
    if not (bps.isdigit() and len(bps) == _BPS_DIGITS[level]):
        report.add(
            Problem(
                "invalid_bps_code",
                file_name,
                number,
                str(header[bps_index]),
                bps_cell,
                params={"digits": _BPS_DIGITS[level]},
            )
        )
        return None
    kemendagri = _kemendagri_code(str(kemendagri_cell or ""), level)
    if kemendagri is None:
        report.add(
            Problem(
                "invalid_kemendagri_code",
                file_name,
                number,
                str(header[kemendagri_index]),
                kemendagri_cell,
                params={"level": codes.LEVEL_NAMES[level]},
            )
        )
        return None
    return bps, kemendagri


def import_crosswalk(db: Database, path: Path) -> CrosswalkResult:
    """Store the code pairs of a crosswalk file, or nothing if any row is invalid.

    Raises ImportRejected with the report when the file has errors.
    """
    mapping, report = read_crosswalk(path)
    if report.has_errors:
        report.outcome = "rejected"
        raise ImportRejected(
            f"{path.name}: {len(report.errors)} invalid row(s); nothing was stored.",
            report,
        )
    result = CrosswalkResult(report)
    for _, level in mapping.values():
        name = codes.LEVEL_NAMES[level]
        result.pairs[name] = result.pairs.get(name, 0) + 1
    with db.begin() as connection:
        existing = dict(
            connection.execute(
                sa.select(crosswalk.c.bps_code, crosswalk.c.kemendagri_code)
            ).all()
        )
        new_rows = [
            {
                "bps_code": bps,
                "kemendagri_code": code,
                "level": level,
                "source_file": path.name,
            }
            for bps, (code, level) in mapping.items()
            if bps not in existing
        ]
        changed = [
            {"b": bps, "k": code}
            for bps, (code, _) in mapping.items()
            if bps in existing and existing[bps] != code
        ]
        if new_rows:
            connection.execute(crosswalk.insert(), new_rows)
        if changed:
            connection.execute(
                crosswalk.update()
                .where(crosswalk.c.bps_code == sa.bindparam("b"))
                .values(kemendagri_code=sa.bindparam("k"), source_file=path.name),
                changed,
            )
    result.added, result.updated = len(new_rows), len(changed)
    report.outcome = "written"
    return result
