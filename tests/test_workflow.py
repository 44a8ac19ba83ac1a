"""The submission workflow, deadlines, timeliness, publication and the audit."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from web_fixtures import (
    KECAMATAN,
    KELURAHAN,
    YEAR,
    add_token,
    add_user,
    api_client,
    csrf_of,
    rules_of,
    run_cli,
    session_csrf,
    signed_in,
    stored,
    writable_server_fixture,  # noqa: F401
)

from p3bm.areas.registry import get_area
from p3bm.catalogue import Catalogue
from p3bm.completeness import compute_completeness
from p3bm.entry import Entry, EntryWriter
from p3bm.errors import PermissionDenied, ValidationFailed, WorkflowError
from p3bm.observations import NewValue, value_history, write_values
from p3bm.storage.schema import observation_comment, submission
from p3bm.workflow import (
    get_submission,
    justify,
    return_values,
    review,
    set_deadline,
    submission_history,
    submission_states,
    submit,
    timeliness,
)


@pytest.fixture
def people(db):
    """A Dinkes operator, a Dinsos operator and a Bappeda analyst."""
    return {
        "dinkes": add_user(db, "dinkes1", "skpd_operator", skpd="DINKES"),
        "dinsos": add_user(db, "dinsos1", "skpd_operator", skpd="DINSOS"),
        "analyst": add_user(db, "analis", "analyst"),
    }


def enter(db, user, *values: tuple[str, str, object], channel="form"):
    entries = [Entry(code, area, YEAR, value) for code, area, value in values]
    results = EntryWriter(db, user, rules_of(db), "en").write(entries, channel=channel)
    outcomes = [r.outcome for r in results]
    assert set(outcomes) <= {"added", "changed"}, [r.to_dict() for r in results]
    return results


def store(db, code: str, area: str, year: int, value: float, status="draft"):
    write_values(
        db,
        [NewValue(code, area, year, "", "", value, False)],
        user="pytest",
        status=status,
        channel="file",
        file_name="fixture.csv",
    )


def do_submit(db, user, skpd="DINKES"):
    with db.begin() as connection:
        return submit(connection, user, rules_of(db), skpd, YEAR)


def do_review(db, user, action, reason=None, skpd="DINKES"):
    with db.begin() as connection:
        return review(
            connection, user, Catalogue.load(connection), skpd, YEAR, action, reason
        )


def do_return(db, user, comments: dict[int, str], skpd="DINKES"):
    with db.begin() as connection:
        return return_values(connection, user, skpd, YEAR, comments, "periksa lagi")


def status_of(db, skpd="DINKES") -> str:
    with db.begin() as connection:
        return get_submission(connection, skpd, YEAR).status


# The workflow in the library


def test_workflow_full_cycle(db, people):
    operator, analyst = people["dinkes"], people["analyst"]
    enter(db, operator, ("STUNTING", KELURAHAN, 12), ("STUNTING", KECAMATAN, 11))

    submitted = do_submit(db, operator)
    kelurahan_id = stored(db, "STUNTING", KELURAHAN).id
    returned = do_return(db, analyst, {kelurahan_id: "Angka terlalu rendah"})
    statuses_after_return = (
        stored(db, "STUNTING", KELURAHAN).status,
        stored(db, "STUNTING", KECAMATAN).status,
    )
    enter(db, operator, ("STUNTING", KELURAHAN, 21))
    resubmitted = do_submit(db, operator)
    verified = do_review(db, analyst, "verify")
    locked = EntryWriter(db, operator, rules_of(db)).write(
        [Entry("STUNTING", KELURAHAN, YEAR, 22)], channel="api"
    )
    published = do_review(db, analyst, "publish")

    assert submitted.status == "submitted"
    assert returned.status == "returned"
    assert statuses_after_return == ("returned", "submitted")
    assert resubmitted.status == "submitted"
    assert verified.status == "verified"
    assert locked[0].outcome == "locked"
    assert published.status == "published"
    assert stored(db, "STUNTING", KELURAHAN).value == 21
    assert stored(db, "STUNTING", KELURAHAN).status == "published"
    assert stored(db, "STUNTING", KECAMATAN).status == "published"
    with db.connect() as connection:
        events = [
            (e["action"], e["new_status"], e["username"])
            for e in submission_history(connection, "DINKES", YEAR)
        ]
        comment = connection.execute(sa.select(observation_comment)).one()
    assert events == [
        ("submit", "submitted", "dinkes1"),
        ("return", "returned", "analis"),
        ("submit", "submitted", "dinkes1"),
        ("verify", "verified", "analis"),
        ("publish", "published", "analis"),
    ]
    assert (comment.kind, comment.text, comment.resolved_by) == (
        "return",
        "Angka terlalu rendah",
        "dinkes1",
    )


def test_workflow_history_keeps_every_step(db, people):
    operator, analyst = people["dinkes"], people["analyst"]
    enter(db, operator, ("STUNTING", KELURAHAN, 12))
    do_submit(db, operator)
    kelurahan_id = stored(db, "STUNTING", KELURAHAN).id
    do_return(db, analyst, {kelurahan_id: "Periksa"})
    enter(db, operator, ("STUNTING", KELURAHAN, 13), channel="api")
    do_submit(db, operator)
    do_review(db, analyst, "verify")

    with db.connect() as connection:
        changes = value_history(connection, indicator="STUNTING", area=KELURAHAN)

    assert [
        (
            c.action,
            c.old_value,
            c.new_value,
            c.old_status,
            c.new_status,
            c.changed_by,
            c.channel,
        )
        for c in changes
    ] == [
        ("insert", None, 12.0, None, "draft", "dinkes1", "form"),
        ("status", 12.0, 12.0, "draft", "submitted", "dinkes1", "workflow"),
        ("status", 12.0, 12.0, "submitted", "returned", "analis", "workflow"),
        ("update", 12.0, 13.0, "returned", "draft", "dinkes1", "api"),
        ("status", 13.0, 13.0, "draft", "submitted", "dinkes1", "workflow"),
        ("status", 13.0, 13.0, "submitted", "verified", "analis", "workflow"),
    ]
    assert changes[2].reason == "periksa lagi"
    assert all(c.changed_at.year >= 2024 for c in changes)


def test_reopen_needs_reason(db, people):
    operator, analyst = people["dinkes"], people["analyst"]
    enter(db, operator, ("STUNTING", KELURAHAN, 12))
    do_submit(db, operator)
    do_review(db, analyst, "verify")

    with pytest.raises(WorkflowError, match="needs a reason"):
        do_review(db, analyst, "reopen", "  ")
    reopened = do_review(db, analyst, "reopen", "Data Dinkes direvisi")
    changed = enter(db, operator, ("STUNTING", KELURAHAN, 13))

    assert reopened.status == "draft"
    assert changed[0].outcome == "changed"
    with db.connect() as connection:
        [change] = [
            c
            for c in value_history(connection, indicator="STUNTING")
            if c.new_status == "draft" and c.action == "status"
        ]
    assert change.reason == "Data Dinkes direvisi"


@pytest.mark.parametrize(
    ("start", "action"),
    [
        ("draft", "verify"),
        ("draft", "publish"),
        ("draft", "reopen"),
        ("submitted", "publish"),
        ("submitted", "submit"),
        ("verified", "submit"),
        ("verified", "verify"),
    ],
)
def test_workflow_forbidden_transition(db, people, start, action):
    operator, analyst = people["dinkes"], people["analyst"]
    enter(db, operator, ("STUNTING", KELURAHAN, 12))
    if start in ("submitted", "verified"):
        do_submit(db, operator)
    if start == "verified":
        do_review(db, analyst, "verify")

    with pytest.raises(WorkflowError, match="cannot be") as raised:
        if action == "submit":
            do_submit(db, operator)
        else:
            do_review(db, analyst, action, "alasan")

    assert status_of(db) == start
    assert "jadi tidak bisa" in raised.value.text("id")


def test_submit_by_other_skpd_denied(db, people):
    enter(db, people["dinkes"], ("STUNTING", KELURAHAN, 12))

    with pytest.raises(PermissionDenied) as raised:
        do_submit(db, people["dinsos"])

    assert status_of(db) == "draft"
    assert raised.value.text("id") == (
        "Hanya operator DINKES atau Bappeda yang boleh mengirimnya."
    )


@pytest.mark.parametrize("action", ["verify", "publish", "reopen"])
def test_review_by_operator_denied(db, people, action):
    enter(db, people["dinkes"], ("STUNTING", KELURAHAN, 12))
    do_submit(db, people["dinkes"])

    with pytest.raises(PermissionDenied):
        do_review(db, people["dinkes"], action, "alasan")


def test_return_needs_comment(db, people):
    enter(db, people["dinkes"], ("STUNTING", KELURAHAN, 12))
    do_submit(db, people["dinkes"])
    kelurahan_id = stored(db, "STUNTING", KELURAHAN).id

    with pytest.raises(WorkflowError, match="needs a comment") as blank:
        do_return(db, people["analyst"], {kelurahan_id: " "})
    with pytest.raises(WorkflowError, match="at least one value") as empty:
        do_return(db, people["analyst"], {})

    assert blank.value.text("id") == (
        "Setiap nilai yang dikembalikan wajib diberi keterangan."
    )
    assert empty.value.text("id").startswith("Pilih minimal satu nilai")


def test_return_other_skpd_value_rejected(db, people):
    """Returning DINKES names only DINKES's submitted values of that year."""
    enter(db, people["dinkes"], ("STUNTING", KELURAHAN, 12))
    enter(db, people["dinsos"], ("DESIL1_JIWA", KELURAHAN, 300))
    do_submit(db, people["dinkes"])
    other_id = stored(db, "DESIL1_JIWA", KELURAHAN).id

    with pytest.raises(WorkflowError, match=str(other_id)):
        do_return(db, people["analyst"], {other_id: "Periksa"})

    assert stored(db, "DESIL1_JIWA", KELURAHAN).status == "draft"
    assert status_of(db) == "submitted"


