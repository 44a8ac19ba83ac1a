"""The planning API and pages over a real server, and in headless Chromium."""

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from planning_support import (
    PASSWORD,
    YEAR,
    add_users,
    write_budget_csv,
    write_budget_xlsx,
    write_households,
)
from playwright.sync_api import expect, sync_playwright
from web_fixtures import CHROMIUM_ARGS, api_client, csrf_of, session_csrf, signed_in

from conftest import running_server, sample_file
from p3bm.areas.boundaries import import_boundaries
from p3bm.planning.budget_import import BudgetImporter, BudgetImportOptions
from p3bm.planning.register import load_lines
from p3bm.users import create_token

CHROMIUM = Path("/usr/bin/chromium")
TIMEOUT_MS = 30_000
BALITA = "1.02.02.2.02.0004"


@pytest.fixture
def server(db, tmp_path) -> Iterator[str]:
    """A real server over Kota Bekasi's 2025 budget, households and users."""
    path = write_budget_csv(tmp_path / "apbd.csv")
    assert BudgetImporter(db, "bpkad").import_file(path, BudgetImportOptions()).added
    write_households(db)
    add_users(db)
    with running_server(db.url) as url:
        yield url


def token_of(db, username: str) -> str:
    with db.begin() as connection:
        return create_token(connection, username, "uji", "pytest")


def line_body(db, code: str = BALITA, **changes) -> dict:
    with db.connect() as connection:
        line = next(
            item for item in load_lines(connection, year=YEAR) if item.code == code
        )
    body = line.to_dict()
    for key in ("id", "is_pro_poor"):
        body.pop(key)
    body["is_pro_poor"] = line.is_pro_poor
    body.update(changes)
    return body


def test_openapi_documents_planning(server):
    with api_client(server) as client:
        spec = client.get("/api/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v1/planning/budget-lines",
        "/api/v1/planning/budget-imports",
        "/api/v1/planning/quarterly-reports",
        "/api/v1/planning/quarters/{skpd}/{year}/{quarter}/{action}",
        "/api/v1/planning/monitoring",
        "/api/v1/planning/budget-analysis",
        "/api/v1/planning/budget-pivot",
    ):
        assert path in paths
    schemas = spec["components"]["schemas"]
    assert "pagu" in schemas["LineIn"]["properties"]
    assert "physical" in schemas["ReportIn"]["properties"]


def test_api_lists_budget_lines(server):
    with api_client(server) as client:
        response = client.get("/api/v1/planning/budget-lines", params={"year": YEAR})
    assert response.status_code == 200
    lines = {line["code"]: line for line in response.json()}
    assert len(lines) == 11
    assert lines[BALITA]["pagu"] == 2_350_000_000
    assert lines[BALITA]["outputs"][1]["target"] == 120


def test_api_write_needs_sign_in(server, db):
    with api_client(server) as client:
        response = client.put("/api/v1/planning/budget-lines", json=line_body(db))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_api_operator_writes_own_line(server, db):
    body = line_body(db, pagu=2_500_000_000, version=1, reason="APBD-P")
    with api_client(server, token_of(db, "dinkes")) as client:
        response = client.put("/api/v1/planning/budget-lines", json=body)
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response.json()["pagu"] == 2_500_000_000
    with api_client(server, token_of(db, "analis")) as client:
        history = client.get(
            f"/api/v1/planning/budget-lines/{response.json()['id']}/history"
        ).json()
    assert [h["action"] for h in history] == ["insert", "update"]
    assert history[1]["reason"] == "APBD-P"
    assert history[1]["channel"] == "api"


def test_api_operator_other_skpd_forbidden(server, db):
    body = line_body(db, "1.06.05.2.02.0001", pagu=1)
    with api_client(server, token_of(db, "dinkes")) as client:
        response = client.put("/api/v1/planning/budget-lines", json=body)
    assert response.status_code == 403


def test_api_stale_version_conflict(server, db):
    body = line_body(db, pagu=2_600_000_000, version=7)
    with api_client(server, token_of(db, "analis")) as client:
        response = client.put("/api/v1/planning/budget-lines", json=body)
    assert response.status_code == 409


def test_api_invalid_line_lists_problems(server, db):
    body = line_body(db, indicators=["STUNTING", "ENTAH"], pagu=-1, locations=[])
    with api_client(server, token_of(db, "analis")) as client:
        response = client.put(
            "/api/v1/planning/budget-lines", json=body, params={"lang": "en"}
        )
    assert response.status_code == 422
    problems = response.json()["error"]["problems"]
    assert [p["code"] for p in problems] == ["negative_amount", "unknown_indicator"]
    assert problems[1]["message"].startswith("indicator 'ENTAH' is not in the")


