"""Who may write and read what, through every channel, and CSRF protection."""

from __future__ import annotations

import io

import openpyxl
import pytest
from web_fixtures import (
    KECAMATAN,
    KELURAHAN,
    OTHER_KECAMATAN,
    PASSWORD,
    YEAR,
    add_token,
    add_user,
    api_client,
    count_rows,
    csrf_of,
    session_csrf,
    signed_in,
    stored,
    writable_server_fixture,  # noqa: F401
)

from p3bm.catalogue import Catalogue
from p3bm.errors import PermissionDenied
from p3bm.observations import NewValue, write_values
from p3bm.storage.schema import observation, observation_comment
from p3bm.workbook import build_template
from p3bm.workflow import justify

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A kelurahan of kecamatan 32.75.02, outside the area operator's 32.75.01.
OTHER_KELURAHAN = "32.75.02.1001"


@pytest.fixture
def people(db) -> dict[str, str]:
    """Tokens of a Dinkes operator and an operator of kecamatan 32.75.01."""
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")
    add_user(db, "camat1", "area_operator", areas=(KECAMATAN,))
    add_user(db, "pembaca", "viewer")
    return {
        "dinkes": add_token(db, "dinkes1"),
        "camat": add_token(db, "camat1"),
        "viewer": add_token(db, "pembaca"),
    }


def workbook_with(db, skpd: str, values: dict[tuple[str, str], object]) -> bytes:
    with db.connect() as connection:
        data = build_template(
            connection, Catalogue.load(connection), skpd, YEAR, "32.75"
        )
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook["Data"]
    for number in range(2, sheet.max_row + 1):
        key = (sheet.cell(number, 4).value, sheet.cell(number, 1).value)
        if key in values:
            sheet.cell(number, 9).value = values[key]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def form_post(client, indicator: str, area: str, value: str):
    page = client.get("/entri", params={"tahun": YEAR})
    return client.post(
        f"/entri/{indicator}",
        params={"tahun": YEAR},
        data={"csrf_token": csrf_of(page), f"value:{area}": value},
    )


def upload_page(client, data: bytes):
    page = client.get("/entri", params={"tahun": YEAR})
    return client.post(
        "/entri-unggah",
        params={"tahun": YEAR},
        data={"csrf_token": csrf_of(page)},
        files={"file": ("data.xlsx", data, XLSX)},
    )


# An SKPD operator and another SKPD's indicators


def test_skpd_operator_other_skpd_form(db, writable_server, people):
    with signed_in(writable_server, "dinkes1") as client:
        response = form_post(client, "DESIL1_JIWA", KELURAHAN, "300")

    assert response.status_code == 422
    assert "DESIL1_JIWA milik SKPD DINSOS, bukan DINKES" in response.text
    assert count_rows(db, observation) == 0


def test_skpd_operator_other_skpd_upload(db, writable_server, people):
    data = workbook_with(
        db, "DINSOS", {("DESIL1_JIWA", KELURAHAN): 300, ("RT_DTKS", KELURAHAN): 90}
    )

    with signed_in(writable_server, "dinkes1") as client:
        response = upload_page(client, data)
    with api_client(writable_server, people["dinkes"]) as client:
        api = client.post("/api/v1/imports", files={"file": ("d.xlsx", data, XLSX)})

    assert 'data-outcome="rejected"' in response.text
    assert "milik SKPD DINSOS" in response.text
    assert api.json()["report"]["outcome"] == "rejected"
    assert {i["outcome"] for i in api.json()["items"]} == {"forbidden"}
    assert count_rows(db, observation) == 0


def test_skpd_operator_mixed_upload_writes_nothing(db, writable_server, people):
    """One forbidden row among allowed ones stops the whole file."""
    data = workbook_with(db, "DINKES", {("STUNTING", KELURAHAN): 12})
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    workbook["Data"].append(
        [KELURAHAN, "", "", "DESIL1_JIWA", "", "", YEAR, None, 300, None]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)

    with api_client(writable_server, people["dinkes"]) as client:
        response = client.post(
            "/api/v1/imports", files={"file": ("d.xlsx", buffer.getvalue(), XLSX)}
        )

    outcomes = {i["indicator"]: i["outcome"] for i in response.json()["items"]}
    assert outcomes == {"STUNTING": "added", "DESIL1_JIWA": "forbidden"}
    assert response.json()["report"]["outcome"] == "rejected"
    assert count_rows(db, observation) == 0


