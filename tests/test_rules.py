"""The validation rule language, rule files and the built-in checks."""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import pytest
from web_fixtures import KELURAHAN, YEAR

from p3bm.catalogue import (
    Catalogue,
    default_catalogue_text,
    default_skpd_rows,
    parse_catalogue,
)
from p3bm.errors import ConfigurationError
from p3bm.observations import NewValue, write_values
from p3bm.rules import expressions, load_rules
from p3bm.rules.engine import Candidate
from p3bm.rules.expressions import (
    MAX_LENGTH,
    Context,
    ExpressionError,
    parse_expression,
)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    known = {row["code"] for row in default_skpd_rows()}
    return Catalogue(parse_catalogue(default_catalogue_text(), "catalogue", known))


CODES = {"P0", "P1", "P2", "JP", "JPM", "GK"}
# Values of the area and year being checked, and of the year before.
CURRENT = {"P0": 4.5, "P1": 0.6, "P2": 0.1, "JP": 2500.0, "JPM": None}
PREVIOUS = {"P0": 5.0, "JP": 2450.0}


def evaluate(text: str, value: float | None = 4.5, indicator: str = "P0"):
    expression = parse_expression(text, CODES)
    context = Context(
        value=value,
        lookup=CURRENT.get,
        previous=PREVIOUS.get,
        children_sum=lambda code: 10.0 if code == "JP" else None,
        indicator=indicator,
    )
    return expression.evaluate(context)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P1 <= P0", True),
        ("P0 < P1", False),
        ("P2 <= P1 <= P0", True),
        ("P0 > P1 > P2 > 1", False),
        ("P0 == 4.5", True),
        ("P0 != 4.5", False),
        ("P0 >= 4.5 and P1 < 1", True),
        ("P0 > 5 or P1 > 5", False),
        ("not P0 > 5", True),
        ("P0 * 2 + 1 == 10", True),
        ("(P0 - 0.5) / 2 == 2", True),
        ("-P0 < 0", True),
        ("+P0 == 4.5", True),
        ("value == P0", True),
        ("is_null(JPM)", True),
        ("is_null(P0)", False),
        ("coalesce(JPM, P1) == 0.6", True),
        ("coalesce(JPM, null) == 1", None),
        ("min(P0, P1, P2) == 0.1", True),
        ("max(P0, P1, JPM) == 4.5", True),
        ("abs(P2 - P0) == 4.4", True),
        ("abs(-3) == 3", True),
        ("prev(P0) == 5", True),
        ("prev(value) > value", True),
        ("prev(P1) > 0", None),
        ("children_sum(JP) == 10", True),
        ("JPM > 0", None),
        ("JPM + 1 > 0", None),
        ("P0 / 0 > 1", None),
        ("JPM > 0 and P0 > 100", False),
        ("JPM > 0 or P0 > 1", True),
        ("JPM > 0 or P0 > 100", None),
        ("not JPM", None),
        ("true", True),
        ("false or null", None),
        ("1e3 > 999", True),
    ],
)
def test_expression_evaluates(text, expected):
    assert evaluate(text) == expected


