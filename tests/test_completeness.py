import pytest
import sqlalchemy as sa

from p3bm.areas import codes, get_area
from p3bm.catalogue import (
    Catalogue,
    known_skpd_codes,
    read_catalogue_file,
    store_catalogue,
)
from p3bm.completeness import Coverage, Tally, compute_completeness
from p3bm.imports import Importer, ImportOptions
from p3bm.storage.schema import indicator as indicator_table
from p3bm.storage.schema import observation

# Nine indicators whose levels, frequencies, sectors, data types and SKPDs
# make every count below small enough to check by hand.
SMALL_CATALOGUE = """\
code,name,name_en,unit,polarity,aggregation,sector,data_type,skpd,lowest_level,\
frequency_years,frequency_base_year
NTP,Nilai tukar petani,Farmers' terms of trade,indeks,+,none,ekonomi,statistik,\
BAPPEDA,provinsi,1,
P0,Persentase penduduk miskin,Poverty rate,%,-,none,kemiskinan,statistik,\
BAPPEDA,kabupaten,1,
GK,Garis kemiskinan,Poverty line,rupiah,0,none,kemiskinan,statistik,\
BAPPEDA,kabupaten,1,
TPT,Tingkat pengangguran terbuka,Unemployment rate,%,-,none,ketenagakerjaan,\
statistik,BAPPEDA,kabupaten,1,
AKB,Angka kematian bayi,Infant mortality rate,per 1.000,-,none,kesehatan_gizi,\
sektoral,DINKES,kabupaten,1,
ABR,Angka kelahiran remaja,Adolescent birth rate,per 1.000,-,none,kesehatan_gizi,\
statistik,BAPPEDA,kabupaten,5,2017
UMKM,Usaha mikro kecil menengah,Small enterprises,unit,+,sum,ekonomi,sektoral,\
DISKOPUKM,kecamatan,1,
STUNTING,Prevalensi stunting,Stunting prevalence,%,-,none,kesehatan_gizi,\
sektoral,DINKES,kelurahan,1,
JARAK_SMP,Jarak ke SMP terdekat,Distance to junior secondary school,km,-,max,\
pendidikan,statistik,BAPPEDA,kelurahan,3,2018
"""
BEKASI = "32.75"
BEKASI_TIMUR = "32.75.01"
BEKASIJAYA = "32.75.01.1001"
FILLED_2021 = """\
kode,tahun,P0,GK,AKB
32.75,2021,4.74,657953,21.5
"""
STUNTING_2021 = """\
kode,tahun,STUNTING
32.75.01.1001,2021,12.5
32.75.01.1002,2021,9.8
32.75.02.1001,2021,15.1
"""
UMKM_2021 = """\
kode,tahun,UMKM
32.75.01,2021,1520
32.75.05,2021,2210
"""
KOTA_2021 = {"P0", "GK", "TPT", "AKB", "UMKM", "STUNTING", "JARAK_SMP"}
KOTA_2022 = {"P0", "GK", "TPT", "AKB", "UMKM", "STUNTING", "ABR"}
LOADED_2021 = {"P0", "TPT", "RLS", "UHH", "AIR_MINUM", "SANITASI", "PPK"}


@pytest.fixture
def small(db, tmp_path):
    """``db`` with the small catalogue in place of the default one."""
    path = tmp_path / "katalog.csv"
    path.write_text(SMALL_CATALOGUE, encoding="utf-8")
    with db.begin() as connection:
        items = read_catalogue_file(path, known_skpd_codes(connection))
        store_catalogue(connection, items, user="tester")
    return db


def load(database, data_file, name, text, **options):
    path = data_file(name, text)
    report = Importer(database, "tester").import_file(path, ImportOptions(**options))
    assert report.outcome == "written", [p.code for p in report.errors]
    return report


def completeness(database, area_code, year, **options):
    with database.connect() as connection:
        area = get_area(connection, area_code)
        catalogue = Catalogue.load(connection)
        return compute_completeness(connection, catalogue, area, year, **options)


def codes_of(result):
    return {state.code for state in result.indicators}


def tallies(group):
    return {t.key: (t.filled, t.expected, t.percent) for t in group}


def coverage_of(result):
    return {
        (c.indicator, c.level): (c.filled, c.areas, c.percent) for c in result.coverage
    }


