import json
import logging

import pytest
from openpyxl import load_workbook
from planning_support import (
    CATEGORIES,
    HOUSEHOLDS,
    YEAR,
    add_users,
    write_budget_csv,
    write_households,
    write_priorities,
)

from p3bm.areas.registry import get_area
from p3bm.cli import main
from p3bm.planning.budget_analysis import (
    analyse_budget,
    budget_frame,
    export_xlsx,
    pivot,
)
from p3bm.planning.budget_import import BudgetImporter, BudgetImportOptions
from p3bm.planning.monitoring import (
    Thresholds,
    by_quarter,
    line_progress,
    summarize,
)
from p3bm.planning.priorities import load_priorities
from p3bm.planning.quarterly import (
    ReportEntry,
    ReportWriter,
    review_quarter,
    submit_quarter,
)
from p3bm.planning.register import load_lines

BALITA = "1.02.02.2.02.0004"
JKN = "1.02.02.2.02.0020"


@pytest.fixture
def planned(db, tmp_path):
    """Budget, kelurahan households, TKPK decisions and Dinkes reports for
    quarters 1 (verified) and 2 (submitted)."""
    path = write_budget_csv(tmp_path / "apbd.csv")
    assert BudgetImporter(db, "bpkad").import_file(path, BudgetImportOptions()).added
    write_households(db)
    write_priorities(db)
    users = add_users(db)
    with db.connect() as connection:
        lines = load_lines(connection, year=YEAR, skpd_code="DINKES")
    for quarter, physical in ((1, 20.0), (2, 45.0)):
        entries = [
            ReportEntry(
                line.id,
                quarter,
                round(line.pagu * 0.2),
                physical,
                {o.id: round((o.target or 0) * 0.25) for o in line.outputs},
            )
            for line in lines
        ]
        with db.begin() as connection:
            results = ReportWriter(users["dinkes"]).write(
                connection, entries, channel="form"
            )
            assert {r.outcome for r in results} == {"added"}
            submit_quarter(connection, users["dinkes"], "DINKES", YEAR, quarter)
    with db.begin() as connection:
        review_quarter(connection, users["analis"], "DINKES", YEAR, 1, "verify")
    return users


def analysis_of(db):
    with db.connect() as connection:
        area = get_area(connection, "32.75")
        priorities = load_priorities(connection, area, YEAR)
        return analyse_budget(connection, area, YEAR, priorities)


@pytest.mark.parametrize(
    ("progress", "planned", "light"),
    [
        (None, 50.0, "grey"),
        (45.0, 50.0, "green"),
        (40.0, 50.0, "yellow"),
        (34.9, 50.0, "red"),
        (100.0, 100.0, "green"),
        (10.0, 0.0, "grey"),
    ],
)
def test_traffic_light(progress, planned, light):
    assert Thresholds(90.0, 70.0).light(progress, planned) == light


def test_traffic_light_thresholds_settable():
    assert Thresholds(95.0, 85.0).light(45.0, 50.0) == "yellow"


def test_monitoring_by_skpd(db, planned):
    with db.connect() as connection:
        progress = line_progress(connection, YEAR, 2)
    rows = {row.key: row for row in summarize(progress, "skpd")}
    dinkes = rows["DINKES"]
    assert dinkes.pagu == pytest.approx(153_680_000_000)
    assert dinkes.realised == pytest.approx(0.4 * 153_680_000_000, rel=1e-6)
    assert dinkes.financial_percent == pytest.approx(40.0, abs=1e-3)
    assert dinkes.physical_percent == pytest.approx(45.0)
    assert dinkes.planned == 50.0
    assert dinkes.financial_light == "yellow"
    assert dinkes.physical_light == "green"
    assert rows["DINSOS"].financial_light == "grey"
    assert rows["DINSOS"].reported == 0


def test_monitoring_verified_only(db, planned):
    with db.connect() as connection:
        progress = line_progress(connection, YEAR, 2, statuses=("verified",))
    dinkes = {row.key: row for row in summarize(progress, "skpd")}["DINKES"]
    assert dinkes.financial_percent == pytest.approx(20.0, abs=1e-3)
    assert dinkes.physical_percent == pytest.approx(20.0)
    assert dinkes.reported == 0
    assert dinkes.financial_light == "red"