def test_submit_blocked_by_error(db, people):
    store(db, "BALITA_DIUKUR", KELURAHAN, YEAR, 100.0)
    store(db, "BALITA_STUNTING", KELURAHAN, YEAR, 150.0)

    with pytest.raises(ValidationFailed) as caught:
        do_submit(db, people["dinkes"])

    assert [(r.rule_id, r.severity) for r in caught.value.results] == [
        ("numerator", "error"),
        ("numerator", "error"),
    ]
    assert status_of(db) == "draft"
    assert stored(db, "BALITA_STUNTING", KELURAHAN).status == "draft"


def test_submit_blocked_by_warning_until_justified(db, people):
    operator = people["dinkes"]
    store(db, "PUSKESMAS", KELURAHAN, YEAR - 1, 2.0, "published")
    enter(db, operator, ("PUSKESMAS", KELURAHAN, 6))

    with pytest.raises(ValidationFailed) as caught:
        do_submit(db, operator)
    [warning] = caught.value.results
    with db.begin() as connection:
        justify(
            connection,
            operator,
            stored(db, "PUSKESMAS", KELURAHAN).id,
            warning.rule_id,
            "Dua puskesmas baru dibuka",
        )
    submitted = do_submit(db, operator)

    assert (warning.rule_id, warning.severity) == ("year_on_year", "warning")
    assert warning.message("id") == "6 berubah +200 % dari tahun lalu (2)."
    assert warning.message("en") == "6 changed by +200 % from last year (2)."
    assert submitted.status == "submitted"


