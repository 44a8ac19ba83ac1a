"""Checking plain rows column by column gives what reading row by row gives.

The import checks the rows with nothing unusual in them all at once, and the
others one by one. Both ways must find the same records and the same problems
in the same order, on the public tables and on files made to hit each check.
"""

import pytest

from conftest import sample_file
from p3bm.imports import Importer, ImportOptions

SAMPLES = [
    ("statistik/odj_jumlah_penduduk_miskin_kabkota_jabar.csv", {}),
    ("statistik/odj_garis_kemiskinan_kabkota_jabar_2018_2020.csv", {}),
    ("statistik/odj_jumlah_penduduk_jenis_kelamin_kabkota_jabar.csv", {}),
    ("statistik/kemiskinan_indikator_kabkota_indonesia_2021_semicolon.csv", {}),
    (
        "statistik/quarcs_grdp_populasi_kabkota_indonesia_2000_2019_long.csv",
        {"source": "QuaRCS"},
    ),
    ("statistik/provinsi/bps_persentase_penduduk_miskin_provinsi_2010_2022.xlsx", {}),
    ("statistik/provinsi/bps_ipm_provinsi_2010_2021.xlsx", {}),
    ("messy/bps_export_garis_kemiskinan_jabar_2018_2020.xls", {}),
    ("messy/odj_garis_kemiskinan_provinsi_jabar_semicolon_bom.csv", {}),
    (
        "wilayah/cahyadsn_penduduk_2025_prov_kabkota.csv",
        {"indicator": "JP", "year": 2025, "source": "Dukcapil"},
    ),
    ("wilayah/cahyadsn_luas_wilayah_big2024_prov_kabkota.csv", {"year": 2024}),
]

# Every line below trips a different check, between plain rows.
MIXED_ROWS = """kode_wilayah;indikator;tahun;nilai
32.75;P0;2021;4,74
32.75.01;P0;2021;5,1
32.75;P0;2021;4,80
32.75;P0;2022;140
32.75;XX;2022;1
99.99;P0;2022;1
32.75;P0;20x2;1
32.75;P0;2019;-
32.75;JPM;2019;0
32.75;JPM;2020;1.234,5
32.75.01.1001;P0;2021;2
32.75.01.1001;AKB;2021;abc
32.75;GK;2020;657.953
3275;GK;2019;600000
32.75.01;TPT;2021;7,5
"""


def both_ways(db, path, options):
    results = []
    for plain in (True, False):
        importer = Importer(db, "tester")
        importer.checks_plain_rows = plain
        report, records, rejected = importer.check_file(path, ImportOptions(**options))
        problems = [problem.to_dict("en") for problem in report.problems]
        results.append((records, problems, rejected))
    return results


@pytest.mark.parametrize(("relative", "options"), SAMPLES, ids=lambda x: str(x)[-40:])
def test_sample_tables_same_report(db, relative, options):
    column_wise, row_wise = both_ways(db, sample_file(relative), options)
    assert column_wise[0], "the table gave no record"
    assert column_wise == row_wise


def test_mixed_rows_same_report(db, data_file):
    path = data_file("campuran.csv", MIXED_ROWS)
    column_wise, row_wise = both_ways(db, path, {})
    assert column_wise == row_wise
    codes = {problem["code"] for problem in column_wise[1]}
    assert {
        "conflicting_duplicate",
        "unknown_area_code",
        "unknown_indicator",
        "above_maximum",
        "invalid_number",
        "invalid_year",
        "below_lowest_level",
    } <= codes
