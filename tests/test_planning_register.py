import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from planning_support import (
    HEADER,
    ROWS,
    YEAR,
    add_users,
    full_rows,
    run_cli,
    write_budget_csv,
    write_budget_xlsx,
)

from p3bm.errors import ConflictError, PermissionDenied, WorkflowError
from p3bm.planning import nomenclature as nom
from p3bm.planning.audit import change_history
from p3bm.planning.budget_import import BudgetImporter, BudgetImportOptions
from p3bm.planning.register import (
    BudgetLine,
    CheckContext,
    Location,
    Output,
    check_budget_write,
    check_line,
    delete_line,
    find_line,
    load_lines,
    save_lines,
)
from p3bm.storage.schema import budget_line, planning_change

BALITA = "1.02.02.2.02.0004"
SPAM = "1.03.03.2.01.0005"


def row_of(code: str) -> int:
    """File row of a code: a title row and the header come before ROWS."""
    return 3 + [row[0] for row in ROWS].index(code)


def run_import(db, path, **options):
    return BudgetImporter(db, "tester").import_file(
        path, BudgetImportOptions(**options)
    )


def lines_of(db, **filters):
    with db.connect() as connection:
        return {line.code: line for line in load_lines(connection, **filters)}


def count(db, table) -> int:
    with db.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count()).select_from(table)
        ).scalar_one()


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("1", nom.URUSAN),
        ("1.02", nom.BIDANG),
        ("1.02.02", nom.PROGRAM),
        ("1.02.02.2.02", nom.KEGIATAN),
        ("1.02.02.2.02.0001", nom.SUB_KEGIATAN),
        ("1.02.02.2.02.01x", None),
        ("1.2.02", None),
        ("", None),
    ],
)
def test_nomenclature_levels(code, level):
    assert nom.level_of(code) == level


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        (" 1.02.02.2.02.01 ", "1.02.02.2.02.0001"),
        ("1.06.05.2.02.0001", "1.06.05.2.02.0001"),
        (1.02, "1.02"),
    ],
)
def test_nomenclature_clean_code(text, clean):
    assert nom.clean_code(text) == clean


def test_nomenclature_chain():
    assert nom.chain_of("2.07.03.2.01.0001") == [
        "2",
        "2.07",
        "2.07.03",
        "2.07.03.2.01",
        "2.07.03.2.01.0001",
    ]


@pytest.mark.parametrize("writer", [write_budget_csv, write_budget_xlsx])
def test_budget_import_bekasi(db, tmp_path, writer):
    report = run_import(db, writer(tmp_path / f"apbd.{writer.__name__[-4:]}"))
    assert report.outcome == "written"
    assert report.errors == []
    assert report.lines == 11
    assert report.added == 11
    assert report.pagu_total == pytest.approx(237_300_000_000)
    lines = lines_of(db, year=YEAR)
    assert lines[BALITA].skpd == "DINKES"
    assert lines[BALITA].pagu == pytest.approx(2_350_000_000)
    assert lines[BALITA].is_pro_poor is True
    assert lines[BALITA].indicators == ("STUNTING",)
    assert lines[BALITA].beneficiaries == 4800


def test_budget_import_locations_and_outputs(db, tmp_path):
    run_import(db, write_budget_csv(tmp_path / "apbd.csv"))
    lines = lines_of(db, year=YEAR)
    balita = lines[BALITA]
    assert [loc.area for loc in balita.locations] == [
        "32.75.03.1001",
        "32.75.07.1003",
        "32.75.07.1004",
        "32.75.07.1007",
        "32.75.07.1008",
        "32.75.11.1001",
    ]
    assert [o.name for o in balita.outputs] == [
        "Balita stunting yang mendapat intervensi gizi spesifik",
        "Posyandu yang melaksanakan pemantauan pertumbuhan bulanan",
    ]
    assert balita.outputs[1].target == 120
    amounts = lines[SPAM].location_amounts()
    assert amounts["32.75.07.1007"] == pytest.approx(3_500_000_000)
    assert amounts["32.75.07.1004"] == pytest.approx(1_375_000_000)
    assert lines["1.03.10.2.01.0015"].outputs[0].target == pytest.approx(18.5)
    assert [loc.area for loc in lines["1.04.04.2.01.0003"].locations] == [
        "32.75.06.1004",
        "32.75.07",
    ]


