import csv

import openpyxl
import pytest
import sqlalchemy as sa

from conftest import sample_file
from p3bm.catalogue import Catalogue
from p3bm.errors import IndicatorNotFound, InputFileError
from p3bm.imports import Importer, ImportOptions
from p3bm.imports.reading import decode_text, read_tables
from p3bm.observations import query_values, value_history
from p3bm.storage.schema import import_run


def stored(db, indicator, area, year, disaggregation="", source=None):
    with db.connect() as connection:
        values = query_values(
            connection, indicators=[indicator], areas=[area], years=[year]
        )
    found = [
        v
        for v in values
        if v.disaggregation == disaggregation and (source is None or v.source == source)
    ]
    return found[0].value if len(found) == 1 else [v.value for v in found]


def run_import(db, path, **options):
    return Importer(db, "tester").import_file(path, ImportOptions(**options))


def test_odj_poor_people(db):
    report = run_import(
        db, sample_file("statistik/odj_jumlah_penduduk_miskin_kabkota_jabar.csv")
    )
    assert report.outcome == "written"
    assert report.indicators == ["JPM"]
    assert stored(db, "JPM", "32.75", 2018) == pytest.approx(119.8)
    assert stored(db, "JPM", "32.75", 2019) == pytest.approx(113.65)
    assert stored(db, "JPM", "32.75", 2002) == pytest.approx(66.2)


def test_odj_zeros_before_formation_are_missing(db):
    report = run_import(
        db, sample_file("statistik/odj_jumlah_penduduk_miskin_kabkota_jabar.csv")
    )
    codes_found = {p.code for p in report.warnings}
    assert codes_found == {"zero_before_area_existed", "zero_means_missing"}
    assert report.added == 513 - 21
    assert stored(db, "JPM", "32.17", 2005) == []
    assert stored(db, "JPM", "32.18", 2014) == []
    assert stored(db, "JPM", "32.17", 2007) > 0


def test_poverty_line_of_bekasi(db):
    run_import(
        db, sample_file("statistik/odj_garis_kemiskinan_kabkota_jabar_2018_2020.csv")
    )
    assert stored(db, "GK", "32.75", 2020) == 657953
    assert stored(db, "GK", "32.75", 2018) == 582723


def test_bps_workbook_indicator_from_file_name(db):
    path = sample_file(
        "statistik/provinsi/bps_persentase_penduduk_miskin_provinsi_2010_2022.xlsx"
    )
    report = run_import(db, path)
    assert report.outcome == "written"
    assert report.indicators == ["P0"]
    assert report.layout == "wide by year"
    assert stored(db, "P0", "32", 2022) == pytest.approx(8.06)
    assert stored(db, "P0", "ID", 2022) == pytest.approx(9.54)
    assert stored(db, "P0", "21", 2010) == pytest.approx(8.05)
    assert stored(db, "P0", "65", 2011) == []


def test_bps_html_export(db):
    path = sample_file("messy/bps_export_garis_kemiskinan_jabar_2018_2020.xls")
    report = run_import(db, path)
    assert report.outcome == "written"
    assert report.indicators == ["GK"]
    assert stored(db, "GK", "32", 2020) == 410988
    assert stored(db, "GK", "32", 2018) == 367755


def test_same_values_in_other_formats_change_nothing(db):
    run_import(db, sample_file("messy/bps_export_garis_kemiskinan_jabar_2018_2020.xls"))
    semicolon = run_import(
        db, sample_file("messy/odj_garis_kemiskinan_provinsi_jabar_semicolon_bom.csv")
    )
    long_xlsx = run_import(
        db, sample_file("messy/odj_garis_kemiskinan_provinsi_jabar.xlsx"), area="32"
    )
    assert (semicolon.added, semicolon.changed, semicolon.unchanged) == (0, 0, 3)
    assert (long_xlsx.added, long_xlsx.changed, long_xlsx.unchanged) == (0, 0, 3)


def test_long_xlsx_without_area_needs_option(db):
    with pytest.raises(InputFileError) as raised:
        run_import(db, sample_file("messy/odj_garis_kemiskinan_provinsi_jabar.xlsx"))
    assert "--area" in str(raised.value)


