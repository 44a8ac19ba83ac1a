"""Normalised keys for matching area names written in different ways.

A key ignores case, accents, spaces and punctuation and expands common
abbreviations, so ``KEP, RIAU`` and ``Kepulauan Riau``, or ``Bantar Gebang``
and ``Bantargebang``, give the same key. Leading words that name a kind of
area (``Kota``, ``Kabupaten``, ``Kecamatan``...) are split off, because a file
may or may not write them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

ABBREVIATIONS = {
    "kab": ["kabupaten"],
    "kep": ["kepulauan"],
    "kec": ["kecamatan"],
    "kel": ["kelurahan"],
    "ds": ["desa"],
    "prov": ["provinsi"],
    "propinsi": ["provinsi"],
    "adm": ["administrasi"],
    "dki": ["daerah", "khusus", "ibukota"],
    "di": ["daerah", "istimewa"],
}

# Words at the start of a name that say what kind of area it is.
KIND_WORDS = {
    "kabupaten": "kabupaten",
    "kota": "kota",
    "kecamatan": "kecamatan",
    "kelurahan": "kelurahan",
    "desa": "desa",
    "provinsi": "provinsi",
}
# Words that may follow a kind word without being part of the name.
QUALIFIER_WORDS = {"administrasi"}

_PARENTHESIS = re.compile(r"\(([^)]*)\)")
_APOSTROPHES = re.compile(r"['\"`’‘]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True)
class NameKey:
    """A name split into its kind word (may be empty) and the key of the rest."""

    kind: str
    core: str

    @property
    def full(self) -> str:
        return self.kind + self.core


def _tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = _APOSTROPHES.sub("", text.casefold())
    raw = [token for token in _NON_ALNUM.split(text) if token]
    merged: list[str] = []
    for token in raw:
        # "D I YOGYAKARTA" writes the abbreviation DI letter by letter.
        if len(token) == 1 and token.isalpha() and merged and merged[-1] == "d":
            merged[-1] += token
        else:
            merged.append(token)
    expanded: list[str] = []
    for token in merged:
        expanded.extend(ABBREVIATIONS.get(token, [token]))
    return expanded


_TRAILING_KINDS = {
    "kota": "kota",
    "kabupaten": "kabupaten",
    "city": "kota",
    "regency": "kabupaten",
}


def name_key(text: str) -> NameKey:
    """Split a name into kind word and core key: ``Kota Bekasi`` gives kota, bekasi.

    BPS lists also write the kind after a comma (``Ambon, Kota``, ``Bekasi, Kab.``).
    """
    tokens = _tokens(text)
    if "," in text and len(tokens) > 1 and tokens[-1] in _TRAILING_KINDS:
        kind = _TRAILING_KINDS[tokens[-1]]
        rest = tokens[:-1]
        if rest and rest[0] == kind:
            rest = rest[1:]
        return NameKey(kind, "".join(rest))
    kind = ""
    if len(tokens) > 1 and tokens[0] in KIND_WORDS:
        kind = KIND_WORDS[tokens[0]]
        tokens = tokens[1:]
        while len(tokens) > 1 and tokens[0] in QUALIFIER_WORDS:
            tokens = tokens[1:]
    return NameKey(kind, "".join(tokens))


def name_variants(name: str) -> set[str]:
    """Core keys under which a name can be found.

    ``Pedurenan (Padurenan)`` is found as pedurenan, padurenan and both together,
    and ``Pontianak / Mempawah`` as either name.
    """
    variants = {name_key(name).core}
    inner = _PARENTHESIS.findall(name)
    if inner:
        outer = _PARENTHESIS.sub(" ", name)
        variants.add(name_key(outer).core)
        variants.update(name_key(part).core for part in inner)
    if "/" in name:
        # "Pontianak / Mempawah" gives the old and the new name.
        variants.update(name_key(part).core for part in name.split("/") if part.strip())
    variants.discard("")
    return variants
