import functools
import json
import math
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from planning_support import YEAR, add_users, run_cli, write_budget_csv

from p3bm.errors import PermissionDenied, WorkflowError
from p3bm.planning.audit import change_history
from p3bm.planning.budget_import import BudgetImporter, BudgetImportOptions
from p3bm.planning.quarterly import (
    ReportEntry,
    ReportWriter,
    deadline_for,
    get_quarter_submission,
    load_reports,
    open_comments,
    quarter_end,
    quarter_history,
    quarter_states,
    return_quarter,
    review_quarter,
    set_quarter_deadline,
    submit_quarter,
)
from p3bm.planning.register import load_lines
from p3bm.storage.schema import quarter_submission


@pytest.fixture
def budget(db, tmp_path):
    """Kota Bekasi's 2025 budget and four users; returns the users."""
    path = write_budget_csv(tmp_path / "apbd.csv")
    report = BudgetImporter(db, "bpkad").import_file(path, BudgetImportOptions())
    assert report.outcome == "written"
    return add_users(db)


def dinkes_lines(db):
    with db.connect() as connection:
        return load_lines(connection, year=YEAR, skpd_code="DINKES")


def entries_for(lines, quarter: int, share: float, physical: float):
    """Reports spending ``share`` of each pagu in the quarter, outputs at 25 %."""
    return [
        ReportEntry(
            line.id,
            quarter,
            round(line.pagu * share),
            physical,
            {o.id: round((o.target or 0) * 0.25) for o in line.outputs},
            "sesuai jadwal",
        )
        for line in lines
    ]


def write(db, user, entries):
    with db.begin() as connection:
        return ReportWriter(user).write(connection, entries, channel="form")


@pytest.mark.parametrize(
    ("quarter", "end"),
    [
        (1, date(2025, 3, 31)),
        (2, date(2025, 6, 30)),
        (3, date(2025, 9, 30)),
        (4, date(2025, 12, 31)),
    ],
)
def test_quarter_end(quarter, end):
    assert quarter_end(2025, quarter) == end


def test_deadline_default_and_set(db, budget):
    with db.connect() as connection:
        assert deadline_for(connection, YEAR, 2, 10) == date(2025, 7, 10)
    with db.begin() as connection:
        set_quarter_deadline(connection, budget["analis"], YEAR, 2, date(2025, 7, 15))
    with db.connect() as connection:
        assert deadline_for(connection, YEAR, 2, 10) == date(2025, 7, 15)
    with pytest.raises(PermissionDenied), db.begin() as connection:
        set_quarter_deadline(connection, budget["dinkes"], YEAR, 2, date(2025, 7, 1))


def test_report_written_with_audit(db, budget):
    lines = dinkes_lines(db)
    results = write(db, budget["dinkes"], entries_for(lines, 1, 0.2, 22.0))
    assert [r.outcome for r in results] == ["added"] * 4
    again = write(db, budget["dinkes"], entries_for(lines, 1, 0.2, 22.0))
    assert [r.outcome for r in again] == ["unchanged"] * 4
    changed = write(db, budget["dinkes"], entries_for(lines[:1], 1, 0.21, 23.0))
    assert changed[0].outcome == "changed"
    assert changed[0].version == 2
    with db.connect() as connection:
        reports = load_reports(connection, [lines[0].id])
        history = change_history(
            connection, "quarterly_report", entity_id=reports[(lines[0].id, 1)].id
        )
    assert reports[(lines[0].id, 1)].physical == 23.0
    assert [h.action for h in history] == ["insert", "update"]
    assert history[1].old["physical"] == 22.0


def test_report_other_skpd_forbidden(db, budget):
    lines = dinkes_lines(db)
    results = write(db, budget["dinsos"], entries_for(lines[:1], 1, 0.2, 20.0))
    assert results[0].outcome == "forbidden"
    with db.connect() as connection:
        assert load_reports(connection, [lines[0].id]) == {}


