"""Dashboard pages: an area's overview, an indicator's values, the catalogue."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from p3bm import charts
from p3bm.areas import codes
from p3bm.areas import registry as area_registry
from p3bm.catalogue import Catalogue
from p3bm.formatting import polarity_label
from p3bm.overview import area_geometries, build_overview, latest_year
from p3bm.permissions import readable_statuses
from p3bm.rendering import render
from p3bm.report import render_report
from p3bm.series import load_frame, preferred, series_of
from p3bm.web.auth import csrf_token, current_user
from p3bm.web.cache import data_version

router = APIRouter(include_in_schema=False)
Lang = Annotated[str | None, Query(pattern="^(id|en)$")]
Year = Annotated[int | None, Query(ge=1900, le=2100)]


def _lang(request: Request, lang: str | None) -> str:
    return lang or request.app.state.settings.lang


def _linker(lang: str):
    def link(path: str, **params: object) -> str:
        query = {key: value for key, value in params.items() if value is not None}
        query["lang"] = lang
        return f"{path}?{urlencode(query)}"

    return link


def _switch(request: Request, lang: str) -> str:
    params = dict(request.query_params)
    params["lang"] = "en" if lang == "id" else "id"
    return f"{request.url.path}?{urlencode(params)}"


def render_page(
    request: Request, template: str, lang: str, status: int = 200, **context
) -> HTMLResponse:
    """A dashboard page with the signed-in user, CSRF token and language links."""
    user = current_user(request)
    html = render(
        template,
        lang,
        link=_linker(lang),
        switch_lang=_switch(request, lang),
        user=user,
        csrf=csrf_token(request),
        **context,
    )
    return HTMLResponse(html, status_code=status)


_page = render_page


def _statuses(request: Request) -> tuple[str, ...] | None:
    """Statuses the visitor may see: published only for anonymous visitors."""
    return readable_statuses(current_user(request))


def _year_choices(connection, area, year: int, statuses) -> list[int]:
    frame = load_frame(connection, area_prefix=area.code, statuses=statuses)
    years = set(int(y) for y in frame["year"].unique()) | {year}
    return sorted(years, reverse=True)


@router.get("/")
def home(request: Request, lang: Lang = None) -> Response:
    with request.app.state.db.connect() as connection:
        region = area_registry.home_region(connection) or codes.COUNTRY_CODE
    return RedirectResponse(
        _linker(_lang(request, lang))(f"/wilayah/{region}"), status_code=302
    )


@router.get("/wilayah", response_class=HTMLResponse)
def search_areas(
    request: Request, q: Annotated[str, Query(max_length=100)] = "", lang: Lang = None
) -> HTMLResponse:
    language = _lang(request, lang)
    with request.app.state.db.connect() as connection:
        found = []
        if q.strip():
            needle = q.strip().casefold()
            found = [
                a
                for a in area_registry.list_areas(connection)
                if needle in a.name.casefold() or a.code.startswith(q.strip())
            ][:200]
    return _page(request, "web/areas.html", language, found=found, query=q)


@router.get("/wilayah/{code}", response_class=HTMLResponse)
def area_page(request: Request, code: str, tahun: Year = None, lang: Lang = None):
    language = _lang(request, lang)
    settings = request.app.state.settings
    with request.app.state.db.connect() as connection:
        area = area_registry.get_area(connection, code)
        statuses = _statuses(request)
        key = (area.code, tahun, language, statuses)

        def build() -> tuple:
            year = tahun or latest_year(connection, area, statuses) or _current_year()
            overview = build_overview(
                connection,
                area,
                year,
                lang=language,
                stale_after_years=settings.stale_after_years,
                verified_only=settings.verified_only,
                statuses=statuses,
            )
            choices = _year_choices(connection, area, year, statuses)
            return overview, choices

        overview, choices = request.app.state.overviews.get_or_build(
            key, data_version(connection), build
        )
        catalogue = Catalogue.load(connection)
    return _page(
        request,
        "web/area.html",
        language,
        overview=overview,
        catalogue=catalogue,
        year_choices=choices,
    )


def _current_year() -> int:
    from datetime import date

    return date.today().year


@router.get("/indikator", response_class=HTMLResponse)
def catalogue_page(request: Request, lang: Lang = None) -> HTMLResponse:
    language = _lang(request, lang)
    with request.app.state.db.connect() as connection:
        catalogue = Catalogue.load(connection)
        home_code = area_registry.home_region(connection) or codes.COUNTRY_CODE
    return _page(
        request, "web/indicators.html", language, catalogue=catalogue, home=home_code
    )


@router.get("/indikator/go")
def go_to_indicator(
    request: Request,
    kode: Annotated[str, Query(max_length=40)],
    wilayah: Annotated[str | None, Query(max_length=40)] = None,
    tahun: Year = None,
    lang: Lang = None,
) -> Response:
    link = _linker(_lang(request, lang))
    return RedirectResponse(
        link(f"/indikator/{kode.upper()}", wilayah=wilayah, tahun=tahun),
        status_code=302,
    )


@router.get("/indikator/{code}", response_class=HTMLResponse)
def indicator_page(
    request: Request,
    code: str,
    wilayah: Annotated[str | None, Query(max_length=40)] = None,
    tahun: Year = None,
    lang: Lang = None,
) -> HTMLResponse:
    language = _lang(request, lang)
    with request.app.state.db.connect() as connection:
        catalogue = Catalogue.load(connection)
        indicator = catalogue.get(code)
        region = wilayah or area_registry.home_region(connection) or codes.COUNTRY_CODE
        area = area_registry.get_area(connection, region)
        trail = area_registry.ancestors(connection, area)
        kids = area_registry.children(connection, area)
        related = [area.code] + [a.code for a in trail] + [k.code for k in kids]
        frame = load_frame(
            connection,
            indicators=[indicator.code],
            areas=related,
            statuses=_statuses(request),
        )
        best = preferred(frame)
        own_years = sorted(
            int(y) for y in best[best["area"] == area.code]["year"].unique()
        )
        year = tahun or (own_years[-1] if own_years else _current_year())
        geometries = area_geometries(connection, kids)
    names = {a.code: a.name for a in [area, *trail, *kids]}
    benchmarks = [a for a in trail if a.level <= codes.PROVINCE]
    series = [charts.Series(area.name, series_of(best, indicator.code, area.code))]
    series += [
        charts.Series(a.name, series_of(best, indicator.code, a.code), is_dashed=True)
        for a in reversed(benchmarks)
    ]
    trend_svg = charts.line_chart(
        series,
        title=indicator.label(language),
        unit=indicator.unit_label(language),
        lang=language,
    )
    at_year = best[best["year"] == year]
    values = dict(zip(at_year["area"], at_year["value"], strict=True))
    features = [
        charts.MapFeature(k.code, k.name, geometries[k.code], values.get(k.code))
        for k in kids
        if k.code in geometries
    ]
    map_svg = charts.choropleth(
        features,
        polarity=indicator.polarity,
        title=indicator.label(language),
        unit=indicator.unit_label(language),
        decimals=indicator.decimals,
        lang=language,
    )
    shown = frame[frame["area"].isin([area.code, *[k.code for k in kids]])]
    rows = shown.sort_values(["area", "year", "source"], ascending=[True, False, True])
    current = values.get(area.code)
    return _page(
        request,
        "web/indicator.html",
        language,
        indicator=indicator,
        area=area,
        year=year,
        year_choices=sorted(set(own_years) | {year}, reverse=True),
        trend_svg=trend_svg,
        map_svg=map_svg,
        rows=list(rows.itertuples(index=False)),
        names=names,
        current=current,
        polarity=polarity_label(indicator.polarity, language),
    )


@router.get("/laporan/{code}")
def report_download(
    request: Request, code: str, tahun: Year = None, lang: Lang = None
) -> Response:
    language = _lang(request, lang)
    with request.app.state.db.connect() as connection:
        area = area_registry.get_area(connection, code)
        statuses = _statuses(request)
        year = tahun or latest_year(connection, area, statuses) or _current_year()
        html = render_report(connection, area, year, lang=language, statuses=statuses)
    filename = f"p3bm-{area.code}-{year}.html"
    return HTMLResponse(
        html, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
