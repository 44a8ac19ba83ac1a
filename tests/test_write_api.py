"""The JSON write API: batches, single values, deletes, DHIS2 and the workflow."""

from __future__ import annotations

import pytest
from web_fixtures import (
    KECAMATAN,
    KELURAHAN,
    OTHER_KECAMATAN,
    YEAR,
    add_token,
    add_user,
    api_client,
    count_rows,
    stored,
    writable_server_fixture,  # noqa: F401
)

from p3bm.observations import NewValue, value_history, write_values
from p3bm.storage.schema import observation, observation_change


@pytest.fixture
def tokens(db) -> dict[str, str]:
    """API tokens of a Dinkes operator and a Bappeda analyst."""
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")
    add_user(db, "analis", "analyst")
    return {"dinkes": add_token(db, "dinkes1"), "analyst": add_token(db, "analis")}


def item(indicator, area, value, **extra) -> dict[str, object]:
    return {"indicator": indicator, "area": area, "year": YEAR, "value": value, **extra}


BATCH = [
    item("STUNTING", KELURAHAN, 13.5),
    item("STUNTING", KECAMATAN, "11,2"),
    item("STUNTING", OTHER_KECAMATAN, 140),
    item("P0", "32.75", 4.1),
    item("STUNTING", "32.75", None),
]


def seed(client) -> None:
    response = client.put("/api/v1/observations", json=item("STUNTING", KELURAHAN, 12))
    assert response.status_code == 200, response.text


def test_batch_dry_run_reports_without_writing(db, writable_server, tokens):
    with api_client(writable_server, tokens["dinkes"]) as client:
        seed(client)
        response = client.post(
            "/api/v1/observations/batch",
            params={"lang": "en"},
            json={"items": BATCH, "dry_run": True},
        )

    body = response.json()
    assert response.status_code == 422
    assert body["written"] is False
    # A real run would write nothing, so a dry run counts nothing either.
    assert (body["dry_run"], body["added"], body["changed"], body["rejected"]) == (
        True,
        0,
        0,
        2,
    )
    assert [i["outcome"] for i in body["items"]] == [
        "changed",
        "added",
        "rejected",
        "forbidden",
        "added",
    ]
    assert body["items"][2]["errors"] == [
        {"code": "range", "message": "140 is outside the range 0–100 for STUNTING."}
    ]
    assert body["items"][3]["errors"][0]["code"] == "forbidden"
    assert stored(db, "STUNTING", KELURAHAN).value == 12
    assert stored(db, "STUNTING", KECAMATAN) is None
    assert count_rows(db, observation_change) == 1


def test_batch_with_rejected_item_writes_nothing(db, writable_server, tokens):
    with api_client(writable_server, tokens["dinkes"]) as client:
        seed(client)
        response = client.post(
            "/api/v1/observations/batch",
            json={"items": BATCH, "reason": "laporan bulanan"},
        )

    body = response.json()
    assert response.status_code == 422
    assert body["written"] is False
    assert body["dry_run"] is False
    assert (body["added"], body["changed"], body["rejected"]) == (0, 0, 2)
    assert [i["outcome"] for i in body["items"]] == [
        "changed",
        "added",
        "rejected",
        "forbidden",
        "added",
    ]
    assert body["items"][2]["errors"][0]["code"] == "range"
    assert stored(db, "STUNTING", KELURAHAN).value == 12
    assert stored(db, "STUNTING", KECAMATAN) is None
    assert stored(db, "STUNTING", "32.75") is None
    assert count_rows(db, observation_change) == 1


def test_batch_skip_invalid_writes_valid_items(db, writable_server, tokens):
    with api_client(writable_server, tokens["dinkes"]) as client:
        seed(client)
        response = client.post(
            "/api/v1/observations/batch",
            json={"items": BATCH, "reason": "laporan bulanan", "skip_invalid": True},
        )

    body = response.json()
    with db.connect() as connection:
        changes = value_history(connection, indicator="STUNTING", area=KELURAHAN)
    assert response.status_code == 200
    assert body["written"] is True
    assert [i["outcome"] for i in body["items"]] == [
        "changed",
        "added",
        "rejected",
        "forbidden",
        "added",
    ]
    assert body["items"][0]["version"] == 2
    assert stored(db, "STUNTING", KELURAHAN).value == 13.5
    assert stored(db, "STUNTING", KECAMATAN).value == 11.2
    assert stored(db, "STUNTING", "32.75").value is None
    assert stored(db, "STUNTING", OTHER_KECAMATAN) is None
    assert (changes[-1].reason, changes[-1].channel, changes[-1].changed_by) == (
        "laporan bulanan",
        "api",
        "dinkes1",
    )