def test_population_2013_mismatches_rejected(db):
    path = sample_file("statistik/odj_jumlah_penduduk_jenis_kelamin_kabkota_jabar.csv")
    report = run_import(db, path)
    assert report.outcome == "rejected"
    assert {p.code for p in report.errors} == {"code_name_mismatch"}
    assert len(report.errors) == 14
    assert sorted(p.row for p in report.errors) == [
        38,
        39,
        40,
        41,
        44,
        45,
        46,
        47,
        48,
        49,
        50,
        51,
        52,
        53,
    ]
    bekasi_row = next(p for p in report.errors if p.row == 52)
    assert bekasi_row.column == "nama_kabupaten_kota"
    assert bekasi_row.value == "KOTA BEKASI"
    assert "Kota Banjar" in bekasi_row.message("en")
    assert stored(db, "JP", "32.75", 2014, "sex=male") == []


def test_population_skip_invalid(db, tmp_path):
    path = sample_file("statistik/odj_jumlah_penduduk_jenis_kelamin_kabkota_jabar.csv")
    report = run_import(
        db, path, skip_invalid=True, rejected_dir=tmp_path, source="ODJ"
    )
    assert report.outcome == "written"
    assert report.rejected_rows == 14
    assert report.added == 416 + 208
    with report.rejected_file.open(encoding="utf-8-sig") as handle:
        rejected = list(csv.reader(handle))
    assert len(rejected) == 15
    assert rejected[1][1] == "38"
    assert rejected[1][2].startswith("code_name_mismatch")
    male = stored(db, "JP", "32.75", 2020, "sex=male")
    female = stored(db, "JP", "32.75", 2020, "sex=female")
    assert stored(db, "JP", "32.75", 2020) == male + female
    with db.connect() as connection:
        total = query_values(
            connection, indicators=["JP"], areas=["32.75"], years=[2020]
        )
    assert [v.is_derived for v in total if v.disaggregation == ""] == [True]


def test_rejected_rows_file_keeps_formulas_as_text(db, tmp_path, data_file):
    path = data_file(
        "rumus.csv",
        "kode;nama;tahun;P0\n"
        "32.75;Kota Bekasi;2021;4,74\n"
        "=cmd|' /C calc'!A0;Kota Bekasi;2021;=1+1\n",
    )
    report = run_import(db, path, skip_invalid=True, rejected_dir=tmp_path)
    with report.rejected_file.open(encoding="utf-8-sig") as handle:
        rejected = list(csv.reader(handle))
    assert report.added == 1
    assert rejected[1][3] == "'=cmd|' /C calc'!A0"
    assert rejected[1][6] == "'=1+1"
    assert not any(cell.startswith("=") for row in rejected for cell in row)


def test_unknown_sex_category_rejected(db, data_file):
    path = data_file(
        "jk.csv",
        "kode;tahun;jenis_kelamin;JP\n"
        "32.75;2020;Laki-laki;1300000\n"
        "32.75;2020;Perempuan;1290000\n"
        "32.75;2020;pisang;5\n"
        "32.75;2020;<script>;6\n",
    )
    report = run_import(db, path, dry_run=True)
    errors = [(p.row, p.column, p.value, p.code) for p in report.errors]
    assert errors == [
        (4, "jenis_kelamin", "pisang", "unknown_category"),
        (5, "jenis_kelamin", "<script>", "unknown_category"),
    ]
    assert "laki_laki" in report.errors[0].message("en")
    both = []
    for plain in (True, False):
        importer = Importer(db, "tester")
        importer.checks_plain_rows = plain
        found, records, _ = importer.check_file(path, ImportOptions())
        both.append(([p.to_dict() for p in found.problems], records))
    assert both[0] == both[1]


def test_values_beyond_any_indicator_rejected(db, data_file):
    """PUSKESMAS sets no maximum; a value near the float limit is still refused."""
    path = data_file("besar.csv", "kode;tahun;PUSKESMAS\n32.75.01;2024;1.7e308\n")
    report = run_import(db, path)
    assert [(p.row, p.code) for p in report.errors] == [(2, "above_maximum")]


def test_reimport_changes_nothing(db):
    path = sample_file("statistik/odj_garis_kemiskinan_kabkota_jabar_2018_2020.csv")
    first = run_import(db, path)
    second = run_import(db, path)
    assert first.added == 81
    assert (second.added, second.changed, second.unchanged) == (0, 0, 81)
    with db.connect() as connection:
        history = value_history(connection, indicator="GK", area="32.75", year=2020)
    assert [change.action for change in history] == ["insert"]


