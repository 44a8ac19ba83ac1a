"""Labels of the planning pages and the LP2KD report, in Indonesian and English."""

from __future__ import annotations

LABELS: dict[str, tuple[str, str]] = {
    "planning": ("Perencanaan & anggaran", "Planning & budget"),
    "register": ("Register program", "Programme register"),
    "monitoring": ("Pemantauan", "Monitoring"),
    "quarterly": ("Laporan triwulan", "Quarterly reports"),
    "analysis": ("Analisis anggaran", "Budget analysis"),
    "quarter": ("Triwulan", "Quarter"),
    "code": ("Kode", "Code"),
    "name": ("Nama", "Name"),
    "skpd": ("SKPD", "SKPD"),
    "program": ("Program", "Programme"),
    "location": ("Lokasi", "Location"),
    "locations": ("Lokasi", "Locations"),
    "pagu": ("Pagu (Rp)", "Budget (Rp)"),
    "realised": ("Realisasi (Rp)", "Realised (Rp)"),
    "realised_quarter": ("Realisasi triwulan ini (Rp)", "Realised this quarter (Rp)"),
    "financial": ("Realisasi keuangan (%)", "Financial realisation (%)"),
    "physical": ("Progres fisik kumulatif (%)", "Cumulative physical progress (%)"),
    "planned": ("Rencana (%)", "Planned (%)"),
    "pro_poor": ("Pro-poor", "Pro-poor"),
    "yes": ("ya", "yes"),
    "no": ("tidak", "no"),
    "beneficiaries": ("Penerima manfaat", "Beneficiaries"),
    "beneficiary_group": ("Kelompok sasaran", "Beneficiary group"),
    "indicators": ("Indikator yang ditangani", "Indicators addressed"),
    "outputs": ("Indikator keluaran", "Output indicators"),
    "target": ("Target", "Target"),
    "achieved": ("Capaian", "Achieved"),
    "achievement": ("Capaian target (%)", "Target achievement (%)"),
    "comment": ("Keterangan", "Comment"),
    "status": ("Status", "Status"),
    "timeliness": ("Ketepatan waktu", "Timeliness"),
    "deadline": ("Batas waktu", "Deadline"),
    "lines": ("Sub-kegiatan", "Sub-activities"),
    "reported": ("Dilaporkan", "Reported"),
    "missing": ("Belum dilaporkan", "Not reported"),
    "save": ("Simpan", "Save"),
    "submit": ("Kirim ke Bappeda", "Submit to Bappeda"),
    "verify": ("Verifikasi", "Verify"),
    "return": ("Kembalikan", "Return"),
    "reopen": ("Buka kembali", "Reopen"),
    "reason": ("Alasan", "Reason"),
    "import_budget": ("Impor anggaran (CSV/XLSX)", "Import a budget (CSV/XLSX)"),
    "export_xlsx": ("Unduh tabel pivot (XLSX)", "Download pivot tables (XLSX)"),
    "by_skpd": ("Menurut SKPD", "By SKPD"),
    "by_program": ("Menurut program", "By programme"),
    "by_location": ("Menurut lokasi", "By location"),
    "by_quarter": ("Menurut triwulan", "By quarter"),
    "thresholds": (
        "Lampu: hijau bila progres ≥ {green} % dari rencana, kuning ≥ {yellow} %, "
        "merah di bawahnya, abu-abu bila belum ada laporan. Rencana: 25 % per "
        "triwulan.",
        "Lights: green when progress is at least {green} % of plan, yellow from "
        "{yellow} %, red below, grey when nothing is reported. Plan: 25 % per "
        "quarter.",
    ),
    "poverty_map": ("Peta kemiskinan", "Poverty map"),
    "spending_map": ("Peta anggaran pro-poor", "Pro-poor spending map"),
    "pro_poor_share": ("Porsi anggaran pro-poor", "Pro-poor share of the budget"),
    "problem_relevance": ("Relevansi terhadap masalah", "Problem relevance"),
    "location_relevance": ("Relevansi lokasi", "Location relevance"),
    "unfunded": ("Prioritas tanpa anggaran", "Unfunded priorities"),
    "cost_per_beneficiary": ("Biaya per penerima (Rp)", "Cost per beneficiary (Rp)"),
    "total_pagu": ("Total pagu", "Total budget"),
    "priority_problems": ("Masalah prioritas", "Priority problems"),
    "determinants": ("Determinan prioritas", "Priority determinants"),
    "priority_locations": ("Lokasi prioritas", "Priority locations"),
    "category": ("Kategori", "Category"),
    "basis_tkpk": (
        "Ditetapkan TKPK (tahun {year}).",
        "Confirmed by the TKPK (year {year}).",
    ),
    "basis_candidates": (
        "TKPK belum memutuskan; daftar ini calon dari analisis.",
        "The TKPK has not decided yet; these are the analysis's candidates.",
    ),
    "lp2kd_title": (
        "Laporan Pelaksanaan Penanggulangan Kemiskinan Daerah (LP2KD)",
        "Regional Poverty Reduction Report (LP2KD)",
    ),
    "situation": ("Kondisi indikator kemiskinan", "Poverty indicator situation"),
    "programmes_budget": ("Program dan anggaran", "Programmes and budget"),
    "achievements": ("Capaian", "Achievements"),
    "province": ("Provinsi", "Province"),
    "national": ("Nasional", "National"),
    "previous": ("Sebelumnya", "Previous"),
    "none": ("Tidak ada.", "None."),
    "history": ("Riwayat perubahan", "Change history"),
    "saved_reports": (
        "Tersimpan: {added} baru, {changed} berubah, {unchanged} sama.",
        "Saved: {added} added, {changed} changed, {unchanged} unchanged.",
    ),
    "not_saved": (
        "Tidak ada yang disimpan: perbaiki baris yang bertanda.",
        "Nothing was saved: correct the marked lines.",
    ),
    "new_line": ("Tambah sub-kegiatan", "Add a sub-activity"),
    "no_lines": (
        "Belum ada anggaran untuk tahun ini.",
        "No budget for this year yet.",
    ),
}


def label(key: str, lang: str = "id", **params: object) -> str:
    """The label ``key`` in ``lang``, with ``params`` filled in."""
    text = LABELS[key][1 if lang == "en" else 0]
    return text.format(**params) if params else text
