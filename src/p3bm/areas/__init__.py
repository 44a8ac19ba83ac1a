"""Areas of Indonesia: codes, names, the loaded hierarchy and boundaries."""

from p3bm.areas.codes import COUNTRY_CODE, LEVEL_NAMES, parse_level
from p3bm.areas.index import AreaIndex
from p3bm.areas.registry import (
    Area,
    ancestors,
    children,
    get_area,
    home_region,
    list_areas,
    load_region,
    region_code,
)

__all__ = [
    "COUNTRY_CODE",
    "LEVEL_NAMES",
    "Area",
    "AreaIndex",
    "ancestors",
    "children",
    "get_area",
    "home_region",
    "list_areas",
    "load_region",
    "parse_level",
    "region_code",
]
