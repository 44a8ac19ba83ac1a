import csv
import json

import pytest
import sqlalchemy as sa

from conftest import sample_file
from p3bm.areas import codes, get_area, list_areas, load_region, region_code
from p3bm.areas.boundaries import import_boundaries
from p3bm.areas.crosswalk import import_crosswalk
from p3bm.areas.index import AreaIndex
from p3bm.areas.names import name_key
from p3bm.errors import AmbiguousAreaName, AreaNotFound, ImportRejected, RegionNotFound
from p3bm.storage.schema import area as area_table


def test_bekasi_region_counts(db):
    with db.connect() as connection:
        bekasi = get_area(connection, "32.75")
        kecamatan = list_areas(connection, within=bekasi, level=codes.DISTRICT)
        kelurahan = list_areas(connection, within=bekasi, level=codes.VILLAGE)
        provinces = list_areas(connection, level=codes.PROVINCE)
        regencies = list_areas(connection, level=codes.REGENCY)
    assert bekasi.name == "Kota Bekasi"
    assert bekasi.kind == "kota"
    assert len(kecamatan) == 12
    assert len(kelurahan) == 56
    assert all(area.kind == "kelurahan" for area in kelurahan)
    assert len(provinces) == 38
    assert len(regencies) == 514


def test_bps_code_accepted(db):
    with db.connect() as connection:
        assert get_area(connection, "3275").code == "32.75"
        assert get_area(connection, "32").name == "Jawa Barat"
        assert get_area(connection, "ID").name == "Indonesia"


def test_unknown_area_raises(db):
    with db.connect() as connection, pytest.raises(AreaNotFound):
        get_area(connection, "32.99")


def test_region_code_rejects_unknown():
    with pytest.raises(RegionNotFound):
        region_code("99")
    assert region_code("3275") == "32.75"


def test_whole_country_loads(empty_db):
    empty_db.upgrade()
    counts = load_region(empty_db, "ID")
    assert counts["village"] == 83762
    assert counts["district"] == 7285
    with empty_db.connect() as connection:
        total = connection.execute(sa.select(sa.func.count()).select_from(area_table))
        assert total.scalar_one() == 1 + 38 + 514 + 7285 + 83762


def test_reloading_region_adds_nothing(db):
    counts = load_region(db, "3275")
    assert counts["added"] == 0
    assert counts["renamed"] == 0


@pytest.fixture
def index(db):
    with db.connect() as connection:
        return AreaIndex.load(connection)


@pytest.mark.parametrize(
    ("name", "levels", "code"),
    [
        ("Bantar Gebang", {codes.DISTRICT}, "32.75.07"),
        ("BANTARGEBANG", {codes.DISTRICT}, "32.75.07"),
        ("Kali Abang Tengah", {codes.VILLAGE}, "32.75.03.1001"),
        ("Pedurenan (Padurenan)", {codes.VILLAGE}, "32.75.11.1001"),
        ("Jaka Sampurna", {codes.VILLAGE}, None),
        ("KOTA BEKASI", {codes.REGENCY}, "32.75"),
        ("Kabupaten Bekasi", {codes.REGENCY}, "32.16"),
        ("KEP, RIAU", {codes.PROVINCE}, "21"),
        ("KEP. BANGKA BELITUNG", {codes.PROVINCE}, "19"),
        ("DKI JAKARTA", {codes.PROVINCE}, "31"),
        ("DI YOGYAKARTA", {codes.PROVINCE}, "34"),
        ("D I YOGYAKARTA", {codes.PROVINCE}, "34"),
        ("INDONESIA", None, "ID"),
        ("West Java", {codes.PROVINCE}, "32"),
        ("Ambon, Kota", {codes.REGENCY}, "81.71"),
    ],
)
def test_name_matching(index, name, levels, code):
    if code is None:
        found = index.match_name(name, levels=levels)
        assert found.name == "Jakasampurna"
        return
    assert index.match_name(name, levels=levels).code == code


def test_bare_shared_name_is_ambiguous(index):
    with pytest.raises(AmbiguousAreaName) as raised:
        index.match_name("Bekasi", levels={codes.REGENCY})
    assert "Kota Bekasi (32.75)" in raised.value.candidates
    assert "Kabupaten Bekasi (32.16)" in raised.value.candidates
    assert raised.value.text("id").startswith("Nama 'Bekasi' cocok dengan 2 wilayah:")
    assert "Tulis kodenya" in raised.value.text("id")


