"""Problems found while importing, and the report of an import.

Every problem has a stable code, a severity, the file, sheet, row and column
it was found in, the offending value and a message in Indonesian or English.
An import with any problem of severity ``error`` writes nothing, unless
invalid rows are skipped on request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ERROR, WARNING, INFO = "error", "warning", "info"

# code: (severity, Indonesian template, English template)
MESSAGES: dict[str, tuple[str, str, str]] = {
    "unknown_area_code": (
        ERROR,
        "kode wilayah {value} tidak ada di basis data; periksa kodenya atau muat "
        "wilayahnya dengan `p3bm init --region`",
        "area code {value} is not in the database; check the code or load its "
        "region with `p3bm init --region`",
    ),
    "unknown_area_name": (
        ERROR,
        "tidak ada wilayah bernama {value}{scope}. {hint}",
        "no area is named {value}{scope}. {hint}",
    ),
    "ambiguous_area_name": (
        ERROR,
        "nama {value} cocok dengan beberapa wilayah: {candidates}; tulis kodenya",
        "the name {value} fits several areas: {candidates}; write the code instead",
    ),
    "code_name_mismatch": (
        ERROR,
        "kode {area_code} adalah {official}, tetapi namanya tertulis {value}; "
        "perbaiki kode atau namanya",
        "code {area_code} is {official}, but the name says {value}; correct the code "
        "or the name",
    ),
    "code_repaired": (
        WARNING,
        "kode {value} dibaca sebagai {repaired} (nol di belakang hilang karena "
        "kode disimpan sebagai angka); namanya cocok",
        "code {value} read as {repaired} (its trailing zero was lost when the "
        "code was stored as a number); the name agrees",
    ),
    "parent_changed": (
        WARNING,
        "{value} tidak lagi berada di {parent}; dibaca sebagai {area}",
        "{value} no longer lies in {parent}; read as {area}",
    ),
    "area_outside_parent": (
        ERROR,
        "{area} tidak berada di {parent} yang tertulis di kolom {parent_column}",
        "{area} does not lie in {parent}, given in column {parent_column}",
    ),
    "missing_area": (
        ERROR,
        "baris ini tidak menyebut wilayah; isi kode atau nama wilayah",
        "the row names no area; fill in the area code or name",
    ),
    "invalid_number": (
        ERROR,
        "{value} bukan angka; tulis angka seperti 12,5 atau 1.234, atau kosongkan",
        "{value} is not a number; write a number such as 12.5 or 1234, or leave "
        "it empty",
    ),
    "ambiguous_number": (
        ERROR,
        "{value} bisa berarti ribuan atau desimal dan kolomnya tidak memberi "
        "petunjuk; tulis tanpa pemisah ribuan",
        "{value} may be a thousands group or a decimal and the column gives no "
        "clue; write it without a thousands separator",
    ),
    "invalid_year": (
        ERROR,
        "{value} bukan tahun antara 1900 dan 2100",
        "{value} is not a year between 1900 and 2100",
    ),
    "missing_year": (
        ERROR,
        "tahun tidak diketahui; beri kolom tahun atau opsi --year",
        "the year is unknown; add a year column or pass --year",
    ),
    "unknown_indicator": (
        ERROR,
        "indikator {value} tidak ada di katalog; lihat `p3bm indicators` atau "
        "beri opsi --indicator",
        "indicator {value} is not in the catalogue; see `p3bm indicators` or "
        "pass --indicator",
    ),
    "below_minimum": (
        ERROR,
        "nilai {value} di bawah batas bawah {limit} untuk {indicator}",
        "value {value} is below the minimum {limit} for {indicator}",
    ),
    "above_maximum": (
        ERROR,
        "nilai {value} di atas batas atas {limit} untuk {indicator}",
        "value {value} is above the maximum {limit} for {indicator}",
    ),
    "below_lowest_level": (
        ERROR,
        "{indicator} hanya dihasilkan sampai tingkat {lowest}, tetapi baris ini "
        "untuk {area}",
        "{indicator} is produced down to level {lowest} only, but this row is "
        "for {area}",
    ),
    "conflicting_duplicate": (
        ERROR,
        "{indicator} {area} {year}{disaggregation} sudah diberi nilai {other} di "
        "baris {other_row}; hapus salah satunya",
        "{indicator} {area} {year}{disaggregation} already has value {other} in "
        "row {other_row}; remove one of them",
    ),
    "unit_mismatch": (
        ERROR,
        "satuan {value} tidak cocok dengan satuan {indicator} ({unit})",
        "unit {value} does not match the unit of {indicator} ({unit})",
    ),
    "invalid_bps_code": (
        ERROR,
        "{value} bukan kode BPS {digits} angka",
        "{value} is not a {digits}-digit BPS code",
    ),
    "invalid_kemendagri_code": (
        ERROR,
        "{value} bukan kode Kemendagri tingkat {level}",
        "{value} is not a Kemendagri code at level {level}",
    ),
    "ambiguous_mapping": (
        WARNING,
        "kode BPS {value} dipadankan dengan beberapa kode Kemendagri: {targets}; "
        "kode ini tidak disimpan karena tidak bisa menempatkan nilai",
        "BPS code {value} maps to several Kemendagri codes: {targets}; it is not "
        "stored because it cannot place a value",
    ),
    "invalid_geometry": (
        ERROR,
        "fitur ke-{value} tidak punya geometri Polygon atau MultiPolygon yang sah",
        "feature {value} has no valid Polygon or MultiPolygon geometry",
    ),
    "unmatched_feature": (
        WARNING,
        "fitur ke-{feature} dengan kode {value} ({name}) tidak cocok dengan wilayah "
        "mana pun di basis data",
        "feature {feature} with code {value} ({name}) matches no area in the database",
    ),
    "locked_value": (
        ERROR,
        "nilai tersimpan {stored} sudah {status} dan terkunci; beri --reason untuk "
        "mengubahnya, dan alasannya dicatat",
        "the stored value {stored} is {status} and locked; give --reason to change "
        "it, and the reason is recorded",
    ),
    "locked_derived_total": (
        ERROR,
        "total {indicator} {area} {year} yang dijumlahkan dari kategorinya, "
        "{total}, berbeda dari nilai tersimpan {stored} yang sudah {status} dan "
        "terkunci; beri --reason untuk mengubahnya, dan alasannya dicatat",
        "the total of {indicator} {area} {year} summed from its categories, "
        "{total}, differs from the stored value {stored}, which is {status} and "
        "locked; give --reason to change it, and the reason is recorded",
    ),
    "repeated_duplicate": (
        WARNING,
        "baris yang sama dengan baris {other_row}; diimpor sekali",
        "same as row {other_row}; imported once",
    ),
    "zero_before_area_existed": (
        WARNING,
        "nilai 0 untuk {area} pada {year}, sebelum wilayah itu dibentuk "
        "({valid_from}); dianggap kosong",
        "value 0 for {area} in {year}, before the area was formed "
        "({valid_from}); treated as missing",
    ),
    "zero_means_missing": (
        WARNING,
        "nilai 0 untuk {indicator} berarti data belum ada; dianggap kosong",
        "a 0 for {indicator} stands for no data; treated as missing",
    ),
    "unknown_category": (
        ERROR,
        "{value} bukan kategori yang dikenal; tulis salah satu dari: {categories}",
        "{value} is no known category; write one of: {categories}",
    ),
    "unknown_unit": (
        WARNING,
        "satuan {value} tidak dikenal; nilai diimpor apa adanya dalam satuan {unit}",
        "unit {value} is unknown; the value is imported as it is, in {unit}",
    ),
    "unit_converted": (
        INFO,
        "nilai dalam {value} diubah ke {unit} (dikali {factor})",
        "values in {value} converted to {unit} (multiplied by {factor})",
    ),
    "ignored_column": (
        INFO,
        "kolom {column} tidak dikenali dan diabaikan",
        "column {column} is not recognised and was ignored",
    ),
    "indicator_from_text": (
        INFO,
        "indikator {indicator} dikenali dari {where}: {value}",
        "indicator {indicator} recognised from the {where}: {value}",
    ),
    "year_from_text": (
        INFO,
        "tahun {year} diambil dari {where}",
        "year {year} taken from the {where}",
    ),
    "derived_total": (
        INFO,
        "{count} total dihitung dari rincian menurut {dimension}",
        "{count} totals derived from the breakdown by {dimension}",
    ),
    "bare_name_is_kabupaten": (
        INFO,
        "nama tanpa Kota/Kabupaten dibaca sebagai kabupaten karena berkas ini juga "
        "menulis Kota {value}",
        "names without Kota/Kabupaten are read as kabupaten because the file also "
        "writes Kota {value}",
    ),
    "missing_values": (
        INFO,
        "{count} sel kosong atau '-' dilewati",
        "{count} empty or '-' cells skipped",
    ),
}

WHERE_WORDS = {
    "title": ("judul", "title"),
    "sheet": ("nama sheet", "sheet name"),
    "file": ("nama berkas", "file name"),
    "header": ("judul kolom", "column header"),
}


@dataclass(frozen=True)
class Localized:
    """A message parameter written in both languages."""

    id: str
    en: str

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.id


@dataclass
class Problem:
    """One finding of an import, located in the file."""

    code: str
    file: str
    row: int | None = None
    column: str | None = None
    value: object = None
    sheet: str | None = None
    params: dict[str, object] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        return MESSAGES[self.code][0]

    def message(self, lang: str = "id") -> str:
        template = MESSAGES[self.code][1 if lang == "id" else 2]
        params = {
            key: value.text(lang) if isinstance(value, Localized) else value
            for key, value in self.params.items()
        }
        return template.format(value=_show(self.value), column=self.column, **params)

    def location(self, lang: str = "id") -> str:
        words = {"row": "baris", "column": "kolom"} if lang == "id" else {}
        parts = [self.file + (f" [{self.sheet}]" if self.sheet else "")]
        if self.row is not None:
            parts.append(f"{words.get('row', 'row')} {self.row}")
        if self.column is not None:
            parts.append(f"{words.get('column', 'column')} {self.column!r}")
        return ", ".join(parts)

    def to_dict(self, lang: str = "id") -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": None if self.value is None else str(self.value),
            "message": self.message(lang),
        }


def _show(value: object) -> str:
    if value is None:
        return "(kosong)"
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


@dataclass
class ImportReport:
    """What an import read, found and wrote."""

    file: str
    layout: str = ""
    indicators: list[str] = field(default_factory=list)
    rows_read: int = 0
    observations: int = 0
    problems: list[Problem] = field(default_factory=list)
    outcome: str = "pending"
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    derived: int = 0
    rejected_rows: int = 0
    rejected_file: Path | None = None
    import_id: int | None = None
    is_dry_run: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def has_errors(self) -> bool:
        return any(p.severity == ERROR for p in self.problems)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def to_dict(self, lang: str = "id") -> dict[str, object]:
        return {
            "file": self.file,
            "layout": self.layout,
            "indicators": self.indicators,
            "rows_read": self.rows_read,
            "observations": self.observations,
            "outcome": self.outcome,
            "dry_run": self.is_dry_run,
            "added": self.added,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "derived": self.derived,
            "rejected_rows": self.rejected_rows,
            "rejected_file": str(self.rejected_file) if self.rejected_file else None,
            "import_id": self.import_id,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [p.to_dict(lang) for p in self.problems],
        }