def test_monitoring_unreported_quarter_keeps_lights(db, planned):
    """Dinkes reported quarters 1 and 2 only, so at quarter 4 it is behind."""
    with db.connect() as connection:
        progress = line_progress(connection, YEAR, 4)
    dinkes_lines = [item for item in progress if item.line.skpd == "DINKES"]
    dinkes = {row.key: row for row in summarize(progress, "skpd")}["DINKES"]
    assert {item.financial_light for item in dinkes_lines} == {"red"}
    assert dinkes.reported == 0
    assert dinkes.financial_percent == pytest.approx(40.0, abs=1e-3)
    assert dinkes.financial_light == "red"
    assert dinkes.physical_percent == pytest.approx(45.0)
    assert dinkes.physical_light == "red"


def test_monitoring_by_quarter_lights(db, planned):
    with db.connect() as connection:
        rows = by_quarter(connection, YEAR)
    assert [row.reported for row in rows] == [4, 4, 0, 0]
    assert [row.financial_light for row in rows] == ["red", "red", "red", "red"]


def test_monitoring_outputs(db, planned):
    with db.connect() as connection:
        progress = line_progress(connection, YEAR, 2)
    balita = next(p for p in progress if p.line.code == BALITA)
    assert [o.achieved for o in balita.outputs] == [2400.0, 60.0]
    assert [o.achievement_percent for o in balita.outputs] == [50.0, 50.0]


def test_monitoring_by_location(db, planned):
    with db.connect() as connection:
        progress = line_progress(connection, YEAR, 2)
    rows = {row.key: row for row in summarize(progress, "location")}
    village = rows["32.75.03.1001"]
    # Training located in the whole kecamatan of Bekasi Utara stays there.
    assert village.pagu == pytest.approx(2_350_000_000 / 6)
    assert rows["32.75.03"].pagu == pytest.approx(1_300_000_000)
    assert village.realised == pytest.approx(0.4 * 2_350_000_000 / 6)
    assert rows["32.75.07"].pagu == pytest.approx(3_000_000_000)
    assert rows["32.75"].pagu == pytest.approx(
        7_750_000_000
        + 1_850_000_000
        + 980_000_000
        + 148_500_000_000
        + 45_000_000_000
        + 1_120_000_000
    )


def test_monitoring_by_quarter(db, planned):
    with db.connect() as connection:
        rows = by_quarter(connection, YEAR)
    total = 237_300_000_000
    assert [row.planned for row in rows] == [25.0, 50.0, 75.0, 100.0]
    assert rows[0].financial_percent == pytest.approx(
        100 * 0.2 * 153_680_000_000 / total, rel=1e-6
    )
    assert rows[3].realised == pytest.approx(rows[1].realised)


def test_priorities_from_tkpk(db, planned):
    with db.connect() as connection:
        priorities = load_priorities(connection, get_area(connection, "32.75"), YEAR)
    assert priorities.basis == "tkpk"
    assert priorities.decided_year == 2024
    assert priorities.problems == ["P0", "STUNTING", "TPT"]
    assert priorities.determinants == ["JKN_PBI_B40", "K6", "TPT"]
    assert priorities.categories() == CATEGORIES


def test_pro_poor_share(db, planned):
    result = analysis_of(db)
    assert result.total_pagu == pytest.approx(237_300_000_000)
    assert result.pro_poor_pagu == pytest.approx(178_920_000_000)
    assert result.pro_poor_share == pytest.approx(100 * 178.92 / 237.3)


def test_problem_relevance(db, planned):
    result = analysis_of(db)
    linked = 1_850_000_000 + 2_350_000_000 + 148_500_000_000 + 2_600_000_000
    assert result.linked_pro_poor_pagu == pytest.approx(linked)
    assert result.problem_relevance == pytest.approx(100 * linked / 178_920_000_000)


def test_unfunded_priorities(db, planned):
    result = analysis_of(db)
    assert [(u["indicator"], u["kind"]) for u in result.unfunded] == [("P0", "problem")]
    assert result.funded["TPT"] == pytest.approx(2_600_000_000)
    assert result.funded["JKN_PBI_B40"] == pytest.approx(148_500_000_000)