@pytest.mark.parametrize(
    ("realised", "physical", "code"),
    [
        (-1.0, 10.0, "negative_amount"),
        (1.0, 120.0, "invalid_percent"),
        (1e13, 10.0, "realisation_above_pagu"),
        (math.nan, 10.0, "invalid_number"),
        (math.inf, 10.0, "invalid_number"),
        (1.0, math.nan, "invalid_percent"),
    ],
)
def test_report_checks(db, budget, realised, physical, code):
    line = dinkes_lines(db)[0]
    results = write(db, budget["dinkes"], [ReportEntry(line.id, 1, realised, physical)])
    assert results[0].outcome == "rejected"
    assert [p.code for p in results[0].errors] == [code]


def test_report_huge_realisation(db, budget):
    line = dinkes_lines(db)[0]
    results = write(db, budget["dinkes"], [ReportEntry(line.id, 1, 1e300, 10.0)])
    assert results[0].outcome == "rejected"
    codes = [p.code for p in results[0].errors]
    assert codes == ["amount_too_large", "realisation_above_pagu"]


@pytest.mark.parametrize("achieved", [math.nan, -math.inf, 1e16])
def test_report_output_amount_checked(db, budget, achieved):
    line = next(line for line in dinkes_lines(db) if line.outputs)
    output_id = line.outputs[0].id
    entry = ReportEntry(line.id, 1, 1.0, 10.0, {output_id: achieved})
    results = write(db, budget["dinkes"], [entry])
    assert results[0].outcome == "rejected"
    assert [p.column for p in results[0].errors] == ["outputs"]
    with db.connect() as connection:
        assert load_reports(connection, [line.id]) == {}


def test_rejected_report_leaves_quarter_missing(db, budget):
    line = dinkes_lines(db)[0]
    results = write(db, budget["dinkes"], [ReportEntry(line.id, 2, -1.0, 10.0)])
    assert results[0].outcome == "rejected"
    with db.connect() as connection:
        states = quarter_states(connection, YEAR, (2,), today=date(2025, 7, 1))
        stored = connection.execute(sa.select(quarter_submission)).all()
    dinkes = next(s for s in states if s.skpd_code == "DINKES")
    assert dinkes.status == "missing"
    assert dinkes.reported == 0
    assert stored == []


def test_report_physical_decrease_warns(db, budget):
    line = dinkes_lines(db)[0]
    write(db, budget["dinkes"], [ReportEntry(line.id, 1, 1e8, 30.0)])
    results = write(db, budget["dinkes"], [ReportEntry(line.id, 2, 1e8, 25.0)])
    assert results[0].outcome == "added"
    assert [p.code for p in results[0].problems] == ["physical_decreased"]


def test_report_realisation_over_quarters(db, budget):
    line = dinkes_lines(db)[0]
    write(db, budget["dinkes"], [ReportEntry(line.id, 1, line.pagu * 0.6, 60.0)])
    results = write(
        db, budget["dinkes"], [ReportEntry(line.id, 2, line.pagu * 0.5, 90.0)]
    )
    assert [p.code for p in results[0].errors] == ["realisation_above_pagu"]


def test_submit_needs_every_line(db, budget):
    lines = dinkes_lines(db)
    write(db, budget["dinkes"], entries_for(lines[:3], 1, 0.2, 20.0))
    with pytest.raises(WorkflowError, match="1 sub-kegiatan"), db.begin() as connection:
        submit_quarter(connection, budget["dinkes"], "DINKES", YEAR, 1)


def test_submit_other_skpd_forbidden(db, budget):
    with pytest.raises(PermissionDenied), db.begin() as connection:
        submit_quarter(connection, budget["dinsos"], "DINKES", YEAR, 1)


