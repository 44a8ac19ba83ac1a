"""Kemendagri and BPS area codes and area levels.

Kemendagri codes are written with dots: province ``32``, kabupaten/kota
``32.75``, kecamatan ``32.75.01``, desa/kelurahan ``32.75.01.1001``. BPS writes
levels 1 and 2 with the same digits and no dots (``3275``), but numbers
kecamatan (``3275010``) and villages (``3275010001``) differently, so those need
the crosswalk table.
"""

from __future__ import annotations

import re

COUNTRY_CODE = "ID"

COUNTRY, PROVINCE, REGENCY, DISTRICT, VILLAGE = range(5)

LEVEL_NAMES = ("country", "province", "regency", "district", "village")
LEVEL_LABELS_ID = (
    "Nasional",
    "Provinsi",
    "Kabupaten/Kota",
    "Kecamatan",
    "Desa/Kelurahan",
)
LEVEL_LABELS_EN = ("Country", "Province", "Regency/City", "District", "Village")

# Words users type for a level, in Indonesian and English, mapped to its number.
LEVEL_SYNONYMS = {
    "0": COUNTRY,
    "country": COUNTRY,
    "nasional": COUNTRY,
    "negara": COUNTRY,
    "national": COUNTRY,
    "1": PROVINCE,
    "province": PROVINCE,
    "provinsi": PROVINCE,
    "prov": PROVINCE,
    "2": REGENCY,
    "regency": REGENCY,
    "city": REGENCY,
    "kabupaten": REGENCY,
    "kota": REGENCY,
    "kabkota": REGENCY,
    "kabupaten/kota": REGENCY,
    "k": REGENCY,
    "3": DISTRICT,
    "district": DISTRICT,
    "kecamatan": DISTRICT,
    "c": DISTRICT,
    "4": VILLAGE,
    "village": VILLAGE,
    "kelurahan": VILLAGE,
    "desa": VILLAGE,
    "desa/kelurahan": VILLAGE,
    "d": VILLAGE,
}

_DOTTED = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
_FLOAT_SUFFIX = re.compile(r"\.0+$")


def parse_level(text: str | int) -> int:
    """Return the level number for a level name, synonym or digit.

    Raises ValueError when the text names no level.
    """
    key = str(text).strip().lower()
    if key in LEVEL_SYNONYMS:
        return LEVEL_SYNONYMS[key]
    raise ValueError(
        f"unknown level {text!r}; use one of {', '.join(LEVEL_NAMES)} "
        "(or provinsi, kabupaten, kota, kecamatan, kelurahan, desa)"
    )


def level_of_code(code: str) -> int:
    """Level of a dotted Kemendagri code, or of the country code."""
    if code == COUNTRY_CODE:
        return COUNTRY
    return code.count(".") + 1


def parent_of_code(code: str) -> str | None:
    if code == COUNTRY_CODE:
        return None
    if "." not in code:
        return COUNTRY_CODE
    return code.rsplit(".", 1)[0]


def is_dotted_code(text: str) -> bool:
    return bool(_DOTTED.match(text))


def clean_code_text(text: object) -> str:
    """Strip spaces and a float suffix that spreadsheets add (``3216100005.0``)."""
    value = str(text).strip()
    if _FLOAT_SUFFIX.search(value) and value.replace(".", "", 1).isdigit():
        value = _FLOAT_SUFFIX.sub("", value)
    return value


def dotted_from_digits(digits: str) -> str | None:
    """Turn undotted Kemendagri digits into a dotted code.

    Two digits are a province, four a kabupaten/kota (the same in BPS and
    Kemendagri), six a Kemendagri kecamatan and ten a Kemendagri village.
    Returns None for other lengths, including seven-digit BPS kecamatan codes.
    """
    if not digits.isdigit():
        return None
    if len(digits) == 2:
        return digits
    if len(digits) == 4:
        return f"{digits[:2]}.{digits[2:]}"
    if len(digits) == 6:
        return f"{digits[:2]}.{digits[2:4]}.{digits[4:]}"
    if len(digits) == 10:
        return f"{digits[:2]}.{digits[2:4]}.{digits[4:6]}.{digits[6:]}"
    return None


def bps_code_of(code: str) -> str | None:
    """BPS code of a province or kabupaten/kota; None below level 2."""
    level = level_of_code(code)
    if level in (PROVINCE, REGENCY):
        return code.replace(".", "")
    return None


def village_kind(code: str) -> str:
    """``kelurahan`` when the village number starts with 1, else ``desa``."""
    return "kelurahan" if code.rsplit(".", 1)[1].startswith("1") else "desa"
