"""Writing user-supplied text into CSV and XLSX files without formula injection.

Spreadsheet programs read a CSV cell that starts with ``=``, ``+``, ``-`` or
``@`` as a formula, and some also act on a leading tab or carriage return.
Text such as ``=HYPERLINK("http://...")`` from a budget line name would then
become a live link in the reader's sheet. So CSV text with such a start gets
a leading apostrophe, which spreadsheets show as text. A single character
such as the polarity ``-`` of the catalogue and a signed number such as
``-100`` are left alone, because neither can form a formula and the
catalogue CSV must read back unchanged.

In XLSX the cell type decides instead. openpyxl stores a string that starts
with ``=`` as a formula, and :func:`protect_workbook` stores every formula
cell as a plain string. Numbers stay numbers, negative ones included.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def is_formula_text(value: object) -> bool:
    """Check whether ``value`` is text that a spreadsheet could read as a formula."""
    if not isinstance(value, str) or len(value) < 2:
        return False
    if not value.startswith(FORMULA_PREFIXES):
        return False
    return not _is_finite_number(value)


def _is_finite_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def escape_csv_value(value: object) -> object:
    """Prefix formula-like text with an apostrophe; return anything else as is."""
    if is_formula_text(value):
        return "'" + str(value)
    return value


def unescape_csv_value(text: str) -> str:
    """Undo :func:`escape_csv_value`, so exported text loads back unchanged."""
    if text.startswith("'") and is_formula_text(text[1:]):
        return text[1:]
    return text


def escape_csv_row(values: Iterable[object]) -> list[object]:
    """Escape each value of a CSV row with :func:`escape_csv_value`."""
    return [escape_csv_value(value) for value in values]


def protect_worksheet(sheet: Worksheet) -> int:
    """Store every formula cell of ``sheet`` as text and return how many changed.

    Use it only on sheets of data, because a formula written on purpose
    becomes text as well.
    """
    changed = 0
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
                changed += 1
    return changed


def protect_workbook(workbook: Workbook) -> int:
    """Apply :func:`protect_worksheet` to every sheet and return how many changed."""
    return sum(protect_worksheet(sheet) for sheet in workbook.worksheets)
