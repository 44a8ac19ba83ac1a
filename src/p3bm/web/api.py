"""The read-only JSON API under ``/api/v1``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from p3bm.areas import codes
from p3bm.areas import registry as area_registry
from p3bm.catalogue import Catalogue, skpd_names
from p3bm.completeness import compute_completeness
from p3bm.errors import ConfigurationError
from p3bm.observations import query_values
from p3bm.permissions import readable_statuses
from p3bm.web.auth import CurrentUser

router = APIRouter(prefix="/api/v1", tags=["data"])
MAX_PAGE = 10_000
# A year outside this range cannot be stored, and a huge one overflows the
# database's integer column.
YearValue = Annotated[int, Field(ge=1900, le=2100)]


class AreaOut(BaseModel):
    code: str
    name: str
    level: str
    parent: str | None
    kind: str
    bps_code: str | None = None
    has_boundary: bool = False


class AreaList(BaseModel):
    items: list[AreaOut]
    total: int


class AreaDetail(AreaOut):
    children: list[AreaOut] = Field(default_factory=list)


class IndicatorOut(BaseModel):
    code: str
    name: str
    name_en: str
    unit: str
    polarity: str
    aggregation: str
    sector: str
    data_type: str
    skpd: str
    lowest_level: str
    source: str = ""
    definition: str = ""
    definition_en: str = ""
    numerator: str | None = None
    denominator: str | None = None
    sdg: str | None = None
    frequency_years: int = 1


class ObservationOut(BaseModel):
    indicator: str
    area: str
    year: int
    value: float | None
    disaggregation: str = ""
    source: str = ""
    status: str
    is_derived: bool = False


class ObservationPage(BaseModel):
    items: list[ObservationOut]
    limit: int
    offset: int


class Health(BaseModel):
    status: str
    schema_revision: str | None


def _area_out(area) -> AreaOut:
    data = area.to_dict()
    return AreaOut(**{key: data[key] for key in AreaOut.model_fields})


@router.get("/health", response_model=Health)
def health(request: Request) -> Health:
    """Whether the service can read its database."""
    return Health(status="ok", schema_revision=request.app.state.db.schema_revision())


@router.get("/areas", response_model=AreaList)
def list_areas(
    request: Request,
    within: Annotated[str | None, Query(max_length=40, description="Area code")] = None,
    level: Annotated[str | None, Query(max_length=20, description="Level name")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Name contains")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AreaList:
    """Loaded areas, optionally below an area, at a level or matching a name."""
    level_number = None
    if level is not None:
        try:
            level_number = codes.parse_level(level)
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
    with request.app.state.db.connect() as connection:
        scope = area_registry.get_area(connection, within) if within else None
        found = area_registry.list_areas(connection, within=scope, level=level_number)
    if q:
        needle = q.casefold()
        found = [
            a for a in found if needle in a.name.casefold() or a.code.startswith(q)
        ]
    return AreaList(
        items=[_area_out(a) for a in found[offset : offset + limit]], total=len(found)
    )


@router.get("/areas/{code}", response_model=AreaDetail)
def get_area(request: Request, code: str) -> AreaDetail:
    """One area, by Kemendagri or BPS code, with its children."""
    with request.app.state.db.connect() as connection:
        area = area_registry.get_area(connection, code)
        kids = area_registry.children(connection, area)
    return AreaDetail(
        **_area_out(area).model_dump(), children=[_area_out(k) for k in kids]
    )


def _indicator_out(item) -> IndicatorOut:
    data = item.to_dict()
    return IndicatorOut(**{key: data[key] for key in IndicatorOut.model_fields})


@router.get("/indicators", response_model=list[IndicatorOut])
def list_indicators(
    request: Request,
    sector: Annotated[str | None, Query(max_length=40)] = None,
) -> list[IndicatorOut]:
    """The indicator catalogue."""
    with request.app.state.db.connect() as connection:
        catalogue = Catalogue.load(connection)
    return [
        _indicator_out(i) for i in catalogue if sector is None or i.sector == sector
    ]


@router.get("/indicators/{code}", response_model=IndicatorOut)
def get_indicator(request: Request, code: str) -> IndicatorOut:
    with request.app.state.db.connect() as connection:
        return _indicator_out(Catalogue.load(connection).get(code))


@router.get("/observations", response_model=ObservationPage)
def list_observations(
    request: Request,
    indicator: Annotated[list[str] | None, Query(max_length=200)] = None,
    area: Annotated[str | None, Query(max_length=40)] = None,
    within: Annotated[str | None, Query(max_length=40)] = None,
    year: Annotated[list[YearValue] | None, Query(max_length=200)] = None,
    source: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1000,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    user: CurrentUser = None,
) -> ObservationPage:
    """Stored values filtered by indicator, area (or subtree), year and source.

    Anonymous callers see published values only.
    """
    with request.app.state.db.connect() as connection:
        area_codes = None
        if area:
            area_codes = [area_registry.get_area(connection, area).code]
        elif within:
            scope = area_registry.get_area(connection, within)
            area_codes = [
                a.code for a in area_registry.list_areas(connection, within=scope)
            ]
        catalogue = Catalogue.load(connection)
        indicator_codes = (
            [catalogue.get(code).code for code in indicator] if indicator else None
        )
        stored = query_values(
            connection,
            indicators=indicator_codes,
            areas=area_codes,
            years=year,
            statuses=readable_statuses(user),
            limit=limit if source is None else None,
            offset=offset if source is None else 0,
        )
    if source is not None:
        stored = [s for s in stored if s.source == source][offset : offset + limit]
    items = [
        ObservationOut(
            indicator=s.indicator,
            area=s.area,
            year=s.year,
            value=s.value,
            disaggregation=s.disaggregation,
            source=s.source,
            status=s.status,
            is_derived=s.is_derived,
        )
        for s in stored
    ]
    return ObservationPage(items=items, limit=limit, offset=offset)


@router.get("/completeness")
def completeness(
    request: Request,
    area: Annotated[str, Query(max_length=40)],
    year: Annotated[int, Query(ge=1900, le=2100)],
    verified_only: bool = False,
    stale_after_years: Annotated[int | None, Query(ge=0, le=50)] = None,
    lang: Annotated[str, Query(pattern="^(id|en)$")] = "id",
    user: CurrentUser = None,
) -> dict:
    """Completeness of an area and year, as `p3bm completeness --format json`.

    Anonymous callers get the completeness of published values.
    """
    settings = request.app.state.settings
    with request.app.state.db.connect() as connection:
        found = area_registry.get_area(connection, area)
        result = compute_completeness(
            connection,
            Catalogue.load(connection),
            found,
            year,
            stale_after_years=settings.stale_after_years
            if stale_after_years is None
            else stale_after_years,
            verified_only=verified_only or settings.verified_only,
            statuses=readable_statuses(user),
            skpd_names=skpd_names(connection),
            lang=lang,
        )
    return result.to_dict()