def test_unknown_name_suggests_in_both_languages(index):
    with pytest.raises(AreaNotFound) as raised:
        index.match_name("Jatiasihh", levels={codes.VILLAGE}, within="32.75")
    assert raised.value.text("id") == (
        "Tidak ada wilayah bernama 'Jatiasihh' di tingkat desa/kelurahan di "
        "Kota Bekasi (32.75). Mungkin maksudnya Jatiasih? Jika bukan, tulis kode "
        "wilayahnya."
    )
    assert raised.value.text("en") == (
        "No area is named 'Jatiasihh' at level village in Kota Bekasi (32.75). "
        "Did you mean Jatiasih? Otherwise write the area code."
    )


def test_bare_name_means_kabupaten_when_preferred(index):
    found = index.match_name("Bekasi", levels={codes.REGENCY}, prefer_kabupaten=True)
    assert found.code == "32.16"


def test_code_name_agreement(index):
    bekasi = index.by_code("3275")
    assert index.name_agrees(bekasi, "KOTA BEKASI")
    assert index.name_agrees(bekasi, "Bekasi")
    assert not index.name_agrees(bekasi, "KABUPATEN BEKASI")
    assert not index.name_agrees(index.by_code("3279"), "KOTA BEKASI")


def test_parenthesised_name_variants():
    assert name_key("Pedurenan (Padurenan)").core == "pedurenanpadurenan"
    assert name_key("Kota Administrasi Jakarta Pusat").kind == "kota"
    assert name_key("Tambrauw, Kab").kind == "kabupaten"


def test_areaid_names_of_bekasi_resolve(index):
    path = sample_file("wilayah/areaid_1.1.2_jawa_barat_kodepos.csv")
    with path.open(encoding="utf-8") as handle:
        rows = [
            r for r in csv.DictReader(handle) if r["kabupaten_kota"] == "Kota Bekasi"
        ]
    assert len(rows) == 56
    found = set()
    for row in rows:
        kecamatan = index.match_name(
            row["kecamatan"], levels={codes.DISTRICT}, within="32.75"
        )
        kelurahan = index.match_name(
            row["desa_kelurahan"], levels={codes.VILLAGE}, within=kecamatan.code
        )
        found.add(kelurahan.code)
    assert len(found) == 56


def test_crosswalk_import(empty_db):
    empty_db.upgrade()
    load_region(empty_db, "32")
    path = sample_file("crosswalk/odj_idm_pencemaran_air_desa_jabar_bps_kemendagri.csv")
    result = import_crosswalk(empty_db, path)
    assert result.pairs == {"district": 538, "village": 5312}
    assert result.pairs_text() == "538 kecamatan, 5312 desa/kelurahan"
    assert result.pairs_text("en") == "538 district, 5312 village"
    warnings = [p for p in result.report.problems if p.code == "ambiguous_mapping"]
    assert [p.value for p in warnings] == ["3209171"]
    with empty_db.connect() as connection:
        index = AreaIndex.load(connection)
    assert index.by_code("3216100005").code == "32.16.01.2001"
    assert index.by_code("3216100.0").code == "32.16.01"
    assert index.by_code("3209171") is None


def test_crosswalk_invalid_rows_store_nothing(empty_db, data_file):
    empty_db.upgrade()
    path = data_file(
        "cw.csv",
        "bps_kode_kecamatan,kemendagri_kode_kecamatan\n3216100,32.16.01\n32161,32.16.02\n",
    )
    with pytest.raises(ImportRejected) as raised:
        import_crosswalk(empty_db, path)
    problem = raised.value.report.errors[0]
    assert problem.code == "invalid_bps_code"
    assert problem.row == 3
    assert problem.column == "bps_kode_kecamatan"
    with empty_db.connect() as connection:
        assert AreaIndex.load(connection).crosswalk == {}


def test_boundaries_attach_by_code(db):
    path = sample_file("boundaries/kota_bekasi_kelurahan.geojson")
    result = import_boundaries(db, path)
    assert result.matched == 56
    assert result.unmatched == []
    assert result.code_property == "kode"
    with db.connect() as connection:
        bekasi = get_area(connection, "32.75")
        with_boundary = [
            a for a in list_areas(connection, within=bekasi) if a.has_boundary
        ]
    assert len(with_boundary) == 56


def test_boundaries_report_unmatched(db, data_file):
    features = [
        {
            "type": "Feature",
            "properties": {"kode": "32.75.01", "nama": "Bekasi Timur"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[107, -6.2], [107.01, -6.2], [107.01, -6.21], [107, -6.2]]
                ],
            },
        },
        {
            "type": "Feature",
            "properties": {"kode": "32.75.99", "nama": "Nowhere"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[107, -6.2], [107.01, -6.2], [107.01, -6.21], [107, -6.2]]
                ],
            },
        },
    ]
    path = data_file(
        "b.geojson", json.dumps({"type": "FeatureCollection", "features": features})
    )
    result = import_boundaries(db, path)
    assert result.matched == 1
    assert result.unmatched == [{"feature": 2, "code": "32.75.99", "name": "Nowhere"}]
