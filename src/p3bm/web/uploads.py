"""Reading uploaded files: the size limit and a safe file name."""

from __future__ import annotations

from pathlib import Path

from fastapi import UploadFile

from p3bm.errors import InputFileError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


async def read_upload(file: UploadFile, default_name: str) -> tuple[str, bytes]:
    """Return the safe name and the bytes of an upload of at most 10 MB.

    Raises InputFileError for a larger file.
    """
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InputFileError(
            "The file is larger than 10 MB.",
            hint="Split it by SKPD or year and upload the parts.",
            indonesian=(
                "Berkas lebih besar dari 10 MB.",
                "Pecah per SKPD atau per tahun lalu unggah bagian-bagiannya.",
            ),
        )
    return upload_name(file.filename, default_name), data


def upload_name(filename: str | None, default: str) -> str:
    """Return a safe name for an uploaded file in a temporary folder.

    Keeps the base name the browser sent, which reports show, but never a
    folder name such as ``..`` and never more than 120 characters.
    """
    name = Path(filename or "").name.strip()
    if name in ("", ".", ".."):
        return default
    if len(name) > 120:
        suffix = Path(name).suffix[:20]
        name = name[: 120 - len(suffix)] + suffix
    return name
