"""Attaching polygons from a GeoJSON file to areas, by Kemendagri code."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from p3bm.areas.index import AreaIndex
from p3bm.errors import ImportRejected, InputFileError
from p3bm.imports.problems import ImportReport, Problem
from p3bm.storage.database import Database
from p3bm.storage.schema import area

_GEOMETRY_TYPES = ("Polygon", "MultiPolygon")
_CODE_PROPERTIES = ("kode", "code", "kode_wilayah", "kode_kemendagri", "kdepum", "id")


@dataclass
class BoundaryResult:
    """What a boundary import matched, stored and could not place."""

    report: ImportReport
    code_property: str = ""
    matched: int = 0
    unmatched: list[dict[str, object]] = field(default_factory=list)


def _load_features(path: Path) -> list[dict]:
    try:
        document = json.loads(path.read_text("utf-8-sig"))
    except FileNotFoundError:
        raise InputFileError(f"File {path} does not exist.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(
            f"{path.name} is not valid GeoJSON: {exc}.",
            hint="Export the layer as GeoJSON (RFC 7946) in WGS84.",
        ) from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise InputFileError(f"{path.name} is not a GeoJSON FeatureCollection.")
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise InputFileError(f"{path.name} has no features.")
    return features


def _detect_code_property(features: list[dict], index: AreaIndex) -> str:
    hits: Counter[str] = Counter()
    for feature in features[:200]:
        properties = feature.get("properties") or {}
        for key, value in properties.items():
            if value is not None and index.by_code(value) is not None:
                hits[key] += 1
    if not hits:
        raise InputFileError(
            "No feature property holds area codes known to the database.",
            hint="Name the property with --code-property, or load the region first.",
        )
    preferred = [key for key in _CODE_PROPERTIES if hits.get(key)]
    best = max(hits.values())
    for key in preferred:
        if hits[key] == best:
            return key
    return hits.most_common(1)[0][0]


def _is_valid_geometry(geometry: object) -> bool:
    if not isinstance(geometry, dict) or geometry.get("type") not in _GEOMETRY_TYPES:
        return False
    coordinates = geometry.get("coordinates")
    return isinstance(coordinates, list) and bool(coordinates)


def import_boundaries(
    db: Database, path: Path, code_property: str | None = None
) -> BoundaryResult:
    """Store each feature's geometry on the area its code names.

    Features that match no area are listed in the result, not stored. Raises
    ImportRejected, storing nothing, when a matching feature has no valid
    polygon.
    """
    features = _load_features(path)
    with db.connect() as connection:
        index = AreaIndex.load(connection)
    key = code_property or _detect_code_property(features, index)
    result = BoundaryResult(ImportReport(file=path.name), code_property=key)
    updates = []
    for number, feature in enumerate(features, start=1):
        properties = feature.get("properties") or {}
        value = properties.get(key)
        found = index.by_code(value) if value is not None else None
        if found is None:
            name = properties.get("nama") or properties.get("name") or ""
            result.unmatched.append({"feature": number, "code": value, "name": name})
            result.report.add(
                Problem(
                    "unmatched_feature",
                    path.name,
                    value=value,
                    params={"feature": number, "name": name},
                )
            )
            continue
        geometry = feature.get("geometry")
        if not _is_valid_geometry(geometry):
            result.report.add(Problem("invalid_geometry", path.name, value=number))
            continue
        updates.append(
            {"c": found.code, "g": json.dumps(geometry, separators=(",", ":"))}
        )
    if result.report.has_errors:
        raise ImportRejected(
            f"{path.name}: {len(result.report.errors)} feature(s) without a valid "
            "polygon; nothing was stored.",
            result.report,
        )
    with db.begin() as connection:
        if updates:
            connection.execute(
                area.update()
                .where(area.c.code == sa.bindparam("c"))
                .values(geometry=sa.bindparam("g")),
                updates,
            )
    result.matched = len(updates)
    result.report.outcome = "written"
    return result
