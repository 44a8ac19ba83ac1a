"""Writing values one by one: EntryWriter's checks and the web entry form."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from web_fixtures import (
    CHROMIUM_ARGS,
    KECAMATAN,
    KELURAHAN,
    OTHER_KECAMATAN,
    PASSWORD,
    YEAR,
    add_user,
    count_rows,
    csrf_of,
    rules_of,
    signed_in,
    stored,
    writable_server_fixture,  # noqa: F401
)

from p3bm.entry import Entry, EntryWriter, is_written
from p3bm.observations import NewValue, utc_now, value_history, write_values
from p3bm.storage.schema import (
    observation,
    observation_change,
    observation_comment,
    submission,
)


def writer(db, username="dinkes1", role="skpd_operator", skpd="DINKES", areas=()):
    user = add_user(db, username, role, skpd=skpd, areas=areas)
    return EntryWriter(db, user, rules_of(db), "en")


def write(entry_writer, *entries: Entry, channel="api", **options):
    return entry_writer.write(list(entries), channel=channel, **options)


def set_status(db, indicator: str, area: str, status: str) -> None:
    with db.begin() as connection:
        connection.execute(
            observation.update()
            .where(
                observation.c.indicator_code == indicator,
                observation.c.area_code == area,
                observation.c.year == YEAR,
            )
            .values(status=status)
        )


def history(db, indicator: str, area: str):
    with db.connect() as connection:
        return value_history(connection, indicator=indicator, area=area)


# EntryWriter


def test_writer_adds_draft_with_history(db):
    entry_writer = writer(db)

    [result] = write(
        entry_writer, Entry("stunting", KELURAHAN, YEAR, "12,5"), reason="survey"
    )

    row = stored(db, "STUNTING", KELURAHAN)
    [change] = history(db, "STUNTING", KELURAHAN)
    assert result.outcome == "added"
    assert result.version == 1
    assert (row.value, row.status, row.version) == (12.5, "draft", 1)
    assert row.updated_by == "dinkes1"
    assert change.action == "insert"
    assert change.old_value is None
    assert change.new_value == 12.5
    assert change.new_status == "draft"
    assert change.changed_by == "dinkes1"
    assert change.reason == "survey"
    assert change.channel == "api"


def test_writer_changes_value(db):
    entry_writer = writer(db)
    write(entry_writer, Entry("STUNTING", KELURAHAN, YEAR, 12.5))

    [result] = write(
        entry_writer, Entry("STUNTING", KELURAHAN, YEAR, 13, version=1), channel="form"
    )

    changes = history(db, "STUNTING", KELURAHAN)
    assert result.outcome == "changed"
    assert result.version == 2
    assert stored(db, "STUNTING", KELURAHAN).value == 13
    assert [(c.action, c.old_value, c.new_value, c.channel) for c in changes] == [
        ("insert", None, 12.5, "api"),
        ("update", 12.5, 13.0, "form"),
    ]


def test_writer_same_value_unchanged(db):
    entry_writer = writer(db)
    write(entry_writer, Entry("STUNTING", KELURAHAN, YEAR, 12.5))

    [result] = write(entry_writer, Entry("STUNTING", KELURAHAN, YEAR, "12.5"))

    assert result.outcome == "unchanged"
    assert len(history(db, "STUNTING", KELURAHAN)) == 1


def test_writer_stale_version_conflicts(db):
    entry_writer = writer(db)
    write(entry_writer, Entry("STUNTING", KELURAHAN, YEAR, 12.5))
    write(entry_writer, Entry("STUNTING", KELURAHAN, YEAR, 13, version=1))

    [result] = write(entry_writer, Entry("STUNTING", KELURAHAN, YEAR, 14, version=1))

    assert result.outcome == "conflict"
    assert result.errors[0]["code"] == "version_conflict"
    assert stored(db, "STUNTING", KELURAHAN).value == 13
    assert stored(db, "STUNTING", KELURAHAN).version == 2


def test_writer_version_of_missing_value_conflicts(db):
    [result] = write(writer(db), Entry("STUNTING", KELURAHAN, YEAR, 12.5, version=3))

    assert result.outcome == "conflict"
    assert stored(db, "STUNTING", KELURAHAN) is None


BAD_ENTRIES = [
    (Entry("NOPE", KELURAHAN, YEAR, 1), "rejected", "unknown_indicator"),
    (Entry("STUNTING", "99.99", YEAR, 1), "rejected", "unknown_area_code"),
    (Entry("STUNTING", KELURAHAN, 1800, 1), "rejected", "invalid_year"),
    (Entry("STUNTING", KELURAHAN, YEAR, "dua"), "rejected", "invalid_number"),
    (Entry("STUNTING", KELURAHAN, YEAR, ""), "rejected", "missing_value"),
    (Entry("STUNTING", KECAMATAN, YEAR, 150), "rejected", "range"),
    (Entry("STUNTING", "32.75", YEAR, -1), "rejected", "range"),
    (Entry("TB_KASUS", KELURAHAN, YEAR, 5), "rejected", "below_lowest_level"),
    (Entry("P0", "32.75", YEAR, 5), "forbidden", "forbidden"),
    (Entry("DESIL1_JIWA", KELURAHAN, YEAR, 5), "forbidden", "forbidden"),
    (
        Entry("JP", KELURAHAN, YEAR, 5, "sex=alien"),
        "rejected",
        "invalid_disaggregation",
    ),
    (Entry("JP", KELURAHAN, YEAR, 5, "sex=L"), "rejected", "invalid_disaggregation"),
    (Entry("JP", KELURAHAN, YEAR, 5, "=SUM(A1)"), "rejected", "invalid_disaggregation"),
    (
        Entry("JP", KELURAHAN, YEAR, 5, "group=<b>x</b>"),
        "rejected",
        "invalid_disaggregation",
    ),
]


def test_writer_rejects_same_value_twice(db):
    """Two entries for one value are both rejected, so neither skips the rules."""
    results = write(
        writer(db),
        Entry("STUNTING", KELURAHAN, YEAR, 150),
        Entry("STUNTING", KELURAHAN, YEAR, 12),
        Entry("STUNTING", KECAMATAN, YEAR, 11),
    )

    assert [r.outcome for r in results] == ["rejected", "rejected", "added"]
    assert results[0].errors[0]["code"] == "duplicate_entry"
    assert stored(db, "STUNTING", KELURAHAN) is None


def test_writer_rejects_bad_entries(db):
    results = write(writer(db), *(entry for entry, _, _ in BAD_ENTRIES))

    for result, (entry, outcome, code) in zip(results, BAD_ENTRIES, strict=True):
        assert (entry.indicator, result.outcome) == (entry.indicator, outcome)
        assert code in [error["code"] for error in result.errors]
    assert count_rows(db, observation) == 0
    assert count_rows(db, observation_change) == 0


@pytest.mark.parametrize(
    ("disaggregation", "indonesian", "english"),
    [
        (
            "sex=L",
            "rincian tidak sah: 'L' bukan kategori sex; pakai female atau male",
            "invalid disaggregation: 'L' is not a sex; use female or male",
        ),
        (
            "=SUM(A1)",
            "rincian tidak sah: '=SUM(A1)' bukan dimensi rincian",
            "invalid disaggregation: '=SUM(A1)' is not a dimension",
        ),
        (
            "group=<b>x</b>",
            "rincian tidak sah: '<b>x</b>' bukan kategori yang sah",
            "invalid disaggregation: '<b>x</b>' is not a category",
        ),
        (
            "sex=male;group=poor",
            "rincian tidak sah: tulis setiap dimensi sekali saja, urut abjad",
            "invalid disaggregation: give each dimension once, in alphabetical order",
        ),
    ],
)
def test_writer_disaggregation_message(db, disaggregation, indonesian, english):
    in_english = writer(db)
    in_indonesian = EntryWriter(db, in_english.user, rules_of(db), "id")
    entry = Entry("JP", KELURAHAN, YEAR, 5, disaggregation)

    id_message = write(in_indonesian, entry)[0].errors[0]["message"]
    en_message = write(in_english, entry)[0].errors[0]["message"]

    assert id_message.startswith(indonesian)
    assert en_message.startswith(english)


def test_writer_rejected_entry_writes_nothing(db):
    results = write(
        writer(db),
        Entry("STUNTING", KELURAHAN, YEAR, 12),
        Entry("STUNTING", KECAMATAN, YEAR, 150),
    )

    assert [r.outcome for r in results] == ["added", "rejected"]
    assert not is_written(results)
    assert stored(db, "STUNTING", KELURAHAN) is None
    assert stored(db, "STUNTING", KECAMATAN) is None
    assert history(db, "STUNTING", KELURAHAN) == []


def test_writer_lock_found_late_undoes_earlier(db):
    entry_writer = writer(db)
    write(entry_writer, Entry("STUNTING", KECAMATAN, YEAR, 11))
    set_status(db, "STUNTING", KECAMATAN, "verified")

    results = write(
        entry_writer,
        Entry("STUNTING", KELURAHAN, YEAR, 12),
        Entry("STUNTING", KECAMATAN, YEAR, 10),
    )

    assert [r.outcome for r in results] == ["added", "locked"]
    assert stored(db, "STUNTING", KELURAHAN) is None
    assert stored(db, "STUNTING", KECAMATAN).value == 11


def test_writer_skip_invalid_writes_valid(db):
    results = write(
        writer(db),
        Entry("STUNTING", KELURAHAN, YEAR, 12),
        Entry("STUNTING", KECAMATAN, YEAR, 150),
        skip_invalid=True,
    )

    assert [r.outcome for r in results] == ["added", "rejected"]
    assert stored(db, "STUNTING", KELURAHAN).value == 12
    assert stored(db, "STUNTING", KECAMATAN) is None


def test_writer_dry_run_writes_nothing(db):
    entry_writer = writer(db)
    write(entry_writer, Entry("STUNTING", KELURAHAN, YEAR, 12))

    results = write(
        entry_writer,
        Entry("STUNTING", KELURAHAN, YEAR, 13),
        Entry("STUNTING", KECAMATAN, YEAR, 11),
        Entry("STUNTING", "32.75", YEAR, 500),
        dry_run=True,
    )

    assert [r.outcome for r in results] == ["changed", "added", "rejected"]
    assert stored(db, "STUNTING", KELURAHAN).value == 12
    assert stored(db, "STUNTING", KECAMATAN) is None
    assert len(history(db, "STUNTING", KELURAHAN)) == 1


def test_writer_not_applicable_is_null(db):
    [result] = write(writer(db), Entry("STUNTING", KELURAHAN, YEAR, None))

    row = stored(db, "STUNTING", KELURAHAN)
    assert result.outcome == "added"
    assert row is not None
    assert row.value is None


def test_writer_keeps_warning_and_comment(db):
    write_values(
        db,
        [NewValue("PUSKESMAS", KELURAHAN, YEAR - 1, "", "", 2.0, False)],
        user="pytest",
        status="published",
        channel="file",
        file_name="fixture.csv",
    )

    [result] = write(
        writer(db), Entry("PUSKESMAS", KELURAHAN, YEAR, 6, comment="Dua puskesmas baru")
    )

    with db.connect() as connection:
        comments = connection.execute(sa.select(observation_comment)).all()
    assert result.outcome == "added"
    assert [w["code"] for w in result.warnings] == ["year_on_year"]
    assert [(c.kind, c.text, c.username) for c in comments] == [
        ("note", "Dua puskesmas baru", "dinkes1")
    ]


@pytest.mark.parametrize("status", ["verified", "published"])
def test_writer_locked_values(db, status):
    operator = writer(db)
    analyst = writer(db, "analis", "analyst", None)
    write(operator, Entry("STUNTING", KELURAHAN, YEAR, 12))
    set_status(db, "STUNTING", KELURAHAN, status)

    by_operator = write(operator, Entry("STUNTING", KELURAHAN, YEAR, 13))
    by_analyst = write(analyst, Entry("STUNTING", KELURAHAN, YEAR, 13))

    assert by_operator[0].outcome == "locked"
    assert by_analyst[0].outcome == "locked"
    assert stored(db, "STUNTING", KELURAHAN).value == 12
    assert by_operator[0].errors[0]["message"] == (
        f"the value is {status} and locked; Bappeda must reopen it first"
    )
    in_indonesian = EntryWriter(db, operator.user, rules_of(db), "id")
    shown = {"verified": "terverifikasi", "published": "terbit"}[status]
    assert write(in_indonesian, Entry("STUNTING", KELURAHAN, YEAR, 13))[0].errors[0][
        "message"
    ] == (f"nilai ini berstatus {shown} dan terkunci; Bappeda harus membukanya dulu")


def test_writer_same_locked_value_is_unchanged(db):
    """A re-uploaded workbook repeats verified values; only changes are refused."""
    operator = writer(db)
    write(operator, Entry("STUNTING", KELURAHAN, YEAR, 12))
    set_status(db, "STUNTING", KELURAHAN, "published")

    same, changed = (
        write(
            operator,
            Entry("STUNTING", KELURAHAN, YEAR, "12"),
            Entry("STUNTING", KECAMATAN, YEAR, 30),
        ),
        write(operator, Entry("STUNTING", KELURAHAN, YEAR, 13)),
    )

    assert [r.outcome for r in same] == ["unchanged", "added"]
    assert changed[0].outcome == "locked"


@pytest.mark.parametrize("status", ["submitted", "verified", "published"])
def test_writer_no_new_value_in_closed_submission(db, status):
    operator = writer(db)
    analyst = writer(db, "analis", "analyst", None)
    write(operator, Entry("STUNTING", KELURAHAN, YEAR, 12))
    with db.begin() as connection:
        connection.execute(
            submission.insert().values(
                skpd_code="DINKES",
                year=YEAR,
                status=status,
                updated_at=utc_now(),
                updated_by="analis",
            )
        )

    [by_operator] = write(operator, Entry("KEMATIAN_IBU", "32.75", YEAR, 1))
    [by_analyst] = write(analyst, Entry("KEMATIAN_IBU", "32.75", YEAR, 1))

    assert by_operator.outcome == "locked"
    assert by_operator.errors[0]["code"] == "submission_closed"
    assert by_analyst.outcome == "added"


def test_writer_skpd_operator_stays_in_region(db):
    """Kota Bekasi's Dinkes writes for Kota Bekasi, not for Kabupaten Bogor."""
    results = write(
        writer(db),
        Entry("KEMATIAN_IBU", "32.01", YEAR, 1),
        Entry("KEMATIAN_IBU", "31.71", YEAR, 1),
        Entry("KEMATIAN_IBU", "32.75", YEAR, 1),
    )

    assert [r.outcome for r in results] == ["forbidden", "forbidden", "added"]
    assert "outside the region 32.75" in results[0].errors[0]["message"]