def independent_counts(connection, area_code: str, level: int, year: int):
    """Expected and filled indicator codes, from the tables and the definition."""
    rows = connection.execute(
        sa.select(
            indicator_table.c.code,
            indicator_table.c.lowest_level,
            indicator_table.c.frequency_years,
            indicator_table.c.frequency_base_year,
        )
    ).all()
    expected = {
        code
        for code, lowest, every, base in rows
        if lowest >= level and (every <= 1 or (year - (base or year)) % every == 0)
    }
    with_value = set(
        connection.execute(
            sa.select(observation.c.indicator_code)
            .where(
                observation.c.area_code == area_code,
                observation.c.year == year,
                observation.c.value.is_not(None),
            )
            .distinct()
        ).scalars()
    )
    return expected, expected & with_value


@pytest.mark.parametrize(
    ("area", "year", "expected"),
    [
        ("32", 2021, KOTA_2021 | {"NTP"}),
        (BEKASI, 2021, KOTA_2021),
        (BEKASI, 2022, KOTA_2022),
        (BEKASI_TIMUR, 2021, {"UMKM", "STUNTING", "JARAK_SMP"}),
        (BEKASI_TIMUR, 2022, {"UMKM", "STUNTING"}),
        (BEKASIJAYA, 2021, {"STUNTING", "JARAK_SMP"}),
        (BEKASIJAYA, 2022, {"STUNTING"}),
        (BEKASIJAYA, 2024, {"STUNTING", "JARAK_SMP"}),
        (BEKASIJAYA, 2015, {"STUNTING", "JARAK_SMP"}),
    ],
)
def test_expected_by_level_and_frequency(small, area, year, expected):
    result = completeness(small, area, year)
    assert codes_of(result) == expected
    assert result.expected == len(expected)
    assert result.filled == 0
    assert result.percent == 0.0


def test_expected_of_default_catalogue(db):
    for level, area in [
        (codes.REGENCY, BEKASI),
        (codes.DISTRICT, BEKASI_TIMUR),
        (codes.VILLAGE, BEKASIJAYA),
    ]:
        for year in (2020, 2021, 2022):
            with db.connect() as connection:
                expected_codes, _ = independent_counts(connection, area, level, year)
            found = codes_of(completeness(db, area, year))
            assert found == expected_codes, (area, year)


def test_filled_with_breakdowns(small, data_file):
    load(small, data_file, "kota.csv", FILLED_2021)
    load(small, data_file, "stunting.csv", STUNTING_2021)
    load(small, data_file, "umkm.csv", UMKM_2021)
    result = completeness(small, BEKASI, 2021)
    assert (result.filled, result.expected, result.percent) == (3, 7, 42.9)
    assert {s.code for s in result.missing} == {"TPT", "UMKM", "STUNTING", "JARAK_SMP"}
    assert tallies(result.by_data_type) == {
        "statistik": (2, 4, 50.0),
        "sektoral": (1, 3, 33.3),
    }
    assert tallies(result.by_skpd) == {
        "BAPPEDA": (2, 4, 50.0),
        "DINKES": (1, 2, 50.0),
        "DISKOPUKM": (0, 1, 0.0),
    }
    assert tallies(result.by_sector) == {
        "kemiskinan": (2, 2, 100.0),
        "ketenagakerjaan": (0, 1, 0.0),
        "kesehatan_gizi": (1, 2, 50.0),
        "ekonomi": (0, 1, 0.0),
        "pendidikan": (0, 1, 0.0),
    }
    assert tallies(result.by_level) == {
        "regency": (3, 7, 42.9),
        "district": (2, 12 * 3, 5.6),
        "village": (3, 56 * 2, 2.7),
    }


def test_breakdown_labels(small):
    with small.connect() as connection:
        area = get_area(connection, BEKASI)
        catalogue = Catalogue.load(connection)
        result = compute_completeness(
            connection,
            catalogue,
            area,
            2021,
            skpd_names={"DINKES": "Dinas Kesehatan"},
            lang="en",
        )
    sectors = {t.key: t.label for t in result.by_sector}
    skpd = {t.key: t.label for t in result.by_skpd}
    assert sectors["kesehatan_gizi"] == "Health and nutrition"
    assert skpd["DINKES"] == "Dinas Kesehatan"
    assert skpd["BAPPEDA"] == "BAPPEDA"


