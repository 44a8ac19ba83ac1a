"""DHIS2 ``dataValueSets`` JSON in and out, so a health office's DHIS2 can send data.

P3BM reads and writes the document with DHIS2's ``idScheme=CODE``
convention: ``dataElement`` holds the indicator code, ``orgUnit`` the
Kemendagri (or BPS) area code and ``period`` a year (``2023``), since P3BM's
values are yearly. ``categoryOptionCombo`` may name a sex (``MALE``,
``FEMALE``, ``LAKI-LAKI``, ``PEREMPUAN``) or be omitted for the total. The
import answers with a summary shaped like DHIS2's (status, importCount,
conflicts).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field
from sqlalchemy.engine import Connection

from p3bm.areas import registry as area_registry
from p3bm.entry import Entry, EntryResult
from p3bm.formatting import exact_text
from p3bm.observations import as_utc, query_values

MAX_VALUES = 5000
_YEAR = re.compile(r"^\d{4}$")
_SEX = {
    "male": "sex=male",
    "laki-laki": "sex=male",
    "laki_laki": "sex=male",
    "l": "sex=male",
    "female": "sex=female",
    "perempuan": "sex=female",
    "p": "sex=female",
    "default": "",
    "total": "",
    "": "",
}
_SEX_OUT = {"sex=male": "MALE", "sex=female": "FEMALE"}


class DataValue(BaseModel):
    dataElement: str = Field(max_length=40)  # noqa: N815
    # Period and org unit may be given once for the whole set instead.
    period: str | None = Field(default=None, max_length=10)
    orgUnit: str | None = Field(default=None, max_length=40)  # noqa: N815
    value: str | float | int | None = None
    categoryOptionCombo: str | None = Field(default=None, max_length=40)  # noqa: N815
    comment: str | None = Field(default=None, max_length=2000)
    storedBy: str | None = Field(default=None, max_length=100)  # noqa: N815
    lastUpdated: str | None = Field(default=None, max_length=40)  # noqa: N815


class DataValueSet(BaseModel):
    dataSet: str | None = Field(default=None, max_length=40)  # noqa: N815
    period: str | None = Field(default=None, max_length=10)
    orgUnit: str | None = Field(default=None, max_length=40)  # noqa: N815
    dataValues: list[DataValue] = Field(default_factory=list, max_length=MAX_VALUES)  # noqa: N815


def to_entries(document: DataValueSet) -> tuple[list[Entry], list[dict[str, str]]]:
    """Entries for the values P3BM can place, and conflicts for the others."""
    entries, conflicts = [], []
    for item in document.dataValues:
        period = item.period or document.period or ""
        if not _YEAR.match(period):
            conflicts.append(
                {"object": period, "value": "Only yearly periods (YYYY) are supported."}
            )
            continue
        combo = (item.categoryOptionCombo or "").strip().lower()
        if combo not in _SEX:
            conflicts.append(
                {
                    "object": item.categoryOptionCombo or "",
                    "value": "Unknown categoryOptionCombo.",
                }
            )
            continue
        entries.append(
            Entry(
                indicator=item.dataElement,
                area=item.orgUnit or document.orgUnit or "",
                year=int(period),
                value=item.value,
                disaggregation=_SEX[combo],
                comment=item.comment,
            )
        )
    return entries, conflicts


def import_summary(results: list[EntryResult], conflicts: list, dry_run: bool) -> dict:
    counts = {"imported": 0, "updated": 0, "ignored": len(conflicts), "deleted": 0}
    for result in results:
        if result.outcome == "added":
            counts["imported"] += 1
        elif result.outcome == "changed":
            counts["updated"] += 1
        else:
            counts["ignored"] += 1
            for error in result.errors:
                conflicts.append(
                    {
                        "object": f"{result.entry.indicator} "
                        f"{result.entry.area} {result.entry.year}",
                        "value": str(error["message"]),
                    }
                )
    status = "SUCCESS" if not conflicts else ("WARNING" if results else "ERROR")
    return {
        "responseType": "ImportSummary",
        "status": status,
        "dryRun": dry_run,
        "description": "Import process completed" if not dry_run else "Dry run",
        "importCount": counts,
        "conflicts": conflicts,
    }


def export(
    connection: Connection,
    year: int,
    org_unit: str,
    children: bool,
    data_elements: list[str] | None,
) -> DataValueSet:
    """Stored values of an area (and, with ``children``, its sub-areas) for a year."""
    area = area_registry.get_area(connection, org_unit)
    codes = [area.code]
    if children:
        codes += [
            a.code
            for a in area_registry.list_areas(connection, within=area)
            if a.code != area.code
        ]
    stored = query_values(
        connection,
        indicators=[c.upper() for c in data_elements] if data_elements else None,
        areas=codes,
        years=[year],
    )
    values = [
        DataValue(
            dataElement=s.indicator,
            period=str(s.year),
            orgUnit=s.area,
            value=exact_text(s.value),
            categoryOptionCombo=_SEX_OUT.get(s.disaggregation),
            storedBy=s.updated_by,
            lastUpdated=as_utc(s.updated_at).isoformat(),
        )
        for s in stored
        if not s.disaggregation or s.disaggregation in _SEX_OUT
    ]
    return DataValueSet(period=str(year), orgUnit=area.code, dataValues=values)
