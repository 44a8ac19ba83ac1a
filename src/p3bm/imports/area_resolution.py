"""Finding the area of a row from its code and name cells.

Codes decide the area; names beside them must agree with a coded area or
name one of its ancestors. Without codes, names are matched from the highest
level down, each within the area found above it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from p3bm.areas import codes
from p3bm.areas.index import AreaIndex
from p3bm.areas.names import name_key
from p3bm.areas.registry import Area
from p3bm.errors import AmbiguousAreaName, AreaNotFound
from p3bm.imports.layout import Column
from p3bm.imports.problems import ERROR, MESSAGES, Localized

# Suggesting close names scans every area name, so only the first few unknown
# names of an import get suggestions.
MAX_SUGGESTIONS = 10
# Distinct combinations of area cells whose answers a resolver keeps.
CACHE_SIZE = 200_000


@dataclass(frozen=True)
class Finding:
    """A problem met while resolving, before it is tied to a row."""

    code: str
    column_index: int
    value: object
    params: dict[str, object] = field(default_factory=dict, hash=False, compare=False)

    @property
    def is_error(self) -> bool:
        return MESSAGES[self.code][0] == ERROR


def repair_float_code(text: str) -> str | None:
    """Undo a spreadsheet's loss of trailing zeros in a dotted code.

    ``11.1`` was ``11.10`` and ``32.75.01.1`` was ``32.75.01.1000`` before a
    spreadsheet read them as numbers. Returns None when nothing was lost.
    """
    parts = text.split(".")
    if len(parts) < 2 or not all(part.isdigit() for part in parts):
        return None
    width = 4 if len(parts) == 4 else 2
    last = parts[-1]
    if len(last) >= width:
        return None
    return ".".join([*parts[:-1], last.ljust(width, "0")])


class AreaResolver:
    """Resolves rows' area cells, caching the answer for repeated cells."""

    def __init__(
        self, index: AreaIndex, columns: list[Column], kota_cores: dict[int, set[str]]
    ) -> None:
        self.index = index
        self.columns = columns
        self.kota_cores = kota_cores
        self.suggestions_left = MAX_SUGGESTIONS
        self.resolve = lru_cache(maxsize=CACHE_SIZE)(self._resolve)

    def _resolve(
        self, code_cells, name_cells
    ) -> tuple[Area | None, tuple[Finding, ...]]:
        findings: list[Finding] = []
        coded = self._coded_areas(code_cells, name_cells, findings)
        if any(finding.is_error for finding in findings):
            return None, tuple(findings)
        matched: Area | None = None
        for column_index, cell in self._names_top_down(name_cells):
            matched = self._check_name(
                column_index, str(cell).strip(), coded, matched, findings
            )
            if matched is None and any(finding.is_error for finding in findings):
                return None, tuple(findings)
        if any(finding.is_error for finding in findings):
            return None, tuple(findings)
        candidates = [area for _, area in coded] + ([matched] if matched else [])
        return max(candidates, key=lambda area: area.level), tuple(findings)

    def _names_top_down(self, name_cells):
        filled = [
            (i, cell)
            for i, cell in name_cells
            if cell is not None and str(cell).strip()
        ]
        return sorted(filled, key=lambda item: min(self.columns[item[0]].levels or {9}))

    def _coded_areas(self, code_cells, name_cells, findings) -> list[tuple[int, Area]]:
        coded: list[tuple[int, Area]] = []
        for column_index, cell in code_cells:
            if cell is None or str(cell).strip() == "":
                continue
            area = self.index.by_code(cell)
            if area is None:
                area = self._repaired(column_index, cell, name_cells, findings)
            if area is None:
                findings.append(Finding("unknown_area_code", column_index, cell))
            else:
                coded.append((column_index, area))
        coded.sort(key=lambda item: item[1].level)
        for (outer_index, outer), (_, inner) in zip(coded, coded[1:], strict=False):
            if not inner.is_within(outer.code):
                findings.append(self._outside(inner, outer, outer_index))
        return coded

    def _repaired(self, column_index, cell, name_cells, findings) -> Area | None:
        repaired = repair_float_code(codes.clean_code_text(cell))
        area = self.index.by_code_map.get(repaired) if repaired else None
        if area is None:
            return None
        names = [str(c) for _, c in name_cells if c is not None and str(c).strip()]
        if not any(self.index.name_agrees(area, name) for name in names):
            return None
        findings.append(
            Finding("code_repaired", column_index, cell, {"repaired": repaired})
        )
        return area

    def _check_name(self, column_index, text, coded, parent, findings) -> Area | None:
        for _, area in coded:
            if self.index.name_agrees(area, text):
                return area
        column = self.columns[column_index]
        same_level = [
            area for _, area in coded if area.level in (column.levels or set())
        ]
        if same_level:
            area = same_level[-1]
            findings.append(
                Finding(
                    "code_name_mismatch",
                    column_index,
                    text,
                    {"area_code": area.bps_code or area.code, "official": area.name},
                )
            )
            return area
        if coded:
            deepest = coded[-1][1]
            try:
                found = self.index.match_name(
                    text, levels=column.levels, within=None, suggest=False
                )
            except (AreaNotFound, AmbiguousAreaName):
                found = None
            if found is None or not deepest.is_within(found.code):
                findings.append(
                    Finding(
                        "code_name_mismatch",
                        column_index,
                        text,
                        {
                            "area_code": deepest.bps_code or deepest.code,
                            "official": deepest.name,
                        },
                    )
                )
                return deepest
            return found
        return self._match_name(column, text, parent, findings)

    def _outside(self, inner: Area, outer: Area, column_index: int) -> Finding:
        return Finding(
            "area_outside_parent",
            column_index,
            inner.code,
            {
                "area": f"{inner.name} ({inner.code})",
                "parent": f"{outer.name} ({outer.code})",
                "parent_column": self.columns[column_index].header,
            },
        )

    def _match_name(self, column: Column, text: str, parent: Area | None, findings):
        key = name_key(text)
        prefer = not key.kind and key.core in self.kota_cores.get(column.index, set())
        try:
            area = self.index.match_name(
                text,
                levels=column.levels,
                within=parent.code if parent else None,
                prefer_kabupaten=prefer,
                suggest=False,
            )
        except AreaNotFound:
            moved = self._match_moved(text, column.levels, parent, prefer)
            if moved is None:
                findings.append(
                    Finding(
                        "unknown_area_name",
                        column.index,
                        text,
                        {
                            "scope": self._scope(parent),
                            "hint": self._suggest(text, column.levels, parent),
                        },
                    )
                )
                return None
            findings.append(
                Finding(
                    "parent_changed",
                    column.index,
                    text,
                    {
                        "area": f"{moved.name} ({moved.code})",
                        "parent": f"{parent.name} ({parent.code})" if parent else "",
                    },
                )
            )
            return moved
        except AmbiguousAreaName as exc:
            findings.append(
                Finding(
                    "ambiguous_area_name",
                    column.index,
                    text,
                    {"candidates": ", ".join(exc.candidates[:6])},
                )
            )
            return None
        if prefer and area.kind == "kabupaten":
            findings.append(
                Finding("bare_name_is_kabupaten", column.index, key.core.title())
            )
        return area

    def _match_moved(self, text, levels, parent: Area | None, prefer: bool):
        """An area of that name elsewhere, when the file's province has since split.

        BPS tables from before 2022 list Merauke under Papua, which is now in
        Papua Selatan. Such a match is accepted only when it is unique.
        """
        if parent is None or parent.level != codes.PROVINCE:
            return None
        try:
            return self.index.match_name(
                text, levels=levels, prefer_kabupaten=prefer, suggest=False
            )
        except (AreaNotFound, AmbiguousAreaName):
            return None

    def _scope(self, parent: Area | None) -> Localized | str:
        if parent is None:
            return ""
        where = f"{parent.name} ({parent.code})"
        return Localized(f" di {where}", f" in {where}")

    def _suggest(self, text: str, levels, parent: Area | None) -> Localized | str:
        if self.suggestions_left <= 0:
            return ""
        self.suggestions_left -= 1
        names = self.index.suggest_names(text, levels, parent.code if parent else None)
        if not names:
            return Localized(
                "Periksa ejaannya atau tulis kodenya.",
                "Check the spelling or write the code.",
            )
        listed = ", ".join(names)
        return Localized(f"Mungkin maksudnya {listed}?", f"Did you mean {listed}?")