def test_writer_submitted_value_for_analyst_only(db):
    operator = writer(db)
    analyst = writer(db, "analis", "analyst", None)
    write(operator, Entry("STUNTING", KELURAHAN, YEAR, 12))
    set_status(db, "STUNTING", KELURAHAN, "submitted")

    by_operator = write(operator, Entry("STUNTING", KELURAHAN, YEAR, 13))
    by_analyst = write(analyst, Entry("STUNTING", KELURAHAN, YEAR, 14))

    assert by_operator[0].outcome == "locked"
    assert by_analyst[0].outcome == "changed"
    assert stored(db, "STUNTING", KELURAHAN).value == 14


def test_writer_area_operator_own_areas(db):
    camat = writer(db, "camat1", "area_operator", None, (KECAMATAN,))

    results = write(
        camat,
        Entry("STUNTING", KECAMATAN, YEAR, 10),
        Entry("STUNTING", KELURAHAN, YEAR, 11),
        Entry("STUNTING", OTHER_KECAMATAN, YEAR, 12),
        Entry("STUNTING", "32.75", YEAR, 13),
        Entry("P0", KECAMATAN, YEAR, 5),
    )

    assert [r.outcome for r in results] == [
        "added",
        "added",
        "forbidden",
        "forbidden",
        "forbidden",
    ]


