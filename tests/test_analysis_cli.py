"""The `analyze`, `targets` and `priorities` commands on real databases."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import pytest
from analysis_support import write
from openpyxl import Workbook

from p3bm.analysis.targets import load_targets
from p3bm.cli import main

pytestmark = pytest.mark.usefixtures("postgres_admin")


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def p3bm(capsys):
    def run(*args: object) -> Run:
        try:
            main([str(arg) for arg in args])
            code = 0
        except SystemExit as exc:
            code = 0 if exc.code is None else exc.code
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


GOOD_TARGETS = (
    "kode,indikator,tahun,target,jenis\n"
    "32.75,P0,2024,4.0,RPJMD\n"
    '3275,TPT,2024,"8,5",\n'
    "32.75.01,STUNTING,2024,12,RKPD\n"
)
BAD_TARGETS = (
    "kode,indikator,tahun,target\n"
    "32.75,P0,2024,4.0\n"
    "99.99,P0,2024,4.0\n"
    "32.75,NOPE,2024,4.0\n"
    "32.75,TPT,20x4,4.0\n"
    "32.75,TPT,2024,banyak\n"
    "32.75,P0,2025,150\n"
)


def test_targets_import_writes_rows(db, data_file, p3bm):
    path = data_file("target.csv", GOOD_TARGETS)
    run = p3bm("--db", db.url, "--lang", "en", "targets", "import", path)
    assert run.code == 0
    assert "3 targets: 3 added" in run.out
    with db.connect() as connection:
        stored = {
            (t.indicator, t.area, t.kind): t.value for t in load_targets(connection)
        }
    assert stored[("TPT", "32.75", "RPJMD")] == 8.5
    assert stored[("STUNTING", "32.75.01", "RKPD")] == 12.0


def test_targets_import_again_unchanged(db, data_file, p3bm):
    path = data_file("target.csv", GOOD_TARGETS)
    p3bm("--db", db.url, "targets", "import", path)
    run = p3bm("--db", db.url, "--lang", "en", "targets", "import", path)
    assert "0 added, 0 changed, 3 unchanged" in run.out


def test_targets_import_rejects_whole_file(db, data_file, p3bm):
    path = data_file("bad.csv", BAD_TARGETS)
    run = p3bm("--db", db.url, "targets", "import", path, "--format", "json")
    report = json.loads(run.out)
    assert run.code == 1
    assert report["outcome"] == "rejected"
    with db.connect() as connection:
        assert load_targets(connection) == []


def test_targets_import_problem_details(db, data_file, p3bm):
    path = data_file("bad.csv", BAD_TARGETS)
    run = p3bm("--db", db.url, "targets", "import", path, "--format", "json")
    problems = {(p["row"], p["code"]): p for p in json.loads(run.out)["problems"]}
    assert set(problems) == {
        (3, "unknown_area_code"),
        (4, "unknown_indicator"),
        (5, "invalid_year"),
        (6, "invalid_number"),
        (7, "above_maximum"),
    }
    assert problems[(6, "invalid_number")]["column"] == "target"
    assert problems[(6, "invalid_number")]["value"] == "banyak"


def test_targets_import_messages_in_english(db, data_file, p3bm):
    path = data_file("bad.csv", BAD_TARGETS)
    run = p3bm("--db", db.url, "--lang", "en", "targets", "import", path)
    assert "bad.csv, row 4, column 'indikator': [unknown_indicator]" in run.err
    assert "REJECTED, 5 errors in 5 rows; no target was written." in run.out


def test_targets_import_xlsx(db, tmp_path, p3bm):
    book = Workbook()
    sheet = book.active
    sheet.append(["wilayah", "indikator", "tahun", "nilai"])
    sheet.append(["Kota Bekasi", "P0", 2026, 3.5])
    path = tmp_path / "target.xlsx"
    book.save(path)
    run = p3bm("--db", db.url, "targets", "import", path, "--kind", "rkpd")
    assert run.code == 0
    with db.connect() as connection:
        stored = load_targets(connection, area_prefix="32.75")
    assert [(t.area, t.kind, t.value) for t in stored] == [("32.75", "RKPD", 3.5)]


def test_targets_list_csv(db, data_file, p3bm):
    p3bm("--db", db.url, "targets", "import", data_file("t.csv", GOOD_TARGETS))
    run = p3bm(
        "--db",
        db.url,
        "targets",
        "list",
        "--area",
        "32.75",
        "--indicator",
        "p0",
        "--format",
        "csv",
    )
    assert run.out.splitlines() == [
        "indicator,area,year,kind,value,source_file",
        "P0,32.75,2024,RPJMD,4.0,t.csv",
    ]


def test_analyze_json_records_inputs(loaded_db, p3bm):
    run = p3bm(
        "--db",
        loaded_db.url,
        "analyze",
        "aggregate",
        "--area",
        "32",
        "--year",
        "2019",
        "--indicator",
        "P0",
        "--format",
        "json",
    )
    data = json.loads(run.out)
    assert data["parameters"]["rule"] == "ratio"
    assert {
        "indicator": "JP",
        "area": "32.75",
        "year": 2019,
        "source": "QuaRCS",
        "value": 3004247.0,
    } in data["inputs"]


def test_analyze_table_lists_both_sources(loaded_db, p3bm):
    run = p3bm(
        "--db",
        loaded_db.url,
        "analyze",
        "aggregate",
        "--area",
        "32",
        "--year",
        "2015",
        "--indicator",
        "P0",
    )
    assert "JPM: Open Data Jabar / JP: QuaRCS" in run.out
    assert "JPM: Open Data Jabar / JP: Open Data Jabar" in run.out


@pytest.mark.parametrize(
    "kind",
    [
        "scorecard",
        "trend",
        "position",
        "quadrant",
        "priority-problems",
        "determinants",
        "priority-locations",
        "quality",
    ],
)
def test_analyze_every_kind_as_csv(loaded_db, p3bm, kind):
    run = p3bm(
        "--db",
        loaded_db.url,
        "analyze",
        kind,
        "--area",
        "32.75",
        "--year",
        "2021",
        "--format",
        "csv",
    )
    assert run.code == 0
    assert run.err == ""


def test_analyze_unknown_benchmark_fails(loaded_db, p3bm):
    run = p3bm(
        "--db",
        loaded_db.url,
        "analyze",
        "quadrant",
        "--area",
        "32.75",
        "--year",
        "2021",
        "--benchmark",
        "moon",
    )
    assert run.code == 2


@pytest.mark.parametrize("weight", ["inf", "nan", "-0.5"])
def test_analyze_weights_must_be_finite(loaded_db, p3bm, weight):
    run = p3bm(
        "--lang",
        "en",
        "--db",
        loaded_db.url,
        "analyze",
        "priority-problems",
        "--area",
        "32.75",
        "--year",
        "2021",
        "--weight-gap",
        weight,
    )
    assert run.code == 2
    assert "--weight-gap" in run.err


def test_analyze_quadrant_needs_both_axes(loaded_db, p3bm):
    run = p3bm(
        "--db",
        loaded_db.url,
        "--lang",
        "en",
        "analyze",
        "quadrant",
        "--area",
        "32.75",
        "--year",
        "2021",
        "--x",
        "P0",
    )
    assert run.code == 2
    assert "needs both --x and --y" in run.err


def test_decisions_keep_history(db, p3bm):
    write(db, [("P0", "32.75", 2021, 12.0), ("P0", "32", 2021, 8.0)])
    for decision, reason in (
        ("accepted", "di atas provinsi"),
        ("rejected", "data lama"),
    ):
        run = p3bm(
            "--db",
            db.url,
            "--user",
            "tkpk",
            "priorities",
            "decide",
            "--area",
            "32.75",
            "--year",
            "2021",
            "--indicator",
            "P0",
            "--decision",
            decision,
            "--reason",
            reason,
        )
        assert run.code == 0
    run = p3bm(
        "--db", db.url, "priorities", "decisions", "--area", "32.75", "--format", "json"
    )
    history = json.loads(run.out)
    assert [(d["decision"], d["decided_by"]) for d in history] == [
        ("accepted", "tkpk"),
        ("rejected", "tkpk"),
    ]


def test_current_decision_shown_with_problem(db, p3bm):
    write(db, [("P0", "32.75", 2021, 12.0), ("P0", "32", 2021, 8.0)])
    p3bm(
        "--db",
        db.url,
        "priorities",
        "decide",
        "--area",
        "32.75",
        "--year",
        "2021",
        "--indicator",
        "P0",
        "--decision",
        "accepted",
        "--reason",
        "tinggi",
    )
    run = p3bm(
        "--db",
        db.url,
        "analyze",
        "priority-problems",
        "--area",
        "32.75",
        "--year",
        "2021",
        "--format",
        "json",
    )
    row = json.loads(run.out)["rows"][0]
    assert (row["indicator"], row["decision"], row["decision_reason"]) == (
        "P0",
        "accepted",
        "tinggi",
    )


def test_decision_needs_reason(db, p3bm):
    run = p3bm(
        "--db",
        db.url,
        "priorities",
        "decide",
        "--area",
        "32.75",
        "--year",
        "2021",
        "--indicator",
        "P0",
        "--decision",
        "accepted",
        "--reason",
        " ",
    )
    assert run.code == 2


def test_analyze_quadrant_needs_two_indicators(loaded_db, p3bm):
    run = p3bm(
        "--lang",
        "en",
        "--db",
        loaded_db.url,
        "analyze",
        "quadrant",
        "--area",
        "32.75",
        "--year",
        "2021",
        "--x",
        "P0",
        "--y",
        "P0",
    )
    assert run.code == 2
    assert "needs two indicators" in run.err