def put_raw(client, path: str, text: str):
    """PUT a JSON text as is: httpx would not encode NaN."""
    return client.put(path, content=text, headers={"Content-Type": "application/json"})


def test_api_line_rejects_non_finite(server, db):
    body = json.dumps(line_body(db, locations=[])).replace(
        '"pagu": 2350000000.0', '"pagu": NaN'
    )
    assert '"pagu": NaN' in body
    with api_client(server, token_of(db, "analis")) as client:
        response = put_raw(client, "/api/v1/planning/budget-lines", body)
    assert response.status_code == 422
    assert "finite" in response.text


def test_api_line_rejects_huge_pagu(server, db):
    body = line_body(db, pagu=1e300, locations=[])
    with api_client(server, token_of(db, "analis")) as client:
        response = client.put(
            "/api/v1/planning/budget-lines", json=body, params={"lang": "en"}
        )
    assert response.status_code == 422
    problems = response.json()["error"]["problems"]
    assert [p["code"] for p in problems] == ["amount_too_large"]


@pytest.mark.parametrize(
    "item",
    [
        '{"line_id": %d, "quarter": 1, "realised": NaN, "physical": 5}',
        '{"line_id": %d, "quarter": 1, "realised": 1, "physical": Infinity}',
        '{"line_id": %d, "quarter": 1, "realised": 1, "physical": 5, '
        '"outputs": {"1": NaN}}',
    ],
)
def test_api_reports_reject_non_finite(server, db, item):
    with db.connect() as connection:
        line = load_lines(connection, year=YEAR, skpd_code="DINKES")[0]
    body = '{"items": [%s]}' % (item % line.id)
    with api_client(server, token_of(db, "dinkes")) as client:
        response = put_raw(client, "/api/v1/planning/quarterly-reports", body)
    assert response.status_code == 422
    assert "finite" in response.text


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_api_parallel_new_line_no_500(server, db):
    body = {
        "year": YEAR,
        "code": "1.06.04.2.01.0001",
        "skpd": "DINSOS",
        "pagu": 900_000_000,
        "name": "Penyediaan Permakanan",
        "indicators": [],
        "locations": [],
    }
    token = token_of(db, "analis")
    barrier = threading.Barrier(8)

    def put(_):
        with api_client(server, token) as client:
            barrier.wait()
            return client.put("/api/v1/planning/budget-lines", json=body)

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(put, range(8)))
    statuses = sorted(response.status_code for response in responses)
    assert set(statuses) <= {200, 409}
    assert 200 in statuses
    for response in responses:
        if response.status_code == 409:
            assert response.json()["error"]["code"] == "conflict"
    with db.connect() as connection:
        stored = [
            line
            for line in load_lines(connection, year=YEAR)
            if line.code == "1.06.04.2.01.0001"
        ]
    assert len(stored) == 1
    assert stored[0].version == 1


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_api_missing_line_not_found(server, db, method):
    with api_client(server, token_of(db, "analis")) as client:
        response = client.request(
            method, "/api/v1/planning/budget-lines/999999", params={"reason": "x"}
        )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "budget_line_not_found"


def test_api_session_write_needs_csrf(server, db):
    with signed_in(server, "dinkes", PASSWORD) as client:
        refused = client.put("/api/v1/planning/budget-lines", json=line_body(db))
        token = session_csrf(client)
        allowed = client.put(
            "/api/v1/planning/budget-lines",
            json=line_body(db),
            headers={"X-CSRF-Token": token},
        )
    assert refused.status_code == 403
    assert allowed.status_code == 200


def test_api_budget_upload_rejected(server, db, tmp_path):
    path = tmp_path / "salah.csv"
    path.write_text("kode;pagu;skpd\n1.02.02.2.02.0004;x;DINKES\n", encoding="utf-8")
    with api_client(server, token_of(db, "analis")) as client:
        response = client.post(
            "/api/v1/planning/budget-imports",
            params={"year": YEAR},
            files={"file": ("salah.csv", path.read_bytes(), "text/csv")},
        )
    assert response.status_code == 200
    report = response.json()
    assert report["outcome"] == "rejected"
    assert [p["code"] for p in report["problems"]] == ["invalid_number"]