def test_location_relevance(db, planned):
    location = analysis_of(db).location
    # Pro-poor pagu placed in P1 and P2 kelurahan, worked out by hand. The
    # Balita line puts 2.35 bn over six kelurahan and SPAM allocates 6 of its
    # 8.75 bn. RTLH spreads 3 bn over the four kelurahan of Bantargebang and
    # puts 3 bn in Kalibaru. Training spreads 1.3 bn over the six kelurahan of
    # Bekasi Utara and 1.3 bn over the four of Mustikajaya.
    top = (
        5 * 2_350_000_000 / 6
        + 3_500_000_000
        + 2 * 1_375_000_000
        + 3 * 750_000_000
        + 3 * 1_300_000_000 / 6
        + 1_300_000_000 / 4
    )
    unplaced = 3 * 1_300_000_000 / 6
    assert location.located_pagu == pytest.approx(19_700_000_000)
    assert location.unclassified_pagu == pytest.approx(unplaced)
    assert location.top_pagu == pytest.approx(top)
    poor = sum(registered for _, registered in HOUSEHOLDS.values())
    top_poor = sum(
        HOUSEHOLDS[code][1] for code, c in CATEGORIES.items() if c in ("P1", "P2")
    )
    assert location.poor_share == pytest.approx(100 * top_poor / poor)
    expected = (top / (19_700_000_000 - unplaced)) / (top_poor / poor)
    assert location.relevance == pytest.approx(expected)
    assert location.relevance == pytest.approx(0.9315, abs=1e-4)


def test_cost_per_beneficiary(db, planned):
    rows = {row["code"]: row for row in analysis_of(db).lines}
    assert rows[JKN]["cost_per_beneficiary"] == pytest.approx(148_500_000_000 / 412_000)
    assert rows[JKN]["realised_per_beneficiary"] == pytest.approx(
        0.4 * 148_500_000_000 / 412_000, rel=1e-6
    )
    assert rows["1.03.10.2.01.0015"]["cost_per_beneficiary"] is None
    assert rows[JKN]["addresses_priority"] is True
    assert rows["1.03.03.2.01.0005"]["addresses_priority"] is False


def test_target_achievement(db, planned):
    outputs = [o for o in analysis_of(db).outputs if o["code"] == JKN]
    assert outputs[0]["target"] == 412_000
    assert outputs[0]["achieved"] == 2 * 103_000
    assert outputs[0]["achievement_percent"] == pytest.approx(50.0)


def test_pivot_skpd_by_year(db, planned):
    with db.connect() as connection:
        frame = budget_frame(connection)
    table = pivot(frame, "skpd", "year", "pagu")
    by_skpd = dict(zip(table["skpd"], table[YEAR], strict=True))
    assert by_skpd["DINKES"] == pytest.approx(153_680_000_000)
    assert by_skpd["Jumlah"] == pytest.approx(237_300_000_000)


def test_pivot_location_realised(db, planned):
    with db.connect() as connection:
        frame = budget_frame(connection)
    table = pivot(frame, "location", None, "realised")
    by_location = dict(zip(table["location"], table["realised"], strict=True))
    assert by_location["32.75.11.1001"] == pytest.approx(0.4 * 2_350_000_000 / 6)
    assert by_location["Jumlah"] == pytest.approx(0.4 * 153_680_000_000, rel=1e-6)


def test_pivot_rejects_unknown_dimension(db, planned):
    with db.connect() as connection:
        frame = budget_frame(connection)
    with pytest.raises(ValueError, match="kecamatan"):
        pivot(frame, "kecamatan")


def test_export_xlsx(db, planned, tmp_path):
    with db.connect() as connection:
        frame = budget_frame(connection, years=[YEAR])
    path = export_xlsx(tmp_path / "anggaran.xlsx", analysis_of(db), frame)
    workbook = load_workbook(path, read_only=True)
    assert workbook.sheetnames[:3] == ["ringkasan", "pagu_skpd", "realisasi_skpd"]
    summary = list(workbook["ringkasan"].iter_rows(values_only=True))
    assert summary[1] == ("Total pagu (Rp)", 237_300_000_000)
    assert summary[3][1] == pytest.approx(100 * 178.92 / 237.3)
    rows = list(workbook["pagu_skpd"].iter_rows(values_only=True))
    assert rows[0][:2] == ("skpd", "skpd_name")
    assert ("DINKES", "Dinas Kesehatan", 153_680_000_000, 153_680_000_000) in rows
    workbook.close()