def test_budget_import_names_nomenclature(db, tmp_path):
    run_import(db, write_budget_csv(tmp_path / "apbd.csv"))
    with db.connect() as connection:
        names = nom.load_names(connection)
    assert names["1.06.05"].name == "PROGRAM PERLINDUNGAN DAN JAMINAN SOSIAL"
    assert names[BALITA].name == "Pengelolaan Pelayanan Kesehatan Balita"
    assert names["2"].name.startswith("URUSAN PEMERINTAHAN WAJIB YANG TIDAK")


def test_budget_reimport_changes_nothing(db, tmp_path):
    path = write_budget_xlsx(tmp_path / "apbd.xlsx")
    run_import(db, path)
    history = count(db, planning_change)
    again = run_import(db, path)
    assert again.outcome == "written"
    assert again.added == 0
    assert again.changed == 0
    assert again.unchanged == 11
    assert count(db, planning_change) == history


def test_budget_revision_keeps_history(db, tmp_path):
    run_import(db, write_budget_csv(tmp_path / "apbd.csv"))
    revised = [
        row[:3] + ("2.750.000.000",) + row[4:] if row[0] == BALITA else row
        for row in ROWS
    ]
    revised = [
        row[:3] + ("154.080.000.000",) + row[4:]
        if row[0] in ("1.02.02", "1.02.02.2.02")
        else row
        for row in revised
    ]
    report = run_import(db, write_budget_csv(tmp_path / "apbd-p.csv", revised))
    assert report.changed == 1
    assert report.warnings == []
    line = lines_of(db, year=YEAR)[BALITA]
    assert line.pagu == pytest.approx(2_750_000_000)
    assert line.version == 2
    with db.connect() as connection:
        changes = change_history(connection, "budget_line", entity_id=line.id)
    assert [c.action for c in changes] == ["insert", "update"]
    assert changes[1].old["pagu"] == pytest.approx(2_350_000_000)
    assert changes[1].new["pagu"] == pytest.approx(2_750_000_000)
    assert changes[1].source_file == "apbd-p.csv"


def bad_rows():
    rows = [list(row) for row in full_rows()]
    for row in rows:
        if row[0] == BALITA:
            row[3] = "2,35 M"
        if row[0] == SPAM:
            row[4] = "Ciketingudik; Kelurahan Antah Berantah"
        if row[0] == "1.06.05.2.02.0001":
            row[2] = "Dinas Pariwisata"
            row[10] = "RT_DTKS KEMISKINAN_X"
            row[11] = "mungkin"
    rows.append(["1.02.02.2.02.00x9", "Kode salah", "Dinas Kesehatan", "1000"])
    rows.append(["", "Baris tanpa kode", "Dinas Kesehatan", "5.000.000"])
    return [tuple(row) for row in rows]


def test_budget_errors_write_nothing(db, tmp_path):
    report = run_import(db, write_budget_csv(tmp_path / "salah.csv", bad_rows()))
    assert report.outcome == "rejected"
    assert count(db, budget_line) == 0
    found = {(p.code, p.row, p.column) for p in report.errors}
    social = row_of("1.06.05.2.02.0001")
    last = 3 + len(ROWS)
    assert ("invalid_number", row_of(BALITA), "Pagu (Rp)") in found
    assert ("unknown_area_name", row_of(SPAM), "Lokasi") in found
    unknown = next(p for p in report.errors if p.code == "unknown_area_name")
    assert "Periksa ejaannya atau tulis kode wilayahnya." in unknown.message("id")
    assert "Check the spelling or write the area code." in unknown.message("en")
    assert ("unknown_skpd", social, "Perangkat Daerah") in found
    assert ("unknown_indicator", social, "Indikator Masalah") in found
    assert ("invalid_flag", social, "Pro Poor") in found
    assert ("invalid_budget_code", last, "Kode") in found
    assert ("missing_budget_code", last + 1, "Kode") in found