def test_justify_needs_text(db, people):
    enter(db, people["dinkes"], ("PUSKESMAS", KELURAHAN, 6))

    with pytest.raises(WorkflowError), db.begin() as connection:
        justify(
            connection,
            people["dinkes"],
            stored(db, "PUSKESMAS", KELURAHAN).id,
            "year_on_year",
            "  ",
        )


# Deadlines and timeliness

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("submitted_at", "deadline", "today", "expected"),
    [
        (NOW, date(2025, 3, 31), date(2025, 4, 5), "on_time"),
        (NOW, date(2025, 3, 10), date(2025, 4, 5), "on_time"),
        (NOW, date(2025, 3, 9), date(2025, 4, 5), "late"),
        (NOW, None, date(2025, 4, 5), "on_time"),
        (None, date(2025, 3, 31), date(2025, 3, 31), "pending"),
        (None, date(2025, 3, 31), date(2025, 4, 1), "overdue"),
        (None, None, date(2025, 4, 1), "pending"),
    ],
)
def test_timeliness_against_deadline(submitted_at, deadline, today, expected):
    assert timeliness("submitted", submitted_at, deadline, today) == expected


def states_by_skpd(db, today: date) -> dict[str, tuple[str, str]]:
    """Status and timeliness per SKPD, the same with and without counting."""
    found = []
    with db.connect() as connection:
        catalogue = Catalogue.load(connection)
        for counts in (True, False):
            states = submission_states(
                connection, catalogue, YEAR, today, with_counts=counts
            )
            found.append({s.skpd_code: (s.status, s.timeliness) for s in states})
    assert found[0] == found[1]
    return found[0]


