"""Interface labels in Indonesian and English."""

from __future__ import annotations

LABELS: dict[str, tuple[str, str]] = {
    "title": ("Profil data pembangunan", "Development data profile"),
    "generated": ("Dibuat", "Generated"),
    "completeness": ("Kelengkapan data", "Data completeness"),
    "of_filled": (
        "dari {expected} indikator, {filled} terisi",
        "of {expected} indicators, {filled} are filled",
    ),
    "by_level": ("Menurut tingkat wilayah", "By area level"),
    "by_sector": ("Menurut sektor", "By sector"),
    "by_data_type": ("Menurut jenis data", "By data type"),
    "by_skpd": ("Menurut SKPD", "By SKPD"),
    "missing": ("Indikator yang belum terisi", "Indicators not yet filled"),
    "latest_year": ("Tahun terakhir", "Latest year"),
    "lag": ("Jeda (tahun)", "Lag (years)"),
    "stale": ("usang", "stale"),
    "never": ("belum pernah", "never"),
    "coverage": ("Cakupan sub-wilayah", "Sub-area coverage"),
    "heatmap": (
        "Peta panas indikator menurut sub-wilayah",
        "Heatmap of indicators by sub-area",
    ),
    "heatmap_note": (
        "Sel berwarna berisi nilai (makin gelap makin besar dalam barisnya); "
        "sel abu-abu belum terisi.",
        "Coloured cells hold a value (darker is larger within its row); "
        "grey cells are empty.",
    ),
    "trends": ("Tren kemiskinan", "Poverty trends"),
    "trend_note": (
        "Garis penuh: {area}; garis putus-putus: pembanding.",
        "Solid line: {area}; dashed lines: benchmarks.",
    ),
    "maps": ("Peta tematik", "Thematic maps"),
    "choose_map": ("Pilih indikator", "Choose an indicator"),
    "no_values_map": (
        "Belum ada nilai untuk tingkat ini; peta menampilkan batas wilayah.",
        "No values at this level yet; the map shows the boundaries.",
    ),
    "quality": ("Peringatan kualitas data", "Data-quality warnings"),
    "quality_scope": (
        "Nilai tahun {since}–{year}, ditambah perubahan metode dari tahun mana pun.",
        "Values of {since}–{year}, plus method changes from any year.",
    ),
    "no_quality": ("Tidak ada peringatan.", "No warnings."),
    "indicator": ("Indikator", "Indicator"),
    "area": ("Wilayah", "Area"),
    "year": ("Tahun", "Year"),
    "value": ("Nilai", "Value"),
    "unit": ("Satuan", "Unit"),
    "filled": ("Terisi", "Filled"),
    "expected": ("Diharapkan", "Expected"),
    "percent": ("Persen", "Percent"),
    "sector": ("Sektor", "Sector"),
    "source": ("Sumber", "Source"),
    "sources": ("Sumber data", "Data sources"),
    "message": ("Keterangan", "Details"),
    "sub_areas": ("Sub-wilayah", "Sub-areas"),
    "areas": ("Wilayah", "Areas"),
    "indicators": ("Indikator", "Indicators"),
    "search": ("Cari", "Search"),
    "levels": ("Tingkat", "Level"),
    "no_data": ("Belum ada data untuk wilayah ini.", "No data for this area yet."),
    "attribution": (
        "Kode dan nama wilayah: idn-area-data (ODbL), Kepmendagri 300.2.2-2138/2025.",
        "Area codes and names: idn-area-data (ODbL), Kepmendagri 300.2.2-2138/2025.",
    ),
    "api": ("API JSON", "JSON API"),
    "language": ("English", "Bahasa Indonesia"),
    "values_of": ("Nilai {indicator}", "Values of {indicator}"),
    "definition": ("Definisi", "Definition"),
    "polarity": ("Arah", "Direction"),
    "history": ("Riwayat perubahan", "Change history"),
    "status": ("Status", "Status"),
    "home": ("Beranda", "Home"),
    "login": ("Masuk", "Sign in"),
    "logout": ("Keluar", "Sign out"),
    "username": ("Nama pengguna", "User name"),
    "password": ("Kata sandi", "Password"),
    "entry": ("Entri data", "Data entry"),
    "review": ("Verifikasi", "Review"),
    "users": ("Pengguna", "Users"),
    "account": ("Akun", "Account"),
    "save_draft": ("Simpan draf", "Save draft"),
    "submit": ("Kirim ke Bappeda", "Submit to Bappeda"),
    "previous": ("Tahun lalu", "Last year"),
    "comment": ("Keterangan", "Comment"),
    "download_template": ("Unduh templat Excel", "Download Excel template"),
    "upload": ("Unggah berkas terisi", "Upload a filled file"),
    "deadline": ("Batas waktu", "Deadline"),
    "timeliness": ("Ketepatan waktu", "Timeliness"),
    "return_selected": ("Kembalikan yang dipilih", "Return selected"),
    "verify": ("Verifikasi", "Verify"),
    "publish": ("Terbitkan", "Publish"),
    "reopen": ("Buka kembali", "Reopen"),
    "reason": ("Alasan", "Reason"),
    "justify": ("Beri keterangan", "Justify"),
    "tokens": ("Token API", "API tokens"),
    "create": ("Buat", "Create"),
    "revoke": ("Cabut", "Revoke"),
    "disable": ("Nonaktifkan", "Disable"),
    "enable": ("Aktifkan", "Enable"),
    "role": ("Peran", "Role"),
    "outcome_pending": ("belum diperiksa", "pending"),
    "outcome_written": ("tersimpan", "written"),
    "outcome_rejected": ("ditolak", "rejected"),
    "outcome_checked": ("diperiksa, belum disimpan", "checked, not written"),
    "outcome_added": ("ditambahkan", "added"),
    "outcome_changed": ("diubah", "changed"),
    "outcome_unchanged": ("tidak berubah", "unchanged"),
    "outcome_forbidden": ("tidak diizinkan", "forbidden"),
    "outcome_locked": ("terkunci", "locked"),
    "outcome_conflict": ("bentrok versi", "conflict"),
    "saved": (
        "Tersimpan: {added} baru, {changed} berubah, {unchanged} sama.",
        "Saved: {added} added, {changed} changed, {unchanged} unchanged.",
    ),
    "not_saved": (
        "Belum ada yang disimpan: {rejected} nilai ditolak. Perbaiki sel yang "
        "ditandai, lalu simpan lagi.",
        "Nothing was saved: {rejected} values were rejected. Correct the marked "
        "cells and save again.",
    ),
    # Statuses of values and submissions, and their timeliness.
    "status_draft": ("draf", "draft"),
    "status_submitted": ("dikirim", "submitted"),
    "status_returned": ("dikembalikan", "returned"),
    "status_verified": ("terverifikasi", "verified"),
    "status_published": ("terbit", "published"),
    "status_missing": ("belum ada data", "missing"),
    "status_on_time": ("tepat waktu", "on time"),
    "status_late": ("terlambat", "late"),
    "status_overdue": ("lewat batas waktu", "overdue"),
    "status_pending": ("belum dikirim", "pending"),
    # Columns and severities of the problem tables of uploads and imports.
    "severity": ("Tingkat", "Severity"),
    "sheet": ("Lembar", "Sheet"),
    "row": ("Baris", "Row"),
    "column": ("Kolom", "Column"),
    "code": ("Kode", "Code"),
    "severity_error": ("kesalahan", "error"),
    "severity_warning": ("peringatan", "warning"),
    "severity_info": ("info", "info"),
    # Kinds of recorded value changes, the channels they came through, and
    # the events of sign-ins and accounts.
    "change_insert": ("tambah", "insert"),
    "change_update": ("ubah", "update"),
    "change_delete": ("hapus", "delete"),
    "change_status": ("ganti status", "status"),
    "channel_file": ("berkas", "file"),
    "channel_form": ("formulir", "form"),
    "channel_api": ("API", "api"),
    "channel_cli": ("baris perintah", "cli"),
    "channel_system": ("sistem", "system"),
    "channel_workflow": ("alur kerja", "workflow"),
    "event_login": ("masuk", "login"),
    "event_login_failed": ("gagal masuk", "login_failed"),
    "event_logout": ("keluar", "logout"),
    "event_locked": ("dikunci sementara", "locked"),
    "event_password_changed": ("kata sandi diganti", "password_changed"),
    "event_token_created": ("token dibuat", "token_created"),
    "event_token_revoked": ("token dicabut", "token_revoked"),
    "event_user_created": ("pengguna dibuat", "user_created"),
    "event_user_enabled": ("pengguna diaktifkan", "user_enabled"),
    "event_user_disabled": ("pengguna dinonaktifkan", "user_disabled"),
    # Workflow actions as past participles: "it cannot be ...".
    "action_submit": ("dikirim", "submitted"),
    "action_return": ("dikembalikan", "returned"),
    "action_verify": ("diverifikasi", "verified"),
    "action_publish": ("diterbitkan", "published"),
    "action_reopen": ("dibuka kembali", "reopened"),
}