@pytest.mark.parametrize(
    ("pagu", "code"),
    [("1e300", "amount_too_large"), ("inf", "invalid_number")],
)
def test_budget_import_rejects_huge_pagu(db, tmp_path, pagu, code):
    rows = [row[:3] + (pagu,) + row[4:] if row[0] == BALITA else row for row in ROWS]
    report = run_import(db, write_budget_csv(tmp_path / "besar.csv", rows))
    assert report.outcome == "rejected"
    assert count(db, budget_line) == 0
    problems = [(p.code, p.row, p.column) for p in report.errors]
    assert problems == [(code, row_of(BALITA), "Pagu (Rp)")]


def test_budget_huge_pagu_message(db, tmp_path):
    rows = [row[:3] + ("1e300",) + row[4:] if row[0] == BALITA else row for row in ROWS]
    report = run_import(db, write_budget_csv(tmp_path / "besar.csv", rows))
    problem = report.errors[0]
    assert problem.message("en") == (
        "'1e+300' is too large; Pagu (Rp) must be less than 1,000,000,000,000,000"
    )
    assert problem.message("id") == (
        "'1e+300' terlalu besar; Pagu (Rp) harus kurang dari 1.000.000.000.000.000"
    )


def test_budget_error_messages_bilingual(db, tmp_path):
    report = run_import(db, write_budget_csv(tmp_path / "salah.csv", bad_rows()))
    problem = next(p for p in report.errors if p.code == "unknown_skpd")
    data = problem.to_dict("en")
    assert data["file"] == "salah.csv"
    assert data["value"] == "Dinas Pariwisata"
    assert "SKPD 'Dinas Pariwisata' is unknown" in data["message"]
    assert "SKPD 'Dinas Pariwisata' tidak dikenal" in problem.message("id")


def test_budget_ambiguous_location(db, tmp_path):
    rows = [
        row[:4] + ("Bantargebang",) + row[5:] if row[0] == BALITA else row
        for row in ROWS
    ]
    report = run_import(db, write_budget_csv(tmp_path / "a.csv", rows))
    problem = next(p for p in report.errors if p.code == "ambiguous_area_name")
    assert "32.75.07.1003" in problem.message("en")
    assert "32.75.07)" in problem.message("en")


def test_budget_sum_mismatch_warns(db, tmp_path):
    rows = [
        row[:3] + ("20.000.000.000",) if row[0] == "1.01.02" else row for row in ROWS
    ]
    report = run_import(db, write_budget_csv(tmp_path / "a.csv", rows))
    assert report.outcome == "written"
    assert [(p.code, p.row) for p in report.warnings] == [
        ("pagu_sum_mismatch", row_of("1.01.02"))
    ]


