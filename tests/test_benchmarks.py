"""Smoke tests of benchmarks/run.py at tiny sizes on SQLite, so the script keeps
working. They check what each step wrote and counted, never how long it took.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import pytest

from conftest import REPOSITORY

pytestmark = pytest.mark.slow


def _load_script():
    path = REPOSITORY / "benchmarks" / "run.py"
    spec = importlib.util.spec_from_file_location("benchmark_run", path)
    module = importlib.util.module_from_spec(spec)
    # Dataclasses look their module up in sys.modules while being defined.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _load_script()


@pytest.fixture(scope="module")
def space():
    with bench.workspace() as found:
        yield found


@pytest.fixture(scope="module")
def import_figures(space):
    return bench.bench_import(space, "sqlite", "32.75", 300, 1)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def test_observation_file_keys_are_distinct(tmp_path):
    path = tmp_path / "observations.csv"
    bench.write_observation_file(path, 400, "32.75")
    rows = read_rows(path)
    keys = {(row["kode_wilayah"], row["indikator"], row["tahun"]) for row in rows}
    assert len(rows) == 400
    assert len(keys) == 400


def test_observation_file_uses_bekasi_villages(tmp_path):
    path = tmp_path / "observations.csv"
    bench.write_observation_file(path, 400, "32.75")
    areas = {row["kode_wilayah"] for row in read_rows(path)}
    assert all(code.startswith("32.75.") for code in areas)
    assert all(code.count(".") == 3 for code in areas)


def test_observation_file_writes_decimal_commas(tmp_path):
    path = tmp_path / "observations.csv"
    bench.write_observation_file(path, 400, "32.75")
    values = [row["nilai"] for row in read_rows(path)]
    assert any("," in value for value in values)
    assert not any("." in value and "," in value for value in values)


def test_changed_file_differs_in_one_percent(tmp_path):
    original, changed = tmp_path / "a.csv", tmp_path / "b.csv"
    bench.write_observation_file(original, 1000, "32.75")
    count = bench.write_observation_file(changed, 1000, "32.75", 0.01)
    pairs = zip(read_rows(original), read_rows(changed), strict=True)
    differing = sum(1 for a, b in pairs if a["nilai"] != b["nilai"])
    assert count == 10
    assert differing == 10


@pytest.mark.parametrize(
    ("step", "count", "expected"),
    [
        ("p3bm_first", "added", 300),
        ("p3bm_again", "unchanged", 300),
        ("p3bm_changed", "changed", 3),
        ("p3bm_changed", "unchanged", 297),
        ("pandas_default", "rows", 300),
        ("same_table_pandas", "rows", 300),
    ],
)
def test_import_benchmark_counts(import_figures, step, count, expected):
    assert import_figures[step][count] == expected


@pytest.mark.parametrize("step", ["p3bm_first", "pandas_default"])
def test_import_benchmark_reports_memory(import_figures, step):
    assert import_figures[step]["peak_rss_mb"] > 0
    assert import_figures[step]["peak_increase_mb"] >= 0


def test_load_benchmark_same_rows(space):
    figures = bench.bench_load(space, "sqlite", "32.75", 1)
    areas = figures["p3bm"]["areas"]
    loaded = sum(areas[level] for level in bench.LEVEL_NAMES)
    assert loaded == figures["pandas_default"]["rows"]


def test_completeness_benchmark_counts_agree(space):
    figures = bench.bench_completeness(
        space, "sqlite", (2024,), 1, databases=(("32.75", ("32.75",)),)
    )
    case = figures["32.75 in 32.75 database"]
    assert case["counts_agree"]
    assert case["p3bm"]["by_level"][0][0] == "regency"


def test_pandas_area_frame_matches_load_rows():
    frame = bench.area_frame("32.75")
    rows = [
        (code, name, int(level), kind, parent or None, bps or None)
        for code, name, level, kind, parent, bps in frame.astype(object)
        .where(frame.notna(), None)
        .itertuples(index=False, name=None)
    ]
    assert sorted(rows) == sorted(bench.bundled_areas("32.75"))


def test_only_option_chooses_benchmarks():
    arguments = bench.parse_arguments(["--only", "import", "--only", "load"])
    assert arguments.only == ["import", "load"]


def test_only_option_rejects_unknown_benchmark(capsys):
    with pytest.raises(SystemExit):
        bench.parse_arguments(["--only", "server"])
    assert "invalid choice: 'server'" in capsys.readouterr().err