def test_first_import_stamps_values_as_their_history(db):
    path = sample_file("statistik/odj_garis_kemiskinan_kabkota_jabar_2018_2020.csv")
    report = run_import(db, path)

    # Compared as stored, so a timestamp written in another form would show.
    same_stamp = sa.text(
        "SELECT COUNT(*) FROM observation o JOIN observation_change c "
        "ON c.observation_id = o.id AND c.action = 'insert' "
        "WHERE o.updated_at = c.changed_at AND o.updated_by = c.changed_by "
        "AND o.import_id = c.import_id"
    )
    with db.connect() as connection:
        matching = connection.execute(same_stamp).scalar_one()
        (stamp,) = {v.updated_at for v in query_values(connection)}
    assert report.added == matching == 81
    assert stamp.year >= 2026


def test_changed_value_keeps_history(db, data_file):
    first = data_file("p0.csv", "kode;tahun;P0\n32.75;2021;4,74\n")
    run_import(db, first)
    second = data_file("p0-revisi.csv", "kode;tahun;P0\n32.75;2021;4,80\n")
    report = run_import(db, second, reason="revisi BPS")
    assert (report.added, report.changed) == (0, 1)
    with db.connect() as connection:
        history = value_history(connection, indicator="P0", area="32.75", year=2021)
    assert [c.action for c in history] == ["insert", "update"]
    change = history[1]
    assert change.old_value == pytest.approx(4.74)
    assert change.new_value == pytest.approx(4.80)
    assert change.source_file == "p0-revisi.csv"
    assert change.changed_by == "tester"
    assert change.reason == "revisi BPS"
    assert change.changed_at is not None
    assert change.to_dict()["changed_at"].endswith("+00:00")


def test_indonesia_2021_semicolon_file(db):
    path = sample_file(
        "statistik/kemiskinan_indikator_kabkota_indonesia_2021_semicolon.csv"
    )
    report = run_import(db, path, year=2021)
    assert report.outcome == "written"
    assert report.added == 514 * 7
    assert stored(db, "P0", "32.75", 2021) == pytest.approx(4.74)
    assert stored(db, "TPT", "32.75", 2021) == pytest.approx(10.88)
    assert stored(db, "P0", "32.16", 2021) == pytest.approx(5.21)
    assert stored(db, "RLS", "13.75", 2021) == pytest.approx(11.34)
    assert stored(db, "PPK", "32.75", 2021) == 15903
    assert stored(db, "P0", "61.02", 2021) == pytest.approx(5.18)
    moved = [p for p in report.warnings if p.code == "parent_changed"]
    assert any(p.value == "Merauke" and "93.01" in p.message("en") for p in moved)
    ignored = [p.column for p in report.problems if p.code == "ignored_column"]
    assert ignored == ["Klasifikasi Kemiskinan"]


def test_year_from_file_name(db):
    path = sample_file(
        "statistik/kemiskinan_indikator_kabkota_indonesia_2021_semicolon.csv"
    )
    report = run_import(db, path, dry_run=True)
    notes = [p for p in report.problems if p.code == "year_from_text"]
    assert [n.params["year"] for n in notes] == [2021]


def test_missing_year_needs_option(db, data_file):
    path = data_file("tanpa_tahun.csv", "kode;P0\n32.75;4,74\n")
    with pytest.raises(InputFileError) as raised:
        run_import(db, path)
    assert "--year" in str(raised.value)


def test_quarcs_bps_codes_that_differ_are_rejected(db, tmp_path):
    path = sample_file(
        "statistik/quarcs_grdp_populasi_kabkota_indonesia_2000_2019_long.csv"
    )
    report = run_import(
        db, path, skip_invalid=True, rejected_dir=tmp_path, source="QuaRCS"
    )
    assert stored(db, "JP", "32.75", 2019) == 3004247
    assert stored(db, "JP", "32.75", 2010) == 2356100
    assert stored(db, "PDRB", "32.75", 2019) == 69405
    pidie = next(p for p in report.errors if p.row == 2)
    assert pidie.code == "code_name_mismatch"
    assert "Kabupaten Pidie" in pidie.message("en")


