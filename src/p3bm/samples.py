"""Loading the bundled list of public sample tables into a database.

``load_samples`` is what `p3bm up` runs on a folder of public tables: it
imports each crosswalk, boundary file and table named in
``data/sample_tables.yaml`` that the folder holds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from p3bm.areas.boundaries import import_boundaries
from p3bm.areas.crosswalk import import_crosswalk
from p3bm.errors import P3BMError
from p3bm.i18n import in_language, label
from p3bm.imports import Importer, ImportOptions
from p3bm.storage.database import Database

logger = logging.getLogger(__name__)


@dataclass
class SampleLoad:
    """What loading the sample folder did, one line per file."""

    lines: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def sample_manifest() -> dict:
    text = (resources.files("p3bm") / "data" / "sample_tables.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def load_samples(
    db: Database,
    folder: Path,
    user: str,
    rejected_dir: Path,
    progress: Callable[[str], None] = lambda line: None,
    lang: str = "id",
) -> SampleLoad:
    """Import each sample file found in ``folder``; a failure does not stop the rest.

    The lines of the result and of ``progress`` are written in ``lang``.
    """
    manifest = sample_manifest()
    result = SampleLoad()

    def note(line: str) -> None:
        result.lines.append(line)
        progress(line)

    for relative in manifest.get("crosswalks", []):
        path = folder / relative
        if _present(path, result):
            _run(
                result,
                note,
                path,
                lambda p: _crosswalk_line(import_crosswalk(db, p), p, lang),
                lang,
            )
    for relative in manifest.get("boundaries", []):
        path = folder / relative
        if _present(path, result):
            _run(
                result,
                note,
                path,
                lambda p: _boundaries_line(import_boundaries(db, p), p, lang),
                lang,
            )
    importer = Importer(db, user)
    for entry in manifest.get("tables", []):
        path = folder / entry["path"]
        if not _present(path, result):
            continue
        options = {key: value for key, value in entry.items() if key != "path"}
        options["rejected_dir"] = rejected_dir
        options["reason"] = "public sample data"
        # The samples are published statistics, so the public may see them.
        options.setdefault("status", "published")
        _run(
            result,
            note,
            path,
            lambda p, o=options: _table_line(
                importer.import_file(p, ImportOptions(**o)), lang
            ),
            lang,
        )
    return result


def _present(path: Path, result: SampleLoad) -> bool:
    if path.is_file():
        return True
    result.skipped.append(str(path))
    return False


def _run(result: SampleLoad, note, path: Path, action, lang: str) -> None:
    try:
        note(action(path))
    except P3BMError as exc:
        logger.warning("sample file %s failed: %s", path, exc)
        message = exc.text(lang)
        result.failed.append(f"{path.name}: {message}")
        note(
            in_language(lang, f"{path.name}: GAGAL: ", f"{path.name}: FAILED: ")
            + message
        )


def _crosswalk_line(outcome, path: Path, lang: str) -> str:
    pairs = outcome.pairs_text(lang)
    return in_language(
        lang, f"{path.name}: padanan kode {pairs}", f"{path.name}: crosswalk {pairs}"
    )


def _boundaries_line(outcome, path: Path, lang: str) -> str:
    return in_language(
        lang,
        f"{path.name}: {outcome.matched} poligon",
        f"{path.name}: {outcome.matched} polygons",
    )


def _table_line(report, lang: str) -> str:
    outcome = label(f"outcome_{report.outcome}", lang)
    line = in_language(
        lang,
        f"{report.file}: {outcome}, {report.added} baru, {report.changed} berubah, "
        f"{report.unchanged} sama",
        f"{report.file}: {outcome}, {report.added} added, {report.changed} "
        f"changed, {report.unchanged} unchanged",
    )
    if report.rejected_rows:
        line += in_language(
            lang,
            f", {report.rejected_rows} baris ditolak ({report.rejected_file})",
            f", {report.rejected_rows} rows rejected ({report.rejected_file})",
        )
    return line