def test_writer_viewer_writes_nothing(db):
    [result] = write(
        writer(db, "pembaca", "viewer", None), Entry("STUNTING", KELURAHAN, YEAR, 1)
    )

    assert result.outcome == "forbidden"
    assert count_rows(db, observation) == 0


# Web entry form


def test_entry_home_lists_own_indicators(db, writable_server):
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")

    with signed_in(writable_server, "dinkes1") as client:
        page = client.get("/entri", params={"tahun": YEAR, "skpd": "DINSOS"})

    assert page.status_code == 200
    assert 'href="/entri/STUNTING?tahun=2024' in page.text
    assert "/entri/DESIL1" not in page.text
    assert 'id="submission-status">belum ada data' in page.text


def test_entry_home_viewer_forbidden(db, writable_server):
    add_user(db, "pembaca", "viewer")

    with signed_in(writable_server, "pembaca") as client:
        page = client.get("/entri")
        english = client.get("/entri", params={"lang": "en"})

    assert page.status_code == 403
    assert "Peran Pembaca tidak dapat mengisi data." in page.text
    assert "Role viewer cannot enter data." in english.text


def test_entry_form_shows_previous_value(db, writable_server):
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")
    write_values(
        db,
        [NewValue("STUNTING", KELURAHAN, YEAR - 1, "", "", 17.25, False)],
        user="pytest",
        status="published",
        channel="file",
        file_name="fixture.csv",
    )

    with signed_in(writable_server, "dinkes1") as client:
        page = client.get("/entri/STUNTING", params={"tahun": YEAR})

    row = page.text.split(f'data-area="{KELURAHAN}"', 1)[1].split("</tr>", 1)[0]
    assert page.status_code == 200
    assert "17,25" in row
    assert f'name="value:{KELURAHAN}" value=""' in row
    assert 'data-max="100.0"' in row