def test_cahyadsn_population_typo_rejected(db, tmp_path):
    path = sample_file("wilayah/cahyadsn_penduduk_2025_prov_kabkota.csv")
    report = run_import(
        db,
        path,
        indicator="JP",
        year=2025,
        skip_invalid=True,
        rejected_dir=tmp_path,
        source="Dukcapil",
    )
    assert [(p.row, p.code) for p in report.errors] == [(548, "code_name_mismatch")]
    assert stored(db, "JP", "32.75", 2025) == 2572209
    assert stored(db, "JP", "32.75", 2025, "sex=female") == 1287116
    assert stored(db, "JP", "ID", 2025) == 284973643


def test_float_codes_are_repaired_when_the_name_agrees(db):
    path = sample_file("wilayah/cahyadsn_luas_wilayah_big2024_prov_kabkota.csv")
    report = run_import(db, path, year=2024)
    assert report.outcome == "written"
    repaired = [p for p in report.warnings if p.code == "code_repaired"]
    assert any(p.value == "11.1" for p in repaired)
    assert stored(db, "LUAS", "11.10", 2024) == pytest.approx(1851.615)
    assert stored(db, "LUAS", "32.75", 2024) == pytest.approx(213.036)


def test_every_error_reported_and_nothing_written(db, data_file):
    path = data_file(
        "buruk.csv",
        "kode_wilayah,indikator,tahun,nilai\n"
        "32.75,P0,2021,4.74\n"
        "32.75.99,P0,2021,5\n"
        "32.75,P0,20x1,5\n"
        "32.75,P0,2020,lima\n"
        "32.75,P0,2019,140\n"
        "32.75,XYZ,2019,1\n",
    )
    report = run_import(db, path)
    assert report.outcome == "rejected"
    found = [(p.row, p.column, p.value, p.code) for p in report.errors]
    assert found == [
        (3, "kode_wilayah", "32.75.99", "unknown_area_code"),
        (4, "tahun", "20x1", "invalid_year"),
        (5, "nilai", "lima", "invalid_number"),
        (6, "nilai", "140", "above_maximum"),
        (7, "indikator", "XYZ", "unknown_indicator"),
    ]
    for problem in report.errors:
        assert problem.file == "buruk.csv"
        assert problem.message("id")
        assert problem.message("en")
    assert stored(db, "P0", "32.75", 2021) == []


def test_tidy_file_with_options(db, data_file):
    path = data_file(
        "dinkes.csv",
        "Nama Kelurahan|Tahun Data|Jumlah|Jenis Kelamin\n"
        "Kali Abang Tengah|2023|12|Laki-laki\n"
        "Kali Abang Tengah|2023|9|Perempuan\n"
        "Jaka Sampurna|2023|-|Laki-laki\n",
    )
    report = run_import(
        db,
        path,
        indicator="BALITA_STUNTING",
        area_columns=["Nama Kelurahan"],
        year_column="Tahun Data",
        value_column="Jumlah",
        disaggregation_columns=["Jenis Kelamin"],
    )
    assert report.outcome == "written"
    assert stored(db, "BALITA_STUNTING", "32.75.03.1001", 2023, "sex=male") == 12
    assert stored(db, "BALITA_STUNTING", "32.75.03.1001", 2023) == 21
    assert stored(db, "BALITA_STUNTING", "32.75.02.1005", 2023, "sex=male") == []


def test_unknown_indicator_option(db, data_file):
    path = data_file("x.csv", "kode,tahun,nilai\n32.75,2021,1\n")
    with pytest.raises(IndicatorNotFound):
        run_import(db, path, indicator="NOPE")


def test_survey_indicator_below_its_level_rejected(db, data_file):
    path = data_file("p0-kel.csv", "kode,tahun,P0\n32.75.03.1001,2021,4\n")
    report = run_import(db, path)
    assert [p.code for p in report.errors] == ["below_lowest_level"]


def test_conflicting_duplicates_rejected(db, data_file):
    path = data_file(
        "dup.csv", "kode,tahun,P0\n32.75,2021,4\n32.75,2021,5\n32.75,2021,4\n"
    )
    report = run_import(db, path)
    assert [(p.row, p.code) for p in report.errors] == [(3, "conflicting_duplicate")]
    assert [(p.row, p.code) for p in report.warnings] == [(4, "repeated_duplicate")]


