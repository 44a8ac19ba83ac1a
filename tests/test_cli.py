import csv
import io
import json
import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import sample_file
from p3bm.areas.registry import home_region
from p3bm.catalogue import default_catalogue_text
from p3bm.cli import main
from p3bm.observations import NewValue, write_values
from p3bm.storage.schema import area as area_table
from p3bm.storage.schema import indicator as indicator_table
from p3bm.storage.schema import observation

POOR_PEOPLE = "statistik/odj_jumlah_penduduk_miskin_kabkota_jabar.csv"
POPULATION_BY_SEX = "statistik/odj_jumlah_penduduk_jenis_kelamin_kabkota_jabar.csv"
# The console script installed beside the interpreter that runs the tests.
P3BM = Path(sys.executable).parent / "p3bm"
INDICATOR_KEYS = {
    "code",
    "name",
    "unit",
    "polarity",
    "aggregation",
    "sector",
    "data_type",
    "skpd",
    "lowest_level",
}


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def restore_logging():
    """Undo the root logger set-up that each in-process ``main`` call makes."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def p3bm(capsys):
    """Run the CLI in this process and return its exit code and output."""

    def run(*args: object) -> Run:
        try:
            main([str(arg) for arg in args])
            code = 0
        except SystemExit as exc:
            code = 0 if exc.code is None else exc.code
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def catalogue_size() -> int:
    return len(list(csv.DictReader(io.StringIO(default_catalogue_text()))))


def count_rows(database, table) -> int:
    with database.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count()).select_from(table)
        ).scalar_one()


def test_init_region_message_and_counts(empty_db, p3bm):
    run = p3bm("--db", empty_db.url, "init", "--region", "3275")
    assert run.code == 0
    assert run.err == ""
    size = catalogue_size()
    assert run.out.startswith("Basis data ")
    assert run.out.endswith(
        "siap. Wilayah 3275: 38 provinsi, 514 kabupaten/kota, 12 kecamatan, "
        f"56 desa/kelurahan (621 baru). Katalog: {size} indikator baru.\n"
    )
    assert count_rows(empty_db, area_table) == 1 + 38 + 514 + 12 + 56
    assert count_rows(empty_db, indicator_table) == size


def test_init_twice_adds_nothing(empty_db, p3bm):
    p3bm("--db", empty_db.url, "init", "--region", "32.75")
    run = p3bm("--db", empty_db.url, "--lang", "en", "init", "--region", "32.75")
    assert run.code == 0
    assert "(0 new). Catalogue: 0 new indicators." in run.out
    assert count_rows(empty_db, area_table) == 621


def test_areas_json_kelurahan(db, p3bm):
    run = p3bm(
        "--db",
        db.url,
        "areas",
        "--within",
        "32.75",
        "--level",
        "kelurahan",
        "--format",
        "json",
    )
    assert run.code == 0
    areas = json.loads(run.out)
    assert len(areas) == 56
    for area in areas:
        assert {"code", "name", "level", "parent"} <= set(area)
        assert area["level"] == "village"
        assert area["code"].startswith(area["parent"] + ".")
        assert area["parent"].startswith("32.75.")
    first = areas[0]
    assert (first["code"], first["name"], first["parent"]) == (
        "32.75.01.1001",
        "Bekasijaya",
        "32.75.01",
    )
    assert len({area["code"] for area in areas}) == 56


def test_areas_csv_kecamatan(db, p3bm):
    run = p3bm(
        "--db",
        db.url,
        "areas",
        "--within",
        "3275",
        "--level",
        "kecamatan",
        "--format",
        "csv",
    )
    rows = list(csv.DictReader(io.StringIO(run.out)))
    assert run.code == 0
    assert len(rows) == 12
    assert rows[6]["code"] == "32.75.07"
    assert rows[6]["name"] == "Bantargebang"
    assert {row["parent"] for row in rows} == {"32.75"}


def test_areas_table_kecamatan(db, p3bm):
    run = p3bm("--db", db.url, "areas", "--within", "32.75", "--level", "kecamatan")
    lines = run.out.splitlines()
    assert run.code == 0
    assert lines[0].split()[:4] == ["kode", "nama", "tingkat", "jenis"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert len(lines) == 2 + 12
    assert lines[2].split()[:4] == ["32.75.01", "Bekasi", "Timur", "kecamatan"]


def test_areas_table_english(db, p3bm):
    run = p3bm("--db", db.url, "--lang", "en", "areas", "--within", "32.75")
    lines = run.out.splitlines()
    assert run.code == 0
    assert lines[0].split()[:4] == ["code", "name", "level", "kind"]
    assert lines[2].split()[:4] == ["32.75", "Kota", "Bekasi", "regency"]


def test_indicators_json_keys(db, p3bm):
    run = p3bm("--db", db.url, "indicators", "--format", "json")
    items = json.loads(run.out)
    assert run.code == 0
    assert len(items) == catalogue_size()
    for item in items:
        assert set(item) >= INDICATOR_KEYS
    jpm = next(item for item in items if item["code"] == "JPM")
    assert jpm["unit"] == "ribu jiwa"
    assert jpm["polarity"] == "-"
    assert jpm["aggregation"] == "sum"
    assert jpm["lowest_level"] == "regency"


def test_indicators_csv_round_trip(db, p3bm, tmp_path):
    exported = p3bm("--db", db.url, "indicators", "--format", "csv").out
    edited = exported.replace("Jumlah penduduk miskin,", "Penduduk miskin,", 1)
    path = tmp_path / "katalog.csv"
    path.write_bytes(edited.encode("utf-8"))
    run = p3bm("--db", db.url, "catalogue", "load", path)
    assert run.code == 0
    assert run.out == "Katalog dari katalog.csv: 0 baru, 1 diperbarui, 0 dihapus.\n"
    again = p3bm("--db", db.url, "indicators", "--format", "csv").out
    assert again == edited
    same = p3bm("--db", db.url, "catalogue", "load", path)
    assert same.out == "Katalog dari katalog.csv: 0 baru, 0 diperbarui, 0 dihapus.\n"
    items = json.loads(p3bm("--db", db.url, "indicators", "--format", "json").out)
    assert next(i["name"] for i in items if i["code"] == "JPM") == "Penduduk miskin"


def test_catalogue_load_keeps_history(db, p3bm, tmp_path):
    exported = p3bm("--db", db.url, "indicators", "--format", "csv").out
    lines = exported.splitlines(keepends=True)
    (p0_row,) = [line for line in lines if line.startswith("P0,")]
    # The last row, so that no other indicator changes its position.
    assert lines[-1].startswith("RASIO_KETERGANTUNGAN,")
    edited = lines[:-1]
    edited = [
        line.replace("Jumlah penduduk miskin,", "Penduduk miskin,", 1)
        for line in edited
    ]
    edited.append(p0_row.replace("P0,", "P0_KOTA,", 1))
    path = tmp_path / "katalog.csv"
    path.write_bytes("".join(edited).encode("utf-8"))
    run = p3bm(
        "--db", db.url, "--user", "ani", "catalogue", "load", path,
        "--reason", "RPJMD 2025-2029",
    )  # fmt: skip
    assert run.code == 0
    assert run.out == "Katalog dari katalog.csv: 1 baru, 1 diperbarui, 1 dihapus.\n"

    listed = p3bm("--db", db.url, "catalogue", "history", "--indicator", "jpm")
    assert listed.code == 0
    (first, changed) = json.loads(
        p3bm(
            "--db", db.url, "catalogue", "history", "--indicator", "JPM",
            "--format", "json",
        ).out
    )  # fmt: skip
    assert first["action"] == "insert"
    assert first["changed_by"] == "system"
    assert changed["action"] == "update"
    assert changed["old"] == {"name": "Jumlah penduduk miskin"}
    assert changed["new"] == {"name": "Penduduk miskin"}
    assert changed["changed_by"] == "ani"
    assert changed["reason"] == "RPJMD 2025-2029"
    assert changed["source_file"] == "katalog.csv"
    assert "ani" in listed.out
    assert "name" in listed.out

    history = json.loads(
        p3bm("--db", db.url, "catalogue", "history", "--format", "json").out
    )
    (removed,) = [
        c
        for c in history
        if c["indicator"] == "RASIO_KETERGANTUNGAN" and c["new"] is None
    ]
    assert removed["action"] == "delete"
    assert removed["old"]["name"] == "Rasio ketergantungan"
    assert removed["old"]["maximum"] == 200
    (added,) = [c for c in history if c["indicator"] == "P0_KOTA"]
    assert added["action"] == "insert"
    assert added["new"]["numerator"] == "JPM"


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        (
            "id",
            "Galat: katalog.csv baris 2: kolom data_type berisi 'statistix'. "
            "Pakai salah satu dari statistik, sektoral.\n",
        ),
        (
            "en",
            "Error: katalog.csv row 2: column data_type has 'statistix'. "
            "Use one of statistik, sektoral.\n",
        ),
    ],
)
def test_catalogue_load_error_in_language(db, p3bm, tmp_path, lang, message):
    exported = p3bm("--db", db.url, "indicators", "--format", "csv").out
    path = tmp_path / "katalog.csv"
    path.write_text(exported.replace(",statistik,", ",statistix,", 1), encoding="utf-8")
    run = p3bm("--db", db.url, "--lang", lang, "catalogue", "load", path)
    assert run.code == 1
    assert run.err == message


def test_catalogue_formula_like_text_round_trips(db, p3bm, tmp_path):
    exported = p3bm("--db", db.url, "indicators", "--format", "csv").out
    path = tmp_path / "katalog.csv"
    path.write_text(
        exported.replace("Jumlah penduduk miskin,", "=Jumlah penduduk miskin,", 1),
        encoding="utf-8",
    )
    assert p3bm("--db", db.url, "catalogue", "load", path).code == 0
    again = p3bm("--db", db.url, "indicators", "--format", "csv").out
    assert "'=Jumlah penduduk miskin," in again
    path.write_text(again, encoding="utf-8")

    run = p3bm("--db", db.url, "catalogue", "load", path)

    assert run.out == "Katalog dari katalog.csv: 0 baru, 0 diperbarui, 0 dihapus.\n"


def test_catalogue_history_csv_columns_fixed(db, p3bm):
    empty = p3bm("--db", db.url, "catalogue", "history", "--indicator", "NOPE",
                 "--format", "csv").out  # fmt: skip
    full = p3bm("--db", db.url, "catalogue", "history", "--indicator", "JPM",
                "--format", "csv").out  # fmt: skip
    header = "changed_at,changed_by,indicator,action,fields,reason,source_file,old,new"
    assert empty.splitlines() == [header]
    assert full.splitlines()[0] == header


def test_catalogue_load_rejected_keeps_no_history(db, p3bm, tmp_path):
    write_values(
        db,
        [NewValue("TPT", "32.75", 2021, "", "", 8.9)],
        user="ani",
        status="verified",
        channel="cli",
        file_name="-",
    )
    exported = p3bm("--db", db.url, "indicators", "--format", "csv").out
    remaining = [line for line in exported.splitlines() if not line.startswith("TPT,")]
    path = tmp_path / "katalog.csv"
    path.write_text("\n".join(remaining) + "\n", encoding="utf-8")
    before = p3bm("--db", db.url, "catalogue", "history", "--format", "json").out
    run = p3bm("--db", db.url, "catalogue", "load", path)
    assert run.code != 0
    assert "TPT" in run.err
    after = p3bm("--db", db.url, "catalogue", "history", "--format", "json").out
    assert after == before


def test_import_then_values(db, p3bm):
    run = p3bm("--db", db.url, "import", sample_file(POOR_PEOPLE))
    assert run.code == 0
    assert run.out.startswith("odj_jumlah_penduduk_miskin_kabkota_jabar.csv: 492 nilai")
    listed = p3bm(
        "--db",
        db.url,
        "values",
        "--indicator",
        "JPM",
        "--area",
        "3275",
        "--year",
        "2018",
        "--format",
        "json",
    )
    values = json.loads(listed.out)
    assert listed.code == 0
    assert len(values) == 1
    assert values[0]["area"] == "32.75"
    assert values[0]["year"] == 2018
    assert values[0]["value"] == pytest.approx(119.8)


def test_values_json_shows_author_and_time(db, p3bm):
    run = p3bm("--db", db.url, "--user", "ani", "import", sample_file(POOR_PEOPLE))
    assert run.code == 0
    listed = p3bm(
        "--db", db.url, "values", "--indicator", "JPM", "--area", "3275",
        "--year", "2018", "--format", "json",
    )  # fmt: skip
    (value,) = json.loads(listed.out)
    assert value["updated_by"] == "ani"
    assert value["version"] == 1
    written = datetime.fromisoformat(value["updated_at"])
    assert written.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - written) < timedelta(minutes=5)


def test_values_table_shows_author(db, p3bm):
    write_values(
        db,
        [NewValue("JP", "32.75", 2020, "", "", 1.0)],
        user="ani",
        status="draft",
        channel="cli",
        file_name="-",
    )
    listed = p3bm("--db", db.url, "values", "--indicator", "JP")
    header, _, row = listed.out.splitlines()[:3]
    assert header.split()[-3:] == ["version", "updated_by", "updated_at"]
    assert row.split()[-3:-1] == ["1", "ani"]


def test_reserved_breakdown_name_rejected(db, p3bm, tmp_path):
    path = tmp_path / "stunting.csv"
    path.write_text(
        "kelurahan,tahun,jumlah,value\nBintara,2023,10,x1\n", encoding="utf-8"
    )
    run = p3bm(
        "--db", db.url, "import", path, "--indicator", "STUNTING",
        "--area-column", "kelurahan", "--year-column", "tahun",
        "--value-column", "jumlah", "--disaggregation-column", "value",
    )  # fmt: skip
    assert run.code == 1
    assert run.err == (
        "Galat: stunting.csv: kolom 'value' tidak dapat menjadi rincian, karena "
        "'value' sudah menjadi nama bidang setiap nilai. Ganti nama kolomnya, "
        "misalnya menjadi value_kategori.\n"
    )
    assert count_rows(db, observation) == 0


def test_values_source_filter_keeps_breakdown(db, p3bm):
    (first, second) = (
        NewValue("JP", "32.75", 2020, "jenis_kelamin=laki-laki", "BPS", 1.0),
        NewValue("JP", "32.75", 2020, "jenis_kelamin=perempuan", "SKPD", 2.0),
    )
    write_values(
        db, [first, second], user="ani", status="draft", channel="cli", file_name="-"
    )
    listed = p3bm("--db", db.url, "values", "--indicator", "JP", "--source", "SKPD")
    assert listed.code == 0
    (row,) = [line for line in listed.out.splitlines() if "32.75" in line]
    assert "perempuan" in row
    assert "laki-laki" not in row


def test_rejected_import_writes_nothing(db, p3bm):
    run = p3bm("--db", db.url, "import", sample_file(POPULATION_BY_SEX))
    assert run.code == 1
    assert "DITOLAK, 14 galat di 14 baris" in run.out
    assert run.err.count("[code_name_mismatch]") == 14
    assert count_rows(db, observation) == 0
    listed = p3bm("--db", db.url, "values", "--indicator", "JP", "--format", "json")
    assert json.loads(listed.out) == []


def test_skip_invalid_names_rejected_file(db, p3bm, tmp_path):
    folder = tmp_path / "ditolak"
    run = p3bm(
        "--db",
        db.url,
        "--lang",
        "en",
        "import",
        "--skip-invalid",
        "--rejected-dir",
        folder,
        sample_file(POPULATION_BY_SEX),
    )
    rejected = folder / "odj_jumlah_penduduk_jenis_kelamin_kabkota_jabar.rejected.csv"
    assert run.code == 0
    assert f"14 rows rejected, saved to {rejected}." in run.out
    assert rejected.is_file()
    with rejected.open(encoding="utf-8-sig") as handle:
        assert len(list(csv.reader(handle))) == 1 + 14
    assert count_rows(db, observation) == 416 + 208


def test_completeness_json(db, p3bm, data_file):
    path = data_file("p0.csv", "kode,tahun,P0\n32.75,2021,4.74\n")
    p3bm("--db", db.url, "import", path)
    run = p3bm(
        "--db",
        db.url,
        "completeness",
        "--area",
        "3275",
        "--year",
        "2021",
        "--format",
        "json",
    )
    data = json.loads(run.out)
    assert run.code == 0
    assert list(data)[:3] == ["expected", "filled", "percent"]
    assert data["filled"] == 1
    assert data["percent"] == round(100 / data["expected"], 1)
    assert data["area"] == "32.75"
    assert "P0" not in {state["code"] for state in data["missing"]}


def test_completeness_table(db, p3bm):
    run = p3bm("--db", db.url, "completeness", "--area", "32.75", "--year", "2021")
    assert run.code == 0
    assert run.out.startswith("Kota Bekasi (32.75), 2021: dari ")
    assert "\nSektor\n" in run.out


def test_history_lists_changes(db, p3bm, data_file):
    first = data_file("p0.csv", "kode,tahun,P0\n32.75,2021,4.74\n")
    second = data_file("p0-revisi.csv", "kode,tahun,P0\n32.75,2021,4.80\n")
    p3bm("--db", db.url, "--user", "budi", "import", first)
    p3bm("--db", db.url, "--user", "sari", "import", second, "--reason", "revisi BPS")
    run = p3bm(
        "--db",
        db.url,
        "history",
        "--indicator",
        "p0",
        "--area",
        "3275",
        "--format",
        "json",
    )
    changes = json.loads(run.out)
    assert run.code == 0
    assert [c["action"] for c in changes] == ["insert", "update"]
    assert [c["changed_by"] for c in changes] == ["budi", "sari"]
    assert [c["source_file"] for c in changes] == ["p0.csv", "p0-revisi.csv"]
    assert changes[1]["old_value"] == pytest.approx(4.74)
    assert changes[1]["new_value"] == pytest.approx(4.80)
    assert changes[1]["reason"] == "revisi BPS"
    table = p3bm("--db", db.url, "history", "--by", "sari").out
    assert len(table.splitlines()) == 2 + 1
    assert "p0-revisi.csv" in table


def test_report_writes_file(db, p3bm, data_file, tmp_path):
    p3bm(
        "--db",
        db.url,
        "import",
        data_file("p0.csv", "kode,tahun,P0\n32.75,2021,4.74\n"),
    )
    output = tmp_path / "out" / "bekasi.html"
    run = p3bm("--db", db.url, "report", "--area", "32.75", "--output", output)
    assert run.code == 0
    assert run.out == f"Laporan Kota Bekasi 2021 ditulis ke {output}.\n"
    html = output.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "Kota Bekasi (32.75)" in html


def test_report_without_values_needs_year(db, p3bm, tmp_path):
    output = tmp_path / "r.html"
    run = p3bm("--db", db.url, "report", "--area", "32.75", "--output", output)
    assert run.code == 2
    assert run.err.startswith("Galat: Kota Bekasi belum punya nilai")
    assert not output.exists()


def assert_one_error_line(run: Run, prefix: str = "Galat: ") -> None:
    lines = run.err.splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith(prefix)
    assert "Traceback" not in run.err
    assert run.out == ""


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["values", "--indicator", "JPM", "--area", "32.99"], 1, "'32.99'"),
        (["values", "--indicator", "NOPE"], 1, "'NOPE'"),
        (["import", "tidak-ada.csv"], 2, "'tidak-ada.csv'"),
        (["areas", "--level", "bogus"], 2, "'bogus'"),
        (["areas", "--format", "xml"], 2, "'xml'"),
        (["init"], 2, "--region"),
        (["history"], 2, "--indicator"),
    ],
)
def test_user_mistakes_one_line(db, p3bm, args, code, words):
    run = p3bm("--db", db.url, *args)
    assert run.code == code
    assert_one_error_line(run)
    assert words in run.err


def test_user_mistake_in_english(db, p3bm):
    run = p3bm("--db", db.url, "--lang", "en", "values", "--indicator", "NOPE")
    assert run.code == 1
    assert_one_error_line(run, "Error: Indicator 'NOPE' is not in the catalogue.")


def test_database_not_initialised(empty_db, p3bm):
    run = p3bm("--db", empty_db.url, "areas")
    assert run.code == 3
    assert_one_error_line(run, "Galat: ")
    assert "basis data" in run.err.lower()
    assert "p3bm init --region" in run.err


@pytest.mark.parametrize(
    ("lang", "start"),
    [
        ("id", "Galat: Skema URL basis data 'mysql' pada"),
        ("en", "Error: Unsupported database URL scheme 'mysql'"),
    ],
)
def test_bad_database_scheme(p3bm, lang, start):
    run = p3bm("--db", "mysql://localhost/p3bm", "--lang", lang, "areas")
    assert run.code == 2
    assert_one_error_line(run, start)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_unknown_environment_variable(p3bm, monkeypatch, tmp_path, lang):
    monkeypatch.setenv("P3BM_COLOUR", "biru")
    run = p3bm("--db", tmp_path / "x.sqlite", "--lang", lang, "areas")
    assert run.code == 2
    expected = {
        "id": "Galat: Variabel lingkungan P3BM_COLOUR tidak dikenal.",
        "en": "Error: Unknown environment variable P3BM_COLOUR.",
    }
    assert_one_error_line(run, expected[lang])


def run_process(*args: object, env: dict[str, str] | None = None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("P3BM_")}
    return subprocess.run(
        [str(P3BM), *(str(arg) for arg in args)],
        capture_output=True,
        text=True,
        env=clean | (env or {}),
        timeout=120,
        check=False,
    )


def test_process_success_exit_zero(db):
    done = run_process(
        "--db", db.url, "values", "--indicator", "JPM", "--format", "json"
    )
    assert done.returncode == 0
    assert json.loads(done.stdout) == []
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("args", "code", "prefix"),
    [
        (["values", "--indicator", "NOPE"], 1, "Galat: Indikator 'NOPE'"),
        (["--lang", "en", "areas", "--level", "x"], 2, "Error: Invalid value"),
    ],
)
def test_process_exit_codes(db, args, code, prefix):
    done = run_process("--db", db.url, *args)
    assert done.returncode == code
    assert done.stderr.startswith(prefix)
    assert len(done.stderr.splitlines()) == 1
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import"], "Argumen FILES... belum diberikan. Lihat `p3bm import -h`."),
        (
            ["values", "--year", "abc"],
            "Nilai tidak sah untuk '--year': 'abc' bukan bilangan bulat. "
            "Lihat `p3bm values -h`.",
        ),
        (
            ["values", "--idicator", "P0"],
            "Opsi --idicator tidak dikenal. Mungkin maksudnya --indicator? "
            "Lihat `p3bm values -h`.",
        ),
        (
            ["completeness", "--year", "2021"],
            "Opsi --area wajib diisi. Lihat `p3bm completeness -h`.",
        ),
        (
            ["completeness", "--area", "32.75", "--year", "2021", "--format", "xml"],
            "Nilai tidak sah untuk '--format': 'xml' bukan salah satu dari "
            "'table', 'json', 'csv'. Lihat `p3bm completeness -h`.",
        ),
        (
            [
                "completeness",
                "--area",
                "32.75",
                "--year",
                "2021",
                "--stale-after",
                "99",
            ],
            "Nilai tidak sah untuk '--stale-after': 99 di luar rentang 0<=x<=50. "
            "Lihat `p3bm completeness -h`.",
        ),
        (
            ["import", "tidak-ada.csv"],
            "Nilai tidak sah untuk 'FILES...': Berkas 'tidak-ada.csv' tidak ada. "
            "Lihat `p3bm import -h`.",
        ),
        (["impor"], "Perintah 'impor' tidak dikenal. Lihat `p3bm -h`."),
        (
            ["areas", "x", "y"],
            "Ada argumen berlebih: x y. Lihat `p3bm areas -h`.",
        ),
        (["values", "--year"], "Opsi --year memerlukan nilai."),
    ],
)
def test_usage_errors_in_indonesian(p3bm, args, message):
    run = p3bm(*args)
    assert run.code == 2
    assert run.err == f"Galat: {message}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lang", "en", "vlues"], "Error: No such command 'vlues'."),
        (["--lang=en", "--bogus"], "Error: No such option: --bogus"),
    ],
)
def test_top_level_errors_follow_lang(p3bm, args, message):
    run = p3bm(*args)
    assert run.code == 2
    assert run.err.startswith(message)


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("", "Galat: Pengaturan user='' tidak sah"),
        ("u" * 101, "Galat: Pengaturan user='uuu"),
        ("a\tb", "Galat: Pengaturan user='a\\tb' tidak sah"),
    ],
)
def test_user_name_checked(db, p3bm, user, message):
    run = p3bm("--db", db.url, "--user", user, "areas")
    assert run.code == 2
    assert run.err.startswith(message)
    assert "1 to 100 printable characters" in run.err


@pytest.mark.parametrize(
    "args",
    [
        ["values", "--indicator", "P0", "--year", "99999999999999999999"],
        ["budget", "history", "99999999999999"],
    ],
)
def test_huge_numbers_are_range_errors(db, p3bm, args):
    run = p3bm("--db", db.url, *args)
    assert run.code == 2
    assert "di luar rentang" in run.err
    assert len(run.err.splitlines()) == 1


def test_usage_errors_in_english(p3bm):
    run = p3bm("--lang", "en", "values", "--idicator", "P0")
    assert run.code == 2
    assert run.err == (
        "Error: No such option: --idicator Did you mean --indicator? "
        "See `p3bm values -h`.\n"
    )


@pytest.mark.parametrize("args", [[], ["user"], ["catalogue"]])
def test_group_without_command_prints_help(p3bm, args):
    run = p3bm(*args)
    assert run.code == 2
    assert run.out.startswith(" ".join(["Usage: p3bm", *args, "[OPTIONS] COMMAND"]))
    assert "Commands:" in run.out
    assert run.err == ""


def test_process_database_not_ready(empty_db):
    done = run_process("--db", empty_db.url, "areas")
    assert done.returncode == 3
    # An SQLite file that is not there yet, an empty PostgreSQL schema.
    assert done.stderr.startswith(("Galat: Berkas basis data ", "Galat: Basis data "))
    assert "p3bm init --region KODE" in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "env", "prefix"),
    [
        (["--db", "mysql://localhost/p3bm", "areas"], {}, "Galat: Skema URL"),
        (["areas"], {"P3BM_COLOUR": "biru"}, "Galat: Variabel lingkungan"),
    ],
)
def test_process_configuration_errors(args, env, prefix):
    done = run_process(*args, env=env)
    assert done.returncode == 2
    assert done.stderr.startswith(prefix)
    assert len(done.stderr.splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_missing_database_file_is_not_created(tmp_path, p3bm):
    path = tmp_path / "belum.sqlite"
    run = p3bm("--db", path, "areas")
    assert run.code == 3
    assert "p3bm init" in run.err
    assert not path.exists()


def test_file_that_is_no_database(tmp_path, p3bm):
    path = tmp_path / "data.sqlite"
    path.write_text("kode,nilai\n32.75,1\n", encoding="utf-8")
    run = p3bm("--lang", "en", "--db", path, "areas")
    assert run.code == 2
    assert run.err.strip().endswith(
        "is not an SQLite database. Check --db or P3BM_DATABASE_URL; it must name "
        "a P3BM database file or a new file."
    )
    assert "Traceback" not in run.err


@pytest.mark.parametrize(
    ("single", "column"),
    [("--year", "--year-column"), ("--area", "--area-column")],
)
def test_import_refuses_value_and_column_options_together(
    db, p3bm, tmp_path, single, column
):
    path = tmp_path / "tab.tsv"
    path.write_text("tahun\tkode\tP0\n2018\t32.75\t4,5\n", encoding="utf-8")
    given = {"--year": "2020", "--area": "32.75"}[single]
    found = {"--year-column": "tahun", "--area-column": "kode"}[column]
    run = p3bm(
        "--lang", "en", "--db", db.url, "import", path, single, given, column, found
    )
    assert run.code == 2
    assert f"Give {single} or {column}, not both" in run.err
    assert count_rows(db, observation) == 0


def test_larger_region_keeps_the_home_region(empty_db, p3bm):
    assert p3bm("--db", empty_db.url, "init", "--region", "32.75").code == 0
    run = p3bm("--lang", "en", "--db", empty_db.url, "init", "--region", "32")
    moved = p3bm("--db", empty_db.url, "init", "--region", "31.71")

    assert run.code == 0
    assert "The home region stays 32.75" in run.out
    assert moved.code == 0
    with empty_db.connect() as connection:
        assert home_region(connection) == "31.71"


def test_import_summary_in_indonesian(db, p3bm):
    path = sample_file("statistik/odj_garis_kemiskinan_kabkota_jabar_2018_2020.csv")
    run = p3bm("--db", db.url, "import", path)
    assert run.code == 0
    assert "81 nilai (memanjang; GK): 81 baru, 0 berubah, 0 sama" in run.out


def test_init_refuses_a_foreign_database(tmp_path, p3bm):
    path = tmp_path / "lain.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE pelanggan (id INTEGER)"))
    engine.dispose()

    run = p3bm("--lang", "en", "--db", path, "init", "--region", "32.75")

    assert run.code == 2
    assert "contains tables of another application (pelanggan)" in run.err
    with sa.create_engine(f"sqlite:///{path}").connect() as connection:
        assert sa.inspect(connection).get_table_names() == ["pelanggan"]


@pytest.mark.parametrize(
    ("lang", "boundaries", "table"),
    [
        (
            "id",
            "kota_bekasi_kecamatan_dari_kelurahan.geojson: 12 poligon",
            "odj_jumlah_penduduk_miskin_kabkota_jabar.csv: tersimpan, 492 baru, "
            "0 berubah, 0 sama",
        ),
        (
            "en",
            "kota_bekasi_kecamatan_dari_kelurahan.geojson: 12 polygons",
            "odj_jumlah_penduduk_miskin_kabkota_jabar.csv: written, 492 added, "
            "0 changed, 0 unchanged",
        ),
    ],
)
def test_up_reports_samples_in_language(
    p3bm, empty_db, tmp_path, lang, boundaries, table
):
    folder = tmp_path / "data"
    for relative in (
        "boundaries/kota_bekasi_kecamatan_dari_kelurahan.geojson",
        "statistik/odj_jumlah_penduduk_miskin_kabkota_jabar.csv",
    ):
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).symlink_to(sample_file(relative))

    run = p3bm(
        "--db",
        empty_db.url,
        "--lang",
        lang,
        "up",
        "--no-serve",
        "--sample-data",
        folder,
        "--output",
        tmp_path / "out" / "report.html",
    )

    assert run.code == 0
    assert f"  {boundaries}\n" in run.out
    assert f"  {table}\n" in run.out