def test_submission_states_per_skpd(db, people):
    """Dinkes submitted on time, Dinsos was returned, Disdik has drafts only."""
    analyst = people["analyst"]
    today = date.today()
    with db.begin() as connection:
        set_deadline(connection, analyst, YEAR, today + timedelta(days=1))
    disdik = add_user(db, "disdik1", "skpd_operator", skpd="DISDIK")
    enter(db, people["dinkes"], ("STUNTING", KELURAHAN, 12))
    enter(db, people["dinsos"], ("DESIL1_JIWA", KELURAHAN, 300))
    enter(db, disdik, ("PAUD_MURID", KELURAHAN, 40))
    do_submit(db, people["dinkes"])
    do_submit(db, people["dinsos"], "DINSOS")
    do_return(db, analyst, {stored(db, "DESIL1_JIWA", KELURAHAN).id: "Cek"}, "DINSOS")

    before = states_by_skpd(db, today)
    after = states_by_skpd(db, today + timedelta(days=5))

    assert before["DINKES"] == ("submitted", "on_time")
    assert before["DINSOS"] == ("returned", "on_time")
    assert before["DISDIK"] == ("draft", "pending")
    assert before["DPUPR"] == ("missing", "pending")
    assert after["DISDIK"] == ("draft", "overdue")
    assert after["DPUPR"] == ("missing", "overdue")
    assert after["DINKES"] == ("submitted", "on_time")


def test_submission_late_after_deadline(db, people):
    with db.begin() as connection:
        set_deadline(
            connection, people["analyst"], YEAR, date.today() - timedelta(days=1)
        )
    enter(db, people["dinkes"], ("STUNTING", KELURAHAN, 12))
    do_submit(db, people["dinkes"])

    assert states_by_skpd(db, date.today())["DINKES"] == ("submitted", "late")


def test_completeness_carries_timeliness(db, people):
    today = date.today()
    with db.begin() as connection:
        set_deadline(connection, people["analyst"], YEAR, today - timedelta(days=1))
    enter(db, people["dinkes"], ("STUNTING", KELURAHAN, 12))
    do_submit(db, people["dinkes"])

    with db.connect() as connection:
        result = compute_completeness(
            connection,
            Catalogue.load(connection),
            get_area(connection, "32.75"),
            YEAR,
        ).to_dict()

    by_skpd = {entry["key"]: entry for entry in result["by_skpd"]}
    assert by_skpd["DINKES"]["status"] == "submitted"
    assert by_skpd["DINKES"]["timeliness"] == "late"
    assert by_skpd["DPUPR"]["status"] == "missing"
    assert by_skpd["DPUPR"]["timeliness"] == "overdue"
    assert result["timeliness"]["late"] == 1
    assert result["timeliness"]["overdue"] == len(by_skpd) - 1


# Command line


def test_cli_submission_commands(db, people):
    enter(db, people["dinkes"], ("STUNTING", KELURAHAN, 12))

    deadline = run_cli(
        db, "submission", "deadline", "--year", YEAR, "--date", "2099-03-31"
    )
    submitted = run_cli(db, "submission", "submit", "--skpd", "dinkes", "--year", YEAR)
    status = run_cli(db, "submission", "status", "--year", YEAR, "--format", "json")
    verified = run_cli(db, "submission", "verify", "--skpd", "DINKES", "--year", YEAR)
    no_reason = run_cli(db, "submission", "reopen", "--skpd", "DINKES", "--year", YEAR)
    published = run_cli(db, "submission", "publish", "--skpd", "DINKES", "--year", YEAR)

    rows = {row["skpd"]: row for row in json.loads(status.out)}
    assert deadline.code == 0, deadline.err
    assert submitted.out.strip() == "DINKES 2024: dikirim"
    assert rows["DINKES"]["status"] == "submitted"
    assert rows["DINKES"]["timeliness"] == "on_time"
    assert rows["DINKES"]["deadline"] == "2099-03-31"
    assert rows["DINKES"]["values"] == 1
    assert rows["DPUPR"]["status"] == "missing"
    assert verified.out.strip() == "DINKES 2024: terverifikasi"
    assert no_reason.code == 1
    assert "alasan" in no_reason.err
    assert published.out.strip() == "DINKES 2024: terbit"
    assert stored(db, "STUNTING", KELURAHAN).status == "published"