def two_sheet_workbook(path, first_rows, second_rows):
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "A"
    second = workbook.create_sheet("B")
    for sheet, rows in ((first, first_rows), (second, second_rows)):
        sheet.append(["kode", "tahun", "P0"])
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def test_key_repeated_on_two_sheets_imported_once(db, tmp_path):
    path = two_sheet_workbook(
        tmp_path / "dua.xlsx",
        [["32.75", 2021, 4.74], ["32.75", 2022, 4.5]],
        [["32.75", 2022, 4.5], ["32.75", 2023, 4.2]],
    )

    report = run_import(db, path)
    again = run_import(db, path)

    assert report.outcome == "written"
    assert report.added == 3
    assert [(p.sheet, p.row, p.code) for p in report.warnings] == [
        ("B", 2, "repeated_duplicate")
    ]
    assert report.warnings[0].params["other_row"] == "3 (A)"
    assert (again.added, again.changed, again.unchanged) == (0, 0, 3)


def test_key_conflicting_on_two_sheets_rejected(db, tmp_path):
    path = two_sheet_workbook(
        tmp_path / "dua.xlsx",
        [["32.75", 2021, 4.74]],
        [["32.75", 2021, 5.1], ["32.75", 2023, 4.2]],
    )

    report = run_import(db, path)

    assert report.outcome == "rejected"
    assert [(p.sheet, p.row, p.code) for p in report.errors] == [
        ("B", 2, "conflicting_duplicate")
    ]
    assert stored(db, "P0", "32.75", 2021) == []
    assert stored(db, "P0", "32.75", 2023) == []


def test_key_conflicting_on_two_sheets_skipped(db, tmp_path):
    path = two_sheet_workbook(
        tmp_path / "dua.xlsx",
        [["32.75", 2021, 4.74]],
        [["32.75", 2021, 5.1], ["32.75", 2023, 4.2]],
    )

    report = run_import(db, path, skip_invalid=True, rejected_dir=tmp_path)

    assert (report.outcome, report.added, report.rejected_rows) == ("written", 2, 1)
    assert stored(db, "P0", "32.75", 2021) == pytest.approx(4.74)
    assert stored(db, "P0", "32.75", 2023) == pytest.approx(4.2)


def test_not_applicable_is_stored_as_null(db, data_file):
    path = data_file(
        "na.csv", "kode,tahun,JARAK_SMP\n32.75.03.1001,2024,tidak berlaku\n"
    )
    report = run_import(db, path)
    assert report.outcome == "written"
    with db.connect() as connection:
        values = query_values(connection, indicators=["JARAK_SMP"])
    assert [(v.area, v.value) for v in values] == [("32.75.03.1001", None)]


def test_dry_run_writes_nothing(db):
    path = sample_file("statistik/odj_garis_kemiskinan_kabkota_jabar_2018_2020.csv")
    report = run_import(db, path, dry_run=True)
    assert report.outcome == "checked"
    assert report.observations == 81
    assert (report.added, report.changed, report.unchanged) == (81, 0, 0)
    assert stored(db, "GK", "32.75", 2020) == []
    with db.connect() as connection:
        runs = connection.execute(sa.select(sa.func.count()).select_from(import_run))
        assert runs.scalar() == 0


def test_dry_run_counts_what_would_change(db, data_file):
    path = sample_file("statistik/odj_garis_kemiskinan_kabkota_jabar_2018_2020.csv")
    run_import(db, path)
    text = path.read_text(encoding="utf-8").replace("657953", "657954")
    changed = data_file("gk_ubah.csv", text)

    report = run_import(db, changed, dry_run=True, reason="periksa")

    assert (report.added, report.changed, report.unchanged) == (0, 1, 80)
    assert stored(db, "GK", "32.75", 2020) == 657953


def test_unit_column_converts(db, data_file):
    path = data_file(
        "jpm.csv", "kode,tahun,jumlah_penduduk_miskin,satuan\n32.75,2021,140000,JIWA\n"
    )
    report = run_import(db, path)
    assert stored(db, "JPM", "32.75", 2021) == pytest.approx(140.0)
    assert [p.code for p in report.problems if p.code == "unit_converted"] == [
        "unit_converted"
    ]