# Indonesian names of the dimensions and fixed categories of disaggregations.
DISAGGREGATION_WORDS_ID = {
    "sex": "jenis kelamin",
    "male": "laki-laki",
    "female": "perempuan",
    "age": "umur",
    "urban_rural": "perkotaan/perdesaan",
    "urban": "perkotaan",
    "rural": "perdesaan",
    "group": "kelompok",
}


def label(key: str, lang: str = "id", **params: object) -> str:
    """The label ``key`` in ``lang``, with ``params`` filled in."""
    text = LABELS[key][1 if lang == "en" else 0]
    return text.format(**params) if params else text


def key_label(prefix: str, key: str, lang: str = "id") -> str:
    """Return the label ``{prefix}_{key}`` in ``lang``, or ``key`` if there is none."""
    names = LABELS.get(f"{prefix}_{key}")
    if names is None:
        return key
    return names[1 if lang == "en" else 0]


def status_label(status: str, lang: str = "id") -> str:
    """Return the name of a status or timeliness key in ``lang``, or an unknown key."""
    return key_label("status", status, lang)


def disaggregation_label(text: str, lang: str = "id") -> str:
    """Write a stored disaggregation such as ``sex=female`` for readers.

    Returns ``jenis kelamin: perempuan`` in Indonesian and ``sex: female`` in
    English; a category without a fixed name keeps its stored text.
    """
    words = {} if lang == "en" else DISAGGREGATION_WORDS_ID
    parts = []
    for pair in text.split(";") if text else ():
        dimension, _, category = pair.partition("=")
        parts.append(
            f"{words.get(dimension, dimension)}: {words.get(category, category)}"
        )
    return "; ".join(parts)


def in_language(lang: str, indonesian: str, english: str) -> str:
    """Return the text of ``lang``: English for ``en``, Indonesian otherwise."""
    return english if lang == "en" else indonesian