@pytest.mark.parametrize(
    ("lang", "outcome", "header", "message"),
    [
        (
            "id",
            "ditolak",
            "<th>Lembar</th><th>Baris</th><th>Kolom</th>",
            "bukan angka",
        ),
        ("en", "rejected", "<th>Sheet</th><th>Row</th><th>Column</th>", "not a number"),
    ],
)
def test_page_budget_upload_rejected(server, tmp_path, lang, outcome, header, message):
    path = tmp_path / "salah.csv"
    path.write_text("kode;pagu;skpd\n1.02.02.2.02.0004;x;DINKES\n", encoding="utf-8")
    with signed_in(server, "analis", PASSWORD) as client:
        page = client.get("/perencanaan/anggaran", params={"tahun": YEAR})
        response = client.post(
            "/perencanaan/anggaran-unggah",
            params={"tahun": YEAR, "lang": lang},
            data={"csrf_token": csrf_of(page)},
            files={"file": ("salah.csv", path.read_bytes(), "text/csv")},
        )

    assert response.status_code == 422
    assert f'data-outcome="rejected">{outcome} ·' in response.text
    assert header in response.text
    assert message in response.text


def test_api_budget_upload_other_skpd_forbidden(server, db, tmp_path):
    path = write_budget_xlsx(tmp_path / "apbd.xlsx")
    with api_client(server, token_of(db, "dinkes")) as client:
        response = client.post(
            "/api/v1/planning/budget-imports",
            files={"file": ("apbd.xlsx", path.read_bytes())},
        )
    assert response.status_code == 403


def test_api_quarterly_workflow(server, db):
    with db.connect() as connection:
        lines = load_lines(connection, year=YEAR, skpd_code="DINSOS")
    items = [
        {"line_id": line.id, "quarter": 1, "realised": 250_000_000, "physical": 25}
        for line in lines
    ]
    with api_client(server, token_of(db, "dinsos")) as client:
        written = client.put(
            "/api/v1/planning/quarterly-reports", json={"items": items}
        )
        submitted = client.post("/api/v1/planning/quarters/DINSOS/2025/1/submit")
        verify = client.post("/api/v1/planning/quarters/DINSOS/2025/1/verify")
    assert written.status_code == 200
    assert [r["outcome"] for r in written.json()] == ["added"]
    assert submitted.json()["status"] == "submitted"
    assert verify.status_code == 403
    with api_client(server, token_of(db, "analis")) as client:
        returned = client.post(
            "/api/v1/planning/quarters/DINSOS/2025/1/return",
            json={"comment": "Lampirkan SP2D", "line_comments": {lines[0].id: "Cek"}},
        )
        states = client.get("/api/v1/planning/quarters/2025", params={"quarter": 1})
    assert returned.json()["status"] == "returned"
    dinsos = next(s for s in states.json() if s["skpd"] == "DINSOS")
    assert dinsos["status"] == "returned"
    assert dinsos["missing"] == 0


def test_api_reports_all_or_nothing(server, db):
    with db.connect() as connection:
        lines = load_lines(connection, year=YEAR, skpd_code="DINKES")
    items = [
        {"line_id": lines[0].id, "quarter": 1, "realised": 1, "physical": 5},
        {"line_id": lines[1].id, "quarter": 1, "realised": 1, "physical": 500},
    ]
    with api_client(server, token_of(db, "dinkes")) as client:
        response = client.put(
            "/api/v1/planning/quarterly-reports", json={"items": items}
        )
        monitoring = client.get(
            "/api/v1/planning/monitoring", params={"year": YEAR, "quarter": 1}
        )
    assert response.status_code == 422
    assert [r["outcome"] for r in response.json()] == ["added", "rejected"]
    dinkes = next(r for r in monitoring.json()["rows"] if r["key"] == "DINKES")
    assert dinkes["reported"] == 0


def test_api_monitoring_anonymous_sees_verified(server, db):
    with db.connect() as connection:
        lines = load_lines(connection, year=YEAR, skpd_code="DINSOS")
    items = [
        {"line_id": lines[0].id, "quarter": 1, "realised": 560_000_000, "physical": 50}
    ]
    with api_client(server, token_of(db, "dinsos")) as client:
        client.put("/api/v1/planning/quarterly-reports", json={"items": items})
        signed = client.get(
            "/api/v1/planning/monitoring", params={"year": YEAR, "quarter": 1}
        )
    with api_client(server) as client:
        anonymous = client.get(
            "/api/v1/planning/monitoring", params={"year": YEAR, "quarter": 1}
        )
    row = next(r for r in signed.json()["rows"] if r["key"] == "DINSOS")
    assert row["financial_percent"] == pytest.approx(50.0)
    assert row["financial_light"] == "green"
    hidden = next(r for r in anonymous.json()["rows"] if r["key"] == "DINSOS")
    assert hidden["realised"] == 0
    assert anonymous.json()["thresholds"] == {"green": 90.0, "yellow": 70.0}