def test_batch_skip_invalid_all_rejected(db, writable_server, tokens):
    items = [item("STUNTING", KELURAHAN, 140), item("P0", "32.75", 4.1)]
    with api_client(writable_server, tokens["dinkes"]) as client:
        response = client.post(
            "/api/v1/observations/batch",
            json={"items": items, "skip_invalid": True},
        )

    body = response.json()
    assert response.status_code == 200
    assert body["written"] is False
    assert (body["added"], body["rejected"]) == (0, 2)
    assert count_rows(db, observation) == 0


def test_batch_stale_version_writes_nothing(db, writable_server, tokens):
    items = [
        item("STUNTING", KECAMATAN, 11.2),
        item("STUNTING", KELURAHAN, 14, version=1),
    ]
    with api_client(writable_server, tokens["dinkes"]) as client:
        seed(client)
        client.put("/api/v1/observations", json=item("STUNTING", KELURAHAN, 13))
        response = client.post("/api/v1/observations/batch", json={"items": items})

    body = response.json()
    assert response.status_code == 409
    assert body["written"] is False
    assert [i["outcome"] for i in body["items"]] == ["added", "conflict"]
    assert body["items"][1]["version"] == 2
    assert stored(db, "STUNTING", KECAMATAN) is None
    assert stored(db, "STUNTING", KELURAHAN).value == 13


def test_batch_of_valid_items_is_written(db, writable_server, tokens):
    items = [item("STUNTING", KECAMATAN, 11.2), item("STUNTING", KELURAHAN, 9)]
    with api_client(writable_server, tokens["dinkes"]) as client:
        response = client.post("/api/v1/observations/batch", json={"items": items})

    body = response.json()
    assert response.status_code == 200
    assert body["written"] is True
    assert (body["added"], body["rejected"]) == (2, 0)
    assert stored(db, "STUNTING", KECAMATAN).value == 11.2
    assert stored(db, "STUNTING", KELURAHAN).value == 9


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": [item("STUNTING", KELURAHAN, 1, year=1800)]}, "year"),
        ({"items": [item("STUNTING", KELURAHAN, [1])]}, "value"),
        ({"items": [{"indicator": "STUNTING"}]}, "area"),
        ({"items": "STUNTING"}, "items"),
        ({"items": [item("STUNTING", KELURAHAN, 1, version=0)]}, "version"),
    ],
)
def test_batch_invalid_request_answers_422(db, writable_server, tokens, body, field):
    with api_client(writable_server, tokens["dinkes"]) as client:
        response = client.post("/api/v1/observations/batch", json=body)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert field in response.json()["error"]["message"]


def test_put_stale_version_answers_409(db, writable_server, tokens):
    with api_client(writable_server, tokens["dinkes"]) as client:
        first = client.put("/api/v1/observations", json=item("STUNTING", KELURAHAN, 12))
        second = client.put(
            "/api/v1/observations", json=item("STUNTING", KELURAHAN, 13, version=1)
        )
        stale = client.put(
            "/api/v1/observations", json=item("STUNTING", KELURAHAN, 14, version=1)
        )

    assert first.json()["version"] == 1
    assert second.status_code == 200
    assert second.json()["version"] == 2
    assert stale.status_code == 409
    assert stale.json()["outcome"] == "conflict"
    assert stale.json()["version"] == 2
    assert stored(db, "STUNTING", KELURAHAN).value == 13
    assert count_rows(db, observation_change) == 2


@pytest.mark.parametrize(
    ("body", "status", "outcome"),
    [
        (item("STUNTING", KELURAHAN, 150), 422, "rejected"),
        (item("P0", "32.75", 4), 403, "forbidden"),
        (item("NOPE", KELURAHAN, 4), 422, "rejected"),
    ],
)
def test_put_problem_status(db, writable_server, tokens, body, status, outcome):
    with api_client(writable_server, tokens["dinkes"]) as client:
        response = client.put("/api/v1/observations", json=body)

    assert response.status_code == status
    assert response.json()["outcome"] == outcome
    assert count_rows(db, observation) == 0


def test_put_locked_value_answers_409(db, writable_server, tokens):
    write_values(
        db,
        [NewValue("STUNTING", KELURAHAN, YEAR, "", "", 12.0, False)],
        user="pytest",
        status="verified",
        channel="file",
        file_name="fixture.csv",
    )

    with api_client(writable_server, tokens["analyst"]) as client:
        response = client.put(
            "/api/v1/observations", json=item("STUNTING", KELURAHAN, 13)
        )

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "locked"
    assert stored(db, "STUNTING", KELURAHAN).value == 12