def post_form(client, indicator: str, values: dict[str, str], **extra):
    form = client.get(f"/entri/{indicator}", params={"tahun": YEAR})
    data = {"csrf_token": csrf_of(form), **extra}
    for area, value in values.items():
        data[f"value:{area}"] = value
    return client.post(f"/entri/{indicator}", params={"tahun": YEAR}, data=data)


def test_entry_form_saves_draft(db, writable_server):
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")

    with signed_in(writable_server, "dinkes1") as client:
        response = post_form(
            client, "STUNTING", {KELURAHAN: "12,5", KECAMATAN: ""}, reason="posyandu"
        )

    [change] = history(db, "STUNTING", KELURAHAN)
    assert response.status_code == 200
    assert "Tersimpan: 1 baru, 0 berubah, 0 sama." in response.text
    assert stored(db, "STUNTING", KELURAHAN).status == "draft"
    assert stored(db, "STUNTING", KECAMATAN) is None
    assert (change.channel, change.reason, change.changed_by) == (
        "form",
        "posyandu",
        "dinkes1",
    )


def test_entry_form_reports_bad_value(db, writable_server):
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")

    with signed_in(writable_server, "dinkes1") as client:
        response = post_form(
            client,
            "STUNTING",
            {KELURAHAN: "150", KECAMATAN: "9"},
            **{f"comment:{KECAMATAN}": "data posyandu"},
        )

    row = response.text.split(f'data-area="{KELURAHAN}"', 1)[1].split("</tr>", 1)[0]
    assert response.status_code == 422
    assert 'class="invalid"' in row
    assert "150 di luar rentang 0–100 untuk STUNTING." in row
    assert "Belum ada yang disimpan: 1 nilai ditolak." in response.text
    assert stored(db, "STUNTING", KELURAHAN) is None
    assert stored(db, "STUNTING", KECAMATAN) is None
    # The valid value stays in the form, for saving with the corrected one.
    other = response.text.split(f'data-area="{KECAMATAN}"', 1)[1].split("</tr>", 1)[0]
    assert f'name="value:{KECAMATAN}" value="9"' in other
    assert 'value="data posyandu"' in other