def test_expression_evaluates_without_eval(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("eval was called")

    with monkeypatch.context() as patch:
        patch.setattr(builtins, "eval", refuse)
        result = evaluate("max(P0, prev(P0)) * 2 >= abs(-10)")

    assert result is True


def test_expression_module_never_calls_eval():
    source = Path(expressions.__file__).read_text(encoding="utf-8")

    called = {
        node.func.id
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }

    assert not called & {"eval", "exec", "compile", "__import__"}


def test_expression_names_read_codes():
    expression = parse_expression("P1 <= coalesce(P0, prev(JP)) + value", CODES)

    assert expression.names == frozenset({"P1", "P0", "JP"})


HOSTILE = [
    ("__import__('os').system('true')", "not allowed|only the functions"),
    ("P0.__class__", "Attribute"),
    ("P0.real > 0", "Attribute"),
    ("(lambda: 1)()", "Lambda|only the functions"),
    ("P0[0]", "Subscript"),
    ("'a' == 'a'", "not a number"),
    ('"rm -rf /"', "not a number"),
    ("b'x'", "not a number"),
    ("f'{P0}'", "JoinedStr|not a number"),
    ("open('/etc/passwd')", "only the functions"),
    ("eval('1')", "only the functions"),
    ("exec", "not an indicator code"),
    ("globals()", "only the functions"),
    ("P0 if P1 else P2", "IfExp"),
    ("[P0, P1]", "List"),
    ("{'a': 1}", "Dict"),
    ("(P0, P1)", "Tuple"),
    ("[x for x in P0]", "ListComp"),
    ("(x := 1)", "NamedExpr"),
    ("P0 ** 99999999", "Pow"),
    ("P0 % 2", "Mod"),
    ("P0 << 2", "LShift"),
    ("P0 in P1", "In"),
    ("P0 is None", "Is"),
    ("min(*P0)", "Starred"),
    ("max(P0, key=P1)", "keyword"),
    ("prev(P0 + 1)", "one indicator code"),
    ("prev(P0, P1)", "one indicator code"),
    ("children_sum(1)", "one indicator code"),
    ("NOPE > 1", "NOPE is not an indicator code"),
    ("P0 >", "syntax error"),
    ("import os", "syntax error"),
    ("P0 > 1; P1 > 1", "syntax error"),
    ("+" * MAX_LENGTH + "1", "longer than"),
    ("P0 + " * 200 + "1", "longer than"),
    ("-" * 200 + "P0 > 1", "nested deeper than"),
    ("(" * 60 + "P0" + " + 1)" * 60, "nested deeper than"),
]


@pytest.mark.parametrize(("text", "problem"), HOSTILE)
def test_expression_rejects(text, problem):
    with pytest.raises(ExpressionError, match=problem):
        parse_expression(text, CODES)


def rule_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "aturan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def one_rule(check: str) -> str:
    return (
        "rules:\n"
        "  - id: hostile\n"
        "    indicators: [P0]\n"
        f"    check: {check!r}\n"
        "    message: {id: Salah., en: Wrong.}\n"
    )


@pytest.mark.parametrize(("text", "problem"), HOSTILE[:12])
def test_rule_file_rejects_hostile_check(catalogue, tmp_path, text, problem):
    path = rule_file(tmp_path, one_rule(text))

    with pytest.raises(ConfigurationError, match="aturan.yaml.*hostile"):
        load_rules(catalogue, path)


def test_rule_file_rejects_huge_input(catalogue, tmp_path):
    path = rule_file(tmp_path, one_rule("P0 + " * 100_000 + "1"))

    with pytest.raises(ConfigurationError, match="longer than 500"):
        load_rules(catalogue, path)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("rules: [", "not valid YAML"),
        ("rules: 3", "expected a list"),
        ("- 1\n- 2", "expected a list"),
        ("rules:\n  - 1", "must be a mapping"),
        ("rules:\n  - id: r\n    indicators: [P0]\n    message: {id: x}", "check"),
        (
            "rules:\n  - id: r\n    indicators: P0\n    check: P0 < 100\n"
            "    message: {id: x}",
            "list of indicator codes",
        ),
        (
            "rules:\n  - id: r\n    indicators: [P0]\n    check: P0 < 100\n"
            "    message: Salah.",
            "message",
        ),
        (
            "rules:\n  - id: r\n    indicators: [NOPE]\n    check: P0 < 100\n"
            "    message: {id: x}",
            "unknown indicator NOPE",
        ),
        (
            "rules:\n  - id: r\n    indicators: [P0]\n    check: P0 < 100\n"
            "    severity: fatal\n    message: {id: x}",
            "severity",
        ),
        ("!!python/object/apply:os.system ['true']", "not valid YAML"),
    ],
)
def test_rule_file_rejects_malformed(catalogue, tmp_path, text, problem):
    path = rule_file(tmp_path, text)

    with pytest.raises(ConfigurationError, match=problem):
        load_rules(catalogue, path)


def test_rule_file_missing_rejected(catalogue, tmp_path):
    with pytest.raises(ConfigurationError, match="Cannot read rules file"):
        load_rules(catalogue, tmp_path / "absent.yaml")


def test_rule_file_adds_rules(catalogue, tmp_path):
    path = rule_file(
        tmp_path,
        "rules:\n"
        "  - id: stunting_measured\n"
        "    indicators: [balita_stunting]\n"
        "    check: BALITA_STUNTING <= BALITA_DIUKUR\n"
        "    severity: warning\n"
        "    message:\n"
        "      id: Balita stunting melebihi balita yang diukur.\n"
        "      en: Stunted children exceed the children measured.\n",
    )

    rules = load_rules(catalogue, path)

    added = rules.for_indicator("BALITA_STUNTING")
    assert [rule.id for rule in added] == ["stunting_measured"]
    assert added[0].severity == "warning"
    assert added[0].message_en == "Stunted children exceed the children measured."


def test_bundled_rules_load(catalogue):
    rules = load_rules(catalogue)

    assert "poverty_depth_below_headcount" in {rule.id for rule in rules.rules}


# Built-in checks, read together with stored values


def store(db, values: list[tuple[str, str, int, float]]) -> None:
    write_values(
        db,
        [
            NewValue(code, area, year, "", "", value, False)
            for code, area, year, value in values
        ],
        user="pytest",
        status="verified",
        channel="file",
        file_name="fixture.csv",
    )


def broken(db, candidates: list[tuple[str, str, int, float | None]], lang="en"):
    """(rule, severity, indicator, area, message) of every rule the candidates break."""
    with db.connect() as connection:
        rules = load_rules(Catalogue.load(connection))
        found = rules.check(connection, [Candidate(*c) for c in candidates])
    return [
        (r.rule_id, r.severity, r.indicator, r.area, r.message(lang)) for r in found
    ]