def test_delete_keeps_history(db, writable_server, tokens):
    key = {"indicator": "STUNTING", "area": KELURAHAN, "year": YEAR}
    with api_client(writable_server, tokens["dinkes"]) as client:
        seed(client)
        no_reason = client.delete("/api/v1/observations", params=key)
        deleted = client.delete(
            "/api/v1/observations", params={**key, "reason": "salah wilayah"}
        )
        again = client.delete(
            "/api/v1/observations", params={**key, "reason": "salah wilayah"}
        )
        listed = client.get("/api/v1/history", params={"indicator": "STUNTING"})

    assert no_reason.status_code == 422
    assert deleted.status_code == 204
    assert again.status_code == 404
    assert stored(db, "STUNTING", KELURAHAN) is None
    assert [
        (c["action"], c["old_value"], c["new_value"], c["reason"], c["channel"])
        for c in listed.json()
    ] == [
        ("insert", None, 12.0, "api", "api"),
        ("delete", 12.0, None, "salah wilayah", "api"),
    ]
    assert listed.json()[1]["changed_by"] == "dinkes1"


def test_delete_by_bps_code(db, writable_server, tokens):
    with api_client(writable_server, tokens["analyst"]) as client:
        client.put("/api/v1/observations", json=item("P0", "32.75", 4.5))
        response = client.delete(
            "/api/v1/observations",
            params={"indicator": "P0", "area": "3275", "year": YEAR, "reason": "x"},
        )

    assert response.status_code == 204
    assert stored(db, "P0", "32.75") is None


def test_delete_other_skpd_forbidden(db, writable_server, tokens):
    with api_client(writable_server, tokens["analyst"]) as client:
        client.put("/api/v1/observations", json=item("P0", "32.75", 4.5))
    with api_client(writable_server, tokens["dinkes"]) as client:
        response = client.delete(
            "/api/v1/observations",
            params={"indicator": "P0", "area": "32.75", "year": YEAR, "reason": "x"},
        )

    assert response.status_code == 403
    assert stored(db, "P0", "32.75").value == 4.5
    assert response.json()["error"]["message"] == (
        "Tidak diizinkan: P0 milik SKPD BAPPEDA, bukan DINKES."
    )


def test_delete_locked_value_answers_409(db, writable_server, tokens):
    write_values(
        db,
        [NewValue("STUNTING", KELURAHAN, YEAR, "", "", 12.0, False)],
        user="pytest",
        status="published",
        channel="file",
        file_name="fixture.csv",
    )

    with api_client(writable_server, tokens["dinkes"]) as client:
        response = client.delete(
            "/api/v1/observations",
            params={
                "indicator": "STUNTING",
                "area": KELURAHAN,
                "year": YEAR,
                "reason": "x",
            },
        )

    assert response.status_code == 409
    assert stored(db, "STUNTING", KELURAHAN).value == 12
    assert response.json()["error"]["message"] == (
        "Nilai ini berstatus terbit dan terkunci."
    )


# DHIS2 dataValueSets

DATA_VALUE_SET = {
    "dataSet": "P3BM",
    "period": str(YEAR),
    "dataValues": [
        {"dataElement": "STUNTING", "orgUnit": KELURAHAN, "value": "12.5"},
        {
            "dataElement": "IBU_HAMIL",
            "period": str(YEAR),
            "orgUnit": KECAMATAN,
            "value": "2543676",
            "comment": "sasaran proyeksi",
        },
        {"dataElement": "STUNTING", "orgUnit": KECAMATAN, "period": "2024Q1"},
        {
            "dataElement": "STUNTING",
            "orgUnit": KECAMATAN,
            "categoryOptionCombo": "Unknown",
            "value": "3",
        },
        {"dataElement": "P0", "orgUnit": "32.75", "value": "4.1"},
    ],
}


def test_dhis2_import_summary(db, writable_server, tokens):
    with api_client(writable_server, tokens["dinkes"]) as client:
        dry = client.post(
            "/api/v1/dhis2/dataValueSets",
            params={"idScheme": "CODE", "dryRun": "true"},
            json=DATA_VALUE_SET,
        )
        after_dry = count_rows(db, observation)
        response = client.post(
            "/api/v1/dhis2/dataValueSets",
            params={"idScheme": "CODE"},
            json=DATA_VALUE_SET,
        )

    summary = response.json()
    assert dry.json()["importCount"] == {
        "imported": 2,
        "updated": 0,
        "ignored": 3,
        "deleted": 0,
    }
    assert dry.json()["dryRun"] is True
    assert after_dry == 0
    assert summary["status"] == "WARNING"
    assert summary["importCount"]["imported"] == 2
    assert len(summary["conflicts"]) == 3
    assert stored(db, "STUNTING", KELURAHAN).value == 12.5
    assert stored(db, "IBU_HAMIL", KECAMATAN).value == 2543676