def test_workflow_return_verify_reopen(db, budget):
    lines = dinkes_lines(db)
    operator, analyst = budget["dinkes"], budget["analis"]
    write(db, operator, entries_for(lines, 1, 0.2, 20.0))
    with db.begin() as connection:
        assert (
            submit_quarter(connection, operator, "DINKES", YEAR, 1).status
            == "submitted"
        )

    locked = write(db, operator, entries_for(lines[:1], 1, 0.25, 20.0))
    assert locked[0].outcome == "locked"
    with pytest.raises(WorkflowError), db.begin() as connection:
        return_quarter(connection, analyst, "DINKES", YEAR, 1, "  ")
    with db.begin() as connection:
        returned = return_quarter(
            connection,
            analyst,
            "DINKES",
            YEAR,
            1,
            "Realisasi JKN belum sesuai SP2D",
            {lines[-1].id: "Cek realisasi PBI bulan Maret"},
        )
    assert returned.status == "returned"
    with db.connect() as connection:
        reports = load_reports(connection, [lines[-1].id])
        comments = open_comments(connection, [reports[(lines[-1].id, 1)].id])
    assert list(comments.values()) == [["Cek realisasi PBI bulan Maret"]]

    assert (
        write(db, operator, entries_for(lines[-1:], 1, 0.22, 21.0))[0].outcome
        == "changed"
    )
    with db.begin() as connection:
        submit_quarter(connection, operator, "DINKES", YEAR, 1)
        verified = review_quarter(connection, analyst, "DINKES", YEAR, 1, "verify")
    assert verified.status == "verified"
    assert (
        write(db, analyst, entries_for(lines[:1], 1, 0.3, 20.0))[0].outcome == "locked"
    )

    with pytest.raises(WorkflowError), db.begin() as connection:
        review_quarter(connection, analyst, "DINKES", YEAR, 1, "reopen", "")
    with db.begin() as connection:
        reopened = review_quarter(
            connection, analyst, "DINKES", YEAR, 1, "reopen", "Koreksi SP2D"
        )
        history = quarter_history(connection, "DINKES", YEAR, 1)
        resolved = open_comments(connection, [reports[(lines[-1].id, 1)].id])
    assert reopened.status == "draft"
    assert [h["action"] for h in history] == [
        "submit",
        "return",
        "submit",
        "verify",
        "reopen",
    ]
    assert history[1]["comment"] == "Realisasi JKN belum sesuai SP2D"
    assert history[-1]["comment"] == "Koreksi SP2D"
    assert resolved == {}


def test_operator_cannot_verify(db, budget):
    with pytest.raises(PermissionDenied), db.begin() as connection:
        review_quarter(connection, budget["dinkes"], "DINKES", YEAR, 1, "verify")


def test_forbidden_transition_message(db, budget):
    operator, analyst = budget["dinkes"], budget["analis"]
    write(db, operator, entries_for(dinkes_lines(db), 1, 0.2, 20.0))
    with db.begin() as connection:
        submit_quarter(connection, operator, "DINKES", YEAR, 1)
        review_quarter(connection, analyst, "DINKES", YEAR, 1, "verify")

    with pytest.raises(WorkflowError) as raised, db.begin() as connection:
        review_quarter(connection, analyst, "DINKES", YEAR, 1, "verify")

    assert raised.value.text("id") == (
        "Laporan triwulan I 2025 DINKES berstatus terverifikasi, jadi tidak bisa "
        "diverifikasi."
    )
    assert raised.value.text("en") == (
        "The triwulan I 2025 report of DINKES is verified, so it cannot be verified."
    )


def set_first_submission(db, skpd: str, quarter: int, moment: datetime) -> None:
    with db.begin() as connection:
        connection.execute(
            quarter_submission.update()
            .where(
                quarter_submission.c.skpd_code == skpd,
                quarter_submission.c.quarter == quarter,
            )
            .values(first_submitted_at=moment)
        )


def test_states_late_and_missing(db, budget):
    lines = dinkes_lines(db)
    write(db, budget["dinkes"], entries_for(lines, 1, 0.2, 20.0))
    with db.begin() as connection:
        submit_quarter(connection, budget["dinkes"], "DINKES", YEAR, 1)
        get_quarter_submission(connection, "DINSOS", YEAR, 1)
    set_first_submission(db, "DINKES", 1, datetime(2025, 4, 8, 9, 0, tzinfo=UTC))
    with db.connect() as connection:
        states = {
            s.skpd_code: s
            for s in quarter_states(connection, YEAR, (1,), today=date(2025, 4, 20))
        }
    assert states["DINKES"].status == "submitted"
    assert states["DINKES"].timeliness == "on_time"
    assert states["DINKES"].missing == 0
    assert states["DINSOS"].status == "missing"
    assert states["DINSOS"].timeliness == "overdue"
    assert states["DISDIK"].status == "missing"
    assert states["DISDIK"].missing == 2
    set_first_submission(db, "DINKES", 1, datetime(2025, 4, 11, 9, 0, tzinfo=UTC))
    with db.connect() as connection:
        late = quarter_states(connection, YEAR, (1,), today=date(2025, 4, 20))
    assert next(s for s in late if s.skpd_code == "DINKES").timeliness == "late"