def test_budget_missing_column_rejected(db, tmp_path):
    from p3bm.errors import InputFileError

    path = tmp_path / "a.csv"
    path.write_text("Kode;Uraian\n1.02;KESEHATAN\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="pagu"):
        run_import(db, path)


def test_budget_header_of_file(db, tmp_path):
    assert HEADER[0] == "Kode"
    report = run_import(db, write_budget_csv(tmp_path / "a.csv"), dry_run=True)
    assert report.outcome == "checked"
    assert count(db, budget_line) == 0


def test_budget_dry_run_counts_what_would_change(db, tmp_path):
    path = write_budget_csv(tmp_path / "a.csv")
    first = run_import(db, path, dry_run=True)
    written = run_import(db, path)
    again = run_import(db, path, dry_run=True)

    assert (first.added, first.changed) == (written.added, 0)
    assert first.added > 0
    assert (again.added, again.changed, again.unchanged) == (0, 0, written.added)
    assert count(db, budget_line) == written.added


def test_budget_options_overridden_by_the_file_warn(db, tmp_path):
    path = tmp_path / "b.csv"
    path.write_text(
        "kode;uraian;skpd;pagu;tahun\n"
        f"1.02.02.2.02.0004;Pelayanan Kesehatan Balita;DINKES;100000000;{YEAR}\n",
        encoding="utf-8",
    )
    report = run_import(db, path, dry_run=True, year=YEAR - 1, skpd="DISDIK")

    warned = {(p.code, p.params.get("option")) for p in report.warnings}
    assert ("option_overridden", "year") in warned
    assert ("option_overridden", "skpd") in warned
    assert report.outcome == "checked"
    assert report.added == 1


def make_line(**changes):
    values = {
        "year": YEAR,
        "code": "1.06.04.2.01.0001",
        "skpd": "DINSOS",
        "pagu": 900_000_000.0,
        "is_pro_poor": True,
        "beneficiary_group": "lansia terlantar",
        "beneficiaries": 1500,
        "indicators": ("LANSIA_TERLANTAR",),
        "outputs": (
            Output("Lansia terlantar yang mendapat permakanan", "orang", 1500),
        ),
        "locations": (
            Location("32.75.07.1003", 300_000_000.0),
            Location("32.75.06.1004"),
        ),
        "name": "Penyediaan Permakanan",
    }
    values.update(changes)
    return BudgetLine(**values)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"code": "1.06.04.2.01"}, "not_sub_kegiatan"),
        ({"code": "1.6.04"}, "invalid_budget_code"),
        ({"skpd": "DINAS"}, "unknown_skpd"),
        ({"pagu": -5.0, "locations": ()}, "negative_amount"),
        ({"indicators": ("LANSIA",)}, "unknown_indicator"),
        ({"locations": (Location("32.76.01.1001"),)}, "area_outside_region"),
        ({"locations": (Location("32.75.07.1003", 1e12),)}, "allocation_above_pagu"),
        (
            {"locations": (Location("32.75.07.1003"), Location("32.75.07.1003"))},
            "duplicate_location",
        ),
        ({"outputs": (Output("", "orang", 10),)}, "missing_output_name"),
        ({"pagu": math.nan, "locations": ()}, "invalid_number"),
        ({"pagu": math.inf, "locations": ()}, "invalid_number"),
        ({"pagu": 1e300, "locations": ()}, "amount_too_large"),
        ({"pagu": 1e15, "locations": ()}, "amount_too_large"),
        ({"beneficiaries": 2**40}, "amount_too_large"),
        ({"outputs": (Output("Lansia", "orang", math.inf),)}, "invalid_number"),
        ({"locations": (Location("32.75.07.1003", math.nan),)}, "invalid_number"),
    ],
)
def test_line_checks(db, changes, code):
    with db.connect() as connection:
        problems = check_line(make_line(**changes), CheckContext.load(connection))
    assert [p.code for p in problems] == [code]


def save_in_parallel(db, line, writers: int) -> list:
    """Save ``line`` from ``writers`` threads at once; return each outcome."""
    barrier = threading.Barrier(writers)

    def save(index: int):
        barrier.wait()
        try:
            with db.begin() as connection:
                result = save_lines(connection, [line], user=f"u{index}", channel="api")
            return "added" if result.added else "unchanged"
        except ConflictError as exc:
            return exc

    with ThreadPoolExecutor(writers) as pool:
        return list(pool.map(save, range(writers)))


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_line_parallel_insert_conflicts(db):
    outcomes = save_in_parallel(db, make_line(), 8)
    assert outcomes.count("added") == 1
    others = [o for o in outcomes if o != "added"]
    assert all(o == "unchanged" or isinstance(o, ConflictError) for o in others)
    assert len(lines_of(db)) == 1
    assert count(db, budget_line) == 1


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_nomenclature_insert_waits_for_other(db):
    items = [nom.Item("1.06.04.2.01.0001", "Penyediaan Permakanan")]

    def store_again():
        with db.begin() as connection:
            return nom.store_items(connection, items, "b")

    with ThreadPoolExecutor(1) as pool:
        with db.begin() as first:
            added = nom.store_items(first, items, "a")
            second = pool.submit(store_again)
            time.sleep(1.0)
            assert not second.done()
        counts = second.result(timeout=30)
    assert added["added"] == 5
    assert counts == {"added": 0, "renamed": 0, "unchanged": 5}
    with db.connect() as connection:
        names = nom.load_names(connection)
    assert names["1.06.04.2.01.0001"].name == "Penyediaan Permakanan"
    assert names["1.06"].name == "1.06"


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_line_insert_waits_then_conflicts(db):
    """A second writer that read before the first committed gets a 409."""
    line = make_line()
    with db.begin() as connection:
        nom.store_items(connection, [nom.Item(line.code, line.name)], "a")
    with ThreadPoolExecutor(1) as pool:
        with db.begin() as first:
            save_lines(first, [line], user="a", channel="api")
            second = pool.submit(save_in_parallel, db, line, 1)
            time.sleep(1.0)
            assert not second.done()
        outcome = second.result(timeout=30)[0]
    assert isinstance(outcome, ConflictError)
    assert outcome.http_status == 409
    assert "changed by another user at the same time" in str(outcome)
    assert count(db, budget_line) == 1


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_line_parallel_update_conflicts(db):
    with db.begin() as connection:
        save_lines(connection, [make_line()], user="a", channel="form")
    outcomes = save_in_parallel(db, make_line(pagu=950e6), 4)
    assert outcomes.count("added") == 0
    changed = [o for o in outcomes if o == "unchanged"]
    conflicts = [o for o in outcomes if isinstance(o, ConflictError)]
    assert len(changed) + len(conflicts) == 4
    line = lines_of(db)["1.06.04.2.01.0001"]
    assert line.pagu == 950e6
    with db.connect() as connection:
        history = change_history(connection, "budget_line", entity_id=line.id)
    assert [h.action for h in history] == ["insert", "update"]
    assert line.version == 2


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_budget_parallel_imports(db, tmp_path):
    path = write_budget_csv(tmp_path / "apbd.csv")
    barrier = threading.Barrier(4)

    def run(index: int):
        barrier.wait()
        try:
            return run_import(db, path).outcome
        except ConflictError as exc:
            return exc

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(run, range(4)))
    assert "written" in outcomes
    assert all(o == "written" or isinstance(o, ConflictError) for o in outcomes)
    assert set(lines_of(db)) == {row[0] for row in ROWS if len(row) > 4 and row[0]}