def test_entry_form_stale_version_conflicts(db, writable_server):
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")

    with signed_in(writable_server, "dinkes1") as client:
        post_form(client, "STUNTING", {KELURAHAN: "12"})
        page = client.get("/entri/STUNTING", params={"tahun": YEAR})
        post_form(
            client, "STUNTING", {KELURAHAN: "13"}, **{f"version:{KELURAHAN}": "1"}
        )
        stale = client.post(
            "/entri/STUNTING",
            params={"tahun": YEAR},
            data={
                "csrf_token": csrf_of(page),
                f"value:{KELURAHAN}": "14",
                f"original:{KELURAHAN}": "12",
                f"version:{KELURAHAN}": "1",
            },
        )

    assert stale.status_code == 409
    assert "versi 2, bukan 1" in stale.text
    assert stored(db, "STUNTING", KELURAHAN).value == 13


def test_entry_form_garbled_version_conflicts(db, writable_server):
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")

    with signed_in(writable_server, "dinkes1") as client:
        post_form(client, "STUNTING", {KELURAHAN: "12"})
        page = client.get("/entri/STUNTING", params={"tahun": YEAR})
        garbled = client.post(
            "/entri/STUNTING",
            params={"tahun": YEAR},
            data={
                "csrf_token": csrf_of(page),
                f"value:{KELURAHAN}": "14",
                f"original:{KELURAHAN}": "12",
                f"version:{KELURAHAN}": "abc",
            },
        )

    assert garbled.status_code == 409
    assert stored(db, "STUNTING", KELURAHAN).value == 12