def test_states_pending_before_deadline(db, budget):
    with db.connect() as connection:
        states = quarter_states(connection, YEAR, (2,), today=date(2025, 7, 1))
    assert {s.timeliness for s in states} == {"pending"}
    assert len(states) == 6


def test_first_submission_kept_after_return(db, budget):
    lines = dinkes_lines(db)
    write(db, budget["dinkes"], entries_for(lines, 1, 0.2, 20.0))
    with db.begin() as connection:
        first = submit_quarter(connection, budget["dinkes"], "DINKES", YEAR, 1)
        return_quarter(connection, budget["analis"], "DINKES", YEAR, 1, "perbaiki")
        second = submit_quarter(connection, budget["dinkes"], "DINKES", YEAR, 1)
    assert second.first_submitted_at == first.first_submitted_at
    assert second.submitted_at >= first.submitted_at
    with db.connect() as connection:
        rows = connection.execute(sa.select(quarter_submission)).all()
    assert len(rows) == 1


@pytest.fixture
def p3bm(capsys):
    return functools.partial(run_cli, capsys)


def quarterly_set(p3bm, db, line_id, *options):
    return p3bm(
        "--db",
        db.url,
        "quarterly",
        "set",
        "--line",
        line_id,
        "--quarter",
        2,
        *options,
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--realised", "nan", "--physical", 10), "'nan' is not a finite number"),
        (("--realised", "inf", "--physical", 10), "'inf' is not a finite number"),
        (("--realised", 1, "--physical", "nan"), "'nan' is not a finite number"),
        (("--realised", "1e300", "--physical", 10), "'1e300' is out of range"),
        (
            ("--realised", 1, "--physical", 10, "--output", "1=nan"),
            "'nan' is not a finite number",
        ),
    ],
)
def test_cli_set_rejects_non_finite(db, budget, p3bm, options, message):
    line = dinkes_lines(db)[0]
    code, out, err = quarterly_set(p3bm, db, line.id, *options)
    assert code == 2
    assert out == ""
    assert message in err
    with db.connect() as connection:
        assert load_reports(connection, [line.id]) == {}


def test_cli_set_rejected_exits_1(db, budget, p3bm):
    line = dinkes_lines(db)[0]
    code, out, err = quarterly_set(
        p3bm, db, line.id, "--realised", 1e13, "--physical", 10
    )
    assert code == 1
    assert out == "ditolak\n"
    assert "realisation_above_pagu" in err
    assert f"Laporan baris {line.id} triwulan 2 tidak ditulis (ditolak)." in err
    code, out, _ = p3bm(
        "--db",
        db.url,
        "quarterly",
        "status",
        "--year",
        YEAR,
        "--quarter",
        2,
        "--format",
        "json",
    )
    assert code == 0
    dinkes = next(row for row in json.loads(out) if row["skpd"] == "DINKES")
    assert dinkes["status"] == "missing"
    assert dinkes["reported"] == 0


def test_cli_set_written_exits_0(db, budget, p3bm):
    line = dinkes_lines(db)[0]
    code, out, err = quarterly_set(
        p3bm, db, line.id, "--realised", 1000, "--physical", 10
    )
    assert code == 0, err
    assert out == "ditambahkan\n"


def test_cli_set_unknown_line_exits_1(db, budget, p3bm):
    code, out, err = quarterly_set(p3bm, db, 999_999, "--realised", 1, "--physical", 1)
    assert code == 1
    assert out == "ditolak\n"
    assert "unknown_line" in err
