"""Loading rules and checking candidate values against them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Connection

from p3bm.catalogue import Catalogue
from p3bm.errors import ConfigurationError
from p3bm.formatting import format_number
from p3bm.imports import units
from p3bm.quality import MIN_SIBLINGS, MODIFIED_Z_LIMIT, robust_z
from p3bm.rules.expressions import (
    Context,
    Expression,
    ExpressionError,
    parse_expression,
)
from p3bm.storage.schema import observation

SEVERITIES = ("error", "warning")
YEAR_ON_YEAR_BAND = 0.5
SUM_TOLERANCE = 0.005


@dataclass(frozen=True)
class Rule:
    """One check written in the expression language."""

    id: str
    indicators: tuple[str, ...]
    check: Expression
    severity: str
    message_id: str
    message_en: str


@dataclass(frozen=True)
class Candidate:
    """A value about to be written, checked before it is."""

    indicator: str
    area: str
    year: int
    value: float | None


@dataclass
class RuleResult:
    """A rule that a candidate value breaks."""

    rule_id: str
    severity: str
    indicator: str
    area: str
    year: int
    value: float | None
    message_id: str
    message_en: str

    def message(self, lang: str = "id") -> str:
        return self.message_en if lang == "en" else self.message_id

    def to_dict(self, lang: str = "id") -> dict[str, object]:
        return {
            "rule": self.rule_id,
            "severity": self.severity,
            "indicator": self.indicator,
            "area": self.area,
            "year": self.year,
            "value": self.value,
            "message": self.message(lang),
        }


@dataclass
class RuleSet:
    """The rules in force, written ones and those built from the catalogue."""

    catalogue: Catalogue
    rules: list[Rule] = field(default_factory=list)

    def for_indicator(self, code: str) -> list[Rule]:
        return [rule for rule in self.rules if code in rule.indicators]

    def check(
        self, connection: Connection, candidates: list[Candidate]
    ) -> list[RuleResult]:
        """Every rule broken by the candidates, read together with stored values."""
        store = ValueStore.load(connection, self, candidates)
        results: list[RuleResult] = []
        evaluated: set[tuple[str, str, int]] = set()
        for candidate in candidates:
            if candidate.value is None:
                continue
            results += _written_rules(self, store, candidate, evaluated)
            results += _range(self.catalogue, candidate)
            results += _numerator(self.catalogue, store, candidate)
            results += _year_on_year(store, candidate)
        results += _siblings(store, candidates)
        results += _sums(self.catalogue, store, candidates)
        return results


def _message(template: str, candidate: Candidate, lang: str, **extra: object) -> str:
    shown = {
        key: format_number(value, None, lang) if isinstance(value, float) else value
        for key, value in extra.items()
    }
    values = {
        "value": format_number(candidate.value, None, lang),
        "indicator": candidate.indicator,
        "area": candidate.area,
        "year": candidate.year,
        **shown,
    }
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def _result(
    rule_id, severity, candidate, message_id, message_en, **extra
) -> RuleResult:
    return RuleResult(
        rule_id,
        severity,
        candidate.indicator,
        candidate.area,
        candidate.year,
        candidate.value,
        _message(message_id, candidate, "id", **extra),
        _message(message_en, candidate, "en", **extra),
    )


def _written_rules(rules: RuleSet, store: ValueStore, candidate: Candidate, evaluated):
    """Results of the written rules; a rule on P0 and P1 runs once per area and year."""
    found = []
    for rule in rules.for_indicator(candidate.indicator):
        key = (rule.id, candidate.area, candidate.year)
        if key in evaluated:
            continue
        evaluated.add(key)
        context = store.context(candidate)
        if rule.check.evaluate(context) is False:
            found.append(
                _result(
                    rule.id, rule.severity, candidate, rule.message_id, rule.message_en
                )
            )
    return found


def _range(catalogue: Catalogue, candidate: Candidate) -> list[RuleResult]:
    item = catalogue.by_code.get(candidate.indicator)
    if item is None or candidate.value is None:
        return []
    low, high = item.minimum, item.maximum
    if (low is None or candidate.value >= low) and (
        high is None or candidate.value <= high
    ):
        return []
    bounds = f"{format_number(low)}–{format_number(high)}"
    return [
        _result(
            "range",
            "error",
            candidate,
            "{value} di luar rentang {bounds} untuk {indicator}.",
            "{value} is outside the range {bounds} for {indicator}.",
            bounds=bounds,
        )
    ]


def _numerator(catalogue: Catalogue, store: ValueStore, candidate: Candidate):
    found = []
    for item in catalogue:
        if item.aggregation != "ratio" or not (item.numerator and item.denominator):
            continue
        if candidate.indicator not in (item.numerator, item.denominator):
            continue
        numerator = catalogue.by_code[item.numerator]
        denominator = catalogue.by_code[item.denominator]
        factor = units.conversion_factor(numerator.unit, denominator.unit)
        if factor is None:
            continue
        top = store.get(item.numerator, candidate.area, candidate.year)
        bottom = store.get(item.denominator, candidate.area, candidate.year)
        if top is not None and bottom is not None and top * factor > bottom:
            found.append(
                _result(
                    "numerator",
                    "error",
                    candidate,
                    "{numerator} ({top}) melebihi {denominator} ({bottom}).",
                    "{numerator} ({top}) exceeds {denominator} ({bottom}).",
                    numerator=item.numerator,
                    denominator=item.denominator,
                    top=float(top),
                    bottom=float(bottom),
                )
            )
    return found


def _year_on_year(store: ValueStore, candidate: Candidate) -> list[RuleResult]:
    previous = store.get(candidate.indicator, candidate.area, candidate.year - 1)
    if previous in (None, 0) or candidate.value is None:
        return []
    change = candidate.value / previous - 1
    if abs(change) <= YEAR_ON_YEAR_BAND:
        return []
    return [
        _result(
            "year_on_year",
            "warning",
            candidate,
            "{value} berubah {change} % dari tahun lalu ({previous}).",
            "{value} changed by {change} % from last year ({previous}).",
            change=f"{100 * change:+.0f}",
            previous=float(previous),
        )
    ]


def _siblings(store: ValueStore, candidates: list[Candidate]) -> list[RuleResult]:
    found = []
    for candidate in candidates:
        if candidate.value is None or "." not in candidate.area:
            continue
        parent = candidate.area.rsplit(".", 1)[0]
        values = store.siblings(candidate.indicator, parent, candidate.year)
        if len(values) < MIN_SIBLINGS or candidate.area not in values:
            continue
        scores = robust_z(pd.Series(values))
        if scores[candidate.area] > MODIFIED_Z_LIMIT:
            median = float(pd.Series(values).median())
            found.append(
                _result(
                    "sibling_outlier",
                    "warning",
                    candidate,
                    "{value} jauh dari median wilayah sejenis ({median}).",
                    "{value} is far from the median of sibling areas ({median}).",
                    median=median,
                )
            )
    return found


def _sums(catalogue: Catalogue, store: ValueStore, candidates: list[Candidate]):
    found = []
    parents = {
        (c.indicator, c.area.rsplit(".", 1)[0], c.year)
        for c in candidates
        if "." in c.area
        and catalogue.by_code.get(c.indicator)
        and catalogue.by_code[c.indicator].aggregation == "sum"
    }
    for indicator, parent, year in sorted(parents):
        own = store.get(indicator, parent, year)
        total = store.children_sum(indicator, parent, year)
        if own is None or total is None or total <= own * (1 + SUM_TOLERANCE):
            continue
        target = Candidate(indicator, parent, year, own)
        found.append(
            _result(
                "sum_of_subareas",
                "warning",
                target,
                "Jumlah sub-wilayah ({total}) melebihi nilai {area} ({value}).",
                "The sub-areas add up to {total}, above {area}'s {value}.",
                total=float(total),
            )
        )
    return found


class ValueStore:
    """Stored total values around the candidates, with the candidates laid over them."""

    def __init__(self, values: dict[tuple[str, str, int], float | None]) -> None:
        self.values = values

    @classmethod
    def load(cls, connection: Connection, rules: RuleSet, candidates: list[Candidate]):
        codes = {c.indicator for c in candidates}
        for rule in rules.rules:
            if codes & set(rule.indicators):
                codes |= set(rule.check.names)
        for item in rules.catalogue:
            if item.numerator and {item.numerator, item.denominator} & codes:
                codes |= {item.numerator, item.denominator or ""}
        parents = {c.area.rsplit(".", 1)[0] for c in candidates if "." in c.area}
        areas = {c.area for c in candidates} | parents
        years = {c.year for c in candidates} | {c.year - 1 for c in candidates}
        values = _stored(connection, codes, areas, parents, years)
        for candidate in candidates:
            values[(candidate.indicator, candidate.area, candidate.year)] = (
                candidate.value
            )
        return cls(values)

    def get(self, indicator: str, area: str, year: int) -> float | None:
        return self.values.get((indicator, area, year))

    def siblings(self, indicator: str, parent: str, year: int) -> dict[str, float]:
        prefix = parent + "."
        return {
            area: value
            for (code, area, y), value in self.values.items()
            if code == indicator
            and y == year
            and value is not None
            and area.startswith(prefix)
            and "." not in area[len(prefix) :]
        }

    def children_sum(self, indicator: str, parent: str, year: int) -> float | None:
        values = self.siblings(indicator, parent, year)
        return sum(values.values()) if values else None

    def context(self, candidate: Candidate) -> Context:
        return Context(
            value=candidate.value,
            lookup=lambda code: self.get(code, candidate.area, candidate.year),
            previous=lambda code: self.get(code, candidate.area, candidate.year - 1),
            children_sum=lambda code: self.children_sum(
                code, candidate.area, candidate.year
            ),
            indicator=candidate.indicator,
        )


def _stored(connection, codes, areas, parents, years) -> dict:
    c = observation.c
    in_scope = sa.or_(
        c.area_code.in_(sorted(areas)),
        *(c.area_code.startswith(parent + ".", autoescape=True) for parent in parents),
    )
    query = (
        sa.select(c.indicator_code, c.area_code, c.year, c.value, c.source)
        .where(
            c.indicator_code.in_(sorted(codes)),
            c.year.in_(sorted(years)),
            c.disaggregation == "",
            c.value.is_not(None),
            in_scope,
        )
        .order_by(c.source.desc())
    )
    values: dict[tuple[str, str, int], float | None] = {}
    for indicator, area, year, value, _source in connection.execute(query):
        # Ordered so that the unnamed default source, sorting first, wins.
        values[(indicator, area, year)] = value
    return values


def _parse_rule(entry: object, known: set[str], where: str) -> Rule:
    if not isinstance(entry, dict):
        raise ConfigurationError(
            f"{where}: a rule must be a mapping with id, indicators, check and message."
        )
    try:
        rule_id = str(entry["id"])
        severity = str(entry.get("severity", "error"))
        listed = entry["indicators"]
        message = entry["message"]
        check = parse_expression(str(entry["check"]), known)
    except KeyError as exc:
        raise ConfigurationError(f"{where}: the rule lacks {exc.args[0]!r}.") from None
    except ExpressionError as exc:
        raise ConfigurationError(f"{where}, rule {entry.get('id')}: {exc}.") from None
    if not isinstance(listed, list):
        raise ConfigurationError(
            f"{where}, rule {rule_id}: indicators must be a list of indicator codes."
        )
    if not isinstance(message, dict):
        raise ConfigurationError(
            f"{where}, rule {rule_id}: message must be a mapping of id and en texts."
        )
    indicators = tuple(str(code).upper() for code in listed)
    if severity not in SEVERITIES:
        raise ConfigurationError(
            f"{where}, rule {rule_id}: severity must be error or warning."
        )
    unknown = [code for code in indicators if code not in known]
    if unknown:
        raise ConfigurationError(
            f"{where}, rule {rule_id}: unknown indicator {unknown[0]}."
        )
    return Rule(
        rule_id,
        indicators,
        check,
        severity,
        str(message.get("id", "")),
        str(message.get("en", message.get("id", ""))),
    )


def _read_rule_file(text: str, known: set[str], where: str) -> list[Rule]:
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{where} is not valid YAML: {exc}.") from None
    entries = document.get("rules", []) if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ConfigurationError(f"{where}: expected a list under 'rules'.")
    return [
        _parse_rule(entry, known, f"{where} rule {n}")
        for n, entry in enumerate(entries, start=1)
    ]


def load_rules(catalogue: Catalogue, extra_file: Path | None = None) -> RuleSet:
    """The bundled rules, a region's own file if given, and the catalogue's rules."""
    known = set(catalogue.by_code)
    bundled = (resources.files("p3bm") / "data" / "rules.yaml").read_text("utf-8")
    rules = _read_rule_file(bundled, known, "rules.yaml")
    if extra_file is not None:
        try:
            text = extra_file.read_text("utf-8")
        except OSError as exc:
            raise ConfigurationError(
                f"Cannot read rules file {extra_file}: {exc}."
            ) from None
        rules += _read_rule_file(text, known, extra_file.name)
    return RuleSet(catalogue, rules)


def candidates_from(
    items: Iterable[tuple[str, str, int, float | None]],
) -> list[Candidate]:
    return [Candidate(*item) for item in items]
