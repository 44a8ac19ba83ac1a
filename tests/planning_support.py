"""Hand-made programme data of Kota Bekasi for the planning tests.

The budget table follows a SIPD export of the 2025 APBD, with one row per
urusan, bidang, program, kegiatan and sub-kegiatan of six SKPDs. Codes and
names follow the Permendagri 90/2019 nomenclature, pagu is in rupiah, the
locations are real Kota Bekasi kelurahan and kecamatan, and each
sub-kegiatan names the catalogue indicators it addresses. The kelurahan
household counts and DTKS households of 2024 are plausible illustrations,
not published figures.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from openpyxl import Workbook

from p3bm.cli import main
from p3bm.observations import NewValue, write_values
from p3bm.storage import Database
from p3bm.users import create_user

YEAR = 2025
POVERTY_YEAR = 2024
HEADER = [
    "Kode",
    "Urusan/Bidang Urusan/Program/Kegiatan/Sub Kegiatan",
    "Perangkat Daerah",
    "Pagu (Rp)",
    "Lokasi",
    "Kelompok Sasaran",
    "Jumlah Sasaran",
    "Indikator Keluaran",
    "Target",
    "Satuan",
    "Indikator Masalah",
    "Pro Poor",
]
# code, name, SKPD, pagu, locations, group, beneficiaries, output, target, unit,
# indicators, pro-poor. Parent rows carry the sum of the pagu below them.
ROWS = [
    ("1", "URUSAN PEMERINTAHAN WAJIB YANG BERKAITAN DENGAN PELAYANAN DASAR"),
    ("1.01", "URUSAN PEMERINTAHAN BIDANG PENDIDIKAN"),
    ("1.01.02", "PROGRAM PENGELOLAAN PENDIDIKAN", "", "20.150.000.000"),
    (
        "1.01.02.2.02",
        "Pengelolaan Pendidikan Sekolah Menengah Pertama",
        "",
        "20.150.000.000",
    ),
    (
        "1.01.02.2.02.0001",
        "Pembangunan Unit Sekolah Baru (USB)",
        "Dinas Pendidikan",
        "12.400.000.000",
        "Kecamatan Mustikajaya",
        "anak usia 13-15 tahun",
        "",
        "Unit sekolah baru SMP yang dibangun",
        "1",
        "unit",
        "APM_SMP JARAK_SMP",
        "tidak",
    ),
    (
        "1.01.02.2.02.0020",
        "Penyediaan Biaya Personil Peserta Didik Sekolah Menengah Pertama",
        "Dinas Pendidikan",
        "7.750.000.000",
        "Kota Bekasi",
        "siswa SMP dari keluarga miskin",
        "9500",
        "Siswa SMP dari keluarga miskin yang dibebaskan dari biaya personal",
        "9500",
        "siswa",
        "APS_13_15 ATS_MISKIN",
        "ya",
    ),
    ("1.02", "URUSAN PEMERINTAHAN BIDANG KESEHATAN"),
    (
        "1.02.02",
        "PROGRAM PEMENUHAN UPAYA KESEHATAN PERORANGAN DAN UPAYA KESEHATAN MASYARAKAT",
        "",
        "153.680.000.000",
    ),
    (
        "1.02.02.2.02",
        "Penyediaan Layanan Kesehatan untuk UKM dan UKP Rujukan Tingkat Daerah "
        "Kabupaten/Kota",
        "",
        "153.680.000.000",
    ),
    (
        "1.02.02.2.02.0001",
        "Pengelolaan Pelayanan Kesehatan Ibu Hamil",
        "Dinas Kesehatan",
        "1.850.000.000",
        "Kota Bekasi",
        "ibu hamil",
        "52000",
        "Ibu hamil yang mendapat pelayanan kesehatan sesuai standar",
        "52000",
        "orang",
        "K6 AKI",
        "ya",
    ),
    (
        "1.02.02.2.02.0004",
        "Pengelolaan Pelayanan Kesehatan Balita",
        "Dinas Kesehatan",
        "2.350.000.000",
        "Kelurahan Bantargebang; Cikiwul; Ciketingudik; Sumurbatu; Padurenan; "
        "Kaliabang Tengah",
        "balita stunting dan berisiko stunting",
        "4800",
        "Balita stunting yang mendapat intervensi gizi spesifik",
        "4800",
        "anak",
        "STUNTING",
        "ya",
    ),
    (
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "Posyandu yang melaksanakan pemantauan pertumbuhan bulanan",
        "120",
        "posyandu",
        "",
        "",
    ),
    (
        "1.02.02.2.02.0011",
        "Pengelolaan Pelayanan Kesehatan Orang Terduga Tuberkulosis",
        "Dinas Kesehatan",
        "980.000.000",
        "Kota Bekasi",
        "orang terduga tuberkulosis",
        "11000",
        "Orang terduga TBC yang mendapat pelayanan sesuai standar",
        "11000",
        "orang",
        "TB_KASUS",
        "tidak",
    ),
    (
        "1.02.02.2.02.0020",
        "Pengelolaan Jaminan Kesehatan Masyarakat",
        "Dinas Kesehatan",
        "148.500.000.000",
        "Kota Bekasi",
        "penduduk miskin dan tidak mampu (PBI daerah)",
        "412000",
        "Penduduk miskin yang dijamin JKN PBI daerah",
        "412000",
        "jiwa",
        "JKN_PBI_B40",
        "ya",
    ),
    ("1.03", "URUSAN PEMERINTAHAN BIDANG PEKERJAAN UMUM DAN PENATAAN RUANG"),
    (
        "1.03.03",
        "PROGRAM PENGELOLAAN DAN PENGEMBANGAN SISTEM PENYEDIAAN AIR MINUM",
    ),
    (
        "1.03.03.2.01",
        "Pengelolaan dan Pengembangan Sistem Penyediaan Air Minum (SPAM) di Daerah "
        "Kabupaten/Kota",
    ),
    (
        "1.03.03.2.01.0005",
        "Perluasan SPAM Jaringan Perpipaan di Kawasan Perkotaan",
        "Dinas Pekerjaan Umum dan Penataan Ruang",
        "8.750.000.000",
        "Ciketingudik=3.500.000.000; Sumurbatu=2.500.000.000; Cikiwul; Padurenan",
        "rumah tangga berpenghasilan rendah",
        "3500",
        "Sambungan rumah air minum perpipaan baru",
        "3500",
        "sambungan",
        "AIR_MINUM SAMBUNGAN_AIR",
        "ya",
    ),
    ("1.03.10", "PROGRAM PENYELENGGARAAN JALAN"),
    ("1.03.10.2.01", "Penyelenggaraan Jalan Kabupaten/Kota"),
    (
        "1.03.10.2.01.0015",
        "Rekonstruksi Jalan",
        "Dinas Pekerjaan Umum dan Penataan Ruang",
        "45.000.000.000",
        "Kota Bekasi",
        "pengguna jalan",
        "",
        "Panjang jalan kota yang direkonstruksi",
        "18,5",
        "km",
        "JALAN_MANTAP",
        "tidak",
    ),
    ("1.04", "URUSAN PEMERINTAHAN BIDANG PERUMAHAN DAN KAWASAN PERMUKIMAN"),
    ("1.04.04", "PROGRAM PERUMAHAN DAN KAWASAN PERMUKIMAN KUMUH"),
    (
        "1.04.04.2.01",
        "Penanganan Permukiman Kumuh dengan Luas di Bawah 10 (Sepuluh) Ha",
    ),
    (
        "1.04.04.2.01.0003",
        "Perbaikan Rumah Tidak Layak Huni dalam Rangka Pencegahan Permukiman Kumuh",
        "Dinas Perumahan dan Kawasan Permukiman",
        "6.000.000.000",
        "Kecamatan Bantargebang; Kalibaru",
        "rumah tangga miskin penghuni RTLH",
        "300",
        "Rumah tidak layak huni yang diperbaiki",
        "300",
        "unit",
        "RTLH RUMAH_LAYAK",
        "ya",
    ),
    ("1.06", "URUSAN PEMERINTAHAN BIDANG SOSIAL"),
    ("1.06.05", "PROGRAM PERLINDUNGAN DAN JAMINAN SOSIAL"),
    (
        "1.06.05.2.02",
        "Pengelolaan Data Fakir Miskin Cakupan Daerah Kabupaten/Kota",
    ),
    (
        "1.06.05.2.02.0001",
        "Pendataan Fakir Miskin Cakupan Daerah Kabupaten/Kota",
        "Dinas Sosial",
        "1.120.000.000",
        "Kota Bekasi",
        "rumah tangga miskin dan rentan",
        "152000",
        "Rumah tangga DTKS yang diverifikasi dan divalidasi",
        "152000",
        "rumah tangga",
        "RT_DTKS",
        "ya",
    ),
    ("2", "URUSAN PEMERINTAHAN WAJIB YANG TIDAK BERKAITAN DENGAN PELAYANAN DASAR"),
    ("2.07", "URUSAN PEMERINTAHAN BIDANG TENAGA KERJA"),
    ("2.07.03", "PROGRAM PELATIHAN KERJA DAN PRODUKTIVITAS TENAGA KERJA"),
    ("2.07.03.2.01", "Pelaksanaan Pelatihan berdasarkan Unit Kompetensi"),
    (
        "2.07.03.2.01.0001",
        "Proses Pelaksanaan Pendidikan dan Pelatihan Keterampilan bagi Pencari Kerja "
        "berdasarkan Klaster Kompetensi",
        "Dinas Tenaga Kerja",
        "2.600.000.000",
        "Kecamatan Bekasi Utara; Kecamatan Mustikajaya",
        "pencari kerja dari keluarga miskin",
        "640",
        "Pencari kerja yang lulus pelatihan berbasis kompetensi",
        "640",
        "orang",
        "TPT PENCARI_KERJA",
        "ya",
    ),
]
# Households (RT) and households in DTKS (RT_DTKS) of fifteen kelurahan.
HOUSEHOLDS = {
    "32.75.07.1003": (9850, 3420),  # Bantargebang
    "32.75.07.1004": (11200, 3050),  # Cikiwul
    "32.75.07.1007": (7640, 2610),  # Ciketingudik
    "32.75.07.1008": (6930, 2280),  # Sumurbatu
    "32.75.11.1001": (13400, 2950),  # Padurenan
    "32.75.11.1002": (12100, 2240),  # Cimuning
    "32.75.11.1003": (14800, 2120),  # Mustikajaya
    "32.75.11.1004": (10300, 1980),  # Mustikasari
    "32.75.03.1001": (22600, 4710),  # Kaliabang Tengah
    "32.75.03.1004": (19800, 3860),  # Teluk Pucung
    "32.75.03.1006": (24900, 4090),  # Harapanjaya
    "32.75.06.1004": (9700, 2150),  # Kalibaru
    "32.75.04.1001": (15600, 1020),  # Pekayonjaya
    "32.75.09.1002": (13900, 880),  # Jatiasih
    "32.75.08.1002": (18200, 960),  # Jatibening
}
# Categories that these counts give: r = 38,320 / 210,920 and n = 38,320 / 15.
CATEGORIES = {
    "32.75.07.1003": "P1",
    "32.75.07.1004": "P1",
    "32.75.07.1007": "P1",
    "32.75.07.1008": "P3",
    "32.75.11.1001": "P1",
    "32.75.11.1002": "P3",
    "32.75.11.1003": "P4",
    "32.75.11.1004": "P3",
    "32.75.03.1001": "P1",
    "32.75.03.1004": "P1",
    "32.75.03.1006": "P2",
    "32.75.06.1004": "P3",
    "32.75.04.1001": "P4",
    "32.75.09.1002": "P4",
    "32.75.08.1002": "P4",
}
PASSWORD = "rahasia-bekasi-2025"


def full_rows(rows=ROWS) -> list[list[str]]:
    """The rows padded to the header's width."""
    width = len(HEADER)
    return [list(row) + [""] * (width - len(row)) for row in rows]