def test_api_analysis_and_pivot(server):
    with api_client(server) as client:
        analysis = client.get("/api/v1/planning/budget-analysis", params={"year": YEAR})
        pivot = client.get(
            "/api/v1/planning/budget-pivot",
            params={"rows": "program", "columns": "year", "year": YEAR},
        )
        workbook = client.get(
            "/api/v1/planning/budget-pivot.xlsx", params={"year": YEAR}
        )
    assert analysis.json()["pro_poor_share_percent"] == pytest.approx(75.3982, abs=1e-4)
    rows = {row["program"]: row for row in pivot.json()}
    assert rows["1.02.02"][str(YEAR)] == 153_680_000_000
    assert rows["Jumlah"][str(YEAR)] == 237_300_000_000
    assert workbook.content[:2] == b"PK"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/perencanaan?tahun=2025&triwulan=1", "Pemantauan 2025"),
        ("/perencanaan?tahun=2025&triwulan=1&lang=en", "Monitoring 2025"),
        ("/perencanaan/anggaran?tahun=2025", "Register program 2025"),
        ("/perencanaan/anggaran?tahun=2025&lang=en", "Programme register 2025"),
    ],
)
def test_pages_in_both_languages(server, path, text):
    with api_client(server) as client:
        response = client.get(path)
    assert response.status_code == 200
    assert text in response.text


def test_register_page_pivot(server):
    with api_client(server) as client:
        response = client.get(
            "/perencanaan/anggaran",
            params={"tahun": YEAR, "baris": "program", "ukuran": "pro_poor_pagu"},
        )
    assert response.status_code == 200
    table = response.text[response.text.index('id="pivot-table"') :]
    assert "<tr><th>Program</th><th>Nama</th><th>2025</th><th>Jumlah</th></tr>" in table
    assert "<td>1.02.02</td>" in table
    assert '<td class="number">152.700.000.000</td>' in table
    assert '<td class="number">178.920.000.000</td>' in table
    assert "Biaya per penerima (Rp)" in response.text


def test_page_form_edits_line(server, db):
    with db.connect() as connection:
        line = next(
            item for item in load_lines(connection, year=YEAR) if item.code == BALITA
        )
    with signed_in(server, "dinkes", PASSWORD) as client:
        page = client.get(f"/perencanaan/anggaran/{line.id}")
        form = {
            "csrf_token": csrf_of(page),
            "version": "1",
            "year": "2025",
            "code": BALITA,
            "name": line.name,
            "skpd": "DINKES",
            "pagu": "2.400.000.000",
            "is_pro_poor": "ya",
            "beneficiary_group": line.beneficiary_group,
            "beneficiaries": "4800",
            "indicators": "STUNTING K6",
            "locations": "32.75.07.1003 32.75.07.1004=1000000000",
            "output_name_1": line.outputs[0].name,
            "output_target_1": "4800",
            "output_unit_1": "anak",
            "reason": "pergeseran anggaran",
        }
        response = client.post("/perencanaan/anggaran", data=form)
        bad = client.post(
            "/perencanaan/anggaran", data=form | {"version": "2", "pagu": "-1"}
        )
    assert response.status_code == 303
    assert bad.status_code == 422
    assert "negatif" in bad.text
    with db.connect() as connection:
        stored = next(
            item for item in load_lines(connection, year=YEAR) if item.code == BALITA
        )
    assert stored.pagu == 2_400_000_000
    assert stored.indicators == ("K6", "STUNTING")
    assert stored.location_amounts()["32.75.07.1003"] == pytest.approx(1_400_000_000)
    assert len(stored.outputs) == 1


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (run `make browser`)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def sign_in(page, username: str) -> None:
    page.goto("/masuk")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")