def test_unit_mismatch_rejected(db, data_file):
    path = data_file(
        "jpm.csv", "kode,tahun,jumlah_penduduk_miskin,satuan\n32.75,2021,14,PERSEN\n"
    )
    report = run_import(db, path)
    assert [p.code for p in report.errors] == ["unit_mismatch"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.csv", ""),
        ("binary.csv", "\x00\x01\x02garbage"),
        ("noheader.csv", "1,2,3\n4,5,6\n"),
        ("huge_cell.csv", "kode;P0\n32.75;" + "9" * 200_000 + "\n"),
    ],
)
def test_unreadable_files_raise(db, data_file, name, content):
    path = data_file(name, content)
    with pytest.raises(InputFileError) as raised:
        run_import(db, path, indicator="P0", year=2021)
    assert name in str(raised.value)


def test_utf16_text_from_excel(db, data_file):
    """Excel's "Unicode text" is tab-separated UTF-16 with a byte-order mark."""
    text = "kode\tnama\tP0\n32.75\tKota Bekasi\t4,74\n"
    path = data_file("unicode.txt", "\ufeff" + text, encoding="utf-16-le")
    report = run_import(db, path, year=2021)
    assert report.outcome == "written"
    assert stored(db, "P0", "32.75", 2021) == pytest.approx(4.74)


def test_catalogue_has_core_codes(db):
    with db.connect() as connection:
        catalogue = Catalogue.load(connection)
    core = {
        "P0",
        "P1",
        "P2",
        "JPM",
        "GK",
        "JP",
        "IPM",
        "TPT",
        "GINI",
        "RLS",
        "UHH",
        "PPK",
        "SANITASI",
        "AIR_MINUM",
        "PDRB",
    }
    assert core <= set(catalogue.by_code)
    assert len(catalogue) >= 90
    sectors = {item.sector for item in catalogue}
    assert len(sectors) >= 10


def test_locked_derived_total_reported(db, data_file):
    total = data_file("jp.csv", "kode;tahun;JP\n32.75;2020;2590000\n")
    run_import(db, total, status="verified")
    by_sex = data_file(
        "jp-jk.csv",
        "kode;tahun;jenis_kelamin;JP\n"
        "32.75;2020;Laki-laki;1300000\n"
        "32.75;2020;Perempuan;1291000\n",
    )

    report = run_import(db, by_sex)

    assert report.outcome == "rejected"
    assert [(p.row, p.code) for p in report.errors] == [(2, "locked_derived_total")]
    message = report.errors[0].message("en")
    assert "JP 32.75 2020 summed from its categories, 2591000" in message
    assert "stored value 2590000," in message
    assert stored(db, "JP", "32.75", 2020) == 2590000


def test_locked_values_need_a_reason(db, data_file):
    first = data_file("p0.csv", "kode;tahun;P0\n32.75;2021;4,74\n")
    run_import(db, first, status="published")
    revised = data_file("p0-revisi.csv", "kode;tahun;P0\n32.75;2021;4,80\n")
    report = run_import(db, revised)
    assert report.outcome == "rejected"
    assert [(p.row, p.code) for p in report.errors] == [(2, "locked_value")]
    assert "sudah terbit dan terkunci" in report.errors[0].message("id")
    assert "is published and locked" in report.errors[0].message("en")
    assert stored(db, "P0", "32.75", 2021) == pytest.approx(4.74)
    report = run_import(db, revised, reason="BPS revised the 2021 figure")
    assert report.changed == 1
    assert stored(db, "P0", "32.75", 2021) == pytest.approx(4.80)


def test_missing_sheet_message_in_both_languages(tmp_path):
    path = tmp_path / "data.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Data"
    workbook.save(path)

    with pytest.raises(InputFileError) as raised:
        read_tables(path, sheet="Lampiran")

    assert raised.value.text("id") == (
        "Buku kerja data.xlsx tidak punya lembar 'Lampiran'. Lembarnya: Data."
    )
    assert raised.value.text("en") == (
        "Workbook data.xlsx has no sheet 'Lampiran'. Its sheets are: Data."
    )


def test_undecodable_text_message_in_both_languages():
    with pytest.raises(InputFileError) as raised:
        decode_text("data.csv", b"kode;nilai\n32.75;\x81\x8d\n")

    assert raised.value.text("id").startswith(
        "Berkas data.csv bukan teks UTF-8 maupun Windows-1252."
    )
    assert raised.value.text("en").startswith(
        "File data.csv is neither UTF-8 nor Windows-1252 text."
    )
