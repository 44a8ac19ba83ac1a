"""In-memory lookup of areas by code and by name, used while importing files."""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from p3bm.areas import codes
from p3bm.areas.codes import COUNTRY_CODE, REGENCY
from p3bm.areas.names import name_key, name_variants
from p3bm.areas.registry import Area, list_areas
from p3bm.errors import AmbiguousAreaName, AreaNotFound
from p3bm.i18n import in_language
from p3bm.storage.schema import area_alias, crosswalk

# Which kind words a name may carry for an area of each kind.
_COMPATIBLE_KINDS = {
    "negara": {""},
    "provinsi": {"", "provinsi"},
    "kabupaten": {"", "kabupaten"},
    "kota": {"", "kota"},
    "kecamatan": {"", "kecamatan"},
    "kelurahan": {"", "kelurahan", "desa"},
    "desa": {"", "desa", "kelurahan"},
}


_ISLANDS = "kepulauan"


class AreaIndex:
    """Areas of a database, found by Kemendagri code, BPS code or name."""

    def __init__(
        self,
        areas: list[Area],
        aliases: list[tuple[str, str]],
        bps_crosswalk: dict[str, str],
    ) -> None:
        self.by_code_map = {area.code: area for area in areas}
        self.crosswalk = bps_crosswalk
        # Name keys take most of the time of indexing the whole country, and
        # files with codes alone never use them, so they are built on first use.
        self._aliases = aliases
        self._name_keys: tuple[dict[str, set[str]], dict[str, set[str]]] | None = None

    @property
    def _by_key(self) -> dict[str, set[str]]:
        """Codes of the areas found under each name key."""
        return self._built_name_keys()[0]

    @property
    def _keys_of(self) -> dict[str, set[str]]:
        """Name keys of each area code."""
        return self._built_name_keys()[1]

    def _built_name_keys(self) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        if self._name_keys is not None:
            return self._name_keys
        by_key: dict[str, set[str]] = defaultdict(set)
        keys_of: dict[str, set[str]] = defaultdict(set)

        def add_key(code: str, key: str) -> None:
            if key:
                by_key[key].add(code)
                keys_of[code].add(key)

        for area in self.by_code_map.values():
            for variant in name_variants(area.name):
                add_key(area.code, variant)
                # Files often drop "Kepulauan" from regency names (Mentawai, Aru).
                if area.level == REGENCY and variant.startswith(_ISLANDS):
                    add_key(area.code, variant[len(_ISLANDS) :])
            add_key(area.code, name_key(area.name).full)
        for code, alias in self._aliases:
            if code in self.by_code_map:
                add_key(code, name_key(alias).core)
                add_key(code, name_key(alias).full)
        self._name_keys = (by_key, keys_of)
        return self._name_keys

    @classmethod
    def load(cls, connection: Connection) -> AreaIndex:
        areas = list_areas(connection)
        aliases = [tuple(row) for row in connection.execute(sa.select(area_alias))]
        mapping = dict(
            connection.execute(
                sa.select(crosswalk.c.bps_code, crosswalk.c.kemendagri_code)
            ).all()
        )
        return cls(areas, aliases, mapping)  # type: ignore[arg-type]

    def __len__(self) -> int:
        return len(self.by_code_map)

    def by_code(self, text: object) -> Area | None:
        """The area for a Kemendagri code, a BPS code or a crosswalked BPS code."""
        value = codes.clean_code_text(text).upper()
        if value in ("ID", "0", "00"):
            return self.by_code_map.get(COUNTRY_CODE)
        if codes.is_dotted_code(value):
            return self.by_code_map.get(value)
        if not value.isdigit():
            return None
        if value in self.crosswalk:
            return self.by_code_map.get(self.crosswalk[value])
        dotted = codes.dotted_from_digits(value)
        return self.by_code_map.get(dotted) if dotted else None

    def looks_like_code(self, text: object) -> bool:
        value = codes.clean_code_text(text)
        return codes.is_dotted_code(value) or (value.isdigit() and len(value) >= 2)

    def name_agrees(self, area: Area, name: str) -> bool:
        """Whether ``name`` is a way of writing the area's name.

        ``Bekasi``, ``KOTA BEKASI`` and ``Kota Bekasi`` agree with 32.75;
        ``KABUPATEN BEKASI`` and ``KOTA BANJAR`` do not.
        """
        key = name_key(name)
        keys = self._keys_of.get(area.code, set())
        if key.full in keys:
            return True
        return key.core in keys and key.kind in _COMPATIBLE_KINDS[area.kind]

    def match_name(
        self,
        name: str,
        *,
        levels: Collection[int] | None = None,
        within: str | None = None,
        prefer_kabupaten: bool = False,
        suggest: bool = True,
    ) -> Area:
        """The one area with this name among ``levels`` below ``within``.

        Raises AreaNotFound, with close names as suggestions, or
        AmbiguousAreaName, with the candidates. With ``prefer_kabupaten``, a
        bare name shared by a kabupaten and a kota means the kabupaten, as in
        BPS tables that write ``Bekasi`` and ``Kota Bekasi``. ``suggest``
        looks for close names to put in the error, which takes a scan of all
        names.
        """
        key = name_key(name)
        found = self._codes_for(key.core, key.kind)
        found.update(self._by_key.get(key.full, ()))
        if not found:
            # Try the parts of "Pedurenan (Padurenan)" or "Pontianak / Mempawah".
            for variant in name_variants(name) - {key.core}:
                found.update(self._codes_for(variant, key.kind))
        candidates = [
            self.by_code_map[code]
            for code in sorted(found)
            if self._in_scope(self.by_code_map[code], levels, within)
        ]
        if not candidates:
            raise AreaNotFound(
                f"No area is named {name!r}{self._scope_text(levels, within)}.",
                hint=self._suggestion(key.core, levels, within) if suggest else None,
                indonesian=(
                    f"Tidak ada wilayah bernama {name!r}"
                    f"{self._scope_text(levels, within, 'id')}.",
                    self._suggestion(key.core, levels, within, "id")
                    if suggest
                    else None,
                ),
            )
        if prefer_kabupaten and not key.kind:
            # The file writes "Kota X" for the city, so a bare "X" is not the city.
            candidates = [area for area in candidates if area.kind != "kota"]
            if len(candidates) == 1:
                return candidates[0]
            if not candidates:
                raise AreaNotFound(
                    f"No kabupaten is named {name!r}"
                    f"{self._scope_text(levels, within)}.",
                    hint="The file writes the city as Kota; check the name of "
                    "the kabupaten.",
                    indonesian=(
                        f"Tidak ada kabupaten bernama {name!r}"
                        f"{self._scope_text(levels, within, 'id')}.",
                        "Berkas ini menulis kota dengan kata Kota; periksa nama "
                        "kabupatennya.",
                    ),
                )
        if len(candidates) == 1:
            return candidates[0]
        listed = [f"{area.name} ({area.code})" for area in candidates]
        raise AmbiguousAreaName(
            f"The name {name!r} fits {len(candidates)} areas: {', '.join(listed[:6])}.",
            listed,
            hint="Write the code instead, or add the kind (Kota, Kabupaten) or the "
            "parent area.",
            indonesian=(
                f"Nama {name!r} cocok dengan {len(candidates)} wilayah: "
                f"{', '.join(listed[:6])}.",
                "Tulis kodenya, atau tambahkan jenisnya (Kota, Kabupaten) atau "
                "wilayah induknya.",
            ),
        )

    def _codes_for(self, core: str, kind: str) -> set[str]:
        return {
            code
            for code in self._by_key.get(core, ())
            if kind in _COMPATIBLE_KINDS[self.by_code_map[code].kind]
        }

    def _in_scope(
        self, area: Area, levels: Collection[int] | None, within: str | None
    ) -> bool:
        if levels is not None and area.level not in levels:
            return False
        return within is None or (area.is_within(within) and area.code != within)

    def _scope_text(
        self, levels: Collection[int] | None, within: str | None, lang: str = "en"
    ) -> str:
        parts = []
        if levels is not None and len(levels) == 1:
            level = next(iter(levels))
            parts.append(
                in_language(
                    lang,
                    f" di tingkat {codes.LEVEL_LABELS_ID[level].lower()}",
                    f" at level {codes.LEVEL_NAMES[level]}",
                )
            )
        if within is not None and within in self.by_code_map:
            where = f"{self.by_code_map[within].name} ({within})"
            parts.append(in_language(lang, f" di {where}", f" in {where}"))
        return "".join(parts)

    def _suggestion(
        self,
        core: str,
        levels: Collection[int] | None,
        within: str | None,
        lang: str = "en",
    ) -> str:
        names = ", ".join(self.suggest_names(core, levels, within))
        if names:
            return in_language(
                lang,
                f"Mungkin maksudnya {names}? Jika bukan, tulis kode wilayahnya.",
                f"Did you mean {names}? Otherwise write the area code.",
            )
        return in_language(
            lang,
            "Periksa ejaannya atau tulis kode wilayahnya.",
            "Check the spelling or write the area code.",
        )

    def suggest_names(
        self, name: str, levels: Collection[int] | None, within: str | None
    ) -> list[str]:
        """Up to three official names close to ``name`` within the scope."""
        core = name_key(name).core
        scope_keys = {
            key
            for code, area in self.by_code_map.items()
            if self._in_scope(area, levels, within)
            for key in self._keys_of.get(code, ())
        }
        close = difflib.get_close_matches(core, list(scope_keys), n=3, cutoff=0.8)
        found = {c for key in close for c in self._by_key[key]}
        return sorted(
            {
                self.by_code_map[c].name
                for c in found
                if self._in_scope(self.by_code_map[c], levels, within)
            }
        )