@pytest.fixture
def p3bm(capsys):
    """Run the CLI in this process; undo its logging set-up afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level

    def run(*args: object):
        try:
            main([str(arg) for arg in args])
            code = 0
        except SystemExit as exc:
            code = 0 if exc.code is None else exc.code
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    yield run
    root.handlers[:] = handlers
    root.setLevel(level)


def test_lp2kd_html_offline(db, planned, p3bm, tmp_path):
    output = tmp_path / "lp2kd-2025.html"
    code, out, _ = p3bm(
        "--db",
        db.url,
        "report",
        "--kind",
        "lp2kd",
        "--area",
        "32.75",
        "--year",
        YEAR,
        "--output",
        output,
    )
    assert code == 0
    assert out == f"LP2KD Kota Bekasi 2025 ditulis ke {output}.\n"
    html = output.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    for remote in ('src="http', 'href="http', "<script", "<link", "@import"):
        assert remote not in html
    assert "Laporan Pelaksanaan Penanggulangan Kemiskinan Daerah" in html
    assert '<div class="big" id="pro-poor-share">75,4 %</div>' in html
    assert '<span id="problem-codes">P0, STUNTING, TPT</span>' in html
    assert '<ul id="unfunded"><li>P0: Persentase penduduk miskin' in html


def test_lp2kd_docx(db, planned, p3bm, tmp_path):
    from docx import Document

    output = tmp_path / "lp2kd-2025.docx"
    code, _, _ = p3bm(
        "--db",
        db.url,
        "--lang",
        "en",
        "report",
        "--kind",
        "lp2kd",
        "--area",
        "32.75",
        "--year",
        YEAR,
        "--output",
        output,
    )
    assert code == 0
    document = Document(str(output))
    title = document.paragraphs[0]
    assert title.text == "Regional Poverty Reduction Report (LP2KD): Kota Bekasi 2025"
    assert title.style.name == "Title"
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Head")]
    assert "3. Programmes and budget" in headings
    cells = {
        cell.text
        for table in document.tables
        for row in table.rows
        for cell in row.cells
    }
    assert "75.4 %" in cells
    assert "Dinas Kesehatan" in " ".join(cells)


def test_lp2kd_unknown_extension(db, planned, p3bm, tmp_path):
    code, _, err = p3bm(
        "--db",
        db.url,
        "report",
        "--kind",
        "lp2kd",
        "--area",
        "32.75",
        "--year",
        YEAR,
        "--output",
        tmp_path / "lp2kd.pdf",
    )
    assert code == 2
    assert err.startswith("Galat: Format laporan tidak dapat ditentukan")


def test_cli_budget_analyse_export(db, planned, p3bm, tmp_path):
    output = tmp_path / "analisis.xlsx"
    code, out, _ = p3bm(
        "--db",
        db.url,
        "budget",
        "analyse",
        "--year",
        YEAR,
        "--export",
        output,
        "--format",
        "json",
    )
    assert code == 0
    assert output.exists()
    assert '"pro_poor_share_percent": 75.398' in out


def test_cli_monitor_table(db, planned, p3bm):
    code, out, _ = p3bm("--db", db.url, "monitor", "--year", YEAR, "--quarter", 2)
    assert code == 0
    dinkes = next(line for line in out.splitlines() if line.startswith("DINKES"))
    assert dinkes.split()[3:7] == ["40", "yellow", "45", "green"]


def test_cli_budget_import_rejected(db, p3bm, tmp_path):
    path = tmp_path / "salah.csv"
    path.write_text(
        "kode;uraian;skpd;pagu\n1.02.02.2.02.0004;Balita;Dinas Pariwisata;100\n",
        encoding="utf-8",
    )
    code, out, err = p3bm("--db", db.url, "budget", "import", path, "--year", YEAR)
    assert code == 1
    assert "[unknown_skpd]" in out
    assert err.startswith("Galat: salah.csv berisi 1 galat")


def test_cli_quarterly_deadline_and_status(db, planned, p3bm):
    code, out, err = p3bm(
        "--db",
        db.url,
        "--user",
        "analis",
        "quarterly",
        "deadline",
        "--year",
        YEAR,
        "--quarter",
        3,
        "--date",
        "2025-10-20",
    )
    assert code == 0, err
    assert out.strip() == f"{YEAR} Q3: 2025-10-20"
    code, out, _ = p3bm(
        "--db",
        db.url,
        "quarterly",
        "status",
        "--year",
        YEAR,
        "--quarter",
        3,
        "--format",
        "json",
    )
    assert code == 0
    rows = {row["skpd"]: row for row in json.loads(out)}
    assert rows["DINKES"]["deadline"] == "2025-10-20"
    code, _, err = p3bm(
        "--db", db.url, "quarterly", "deadline", "--year", YEAR, "--quarter", 3
    )
    assert code == 2
    assert "--date" in err