def test_dhis2_export_round_trip(db, writable_server, tokens):
    with api_client(writable_server, tokens["dinkes"]) as client:
        client.post(
            "/api/v1/dhis2/dataValueSets",
            params={"idScheme": "CODE"},
            json=DATA_VALUE_SET,
        )
        exported = client.get(
            "/api/v1/dhis2/dataValueSets",
            params={"period": YEAR, "orgUnit": KECAMATAN, "children": "true"},
        )
        again = client.post(
            "/api/v1/dhis2/dataValueSets",
            params={"idScheme": "CODE"},
            json=exported.json(),
        )

    values = {
        (v["dataElement"], v["orgUnit"], v["period"]): v["value"]
        for v in exported.json()["dataValues"]
    }
    assert values == {
        ("STUNTING", KELURAHAN, "2024"): "12.5",
        ("IBU_HAMIL", KECAMATAN, "2024"): "2543676",
    }
    assert exported.json()["dataValues"][0]["storedBy"] == "dinkes1"
    assert again.json()["importCount"]["ignored"] == 2
    assert again.json()["conflicts"] == []


def test_dhis2_other_id_scheme_rejected(db, writable_server, tokens):
    with api_client(writable_server, tokens["dinkes"]) as client:
        response = client.post(
            "/api/v1/dhis2/dataValueSets",
            params={"idScheme": "UID"},
            json=DATA_VALUE_SET,
        )

    assert response.status_code == 422
    assert count_rows(db, observation) == 0


# Workflow through the API


def test_api_workflow_steps(db, writable_server, tokens):
    with api_client(writable_server, tokens["dinkes"]) as operator:
        seed(operator)
        submitted = operator.post(f"/api/v1/submissions/DINKES/{YEAR}/submit")
        verify_denied = operator.post(f"/api/v1/submissions/DINKES/{YEAR}/verify")
    value_id = stored(db, "STUNTING", KELURAHAN).id
    with api_client(writable_server, tokens["analyst"]) as analyst:
        deadline = analyst.put(
            f"/api/v1/deadlines/{YEAR}", json={"deadline": "2099-03-31"}
        )
        returned = analyst.post(
            f"/api/v1/submissions/DINKES/{YEAR}/return",
            json={"values": {str(value_id): "Cek lagi"}, "comment": "Periksa"},
        )
    with api_client(writable_server, tokens["dinkes"]) as operator:
        corrected = operator.put(
            "/api/v1/observations", json=item("STUNTING", KELURAHAN, 14, version=3)
        )
        resubmitted = operator.post(f"/api/v1/submissions/DINKES/{YEAR}/submit")
    with api_client(writable_server, tokens["analyst"]) as analyst:
        verified = analyst.post(f"/api/v1/submissions/DINKES/{YEAR}/verify")
        reopen_denied = analyst.post(f"/api/v1/submissions/DINKES/{YEAR}/reopen")
        published = analyst.post(f"/api/v1/submissions/DINKES/{YEAR}/publish")
        states = analyst.get("/api/v1/submissions", params={"year": YEAR})

    dinkes = next(s for s in states.json() if s["skpd"] == "DINKES")
    assert submitted.json() == {"skpd": "DINKES", "year": YEAR, "status": "submitted"}
    assert verify_denied.status_code == 403
    assert deadline.json() == {"year": YEAR, "deadline": "2099-03-31"}
    assert returned.json()["status"] == "returned"
    assert corrected.status_code == 200, corrected.text
    assert resubmitted.json()["status"] == "submitted"
    assert verified.json()["status"] == "verified"
    assert reopen_denied.status_code == 409
    assert published.json()["status"] == "published"
    assert (dinkes["status"], dinkes["timeliness"], dinkes["deadline"]) == (
        "published",
        "on_time",
        "2099-03-31",
    )


def test_api_submit_blocked_by_warning(db, writable_server, tokens):
    write_values(
        db,
        [NewValue("PUSKESMAS", KELURAHAN, YEAR - 1, "", "", 2.0, False)],
        user="pytest",
        status="published",
        channel="file",
        file_name="fixture.csv",
    )
    with api_client(writable_server, tokens["dinkes"]) as client:
        client.put("/api/v1/observations", json=item("PUSKESMAS", KELURAHAN, 6))
        response = client.post(f"/api/v1/submissions/DINKES/{YEAR}/submit")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_failed"


def test_api_me(db, writable_server, tokens):
    with api_client(writable_server, tokens["dinkes"]) as client:
        response = client.get("/api/v1/me")

    assert response.json() == {
        "username": "dinkes1",
        "full_name": "Dinkes1",
        "role": "skpd_operator",
        "skpd": "DINKES",
        "areas": [],
    }
