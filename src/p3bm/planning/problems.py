"""Problems found in budget lines and quarterly reports, as import problems.

They share the shape of ``p3bm.imports.problems.Problem`` (stable code,
severity, file, sheet, row, column, value and a message in Indonesian or
English), so budget imports report like every other import, and forms and
the API show the same messages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from p3bm.imports.problems import (
    ERROR,
    INFO,
    MESSAGES,
    WARNING,
    Localized,
    Problem,
)

# Amounts in rupiah, and output quantities, must be below a thousand trillion
# (10**15). A larger number is a typing error: by estimate the largest regional
# budget, DKI Jakarta's, is below 10**14 rupiah, and floats lose whole-rupiah
# precision above 2**53 (about 9 * 10**15).
MAX_AMOUNT = 10**15
# Counts of people are stored in 32-bit integer columns.
MAX_COUNT = 2**31 - 1

# code: (severity, Indonesian template, English template)
PLANNING_MESSAGES: dict[str, tuple[str, str, str]] = {
    "invalid_budget_code": (
        ERROR,
        "{value} bukan kode nomenklatur anggaran; tulis seperti 1.02.02.2.02.0001",
        "{value} is not a budget nomenclature code; write it like 1.02.02.2.02.0001",
    ),
    "not_sub_kegiatan": (
        ERROR,
        "kode {value} adalah {level}; pagu dan laporan dicatat per sub-kegiatan",
        "code {value} is a {level}; budgets and reports are kept per sub-kegiatan",
    ),
    "missing_budget_code": (
        ERROR,
        "baris ini punya pagu tetapi tidak punya kode; isi kode sub-kegiatannya",
        "the row has a budget but no code; fill in its sub-kegiatan code",
    ),
    "unknown_skpd": (
        ERROR,
        "SKPD {value} tidak dikenal; tulis kodenya (mis. DINKES) atau nama lengkapnya",
        "SKPD {value} is unknown; write its code (such as DINKES) or full name",
    ),
    "option_overridden": (
        WARNING,
        "berkas menulis {value} di kolom ini, bukan {given} dari opsi --{option}; "
        "nilai berkas dipakai",
        "the file gives {value} in this column, not {given} from --{option}; "
        "the file's value is used",
    ),
    "missing_skpd": (
        ERROR,
        "SKPD tidak diketahui; beri kolom SKPD atau opsi --skpd",
        "the SKPD is unknown; add an SKPD column or pass --skpd",
    ),
    "missing_amount": (
        ERROR,
        "pagu kosong; tulis pagu dalam rupiah, 0 bila memang tidak dianggarkan",
        "the budget is empty; write it in rupiah, or 0 when nothing is budgeted",
    ),
    "negative_amount": (
        ERROR,
        "{value} negatif; {column} tidak boleh kurang dari 0",
        "{value} is negative; {column} cannot be below 0",
    ),
    "amount_too_large": (
        ERROR,
        "{value} terlalu besar; {column} harus kurang dari {maximum}",
        "{value} is too large; {column} must be less than {maximum}",
    ),
    "invalid_flag": (
        ERROR,
        "{value} bukan ya atau tidak",
        "{value} is not yes or no",
    ),
    "invalid_count": (
        ERROR,
        "{value} bukan bilangan bulat tidak negatif",
        "{value} is not a whole number of 0 or more",
    ),
    "area_outside_region": (
        ERROR,
        "{value} berada di luar {region}; lokasi harus di dalam daerah ini",
        "{value} lies outside {region}; locations must be inside the region",
    ),
    "duplicate_location": (
        ERROR,
        "lokasi {value} tertulis dua kali",
        "location {value} is listed twice",
    ),
    "allocation_above_pagu": (
        ERROR,
        "alokasi per lokasi berjumlah {value}, melebihi pagu {pagu}",
        "the allocations by location add up to {value}, above the budget {pagu}",
    ),
    "missing_output_name": (
        ERROR,
        "target {value} tidak punya nama indikator keluaran",
        "target {value} has no output indicator name",
    ),
    "conflicting_pagu": (
        ERROR,
        "{key} sudah diberi pagu {other} di baris {other_row}; pagu satu "
        "sub-kegiatan harus sama di setiap barisnya",
        "{key} already has the budget {other} in row {other_row}; every row of "
        "a sub-kegiatan must give the same budget",
    ),
    "output_has_reports": (
        ERROR,
        "indikator keluaran {value} sudah punya capaian triwulan, jadi tidak bisa "
        "dihapus",
        "output indicator {value} has quarterly achievements, so it cannot be removed",
    ),
    "pagu_sum_mismatch": (
        WARNING,
        "pagu {value} tidak sama dengan jumlah pagu sub-kegiatan di bawahnya ({total})",
        "the budget {value} differs from the sum of its sub-kegiatan ({total})",
    ),
    "parent_not_named": (
        WARNING,
        "berkas tidak menyebut nama {level} {value}; kodenya dipakai sebagai nama "
        "sampai ada berkas yang menyebutnya",
        "the file does not name {level} {value}; its code stands in for the name "
        "until a file names it",
    ),
    "output_continued": (
        INFO,
        "baris tanpa kode ini menambah indikator keluaran {value} pada {key}",
        "this row without a code adds output indicator {value} to {key}",
    ),
    "skipped_row": (
        INFO,
        "baris {value} tidak punya kode dan dilewati",
        "row {value} has no code and was skipped",
    ),
    "invalid_percent": (
        ERROR,
        "{value} bukan persen antara 0 dan 100",
        "{value} is not a percentage between 0 and 100",
    ),
    "realisation_above_pagu": (
        ERROR,
        "realisasi sampai triwulan ini {value} melebihi pagu {pagu}",
        "the realisation up to this quarter, {value}, exceeds the budget {pagu}",
    ),
    "physical_decreased": (
        WARNING,
        "progres fisik {value} % lebih rendah dari {previous} % triwulan lalu; "
        "progres fisik dihitung kumulatif",
        "physical progress {value} % is below last quarter's {previous} %; "
        "physical progress is cumulative",
    ),
    "unknown_output": (
        ERROR,
        "indikator keluaran {value} bukan milik sub-kegiatan ini",
        "output indicator {value} does not belong to this sub-kegiatan",
    ),
    "forbidden": (
        ERROR,
        "Anda tidak boleh menulis laporan {value}; itu laporan SKPD lain",
        "you may not write the report of {value}; it belongs to another SKPD",
    ),
    "locked": (
        ERROR,
        "laporan triwulan ini berstatus {value} dan terkunci; minta Bappeda "
        "mengembalikan atau membukanya kembali",
        "this quarter's report is {value} and locked; ask Bappeda to return or "
        "reopen it",
    ),
    "version_conflict": (
        ERROR,
        "laporan sudah diubah orang lain sejak versi {value}; muat ulang lalu "
        "coba lagi",
        "someone changed the report since version {value}; reload it and try again",
    ),
    "unknown_line": (
        ERROR,
        "sub-kegiatan {value} tidak ada dalam anggaran {year}",
        "sub-kegiatan {value} is not in the {year} budget",
    ),
}


@dataclass
class BudgetProblem(Problem):
    """A problem of a budget line or quarterly report; see PLANNING_MESSAGES."""

    @property
    def severity(self) -> str:
        return _template(self.code)[0]

    def message(self, lang: str = "id") -> str:
        template = _template(self.code)[1 if lang == "id" else 2]
        params = {
            key: value.text(lang) if isinstance(value, Localized) else value
            for key, value in self.params.items()
        }
        return template.format(value=_show(self.value), column=self.column, **params)


def amount_problem(
    column: str, value: float | None, maximum: int = MAX_AMOUNT
) -> BudgetProblem | None:
    """Return the problem of an amount that is NaN, infinite, ``maximum`` or
    more, or negative; None for a valid amount or None."""
    if value is None:
        return None
    if not math.isfinite(value):
        return BudgetProblem("invalid_number", "", column=column, value=value)
    if value >= maximum:
        shown = Localized(f"{maximum:,}".replace(",", "."), f"{maximum:,}")
        return BudgetProblem(
            "amount_too_large",
            "",
            column=column,
            value=value,
            params={"maximum": shown},
        )
    if value < 0:
        return BudgetProblem("negative_amount", "", column=column, value=value)
    return None


def _template(code: str) -> tuple[str, str, str]:
    return PLANNING_MESSAGES.get(code) or MESSAGES[code]


def _show(value: object) -> str:
    if value is None:
        return "(kosong)"
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")