def test_cli_submit_lists_blocking_rules(db, people):
    store(db, "PUSKESMAS", KELURAHAN, YEAR - 1, 2.0, "published")
    enter(db, people["dinkes"], ("PUSKESMAS", KELURAHAN, 6))

    result = run_cli(
        db, "--lang", "en", "submission", "submit", "--skpd", "DINKES", "--year", YEAR
    )

    assert result.code == 1
    assert (
        f"warning: PUSKESMAS {KELURAHAN} 2024: 6 changed by +200 % from last year (2)."
        in result.err
    )
    assert status_of(db) == "draft"


def test_cli_history_and_activity(db, people):
    enter(db, people["dinkes"], ("STUNTING", KELURAHAN, 12))
    enter(db, people["dinkes"], ("STUNTING", KELURAHAN, 13))

    history = run_cli(db, "history", "--indicator", "STUNTING", "--format", "json")
    activity = run_cli(db, "user", "activity", "dinkes1", "--format", "csv")

    changes = json.loads(history.out)
    rows = list(csv.DictReader(io.StringIO(activity.out)))
    assert [(c["old_value"], c["new_value"], c["channel"]) for c in changes] == [
        (None, 12.0, "form"),
        (12.0, 13.0, "form"),
    ]
    assert [row["kind"] for row in rows] == [
        "user_created",
        "value insert",
        "value update",
    ]


# Web review pages and what the public sees


def review_post(client, path: str, **data):
    page = client.get("/verifikasi", params={"tahun": YEAR})
    return client.post(
        path, params={"tahun": YEAR}, data={"csrf_token": csrf_of(page), **data}
    )


def test_review_pages_drive_workflow(db, people, writable_server):
    enter(db, people["dinkes"], ("STUNTING", KELURAHAN, 12))
    do_submit(db, people["dinkes"])
    kelurahan_id = stored(db, "STUNTING", KELURAHAN).id

    with signed_in(writable_server, "analis") as client:
        overview = client.get("/verifikasi", params={"tahun": YEAR})
        deadline = review_post(client, "/verifikasi-batas", deadline="2099-01-31")
        detail = client.get("/verifikasi/DINKES", params={"tahun": YEAR})
        returned = review_post(
            client,
            "/verifikasi/DINKES/kembalikan",
            **{
                f"return:{kelurahan_id}": "1",
                f"comment:{kelurahan_id}": "Terlalu rendah",
            },
        )
    with signed_in(writable_server, "dinkes1") as client:
        home = client.get("/entri", params={"tahun": YEAR})
        form = client.get("/entri/STUNTING", params={"tahun": YEAR})
    enter(db, people["dinkes"], ("STUNTING", KELURAHAN, 20))
    do_submit(db, people["dinkes"])
    with signed_in(writable_server, "analis") as client:
        verified = review_post(client, "/verifikasi/DINKES/verifikasi")
        published = review_post(client, "/verifikasi/DINKES/terbitkan")
        final = client.get("/verifikasi", params={"tahun": YEAR})

    dinkes_row = overview.text.split('data-skpd="DINKES"', 1)[1].split("</tr>", 1)[0]
    assert overview.status_code == 200
    assert "submitted" in dinkes_row
    assert deadline.status_code == 303
    assert f'name="return:{kelurahan_id}"' in detail.text
    assert returned.status_code == 303
    assert "Terlalu rendah" in home.text
    assert "Bappeda: Terlalu rendah" in form.text
    assert verified.status_code == 303
    assert published.status_code == 303
    assert "2099-01-31" in final.text
    assert stored(db, "STUNTING", KELURAHAN).status == "published"


def test_review_pages_reviewers_only(db, people, writable_server):
    with signed_in(writable_server, "dinkes1") as client:
        overview = client.get("/verifikasi", params={"tahun": YEAR})
        token = session_csrf(client)
        verify = client.post(
            "/verifikasi/DINKES/verifikasi",
            params={"tahun": YEAR},
            data={"csrf_token": token},
        )

    assert overview.status_code == 403
    assert verify.status_code == 403
    assert status_of(db) == "draft"


def public_values(base_url: str, area: str) -> list[float]:
    with api_client(base_url) as client:
        page = client.get(
            "/api/v1/observations", params={"indicator": "STUNTING", "area": area}
        )
    return [item["value"] for item in page.json()["items"]]


