"""Numbers and labels as Indonesian and English readers expect them."""

from __future__ import annotations

import math


def format_number(
    value: float | None, decimals: int | None = None, lang: str = "id"
) -> str:
    """``1234567.5`` as ``1.234.567,5`` (id) or ``1,234,567.5`` (en); None as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if decimals is None:
        decimals = 0 if abs(value) >= 1000 or float(value).is_integer() else 2
    text = f"{value:,.{decimals}f}"
    if lang == "id":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def exact_text(value: float | None, missing: str = "") -> str:
    """Format a value with every significant digit and no trailing ``.0``.

    For machine-read text and messages that quote a value exactly, where
    ``%g`` would keep only six digits.
    """
    return missing if value is None else f"{value:.15g}"


def format_percent(value: float | None, lang: str = "id") -> str:
    if value is None:
        return "–"
    return f"{format_number(value, 1, lang)} %"


def polarity_label(polarity: int, lang: str = "id") -> str:
    labels = {
        1: ("makin tinggi makin baik", "higher is better"),
        -1: ("makin rendah makin baik", "lower is better"),
        0: ("netral", "neutral"),
    }
    return labels[polarity][1 if lang == "en" else 0]
