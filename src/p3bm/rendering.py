"""The Jinja environment shared by the offline report and the dashboard."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from p3bm import __version__
from p3bm.areas import codes
from p3bm.formatting import format_number, format_percent
from p3bm.i18n import disaggregation_label, key_label, label, status_label


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("p3bm", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["version"] = __version__
    # Defaults for pages rendered outside a signed-in request, such as errors.
    env.globals.update(user=None, csrf="", notice=None, notice_kind=None)
    return env


def compile_templates() -> None:
    """Compile every template into the environment's cache.

    The web application calls this at start, because parallel first requests
    for a page would otherwise each compile the same templates.
    """
    env = environment()
    for name in env.list_templates():
        env.get_template(name)


def level_label(level: int | str, lang: str) -> str:
    number = level if isinstance(level, int) else codes.parse_level(level)
    names = codes.LEVEL_LABELS_EN if lang == "en" else codes.LEVEL_LABELS_ID
    return names[number]


def render(template: str, lang: str, **context: object) -> str:
    """Render a template with the helpers every page uses."""
    catalogue = context.get("catalogue")

    def indicator_name(code: str) -> str:
        item = catalogue.by_code.get(code) if catalogue is not None else None
        return item.label(lang) if item else code

    return (
        environment()
        .get_template(template)
        .render(
            lang=lang,
            t=lambda key, **params: label(key, lang, **params),
            fmt=lambda value, decimals=None: format_number(value, decimals, lang),
            pct=lambda value: format_percent(value, lang),
            level_label=lambda level: level_label(level, lang),
            status_label=lambda status: status_label(status, lang),
            key_label=lambda prefix, key: key_label(prefix, key, lang),
            disaggregation_label=lambda text: disaggregation_label(text, lang),
            indicator_name=indicator_name,
            **context,
        )
    )