def test_sub_area_coverage(small, data_file):
    load(small, data_file, "stunting.csv", STUNTING_2021)
    load(small, data_file, "umkm.csv", UMKM_2021)
    result = completeness(small, BEKASI, 2021)
    assert coverage_of(result) == {
        ("UMKM", "district"): (2, 12, 16.7),
        ("STUNTING", "district"): (0, 12, 0.0),
        ("STUNTING", "village"): (3, 56, 5.4),
        ("JARAK_SMP", "district"): (0, 12, 0.0),
        ("JARAK_SMP", "village"): (0, 56, 0.0),
    }


def test_kecamatan_counts_its_kelurahan(small, data_file):
    load(small, data_file, "stunting.csv", STUNTING_2021)
    load(small, data_file, "umkm.csv", UMKM_2021)
    result = completeness(small, BEKASI_TIMUR, 2021)
    assert (result.filled, result.expected, result.percent) == (1, 3, 33.3)
    assert tallies(result.by_level) == {
        "district": (1, 3, 33.3),
        "village": (2, 4 * 2, 25.0),
    }
    assert coverage_of(result)[("STUNTING", "village")] == (2, 4, 50.0)


def test_kelurahan_has_no_sub_areas(small, data_file):
    load(small, data_file, "stunting.csv", STUNTING_2021)
    result = completeness(small, BEKASIJAYA, 2021)
    assert (result.filled, result.expected, result.percent) == (1, 2, 50.0)
    assert tallies(result.by_level) == {"village": (1, 2, 50.0)}
    assert result.coverage == []


def test_not_applicable_leaves_expected(small, data_file):
    load(
        small,
        data_file,
        "na.csv",
        "kode,tahun,JARAK_SMP,STUNTING\n"
        "32.75.01.1001,2021,tidak berlaku,12.5\n"
        "32.75,2021,tidak berlaku,\n",
    )
    with small.connect() as connection:
        stored = connection.execute(
            sa.select(observation.c.area_code, observation.c.value).where(
                observation.c.indicator_code == "JARAK_SMP"
            )
        ).all()
    assert sorted(stored) == [(BEKASI, None), (BEKASIJAYA, None)]
    kelurahan = completeness(small, BEKASIJAYA, 2021)
    assert codes_of(kelurahan) == {"STUNTING"}
    assert (kelurahan.filled, kelurahan.expected, kelurahan.percent) == (1, 1, 100.0)
    kota = completeness(small, BEKASI, 2021)
    assert codes_of(kota) == KOTA_2021 - {"JARAK_SMP"}
    assert tallies(kota.by_level)["village"] == (1, 56 * 2 - 1, 0.9)
    assert coverage_of(kota)[("JARAK_SMP", "village")] == (0, 55, 0.0)
    assert coverage_of(kota)[("STUNTING", "village")] == (1, 56, 1.8)


def test_not_applicable_only_in_its_year(small, data_file):
    load(
        small,
        data_file,
        "na.csv",
        "kode,tahun,JARAK_SMP\n32.75.01.1001,2018,tidak berlaku\n",
    )
    assert codes_of(completeness(small, BEKASIJAYA, 2018)) == {"STUNTING"}
    assert codes_of(completeness(small, BEKASIJAYA, 2021)) == {"STUNTING", "JARAK_SMP"}


@pytest.mark.parametrize(
    ("verified_only", "filled"),
    [(False, {"P0", "GK", "AKB"}), (True, {"GK", "AKB"})],
)
def test_verified_only_counts_verified(small, data_file, verified_only, filled):
    load(small, data_file, "p0.csv", "kode,tahun,P0\n32.75,2021,4.74\n", status="draft")
    load(
        small,
        data_file,
        "gk.csv",
        "kode,tahun,GK\n32.75,2021,657953\n",
        status="published",
    )
    load(
        small,
        data_file,
        "akb.csv",
        "kode,tahun,AKB\n32.75,2021,21.5\n",
        status="verified",
    )
    result = completeness(small, BEKASI, 2021, verified_only=verified_only)
    assert {s.code for s in result.indicators if s.is_filled} == filled
    assert result.filled == len(filled)
    assert result.verified_only is verified_only


def test_verified_only_lag_skips_drafts(small, data_file):
    load(small, data_file, "p0.csv", "kode,tahun,P0\n32.75,2019,5.01\n")
    load(
        small, data_file, "p0b.csv", "kode,tahun,P0\n32.75,2021,4.74\n", status="draft"
    )
    states = {
        s.code: s
        for s in completeness(small, BEKASI, 2021, verified_only=True).indicators
    }
    assert states["P0"].is_filled is False
    assert states["P0"].latest_year == 2019
    assert states["P0"].lag == 2