def test_line_save_versions(db):
    with db.begin() as connection:
        first = save_lines(connection, [make_line()], user="a", channel="form").lines[0]
    assert first.version == 1
    assert first.location_amounts()["32.75.06.1004"] == pytest.approx(600_000_000)
    with db.begin() as connection:
        save_lines(
            connection, [make_line(pagu=950e6, version=1)], user="b", channel="form"
        )
    with pytest.raises(ConflictError), db.begin() as connection:
        save_lines(
            connection, [make_line(pagu=990e6, version=1)], user="c", channel="form"
        )
    with db.connect() as connection:
        stored = find_line(connection, YEAR, "1.06.04.2.01.0001", "DINSOS")
    assert stored.pagu == pytest.approx(950e6)
    assert stored.version == 2


def test_line_write_permission(db):
    users = add_users(db)
    check_budget_write(users["dinsos"], "DINSOS")
    check_budget_write(users["analis"], "DINKES")
    with pytest.raises(PermissionDenied):
        check_budget_write(users["dinkes"], "DINSOS")
    with pytest.raises(PermissionDenied):
        check_budget_write(users["pembaca"], "DINSOS")


def test_line_delete_keeps_audit(db):
    users = add_users(db)
    with db.begin() as connection:
        line = save_lines(connection, [make_line()], user="a", channel="form").lines[0]
    with pytest.raises(PermissionDenied), db.begin() as connection:
        delete_line(connection, users["dinkes"], line.id, "salah input", "form")
    with pytest.raises(WorkflowError), db.begin() as connection:
        delete_line(connection, users["dinsos"], line.id, " ", "form")
    with db.begin() as connection:
        delete_line(connection, users["dinsos"], line.id, "salah input", "form")
    assert count(db, budget_line) == 0
    with db.connect() as connection:
        changes = change_history(connection, "budget_line", entity_id=line.id)
    assert [c.action for c in changes] == ["insert", "delete"]
    assert changes[1].reason == "salah input"
    assert changes[1].old["pagu"] == pytest.approx(900e6)


PLANNING_TABLES = {
    "nomenclature",
    "budget_line",
    "budget_output",
    "budget_location",
    "planning_change",
    "quarter_deadline",
    "quarter_submission",
    "quarter_event",
    "quarterly_report",
    "quarterly_output",
    "quarterly_comment",
}


def test_migration_matches_schema(db):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from p3bm.storage.schema import metadata

    with db.connect() as connection:
        head = ScriptDirectory.from_config(
            db._alembic_config(connection)
        ).get_current_head()
        assert MigrationContext.configure(connection).get_current_revision() == head
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    ours = [
        difference
        for difference in differences
        if any(name in repr(difference) for name in PLANNING_TABLES)
    ]
    assert ours == []