def test_entry_submit_button_submits(db, writable_server):
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")

    with signed_in(writable_server, "dinkes1") as client:
        post_form(client, "STUNTING", {KELURAHAN: "12"})
        page = client.get("/entri", params={"tahun": YEAR})
        response = client.post(
            "/entri-kirim",
            params={"tahun": YEAR, "skpd": "DINKES"},
            data={"csrf_token": csrf_of(page)},
        )
        after = client.get(response.headers["location"])

    assert response.status_code == 303
    assert 'id="submission-status">dikirim' in after.text
    assert stored(db, "STUNTING", KELURAHAN).status == "submitted"


@pytest.mark.browser
def test_entry_form_marks_bad_value_inline(db, writable_server):
    from playwright.sync_api import sync_playwright

    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.goto(f"{writable_server}/masuk?next=/entri/STUNTING%3Ftahun%3D{YEAR}")
        page.fill("#username", "dinkes1")
        page.fill("#password", PASSWORD)
        page.click("#login-button")
        page.wait_for_url("**/entri/STUNTING*")
        cell = page.locator(f'tr[data-area="{KELURAHAN}"]')
        value = cell.locator("input.value-input")

        value.fill("150")
        too_high = (value.get_attribute("class"), cell.locator(".client-problem"))
        too_high_text = too_high[1].text_content()
        value.fill("dua")
        not_number = cell.locator(".client-problem").text_content()
        value.fill("12,5")
        fine_class = value.get_attribute("class")
        fine_text = cell.locator(".client-problem").text_content()
        page.click("#save-draft")
        page.wait_for_load_state()
        notice = page.locator("div.notice").text_content()
        browser.close()

    assert "invalid" in too_high[0]
    assert too_high_text == "> 100"
    assert not_number == "bukan angka"
    assert "invalid" not in fine_class
    assert fine_text == ""
    assert "1 baru" in notice
    assert stored(db, "STUNTING", KELURAHAN).value == 12.5


def test_writer_rejects_values_beyond_any_indicator(db):
    results = write(
        writer(db),
        Entry("PUSKESMAS", KELURAHAN, YEAR, 1.7e308),
        Entry("PUSKESMAS", KECAMATAN, YEAR, float("inf")),
        Entry("PUSKESMAS", "32.75", YEAR, 12),
    )

    assert [r.outcome for r in results] == ["rejected", "rejected", "added"]
    assert results[0].errors[0]["code"] == "too_large"