def test_public_sees_published_only(db, people, writable_server):
    operator, analyst = people["dinkes"], people["analyst"]
    enter(db, operator, ("STUNTING", KELURAHAN, 12.5))
    do_submit(db, operator)
    do_review(db, analyst, "verify")
    token = add_token(db, "analis")

    anonymous_verified = public_values(writable_server, KELURAHAN)
    with api_client(writable_server, token) as client:
        signed_in_verified = client.get(
            "/api/v1/observations", params={"indicator": "STUNTING", "area": KELURAHAN}
        ).json()["items"]
    with api_client(writable_server) as client:
        page_verified = client.get(f"/indikator/STUNTING?wilayah={KELURAHAN}")
        area_verified = client.get(f"/wilayah/{KELURAHAN}", params={"tahun": YEAR})
        completeness_verified = client.get(
            "/api/v1/completeness", params={"area": KELURAHAN, "year": YEAR}
        ).json()["filled"]
    do_review(db, analyst, "publish")
    anonymous_published = public_values(writable_server, KELURAHAN)
    with api_client(writable_server) as client:
        page_published = client.get(f"/indikator/STUNTING?wilayah={KELURAHAN}")
        completeness_published = client.get(
            "/api/v1/completeness", params={"area": KELURAHAN, "year": YEAR}
        ).json()["filled"]

    assert anonymous_verified == []
    assert [item["status"] for item in signed_in_verified] == ["verified"]
    assert "12,5" not in page_verified.text
    assert "12,5" not in area_verified.text
    assert completeness_verified == 0
    assert anonymous_published == [12.5]
    assert "12,5" in page_published.text
    assert completeness_published == 1


# Audit exports


def test_history_exports(db, people, writable_server):
    enter(db, people["dinkes"], ("STUNTING", KELURAHAN, 12))
    enter(db, people["dinkes"], ("STUNTING", KELURAHAN, 13), channel="api")
    token = add_token(db, "analis")

    with signed_in(writable_server, "analis") as client:
        page = client.get("/riwayat", params={"indikator": "STUNTING"})
        exported = client.get(
            "/riwayat", params={"pengguna": "dinkes1", "format": "csv"}
        )
    with api_client(writable_server, token) as client:
        by_value = client.get(
            "/api/v1/history",
            params={"indicator": "stunting", "area": KELURAHAN, "year": YEAR},
        )
        by_user = client.get("/api/v1/history", params={"by": "dinkes1"})
        unfiltered = client.get("/api/v1/history")
    with api_client(writable_server) as client:
        anonymous = client.get("/api/v1/history", params={"by": "dinkes1"})

    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert page.status_code == 200
    assert "dinkes1" in page.text
    assert "<td>tambah</td>" in page.text
    assert "<td>ubah</td>" in page.text
    assert "<td>API</td>" in page.text
    assert "<td>draf → draf</td>" in page.text
    assert exported.headers["content-type"].startswith("text/csv")
    assert [
        (r["action"], r["old_value"], r["new_value"], r["channel"]) for r in rows
    ] == [
        ("insert", "", "12.0", "form"),
        ("update", "12.0", "13.0", "api"),
    ]
    assert rows[0]["changed_by"] == "dinkes1"
    assert rows[0]["changed_at"] != ""
    assert [c["new_value"] for c in by_value.json()] == [12.0, 13.0]
    assert by_value.json() == by_user.json()
    assert unfiltered.status_code == 400
    assert anonymous.status_code == 401


def test_submission_table_unique_per_skpd_year(db, people):
    enter(db, people["dinkes"], ("STUNTING", KELURAHAN, 12))
    do_submit(db, people["dinkes"])

    with db.connect() as connection:
        count = connection.execute(
            sa.select(sa.func.count()).select_from(submission)
        ).scalar_one()

    assert count == 1


def test_history_export_keeps_formulas_as_text(db, people, writable_server):
    writer = EntryWriter(db, people["dinkes"], rules_of(db), "en")
    writer.write(
        [Entry("STUNTING", KELURAHAN, YEAR, 12)],
        channel="form",
        reason='=HYPERLINK("http://contoh.invalid/","klik")',
    )

    with signed_in(writable_server, "analis") as client:
        exported = client.get(
            "/riwayat", params={"pengguna": "dinkes1", "format": "csv"}
        )

    [row] = list(csv.DictReader(io.StringIO(exported.text)))
    assert row["reason"] == '\'=HYPERLINK("http://contoh.invalid/","klik")'


def test_deadline_before_the_data_year_refused(db, people):
    with pytest.raises(WorkflowError, match="falls before"), db.begin() as connection:
        set_deadline(connection, people["analyst"], YEAR, date(YEAR - 1, 12, 31))
