"""Labels of statuses and disaggregations in Indonesian and English."""

from __future__ import annotations

import pytest

from p3bm.i18n import disaggregation_label, key_label, status_label
from p3bm.planning.labels import label as planning_label
from p3bm.rendering import render


@pytest.mark.parametrize(
    ("status", "indonesian", "english"),
    [
        ("draft", "draf", "draft"),
        ("submitted", "dikirim", "submitted"),
        ("returned", "dikembalikan", "returned"),
        ("verified", "terverifikasi", "verified"),
        ("published", "terbit", "published"),
        ("missing", "belum ada data", "missing"),
        ("on_time", "tepat waktu", "on time"),
        ("late", "terlambat", "late"),
        ("overdue", "lewat batas waktu", "overdue"),
        ("pending", "belum dikirim", "pending"),
        ("unheard_of", "unheard_of", "unheard_of"),
    ],
)
def test_status_label_languages(status, indonesian, english):
    assert status_label(status) == indonesian
    assert status_label(status, "en") == english


@pytest.mark.parametrize(
    ("prefix", "key", "indonesian", "english"),
    [
        ("change", "insert", "tambah", "insert"),
        ("channel", "cli", "baris perintah", "cli"),
        ("event", "login_failed", "gagal masuk", "login_failed"),
        ("channel", "fax", "fax", "fax"),
    ],
)
def test_key_label_languages(prefix, key, indonesian, english):
    assert key_label(prefix, key) == indonesian
    assert key_label(prefix, key, "en") == english


@pytest.mark.parametrize(
    ("text", "indonesian", "english"),
    [
        ("", "", ""),
        ("sex=female", "jenis kelamin: perempuan", "sex: female"),
        (
            "sex=male;urban_rural=rural",
            "jenis kelamin: laki-laki; perkotaan/perdesaan: perdesaan",
            "sex: male; urban_rural: rural",
        ),
        ("age=15_24", "umur: 15_24", "age: 15_24"),
    ],
)
def test_disaggregation_label_languages(text, indonesian, english):
    assert disaggregation_label(text) == indonesian
    assert disaggregation_label(text, "en") == english


@pytest.mark.parametrize(
    ("lang", "grey", "red"),
    [
        ("id", "abu-abu: belum ada data", "merah: jauh tertinggal"),
        ("en", "grey: no data yet", "red: far behind"),
    ],
)
def test_progress_light_titles(lang, grey, red):
    row = {
        "key": "1.02",
        "label": "Kesehatan",
        "pagu": 1000.0,
        "realised": 0.0,
        "financial_light": "grey",
        "financial_percent": None,
        "physical_light": "red",
        "physical_percent": 5.0,
        "planned": 25.0,
        "lines": 1,
        "reported": 1,
    }
    html = render(
        "planning/_progress_table.html",
        lang,
        pt=lambda key, **params: planning_label(key, lang, **params),
        rows=[row],
    )
    assert f'class="light grey" title="{grey}"' in html
    assert f'class="light red" title="{red}"' in html