def test_lag_of_each_indicator(small, data_file):
    load(
        small,
        data_file,
        "lama.csv",
        "kode,tahun,P0,GK,TPT\n"
        "32.75,2016,5.8,,\n"
        "32.75,2018,,582723,\n"
        "32.75,2021,,,10.88\n"
        "32.75,2023,4.2,,\n",
    )
    states = {s.code: s for s in completeness(small, BEKASI, 2021).indicators}
    found = {code: (s.is_filled, s.latest_year, s.lag) for code, s in states.items()}
    assert found["P0"] == (False, 2016, 5)
    assert found["GK"] == (False, 2018, 3)
    assert found["TPT"] == (True, 2021, 0)
    assert found["AKB"] == (False, None, None)


@pytest.mark.parametrize(
    ("stale_after_years", "stale"),
    [(3, {"P0"}), (4, {"P0"}), (5, set()), (2, {"P0", "GK"}), (0, {"P0", "GK"})],
)
def test_stale_after_years(small, data_file, stale_after_years, stale):
    load(
        small,
        data_file,
        "lama.csv",
        "kode,tahun,P0,GK,TPT\n32.75,2016,5.8,,\n32.75,2018,,582723,\n"
        "32.75,2021,,,10.88\n",
    )
    result = completeness(small, BEKASI, 2021, stale_after_years=stale_after_years)
    assert {s.code for s in result.stale} == stale
    assert result.to_dict()["settings"]["stale_after_years"] == stale_after_years


@pytest.mark.parametrize(
    ("filled", "expected", "percent"),
    [
        (65, 91, 71.4),
        (3, 56, 5.4),
        (1, 3, 33.3),
        (2, 3, 66.7),
        (1, 16, 6.3),
        (3, 16, 18.8),
        (1, 8, 12.5),
        (0, 7, 0.0),
        (7, 7, 100.0),
        (0, 0, None),
    ],
)
def test_percent_rounds_half_up(filled, expected, percent):
    assert Tally("k", "k", expected, filled).percent == percent
    assert Coverage("X", "village", expected, filled).percent == percent


def test_to_dict_top_keys(small, data_file):
    load(small, data_file, "kota.csv", FILLED_2021)
    data = completeness(small, BEKASI, 2021).to_dict()
    assert (data["expected"], data["filled"], data["percent"]) == (7, 3, 42.9)
    assert data["area"] == BEKASI
    assert data["area_name"] == "Kota Bekasi"
    assert {m["code"] for m in data["missing"]} == {
        "TPT",
        "UMKM",
        "STUNTING",
        "JARAK_SMP",
    }


def test_bekasi_2021_real_values(loaded_db):
    with loaded_db.connect() as connection:
        expected, filled = independent_counts(connection, BEKASI, codes.REGENCY, 2021)
        district_expected, _ = independent_counts(
            connection, BEKASI_TIMUR, codes.DISTRICT, 2021
        )
        village_expected, _ = independent_counts(
            connection, BEKASIJAYA, codes.VILLAGE, 2021
        )
    result = completeness(loaded_db, BEKASI, 2021)
    assert filled == LOADED_2021
    assert result.expected == len(expected)
    assert result.filled == len(filled)
    assert result.percent == round(100 * len(filled) / len(expected), 1)
    assert {s.code for s in result.indicators if s.is_filled} == filled
    assert tallies(result.by_level)["district"] == (0, 12 * len(district_expected), 0.0)
    assert tallies(result.by_level)["village"] == (0, 56 * len(village_expected), 0.0)
    assert tallies(result.by_data_type)["statistik"][0] == 7
    assert tallies(result.by_data_type)["sektoral"][0] == 0


@pytest.mark.parametrize(
    ("code", "latest_year", "lag"),
    [("JPM", 2020, 1), ("GK", 2020, 1), ("JP", 2020, 1), ("PDRB", 2019, 2)],
)
def test_bekasi_2021_real_lags(loaded_db, code, latest_year, lag):
    states = {s.code: s for s in completeness(loaded_db, BEKASI, 2021).indicators}
    assert states[code].is_filled is False
    assert states[code].latest_year == latest_year
    assert states[code].lag == lag
    assert states[code].is_stale is False
