"""Units of measure written in files, and conversion to an indicator's unit."""

from __future__ import annotations

import re

# Normalised unit text: (dimension, size in the dimension's base unit).
UNITS: dict[str, tuple[str, float]] = {
    "jiwa": ("persons", 1),
    "orang": ("persons", 1),
    "penduduk": ("persons", 1),
    "person": ("persons", 1),
    "persons": ("persons", 1),
    "people": ("persons", 1),
    "ribu jiwa": ("persons", 1e3),
    "ribu orang": ("persons", 1e3),
    "ribu penduduk": ("persons", 1e3),
    "thousand persons": ("persons", 1e3),
    "thousand people": ("persons", 1e3),
    "juta jiwa": ("persons", 1e6),
    "rupiah": ("rupiah", 1),
    "rp": ("rupiah", 1),
    "idr": ("rupiah", 1),
    "ribu rupiah": ("rupiah", 1e3),
    "ribu rp": ("rupiah", 1e3),
    "thousand rupiah": ("rupiah", 1e3),
    "thousand idr": ("rupiah", 1e3),
    "juta rupiah": ("rupiah", 1e6),
    "juta rp": ("rupiah", 1e6),
    "million rupiah": ("rupiah", 1e6),
    "million idr": ("rupiah", 1e6),
    "miliar rupiah": ("rupiah", 1e9),
    "milyar rupiah": ("rupiah", 1e9),
    "miliar rp": ("rupiah", 1e9),
    "billion rupiah": ("rupiah", 1e9),
    "billion idr": ("rupiah", 1e9),
    "triliun rupiah": ("rupiah", 1e12),
    "persen": ("percent", 1),
    "%": ("percent", 1),
    "percent": ("percent", 1),
    "tahun": ("years", 1),
    "years": ("years", 1),
    "year": ("years", 1),
    "km2": ("area", 1),
    "km 2": ("area", 1),
    "kilometer persegi": ("area", 1),
    "ha": ("area", 0.01),
    "hektar": ("area", 0.01),
    "hectares": ("area", 0.01),
    "rumah tangga": ("households", 1),
    "households": ("households", 1),
    "ruta": ("households", 1),
    "keluarga": ("families", 1),
    "kk": ("families", 1),
    "families": ("families", 1),
    "unit": ("units", 1),
    "buah": ("units", 1),
    "kasus": ("cases", 1),
    "cases": ("cases", 1),
    "indeks": ("index", 1),
    "index": ("index", 1),
}


def normalize_unit(text: str) -> str:
    """Lower-case unit text without its per part: ``Rupiah/kapita/bulan`` is rupiah."""
    value = text.strip().casefold()
    value = re.split(r"/| per ", value, maxsplit=1)[0]
    return " ".join(value.replace("(", " ").replace(")", " ").split())


def conversion_factor(file_unit: str, indicator_unit: str) -> float | None:
    """Factor that turns a value in ``file_unit`` into ``indicator_unit``.

    Returns 1.0 when the units are the same, None when they are unknown or of
    different dimensions (see ``is_compatible``).
    """
    given, wanted = normalize_unit(file_unit), normalize_unit(indicator_unit)
    if given == wanted:
        return 1.0
    if given not in UNITS or wanted not in UNITS:
        return None
    given_dimension, given_size = UNITS[given]
    wanted_dimension, wanted_size = UNITS[wanted]
    if given_dimension != wanted_dimension:
        return None
    return given_size / wanted_size


def is_known(unit: str) -> bool:
    return normalize_unit(unit) in UNITS


def is_compatible(file_unit: str, indicator_unit: str) -> bool:
    """False only when both units are known and measure different things."""
    given, wanted = normalize_unit(file_unit), normalize_unit(indicator_unit)
    if given == wanted or given not in UNITS or wanted not in UNITS:
        return True
    return UNITS[given][0] == UNITS[wanted][0]