def write_budget_csv(path: Path, rows=ROWS, delimiter: str = ";") -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow([f"RINCIAN APBD KOTA BEKASI TAHUN ANGGARAN {YEAR}"])
        writer.writerow(HEADER)
        writer.writerows(full_rows(rows))
    return path


def write_budget_xlsx(path: Path, rows=ROWS) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "APBD 2025"
    sheet.append([f"RINCIAN APBD KOTA BEKASI TAHUN ANGGARAN {YEAR}"])
    sheet.append(HEADER)
    for row in full_rows(rows):
        sheet.append(row)
    workbook.save(path)
    return path


def write_households(db: Database) -> None:
    """Store the kelurahan household and DTKS counts of POVERTY_YEAR."""
    values = []
    for code, (households, registered) in HOUSEHOLDS.items():
        values.append(NewValue("RT", code, POVERTY_YEAR, "", "", float(households)))
        values.append(
            NewValue("RT_DTKS", code, POVERTY_YEAR, "", "", float(registered))
        )
    write_values(
        db, values, user="test", status="verified", channel="system", file_name="test"
    )


def add_users(db: Database) -> dict[str, object]:
    """A Bappeda analyst, a Dinkes operator, a Dinsos operator and a viewer."""
    found = {}
    with db.begin() as connection:
        for name, role, skpd in (
            ("analis", "analyst", None),
            ("dinkes", "skpd_operator", "DINKES"),
            ("dinsos", "skpd_operator", "DINSOS"),
            ("pembaca", "viewer", None),
        ):
            found[name] = create_user(
                connection,
                name,
                full_name=name.title(),
                role=role,
                password=PASSWORD,
                actor="test",
                skpd_code=skpd,
            )
    return found