@pytest.mark.browser
def test_browser_skpd_reports_bappeda_monitors(browser, server, db):
    import_boundaries(db, sample_file("boundaries/kota_bekasi_kelurahan.geojson"))
    with db.connect() as connection:
        lines = load_lines(connection, year=YEAR, skpd_code="DINKES")
    context = browser.new_context(base_url=server)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()

    sign_in(page, "dinkes")
    page.goto(f"/perencanaan/triwulan?tahun={YEAR}&triwulan=1")
    expect(page.locator("#quarter-status")).to_have_text("draf")
    for line in lines:
        page.fill(f"input[name='realised:{line.id}']", str(round(line.pagu * 0.2)))
        page.fill(f"input[name='physical:{line.id}']", "23")
        for output in line.outputs:
            target = round((output.target or 0) * 0.25)
            page.fill(f"input[name='output:{line.id}:{output.id}']", str(target))
    page.click("#save-reports")
    expect(page.locator(".notice")).to_contain_text("Tersimpan: 4 baru")
    page.click("#submit-quarter")
    expect(page.locator("#quarter-status")).to_have_text("dikirim")
    page.click("#logout")

    sign_in(page, "analis")
    page.goto(f"/perencanaan?tahun={YEAR}&triwulan=1")
    state = page.locator("#quarter-states tr[data-skpd=DINKES]")
    expect(state).to_contain_text("dikirim")
    expect(page.locator("#quarter-states tr[data-skpd=DISDIK]")).to_contain_text(
        "belum ada data"
    )
    dinkes = page.locator("#by-skpd tr[data-key=DINKES]")
    expect(dinkes).to_contain_text("20,0 %")
    expect(dinkes).to_contain_text("23,0 %")
    expect(dinkes.locator(".light.yellow")).to_have_count(1)
    expect(dinkes.locator(".light.green")).to_have_count(1)
    expect(page.locator("#thresholds")).to_contain_text("hijau bila progres ≥ 90 %")
    # Ciketingudik: a sixth of the Balita line, 3.5 bn of SPAM and a quarter
    # of the RTLH pagu placed in kecamatan Bantargebang, in million rupiah.
    spending = page.locator("#maps svg.map").nth(1)
    village = spending.locator("path.area-32-75-07-1007")
    expected = (2_350_000_000 / 6 + 3_500_000_000 + 3_000_000_000 / 4) / 1e6
    assert float(village.get_attribute("data-value")) == pytest.approx(expected)
    poverty = page.locator("#maps svg.map").nth(0)
    rate = poverty.locator("path.area-32-75-07-1003").get_attribute("data-value")
    assert float(rate) == pytest.approx(100 * 3420 / 9850)
    unknown = poverty.locator("path.area-32-75-01-1001").get_attribute("data-value")
    assert unknown == ""

    page.goto(f"/perencanaan/triwulan?tahun={YEAR}&triwulan=1&skpd=DINKES")
    page.click("#verify-quarter")
    expect(page.locator("#quarter-status")).to_have_text("terverifikasi")
    page.goto(f"/perencanaan?tahun={YEAR}&triwulan=1&lang=en")
    expect(page.locator("h1")).to_have_text("Monitoring 2025, Quarter I")
    expect(page.locator("#quarter-states tr[data-skpd=DINKES]")).to_contain_text(
        "verified"
    )
    context.close()


@pytest.mark.parametrize(
    ("kind", "start"), [("html", b"<!DOCTYPE html>"), ("docx", b"PK")]
)
def test_lp2kd_download(server, kind, start):
    with api_client(server) as client:
        response = client.get(
            "/perencanaan/lp2kd", params={"tahun": YEAR, "format": kind}
        )
    assert response.status_code == 200
    assert response.content.startswith(start)
    disposition = response.headers["content-disposition"]
    assert disposition == f'attachment; filename="lp2kd-32.75-{YEAR}.{kind}"'


def test_viewer_sees_no_report_form(server, db):
    with signed_in(server, "pembaca", PASSWORD) as client:
        page = client.get(
            "/perencanaan/triwulan", params={"tahun": YEAR, "skpd": "DINKES"}
        )
    assert page.status_code == 200
    assert 'id="save-reports"' not in page.text
    assert 'id="submit-quarter"' not in page.text


@pytest.mark.parametrize(
    ("username", "status"), [("pembaca", 403), ("dinkes", 200), ("analis", 200)]
)
def test_new_line_form_only_for_writers(server, db, username, status):
    with signed_in(server, username, PASSWORD) as client:
        page = client.get("/perencanaan/anggaran-baru", params={"tahun": YEAR})
    assert page.status_code == status