SIPD_EXPORT = """RINCIAN APBD KOTA BEKASI TAHUN ANGGARAN 2025
Kode Rekening;Uraian;Pagu Anggaran
1.02.0.00.0.00.01.0000;Dinas Kesehatan;3.200.000.000
1.02.02.2.02.01;Pengelolaan Pelayanan Kesehatan Ibu Hamil;1.850.000.000
1.02.02.2.02.0004;Pengelolaan Pelayanan Kesehatan Balita;1.350.000.000
1.06.0.00.0.00.01.0000;Dinas Sosial;1.120.000.000
1.06.05.2.02.0001;Pendataan Fakir Miskin Cakupan Daerah Kabupaten/Kota;1.120.000.000
;JUMLAH;4.320.000.000
"""


def test_budget_unit_rows_set_skpd(db, tmp_path):
    path = tmp_path / "sipd.csv"
    path.write_text(SIPD_EXPORT, encoding="utf-8")
    report = run_import(db, path)
    assert report.outcome == "written"
    lines = lines_of(db, year=2025)
    assert {code: line.skpd for code, line in lines.items()} == {
        "1.02.02.2.02.0001": "DINKES",
        "1.02.02.2.02.0004": "DINKES",
        "1.06.05.2.02.0001": "DINSOS",
    }
    assert lines["1.02.02.2.02.0001"].pagu == 1_850_000_000
    unnamed = [p.value for p in report.problems if p.code == "parent_not_named"]
    assert unnamed == [
        "1",
        "1.02",
        "1.02.02",
        "1.02.02.2.02",
        "1.06",
        "1.06.05",
        "1.06.05.2.02",
    ]
    assert [p.code for p in report.problems if p.severity == "info"] == ["skipped_row"]


def test_budget_unknown_unit_rejected(db, tmp_path):
    path = tmp_path / "sipd.csv"
    path.write_text(
        SIPD_EXPORT.replace("Dinas Sosial", "Dinas Pemadam Kebakaran"),
        encoding="utf-8",
    )
    report = run_import(db, path)
    assert report.outcome == "rejected"
    assert [(p.code, p.row) for p in report.errors] == [("unknown_skpd", 6)]


def test_budget_year_from_option(db, tmp_path):
    path = tmp_path / "sipd.csv"
    path.write_text(SIPD_EXPORT.split("\n", 1)[1], encoding="utf-8")
    missing = run_import(db, path)
    assert {p.code for p in missing.errors} == {"missing_year"}
    report = run_import(db, path, year=2026)
    assert report.outcome == "written"
    assert set(lines_of(db, year=2026)) == {
        "1.02.02.2.02.0001",
        "1.02.02.2.02.0004",
        "1.06.05.2.02.0001",
    }


@pytest.mark.parametrize(
    ("lang", "note", "summary"),
    [
        (
            "id",
            "info: apbd.csv, baris 14, kolom 'Indikator Keluaran': [output_continued]",
            "apbd.csv: tersimpan; 11 sub-kegiatan, 11 baru, 0 berubah, 0 sama.",
        ),
        (
            "en",
            "info: apbd.csv, row 14, column 'Indikator Keluaran': [output_continued]",
            "apbd.csv: written; 11 sub-activities, 11 added, 0 changed, 0 unchanged.",
        ),
    ],
)
def test_cli_budget_import_language(db, capsys, tmp_path, lang, note, summary):
    path = write_budget_csv(tmp_path / "apbd.csv")

    code, out, err = run_cli(
        capsys, "--db", db.url, "--lang", lang, "budget", "import", path
    )

    assert code == 0, err
    assert note in out
    assert out.endswith(summary + "\n")


def test_cli_budget_import_rejected_indonesian(db, capsys, tmp_path):
    path = tmp_path / "salah.csv"
    path.write_text("kode;pagu;skpd\n1.02.02.2.02.0004;x;DINKES\n", encoding="utf-8")

    code, out, err = run_cli(capsys, "--db", db.url, "budget", "import", path)

    assert code == 1
    assert "kesalahan: salah.csv, baris 2, kolom 'pagu': [invalid_number]" in out
    assert "salah.csv: ditolak; " in out
    assert "Galat: salah.csv berisi 2 galat; tidak ada yang ditulis." in err