@pytest.mark.parametrize(
    ("indicator", "area"), [("DESIL1_JIWA", KELURAHAN), ("P0", "32.75")]
)
def test_skpd_operator_other_skpd_api(db, writable_server, people, indicator, area):
    body = {"indicator": indicator, "area": area, "year": YEAR, "value": 1}

    with api_client(writable_server, people["dinkes"]) as client:
        single = client.put("/api/v1/observations", json=body)
        batch = client.post("/api/v1/observations/batch", json={"items": [body]})
        dhis2 = client.post(
            "/api/v1/dhis2/dataValueSets",
            json={
                "dataValues": [
                    {
                        "dataElement": indicator,
                        "orgUnit": area,
                        "period": str(YEAR),
                        "value": "1",
                    }
                ]
            },
        )
        submit = client.post(f"/api/v1/submissions/DINSOS/{YEAR}/submit")

    assert single.status_code == 403
    assert batch.json()["items"][0]["outcome"] == "forbidden"
    assert dhis2.json()["importCount"]["ignored"] == 1
    assert submit.status_code == 403
    assert count_rows(db, observation) == 0


# An area operator and other areas


def test_area_operator_other_area_form(db, writable_server, people):
    with signed_in(writable_server, "camat1") as client:
        page = client.get("/entri/STUNTING", params={"tahun": YEAR})
        own = form_post(client, "STUNTING", KELURAHAN, "12")
        other = form_post(client, "STUNTING", OTHER_KELURAHAN, "12")

    assert f'data-area="{KELURAHAN}"' in page.text
    assert f'data-area="{OTHER_KELURAHAN}"' not in page.text
    assert own.status_code == 200
    assert other.status_code == 422
    assert stored(db, "STUNTING", KELURAHAN).value == 12
    assert stored(db, "STUNTING", OTHER_KELURAHAN) is None


def test_area_operator_other_area_upload(db, writable_server, people):
    data = workbook_with(
        db,
        "DINKES",
        {("STUNTING", KELURAHAN): 12, ("STUNTING", OTHER_KECAMATAN): 13},
    )

    with signed_in(writable_server, "camat1") as client:
        response = upload_page(client, data)

    assert 'data-outcome="rejected"' in response.text
    assert "berada di luar 32.75.01" in response.text
    assert count_rows(db, observation) == 0


def test_area_operator_other_area_api(db, writable_server, people):
    with api_client(writable_server, people["camat"]) as client:
        own = client.put(
            "/api/v1/observations",
            json={"indicator": "STUNTING", "area": KELURAHAN, "year": YEAR, "value": 1},
        )
        other = client.put(
            "/api/v1/observations",
            json={
                "indicator": "STUNTING",
                "area": OTHER_KELURAHAN,
                "year": YEAR,
                "value": 1,
            },
        )
        statistic = client.put(
            "/api/v1/observations",
            json={"indicator": "P0", "area": KECAMATAN, "year": YEAR, "value": 1},
        )

    assert own.status_code == 200
    assert other.status_code == 403
    assert statistic.status_code == 403
    assert count_rows(db, observation) == 1


def test_viewer_writes_nothing(db, writable_server, people):
    with api_client(writable_server, people["viewer"]) as client:
        response = client.put(
            "/api/v1/observations",
            json={"indicator": "STUNTING", "area": KELURAHAN, "year": YEAR, "value": 1},
        )
        upload = client.post(
            "/api/v1/imports",
            files={
                "file": (
                    "d.xlsx",
                    workbook_with(db, "DINKES", {("STUNTING", KELURAHAN): 1}),
                    XLSX,
                )
            },
        )

    assert response.status_code == 403
    assert upload.json()["report"]["outcome"] == "rejected"
    assert [i["outcome"] for i in upload.json()["items"]] == ["forbidden"]
    assert count_rows(db, observation) == 0


def test_justification_by_other_operator_denied(db, people):
    camat = add_user(db, "camat2", "area_operator", areas=(OTHER_KECAMATAN,))
    dinsos = add_user(db, "dinsos1", "skpd_operator", skpd="DINSOS")
    write_values(
        db,
        [NewValue("STUNTING", KELURAHAN, YEAR, "", "", 12.0, False)],
        user="pytest",
        status="draft",
        channel="file",
        file_name="fixture.csv",
    )
    value_id = stored(db, "STUNTING", KELURAHAN).id

    for user in (camat, dinsos):
        with pytest.raises(PermissionDenied), db.begin() as connection:
            justify(connection, user, value_id, "year_on_year", "Benar")

    assert count_rows(db, observation_comment) == 0


# Anonymous visitors

ANONYMOUS_WRITES = [
    (
        "PUT",
        "/api/v1/observations",
        {
            "json": {
                "indicator": "STUNTING",
                "area": KELURAHAN,
                "year": YEAR,
                "value": 1,
            }
        },
    ),
    ("POST", "/api/v1/observations/batch", {"json": {"items": []}}),
    (
        "DELETE",
        "/api/v1/observations",
        {
            "params": {
                "indicator": "STUNTING",
                "area": KELURAHAN,
                "year": YEAR,
                "reason": "x",
            }
        },
    ),
    ("POST", "/api/v1/imports", {"files": {"file": ("a.csv", b"a,b\n", "text/csv")}}),
    ("POST", "/api/v1/dhis2/dataValueSets", {"json": {"dataValues": []}}),
    ("POST", f"/api/v1/submissions/DINKES/{YEAR}/submit", {}),
    ("POST", f"/api/v1/submissions/DINKES/{YEAR}/return", {"json": {"values": {}}}),
    ("PUT", f"/api/v1/deadlines/{YEAR}", {"json": {"deadline": "2025-03-31"}}),
]


