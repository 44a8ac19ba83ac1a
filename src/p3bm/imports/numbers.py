"""Reading numbers as Indonesian and English spreadsheets write them.

``18,98`` and ``18.98`` are both 18.98; ``1.234.567`` and ``1,234,567`` are
both 1234567. A lone separator followed by exactly three digits (``1.234``)
could be either, so it is read by the convention of the rest of its column and
rejected when the column gives no clue.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from enum import Enum

MISSING_WORDS = frozenset(
    {
        "",
        "-",
        "–",
        "—",
        "--",
        ".",
        "..",
        "...",
        "…",
        "na",
        "n/a",
        "n.a.",
        "nan",
        "null",
        "none",
        "tt",
        "t.t.",
        "tidak tersedia",
        "belum ada data",
    }
)
NOT_APPLICABLE_WORDS = frozenset({"tidak berlaku", "not applicable", "tb", "t.b."})
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_GROUPED = re.compile(r"^\d{1,3}([.,]\d{3})+$")


class Convention(Enum):
    """How a column writes decimals."""

    UNKNOWN = "unknown"
    DECIMAL_COMMA = "comma"
    DECIMAL_POINT = "point"
    MIXED = "mixed"


class Missing:
    """Marker for a cell that holds no value (empty, ``-``, ``NA``...)."""

    def __repr__(self) -> str:
        return "MISSING"


class NotApplicable:
    """Marker for a cell that says the indicator does not apply."""

    def __repr__(self) -> str:
        return "NOT_APPLICABLE"


MISSING = Missing()
NOT_APPLICABLE = NotApplicable()


class AmbiguousNumber(ValueError):
    """A lone separator followed by three digits in a column of no clear convention."""


# A plain number with at most one separator: the form of nearly every cell in
# large files, read without the general path's cleaning.
_SIMPLE = re.compile(r"(-?)(\d+)(?:([.,])(\d+))?\Z")


def _simple_evidence(match: re.Match) -> str | None:
    """The decimal separator a simple number proves, or None when it proves none."""
    _, whole, separator, fraction = match.groups()
    if separator is None or _is_group(whole, fraction):
        return None
    return separator


def _is_group(whole: str, fraction: str) -> bool:
    return len(fraction) == 3 and 1 <= len(whole) <= 3 and whole != "0"


def _simple_number(match: re.Match, convention: Convention) -> float:
    sign, whole, separator, fraction = match.groups()
    if separator is None:
        return float(sign + whole)
    if not _is_group(whole, fraction):
        return float(f"{sign}{whole}.{fraction}")
    decimal_separator = {
        Convention.DECIMAL_COMMA: ",",
        Convention.DECIMAL_POINT: ".",
    }.get(convention)
    if decimal_separator is None:
        raise AmbiguousNumber(match.group(0))
    if separator == decimal_separator:
        return float(f"{sign}{whole}.{fraction}")
    return float(sign + whole + fraction)


def _clean(text: str) -> str:
    value = _SPACES.sub("", text)
    lowered = value.lower()
    if lowered.startswith("rp"):
        value = value[2:].lstrip(".")
    return value.rstrip("%")


def detect_convention(cells: Iterable[object]) -> Convention:
    """Guess the decimal separator of a column from its unambiguous values."""
    comma = point = False
    for cell in cells:
        # Cleaning never adds a separator, so a cell without one is no clue.
        if not isinstance(cell, str) or ("," not in cell and "." not in cell):
            continue
        simple = _SIMPLE.match(cell)
        if simple is not None:
            evidence = _simple_evidence(simple)
            if evidence == ",":
                comma = True
            elif evidence == ".":
                point = True
            if comma and point:
                return Convention.MIXED
            continue
        value = _clean(cell).lstrip("+-")
        has_comma, has_point = "," in value, "." in value
        if has_comma and has_point:
            if value.rfind(",") > value.rfind("."):
                comma = True
            else:
                point = True
        elif has_comma or has_point:
            separator = "," if has_comma else "."
            if value.count(separator) > 1:
                # Repeated separators group thousands, so the other one is decimal.
                comma, point = (True, point) if separator == "." else (comma, True)
            elif not _could_be_grouped(value, separator):
                comma, point = (True, point) if separator == "," else (comma, True)
        if comma and point:
            return Convention.MIXED
    if comma:
        return Convention.DECIMAL_COMMA
    if point:
        return Convention.DECIMAL_POINT
    return Convention.UNKNOWN


def parse_number(
    cell: object, convention: Convention = Convention.UNKNOWN
) -> float | Missing | NotApplicable:
    """Read one cell as a number, MISSING or NOT_APPLICABLE.

    Raises ValueError for text that is not a number, and AmbiguousNumber for a
    value such as ``1.234`` that the column's convention cannot settle.
    """
    if cell is None:
        return MISSING
    if isinstance(cell, bool):
        raise ValueError("a true/false cell is not a number")
    if isinstance(cell, int | float):
        if isinstance(cell, float) and not math.isfinite(cell):
            return MISSING
        return float(cell)
    if isinstance(cell, str):
        simple = _SIMPLE.match(cell)
        if simple is not None:
            return _simple_number(simple, convention)
    text = str(cell).strip()
    lowered = text.lower()
    if lowered in MISSING_WORDS:
        return MISSING
    if lowered in NOT_APPLICABLE_WORDS:
        return NOT_APPLICABLE
    return _parse_text(_clean(text), convention)


def _parse_text(value: str, convention: Convention) -> float:
    sign = ""
    if value[:1] in "+-":
        sign, value = value[0], value[1:]
    if not value:
        raise ValueError("no digits")
    has_comma, has_point = "," in value, "." in value
    if has_comma and has_point:
        decimal = "," if value.rfind(",") > value.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        whole, _, fraction = value.rpartition(decimal)
        if not _GROUPED.match(whole) and thousands in whole:
            raise ValueError("misplaced thousands separator")
        return _to_float(sign + whole.replace(thousands, "") + "." + fraction)
    if not (has_comma or has_point):
        return _to_float(sign + value)
    separator = "," if has_comma else "."
    if value.count(separator) > 1:
        if not _GROUPED.match(value):
            raise ValueError("misplaced thousands separator")
        return _to_float(sign + value.replace(separator, ""))
    if not _could_be_grouped(value, separator):
        return _to_float(sign + value.replace(separator, "."))
    decimal_separator = {
        Convention.DECIMAL_COMMA: ",",
        Convention.DECIMAL_POINT: ".",
    }.get(convention)
    if decimal_separator is None:
        raise AmbiguousNumber(value)
    if separator == decimal_separator:
        return _to_float(sign + value.replace(separator, "."))
    return _to_float(sign + value.replace(separator, ""))


def _could_be_grouped(value: str, separator: str) -> bool:
    """Whether one separator could group thousands: 1-3 digits, not 0, then 3."""
    whole, _, fraction = value.partition(separator)
    return (
        len(fraction) == 3
        and 1 <= len(whole) <= 3
        and whole.isdigit()
        and fraction.isdigit()
        and whole != "0"
    )


def _to_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def parse_year(cell: object) -> int | None:
    """A year from a cell such as ``2019``, ``2019.0``, ``yr2019`` or ``Tahun 2019``.

    Returns None when the cell is not a year between 1900 and 2100.
    """
    if isinstance(cell, bool) or cell is None:
        return None
    if isinstance(cell, str) and len(cell) == 4 and cell.isascii() and cell.isdigit():
        # The usual ``2019`` of a CSV cell, read without the pattern below.
        year = int(cell)
    elif isinstance(cell, int | float):
        if cell != int(cell):
            return None
        year = int(cell)
    else:
        match = re.fullmatch(
            r"(?:yr|tahun|thn|year|y)?[\s_]*(\d{4})(?:\.0+)?", str(cell).strip().lower()
        )
        if not match:
            return None
        year = int(match.group(1))
    return year if 1900 <= year <= 2100 else None