# Values of 2024 that make JKN_PBI_B40, K6 and TPT lag Jawa Barat, while
# sanitation and drinking water lead it.
DETERMINANTS = [
    ("TPT", "32.75", 7.9),
    ("TPT", "32", 6.75),
    ("SANITASI", "32.75", 86.1),
    ("SANITASI", "32", 78.0),
    ("AIR_MINUM", "32.75", 99.2),
    ("AIR_MINUM", "32", 95.0),
    ("JKN_PBI_B40", "32.75", 61.0),
    ("JKN_PBI_B40", "32", 70.0),
    ("K6", "32.75", 78.0),
    ("K6", "32", 85.0),
]
ACCEPTED = ("P0", "STUNTING", "TPT")


def write_priorities(db: Database) -> None:
    """Store the determinant values and the TKPK's 2024 decisions for 32.75."""
    from p3bm.analysis.decisions import record_decision

    values = [
        NewValue(code, area, POVERTY_YEAR, "", "", value)
        for code, area, value in DETERMINANTS
    ]
    write_values(
        db, values, user="test", status="verified", channel="system", file_name="test"
    )
    with db.begin() as connection:
        for code in ACCEPTED:
            record_decision(
                connection,
                area="32.75",
                year=POVERTY_YEAR,
                indicator=code,
                decision="accepted",
                reason="Rapat TKPK 12 Maret 2024",
                user="tkpk",
            )
        record_decision(
            connection,
            area="32.75",
            year=POVERTY_YEAR,
            indicator="GINI",
            decision="rejected",
            reason="Ketimpangan ditangani di tingkat provinsi",
            user="tkpk",
        )


def run_cli(capsys, *args: object) -> tuple[int, str, str]:
    """Run the CLI in this process and return its exit code, output and errors.

    The CLI configures the root logger, so its handlers and level are restored.
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        main([str(arg) for arg in args])
        code = 0
    except SystemExit as exc:
        code = 0 if exc.code is None else exc.code
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    captured = capsys.readouterr()
    return code, captured.out, captured.err