@pytest.mark.parametrize(("method", "path", "options"), ANONYMOUS_WRITES)
def test_anonymous_write_answers_401(db, writable_server, method, path, options):
    with api_client(writable_server) as client:
        response = client.request(method, path, **options)

    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "not_authenticated"
    assert count_rows(db, observation) == 0


def test_anonymous_sees_no_unpublished_data(db, writable_server):
    write_values(
        db,
        [
            NewValue("STUNTING", KELURAHAN, YEAR, "", "", 12.5, False),
            NewValue("P0", "32.75", YEAR, "", "", 4.25, False),
        ],
        user="pytest",
        status="verified",
        channel="file",
        file_name="fixture.csv",
    )

    with api_client(writable_server) as client:
        observations = client.get("/api/v1/observations", params={"within": "32.75"})
        completeness = client.get(
            "/api/v1/completeness", params={"area": "32.75", "year": YEAR}
        )
        dhis2 = client.get(
            "/api/v1/dhis2/dataValueSets", params={"period": YEAR, "orgUnit": "32.75"}
        )
        history = client.get("/api/v1/history", params={"indicator": "P0"})
        template = client.get(f"/api/v1/templates/DINKES/{YEAR}")
        area_page = client.get("/wilayah/32.75", params={"tahun": YEAR})
        indicator_page = client.get("/indikator/P0", params={"wilayah": "32.75"})
        report = client.get("/laporan/32.75", params={"tahun": YEAR})
        entry = client.get("/entri")
        changes = client.get("/riwayat", params={"indikator": "P0"})

    assert observations.json()["items"] == []
    assert completeness.json()["filled"] == 0
    assert dhis2.status_code == 401
    assert history.status_code == 401
    assert template.status_code == 401
    assert "4,25" not in area_page.text
    assert "4,25" not in indicator_page.text
    assert "4,25" not in report.text
    # Pages that need an account send anonymous visitors to sign in.
    assert entry.status_code == 303
    assert entry.headers["location"] == "/masuk?next=%2Fentri"
    assert changes.status_code == 303
    assert changes.headers["location"].startswith("/masuk?next=%2Friwayat")


# CSRF


def test_cookie_write_without_csrf_rejected(db, writable_server, people):
    body = {"indicator": "STUNTING", "area": KELURAHAN, "year": YEAR, "value": 12}

    with signed_in(writable_server, "dinkes1") as client:
        token = session_csrf(client)
        no_token = client.put("/api/v1/observations", json=body)
        wrong = client.put(
            "/api/v1/observations", json=body, headers={"X-CSRF-Token": "forged"}
        )
        form = client.post(
            "/entri/STUNTING", params={"tahun": YEAR}, data={f"value:{KELURAHAN}": "12"}
        )
        logout = client.post("/keluar")
        with_token = client.put(
            "/api/v1/observations", json=body, headers={"X-CSRF-Token": token}
        )

    assert no_token.status_code == 403
    assert no_token.json()["error"]["code"] == "permission_denied"
    assert wrong.status_code == 403
    assert form.status_code == 403
    assert logout.status_code == 403
    assert with_token.status_code == 200
    assert stored(db, "STUNTING", KELURAHAN).value == 12


def test_csrf_token_of_other_session_rejected(db, writable_server, people):
    add_user(db, "dinkes2", "skpd_operator", skpd="DINKES", password=PASSWORD)

    with signed_in(writable_server, "dinkes2") as other:
        foreign = session_csrf(other)
    with signed_in(writable_server, "dinkes1") as client:
        response = client.post(
            "/entri/STUNTING",
            params={"tahun": YEAR},
            data={"csrf_token": foreign, f"value:{KELURAHAN}": "12"},
        )

    assert response.status_code == 403
    assert count_rows(db, observation) == 0


def test_bearer_request_needs_no_csrf(db, writable_server, people):
    with api_client(writable_server, people["dinkes"]) as client:
        response = client.put(
            "/api/v1/observations",
            json={"indicator": "STUNTING", "area": KELURAHAN, "year": YEAR, "value": 1},
        )

    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/perencanaan/anggaran/99999999999999999999", "/perencanaan/anggaran/3000000000"],
)
def test_huge_ids_in_paths_are_invalid(writable_server, path):
    with api_client(writable_server) as client:
        response = client.get(path)
    assert response.status_code == 422
