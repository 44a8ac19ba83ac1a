"""The TKPK's decisions on priority problems, from the API and from the page."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from analysis_support import write
from web_fixtures import (
    add_token,
    add_user,
    api_client,
    csrf_of,
    session_csrf,
    signed_in,
    writable_server_fixture,  # noqa: F401
)

from p3bm.analysis.decisions import current_decisions, decision_history

pytestmark = pytest.mark.usefixtures("postgres_admin")

YEAR = 2021
# P0 of Kota Bekasi is above both the province and the national rate, so it is
# red in scheme A and a priority problem.
ROWS = [
    ("P0", "32.75", 2019, 9.0),
    ("P0", "32.75", 2021, 10.0),
    ("P0", "32", 2021, 8.0),
    ("P0", "ID", 2021, 9.0),
    ("JP", "32.75", 2021, 1_000_000.0),
]
DECISIONS = "/api/v1/analysis/decisions"
PAGE = "/analisis/32.75/priority-problems"
FORM = "/analisis/32.75/keputusan"


def decision(**changes) -> dict[str, object]:
    body = {
        "area": "32.75",
        "year": YEAR,
        "indicator": "P0",
        "decision": "accepted",
        "reason": "Kemiskinan di atas rata-rata provinsi",
        "score": 0.7,
    }
    return body | changes


def history(db) -> list:
    with db.connect() as connection:
        return decision_history(connection, "32.75", YEAR)


@pytest.fixture
def users(db) -> dict[str, str]:
    """API tokens of a Bappeda analyst and a Dinkes operator, over problem data."""
    write(db, ROWS, status="published")
    add_user(db, "analis", "analyst")
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")
    return {"analyst": add_token(db, "analis"), "dinkes": add_token(db, "dinkes1")}


def test_api_records_decision(db, writable_server, users):
    with api_client(writable_server, users["analyst"]) as client:
        response = client.post(DECISIONS, json=decision())

    body = response.json()
    assert response.status_code == 201
    assert body["indicator"] == "P0"
    assert body["decision"] == "accepted"
    assert body["decided_by"] == "analis"
    assert body["score"] == 0.7
    assert [(d.indicator, d.decision) for d in history(db)] == [("P0", "accepted")]


def test_api_changed_decision_keeps_old(db, writable_server, users):
    with api_client(writable_server, users["analyst"]) as client:
        client.post(DECISIONS, json=decision())
        client.post(
            DECISIONS, json=decision(decision="rejected", reason="Sudah ditangani")
        )
        listed = client.get(DECISIONS, params={"area": "32.75", "year": YEAR}).json()
        problems = client.get(
            "/api/v1/analysis/priority-problems", params={"area": "32.75", "year": YEAR}
        ).json()

    assert [d["decision"] for d in listed] == ["accepted", "rejected"]
    assert current_decisions(history(db))["P0"].reason == "Sudah ditangani"
    row = next(r for r in problems["rows"] if r["indicator"] == "P0")
    assert row["decision"] == "rejected"
    assert row["decision_reason"] == "Sudah ditangani"


def test_api_lowercase_codes_accepted(db, writable_server, users):
    with api_client(writable_server, users["analyst"]) as client:
        response = client.post(DECISIONS, json=decision(indicator="p0"))

    assert response.status_code == 201
    assert history(db)[0].indicator == "P0"


def test_api_anonymous_is_401(db, writable_server, users):
    with api_client(writable_server) as client:
        response = client.post(DECISIONS, json=decision())

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert history(db) == []


def test_api_skpd_operator_is_403(db, writable_server, users):
    with api_client(writable_server, users["dinkes"]) as client:
        response = client.post(DECISIONS, json=decision())

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert history(db) == []


def test_api_session_needs_csrf_header(db, writable_server, users):
    with signed_in(writable_server, "analis") as client:
        without = client.post(DECISIONS, json=decision())
        token = session_csrf(client)
        with_token = client.post(
            DECISIONS, json=decision(), headers={"X-CSRF-Token": token}
        )

    assert without.status_code == 403
    assert with_token.status_code == 201
    assert len(history(db)) == 1


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"decision": "maybe"}, 422, "invalid_request"),
        ({"reason": ""}, 422, "invalid_request"),
        ({"reason": "   "}, 400, "invalid_configuration"),
        ({"indicator": "NOPE"}, 404, "indicator_not_found"),
        ({"area": "99.99"}, 404, "area_not_found"),
        ({"year": 1800}, 422, "invalid_request"),
    ],
)
def test_api_rejects_invalid_decision(
    db, writable_server, users, changes, status, code
):
    with api_client(writable_server, users["analyst"]) as client:
        response = client.post(DECISIONS, json=decision(**changes))

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert history(db) == []


def test_openapi_documents_decision_body(db, writable_server, users):
    spec = httpx.get(writable_server + "/api/openapi.json", timeout=30).json()
    body = spec["components"]["schemas"]["DecisionIn"]
    assert {"area", "year", "indicator", "decision", "reason"} <= set(body["required"])
    assert "post" in spec["paths"][DECISIONS]


def test_page_shows_form_to_analyst(db, writable_server, users):
    with signed_in(writable_server, "analis") as client:
        page = client.get(PAGE, params={"tahun": YEAR})

    form = re.search(
        r'<form[^>]*class="decision-form" data-indicator="P0".*?</form>',
        page.text,
        re.S,
    )
    assert form is not None
    assert f'action="{FORM}?tahun={YEAR}&amp;lang=id"' in form.group(0)
    assert 'name="csrf_token"' in form.group(0)
    assert 'name="reason" required' in form.group(0)


def test_page_records_decision(db, writable_server, users):
    with signed_in(writable_server, "analis") as client:
        token = csrf_of(client.get(PAGE, params={"tahun": YEAR}))
        response = client.post(
            FORM,
            params={"tahun": YEAR, "lang": "en"},
            data={
                "csrf_token": token,
                "indicator": "P0",
                "decision": "rejected",
                "reason": "Program sudah berjalan",
                "score": "0.5",
            },
        )
        page = client.get(response.headers["location"])

    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}?tahun={YEAR}&lang=en"
    assert 'class="badge rejected"' in page.text
    assert "Program sudah berjalan" in page.text
    stored = history(db)[0]
    assert stored.decision == "rejected"
    assert stored.decided_by == "analis"
    assert stored.score == 0.5


def test_page_changed_decision_keeps_old(db, writable_server, users):
    with signed_in(writable_server, "analis") as client:
        token = csrf_of(client.get(PAGE, params={"tahun": YEAR}))
        for choice in ("accepted", "rejected"):
            client.post(
                FORM,
                params={"tahun": YEAR},
                data={
                    "csrf_token": token,
                    "indicator": "P0",
                    "decision": choice,
                    "reason": f"Alasan {choice}",
                },
            )
        page = client.get(PAGE, params={"tahun": YEAR})

    assert [d.decision for d in history(db)] == ["accepted", "rejected"]
    rows = re.search(r'<table id="decision-history">.*?</table>', page.text, re.S)
    assert rows is not None
    assert rows.group(0).count("<tr>") == 2


def test_page_without_csrf_is_403(db, writable_server, users):
    with signed_in(writable_server, "analis") as client:
        response = client.post(
            FORM,
            params={"tahun": YEAR},
            data={"indicator": "P0", "decision": "accepted", "reason": "x"},
        )

    assert response.status_code == 403
    assert history(db) == []


def test_page_hides_form_from_anonymous(db, writable_server, users):
    page = httpx.get(writable_server + PAGE, params={"tahun": YEAR}, timeout=30)

    assert 'data-indicator="P0"' in page.text
    assert 'class="decision-form"' not in page.text


def test_page_anonymous_post_is_401(db, writable_server, users):
    with httpx.Client(base_url=writable_server, timeout=30) as client:
        token = csrf_of(client.get("/masuk"))
        response = client.post(
            FORM,
            params={"tahun": YEAR},
            data={
                "csrf_token": token,
                "indicator": "P0",
                "decision": "accepted",
                "reason": "x",
            },
        )

    assert response.status_code == 401
    assert history(db) == []


def test_page_skpd_operator_rejected(db, writable_server, users):
    with signed_in(writable_server, "dinkes1") as client:
        page = client.get(PAGE, params={"tahun": YEAR})
        response = client.post(
            FORM,
            params={"tahun": YEAR},
            data={
                "csrf_token": session_csrf(client),
                "indicator": "P0",
                "decision": "accepted",
                "reason": "x",
            },
        )

    assert 'class="decision-form"' not in page.text
    assert response.status_code == 403
    assert history(db) == []


@pytest.mark.parametrize("score", [float("inf"), float("nan"), 1e999])
def test_api_decision_score_must_be_finite(db, writable_server, users, score):
    with api_client(writable_server, users["analyst"]) as client:
        response = client.post(
            DECISIONS,
            content=json.dumps(decision(score=score)),
            headers={"Content-Type": "application/json"},
        )

    assert response.status_code in (400, 422), response.text
    assert history(db) == []