@pytest.mark.parametrize(
    ("candidate", "rule", "english", "indonesian"),
    [
        (
            ("P0", "32.75", YEAR, 120.0),
            "range",
            "120 is outside the range 0–100 for P0.",
            "120 di luar rentang 0–100 untuk P0.",
        ),
        (
            ("STUNTING", KELURAHAN, YEAR, -1.0),
            "range",
            "-1 is outside the range 0–100 for STUNTING.",
            "-1 di luar rentang 0–100 untuk STUNTING.",
        ),
        (
            ("P1", "32.75", YEAR, 9.0),
            "poverty_depth_below_headcount",
            "The poverty depth index P1 cannot exceed the headcount rate P0.",
            "Indeks kedalaman kemiskinan P1 tidak boleh melebihi persentase "
            "penduduk miskin P0.",
        ),
    ],
)
def test_builtin_error(db, candidate, rule, english, indonesian):
    store(db, [("P0", "32.75", YEAR, 4.0)])

    in_english = broken(db, [candidate], "en")
    in_indonesian = broken(db, [candidate], "id")

    assert in_english == [(rule, "error", candidate[0], candidate[1], english)]
    assert in_indonesian[0][4] == indonesian


def test_builtin_numerator_above_denominator(db):
    store(db, [("BALITA_DIUKUR", KELURAHAN, YEAR, 100.0)])

    found = broken(db, [("BALITA_STUNTING", KELURAHAN, YEAR, 150.0)])
    fine = broken(db, [("BALITA_STUNTING", KELURAHAN, YEAR, 20.0)])

    assert ("numerator", "error") in [(r[0], r[1]) for r in found]
    assert "BALITA_STUNTING (150) exceeds BALITA_DIUKUR (100)." in [r[4] for r in found]
    assert fine == []


def test_builtin_numerator_in_same_batch(db):
    found = broken(
        db,
        [
            ("BALITA_STUNTING", KELURAHAN, YEAR, 150.0),
            ("BALITA_DIUKUR", KELURAHAN, YEAR, 100.0),
        ],
    )

    assert "numerator" in [r[0] for r in found]


@pytest.mark.parametrize(
    ("value", "flagged"), [(100.0, False), (149.0, False), (151.0, True), (49.0, True)]
)
def test_builtin_year_on_year_band(db, value, flagged):
    store(db, [("PUSKESMAS", KELURAHAN, YEAR - 1, 100.0)])

    found = broken(db, [("PUSKESMAS", KELURAHAN, YEAR, value)])

    assert (("year_on_year", "warning") in [(r[0], r[1]) for r in found]) is flagged


def test_builtin_year_on_year_message(db):
    store(db, [("PUSKESMAS", KELURAHAN, YEAR - 1, 100.0)])

    found = broken(db, [("PUSKESMAS", KELURAHAN, YEAR, 300.0)], "id")

    assert found == [
        (
            "year_on_year",
            "warning",
            "PUSKESMAS",
            KELURAHAN,
            "300 berubah +200 % dari tahun lalu (100).",
        )
    ]


# The six kelurahan of Bekasi Utara.
NORTH = "32.75.03"
SIBLINGS = [f"{NORTH}.{1000 + n}" for n in range(1, 7)]


def test_builtin_outlier_among_siblings(db):
    store(
        db, [("STUNTING", area, YEAR, 10.0 + n) for n, area in enumerate(SIBLINGS[1:])]
    )

    found = broken(db, [("STUNTING", SIBLINGS[0], YEAR, 90.0)])
    normal = broken(db, [("STUNTING", SIBLINGS[0], YEAR, 12.0)])

    assert [(r[0], r[1], r[3]) for r in found] == [
        ("sibling_outlier", "warning", SIBLINGS[0])
    ]
    assert found[0][4] == "90 is far from the median of sibling areas (12.50)."
    assert normal == []


def test_builtin_outlier_needs_five_siblings(db):
    store(db, [("STUNTING", area, YEAR, 10.0) for area in SIBLINGS[1:4]])

    found = broken(db, [("STUNTING", SIBLINGS[0], YEAR, 90.0)])

    assert found == []


def test_builtin_subareas_above_parent(db):
    store(db, [("PUSKESMAS", NORTH, YEAR, 3.0)])

    found = broken(db, [("PUSKESMAS", area, YEAR, 2.0) for area in SIBLINGS[:3]], "id")

    assert [(r[0], r[1], r[3]) for r in found] == [
        ("sum_of_subareas", "warning", NORTH)
    ]
    assert found[0][4] == "Jumlah sub-wilayah (6) melebihi nilai 32.75.03 (3)."


def test_builtin_subareas_within_parent(db):
    store(db, [("PUSKESMAS", NORTH, YEAR, 6.0)])

    found = broken(db, [("PUSKESMAS", area, YEAR, 2.0) for area in SIBLINGS[:3]])

    assert found == []


def test_builtin_missing_value_checks_nothing(db):
    assert broken(db, [("P0", "32.75", YEAR, None)]) == []
